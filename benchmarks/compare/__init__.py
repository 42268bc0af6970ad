"""The paper's ablation, reproducible: mel, learned filters, 0 / 1 / 2 / 4 heads, baselines.

Every variant and baseline is trained with several seeds on the same splits and
scored on the held-out clips. For each it reports the mean and standard
deviation of the accuracy (and the accuracy per recording device on DCASE2020),
the training time, the time of one training epoch (mean over epochs after the
first), inference throughput (test clips per second through ``predict``) and the
peak resident memory of the process that trained and scored it. Each fit runs
in a fresh process, so its memory is its own.

Variants (``--variants``, names as in the table; the same back end and every
other parameter for all):

- ``mel``: log-mel front end, no heads (the paper's baseline);
- ``filters``: learned filterbank, no heads;
- ``1 head``, ``2 heads``, ``4 heads``: learned filterbank with relevance heads;
- ``2 heads, softmax``: two heads with ``head_activation="softmax"``;
- ``2 heads, time path`` beside ``2 heads, fft path`` at a lower sample rate
  (``--path-rate``, 8 kHz by default), where the paper's time-domain path is
  affordable: whether the fast path costs accuracy. By default only on
  generated data (and not with ``--no-path``).

``--set KEY=VALUE`` (repeatable; VALUE read as JSON, else taken as a string)
overrides an `MHRAudioClassifier` parameter in every variant and in the
``transform_lr`` baseline, except the ``mel`` variant's ``front_end`` and
``n_heads``; ``--mel-set KEY=VALUE`` overrides one in the ``mel`` variant only.

Baselines (``--baselines``, all four by default, ``none`` for none; see
benchmarks/baselines.py): ``logmel_lr`` (log-mel statistics, logistic
regression), ``mfcc_svc`` (MFCC statistics, RBF SVC), ``transform_lr`` (the
``2 heads`` classifier's ``transform`` features, logistic regression; it reuses
the ``2 heads`` variant's fit when both run) and ``cnn`` (a log-mel CNN,
``--cnn-epochs``, 20 by default, 2 with ``--quick``).

Data and protocols:

- ``--dataset generated`` (default): ``make_sound_scenes``, a stratified 70/30
  split drawn with each seed;
- ``--dataset urbansound8k --test-folds 1,2``: each fold held out in turn
  (training on all the others; default fold 10); the accuracy is the mean over
  folds and seeds, its std the std over seeds of each seed's mean over folds;
- ``--dataset dcase2020``: fold1 train / evaluate, with accuracy per device;
- ``--dataset folder``: ``root/<label>/<file>``; with ``--split-file FILE``
  (JSON ``{"test_groups": ["awb", "slt"]}``) the clips whose file name starts
  with ``<group>_`` for a listed group are the test set and all others the
  training set (unseen speakers, say); with ``--each-group`` as well, each
  listed group is held out in turn (training on all other groups) and the
  accuracy is the mean over groups and seeds, as over UrbanSound8K folds;
  without a split file a stratified 70/30 split per seed.

Each fit decodes its corpus into memory first, as ``sklearn-mhr train`` does
for a corpus that fits (so a fit can compute its frame spectra once); with
``--lazy`` clips are decoded batch by batch in every epoch instead, and
``--cache DIR`` keeps decoded clips on disk between the fits.

``--jobs N`` runs N fits at once, each with ``cpu_count // N`` torch (and BLAS)
threads. With ``--json PATH`` every finished fit is saved there at once, and
``--resume`` reruns the same command skipping the fits already in the file;
features that ``transform_lr`` reuses are kept beside it in ``PATH.features/``
until used.

Usage::

    python -m benchmarks.compare                          # generated data, 3 seeds
    python -m benchmarks.compare --quick --no-docs        # a smoke run in about a minute
    python -m benchmarks.compare --dataset urbansound8k --root ~/data/UrbanSound8K \\
        --test-folds 1,2,3 --epochs 30 --seeds 3 --jobs 2 --json us8k.json \\
        --docs-heading "## Ablation on UrbanSound8K"
    python -m benchmarks.compare --dataset folder --root cache/speech \\
        --split-file cache/speech/split.json --variants "mel,filters,2 heads" \\
        --baselines logmel_lr,cnn --set top_db=80 --set kernel_duration=0.032 \\
        --json speech.json --resume --docs-heading "## Ablation on unseen speakers"

The table is printed and written into docs/benchmarks.md under ``--docs-heading``
(only that section is replaced; on generated data it defaults to ``## Ablation
on generated data``, a corpus needs one unless ``--no-docs``).
"""
