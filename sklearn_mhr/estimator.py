"""MHRAudioClassifier: the multi-head relevance network as a scikit-learn estimator."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_feature_names, _check_n_features

from sklearn_mhr import analysis
from sklearn_mhr._fit_lengths import check_lengths, warn_if_long_clips
from sklearn_mhr._inputs import as_clip_sequence, check_partial_fit_classes, check_targets
from sklearn_mhr._lengths import clip_samples
from sklearn_mhr._params import check_params
from sklearn_mhr._skorch import (
    ClipDataset,
    base_seed,
    can_continue,
    check_precision,
    continue_net,
    fitted_attributes,
    forget_fit_state,
    inference,
    raise_if_interrupted,
    resolve_device,
    restart_learning_rates,
    seeded_rng,
    start_net,
    torch_threads,
)
from sklearn_mhr._skorch.checkpoint import checkpoints
from sklearn_mhr._skorch.distill import check_teacher_proba
from sklearn_mhr._skorch.distributed import agree_on_seed, current_world, process_group
from sklearn_mhr._skorch.spectra import use_spectra

__all__ = ["MHRAudioClassifier"]


class MHRAudioClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Sound classifier that learns its filterbank and where to look, from raw waveforms.

    A learnable filterbank of cosine-modulated Gaussian filters turns short
    Hamming-weighted frames into a log time-frequency map; ``n_heads`` relevance
    heads, each a small network over its own band of filters, weight every bin
    from its +-``context`` frames; a CNN back end classifies the weighted map.
    Everything is trained jointly with cross-entropy (Dutta, Agrawal and
    Ganapathy, WASPAA 2021).

    Parameters
    ----------
    sample_rate : float, default=16000
        Sample rate in Hz of every waveform given to ``fit`` and ``predict``.
        Durations below are converted to samples with it.
    front_end : {"cosgauss", "mel"}, default="cosgauss"
        Learnable filterbank, or a fixed log-mel spectrogram (with
        ``n_heads=0``, the paper's mel baseline).
    n_filters : int, default=80
        Filters of the front end (rows of the map).
    filter_init : {"mel", "uniform", "random"}, default="mel"
        Initial centre frequencies of the learnable filters.
    filter_width : {"paper", "mel"}, default="paper"
        How the learnable filters' Gaussian widths follow their centres: the
        paper's ``5 / f`` seconds, or a half-power bandwidth equal to the mel
        spacing at the centre, which tiles the band like a mel filterbank at
        any sample rate and filter count (give it a ``kernel_duration`` close
        to the window, or low filters are truncated). docs/benchmarks.md
        compares them.
    learn_bandwidth : bool, default=False
        Learn each filter's width independently of its centre frequency.
    front_end_path : {"auto", "fft", "time", "analytic"}, default="auto"
        Frequency-domain computation of the kernels' full convolution
        (fast), the paper's time-domain convolution (reference; hundreds of
        times slower), or the filters' closed-form spectra on a DFT as long
        as the window (fastest; the kernel length sets a Gaussian taper
        instead of a truncation, so the filters have no side lobes).
        ``"auto"`` is ``"analytic"`` for the learnable filters, which scored
        higher than ``"fft"`` on drums, notes and scenes and within the
        spread of it on spoken words (docs/benchmarks.md), and ``"fft"`` for
        the mel front end, whose one path it is. docs/method.md compares them.
    compression : {"relative", "log", "pcen"}, default="relative"
        How either front end turns filter energies into the map:
        ``log(1 + E / (floor * max E))``, which ignores the clip's gain and
        keeps ``top_db`` of dynamic range below its loudest bin (learned
        kernels scaled to unit energy, like the unit-area mel filters);
        ``log(E + 1e-6)`` on the paper's unscaled kernels (an absolute floor:
        the map moves with the clip's level; the authors' code peak-normalises
        each clip and floors at 1e-3); or per-channel energy normalisation
        with learned parameters.
    top_db : float, default=80.0
        Dynamic range of the ``"relative"`` map (and floor of PCEN's input),
        in dB below the clip's loudest bin.
    window_duration : float, default=0.0464
        Frame length in seconds (2048 samples at 44.1 kHz).
    hop_duration : float, default=0.0232
        Hop between frames in seconds (1024 samples at 44.1 kHz).
    kernel_duration : float, default=0.016
        Filter length in seconds, rounded to an odd number of taps. On drum
        one-shots and instrument notes 0.045 (close to the window) did better,
        on spoken words worse (docs/benchmarks.md).
    n_heads : int, default=2
        Relevance heads over contiguous bands of filters; 0 turns relevance
        weighting off.
    context : int, default=10
        Frames each side of a bin that a head looks at.
    head_hidden : int, default=16
        Hidden units of each head (the authors' acoustic-scene heads have 50,
        their urban-sound heads 10; 16 costs a third of 50's time for the same
        accuracy on the development corpora, docs/benchmarks.md).
    head_activation : {"sigmoid", "softmax"}, default="sigmoid"
        Sigmoid per bin, or softmax over a band's filters per frame.
    relevance_scaling : {"none", "band"}, default="none"
        Keep the levels of the weighted map across bands (the map is
        level-free and never negative with the default compression), or
        min-max scale each head's weighted band per clip, as the authors'
        code does, which loses how loud one band is against another.
    back_end : {"light", "fcnn", "cnn_lstm"}, default="light"
        Light CPU-friendly CNN, the paper's acoustic-scene FCNN, or its
        urban-sound CNN-LSTM.
    back_end_width : int, default=16
        Channels of the back end's first block.
    dropout : float, default=0.2
        Dropout in the back end.
    max_epochs : int, default=30
        Training epochs (fewer with early stopping).
    batch_size : int, default=32
        Clips per batch in training and in inference; in a distributed fit
        (docs/distributed.md), clips per process and step, so a step averages
        the gradients of ``batch_size`` times the processes' clips. Inference batches only
        clips of one length, and on the CPU at most 2**19 samples (short clips
        are batched, long ones go alone); a clip's probabilities in any batch
        agree to float32 rounding.
    lr : float, default=1e-3
        Learning rate (the peak of the schedule).
    filter_lr_factor : float, default=1.0
        The learnable filterbank trains at ``lr * filter_lr_factor``.
    weight_decay : float, default=0.0
        Weight decay of the optimizer.
    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with ``momentum`` (the paper's acoustic-scene set-up).
    momentum : float, default=0.9
        Momentum of SGD (unused by Adam).
    lr_schedule : {"constant", "cosine", "warm_restarts"}, default="cosine"
        Constant learning rate; one cosine from ``lr`` to 0 over
        ``max_epochs`` (each call to ``fit`` starts it again; a call to
        ``partial_fit`` trains at ``lr``); or cosine annealing with warm
        restarts (SGDR): the rate falls from ``lr`` to 0 over
        ``restart_period`` epochs, restarts, and each cycle is twice as long
        as the last.
    restart_period : int, default=10
        Epochs of the first cycle with ``lr_schedule="warm_restarts"``.
    mixup_alpha : float, default=0.0
        Mixup in training: each batch is mixed with a permutation of itself,
        waveforms and one-hot targets alike, with weights ``lam ~ Beta(alpha,
        alpha)``. 0 turns it off; the paper's acoustic-scene set-up uses 0.4.
    freq_mask_width : int, default=0
        SpecAugment in training: largest number of filters that one mask of
        the time-frequency map covers (masked bins take the clip's mean). 0
        turns masks across filters off.
    time_mask_width : int, default=0
        SpecAugment in training: largest number of frames that one mask
        covers, as ``freq_mask_width``. 0 turns masks across frames off.
    n_masks : int, default=2
        Masks of each kind per clip.
    device_augment : float or "auto", default="auto"
        Probability that a training clip sounds as if recorded by a random
        device: a random band limit, resonances and tilt, hiss and sometimes
        mains hum, drawn on its frames' power spectra
        (:class:`~sklearn_mhr.nn.device_chain.RecordingChain`). ``"auto"``
        is 0.8, or 0 with ``front_end_path="time"``, which computes no power
        spectra (a number above 0 is refused there). 0 turns it off.
    freq_mixstyle : float, default=0.3
        Probability that a training batch mixes its clips' per-band statistics
        (Freq-MixStyle, :class:`~sklearn_mhr.nn.mixstyle.FreqMixStyle`): each
        clip's map keeps its pattern but takes band levels between its own
        and another clip's, as another device would give. 0 turns it off.
        Chosen with the chains of ``device_augment="auto"`` on the development
        corpora, where the two together leave under half the gap to devices
        never heard in training that a fit without them shows (docs/benchmarks.md).
    residual_norm : float or None, default=None
        Residual normalisation of the map before the heads, in training and
        at inference: ``lam * map + `` the map standardised per filter over
        each clip's frames, with ``lam = residual_norm``; it removes most of a
        device's gain per band (:class:`~sklearn_mhr.nn.residual_norm.ResidualNorm`).
        None leaves the map as it is.
    distill_weight : float, default=0.5
        With ``fit(..., teacher_proba=q)``: share of the loss that pulls the
        class probabilities towards the teacher's ``q`` (knowledge
        distillation, :mod:`sklearn_mhr._skorch.distill`); the rest is the
        cross-entropy against the labels. Unused without a teacher.
    distill_temperature : float, default=2.0
        Temperature that softens the student's and the teacher's
        probabilities in the distillation term.
    random_crop : float or None, default=None
        In training, cut every clip to a random segment of this many seconds
        (shorter clips are repeated first); inference always sees whole clips.
        None trains on whole clips.
    validation_fraction : float or None, default=None
        Fraction of the training clips held out (stratified) to stop early
        when the validation loss stops improving; the best weights are kept.
        None trains on every clip for ``max_epochs``.
    patience : int, default=5
        Epochs without improvement before stopping (with a validation fraction).
    spectra_cache_mb : float, default=2048
        Memory in MiB that ``fit`` may give to the power spectra of its
        clips' frames, computed once and reused in every epoch (they depend on
        the clips alone; only the filters' weighting of them is learned). A
        fit computes them in every epoch instead when they would need more,
        for a lazy corpus (read batch by batch), when clips differ in length,
        with ``mixup_alpha`` or ``random_crop``
        (which change the waveforms), on the time path, or with 0. Results
        agree with recomputing to float32 rounding. ``partial_fit`` always
        recomputes. At 44.1 kHz the spectra take about 1.4 times the
        waveforms' float32 size (a 10 s clip: 2.4 MiB).
    warm_start : bool, default=False
        Continue from the current weights when ``fit`` is called again with the
        same classes and architecture.
    device : str, default="auto"
        "cpu", "cuda", "cuda:N", or "auto" (CUDA when available).
    precision : {"float32", "bfloat16"}, default="float32"
        Training on a GPU with ``"bfloat16"`` runs forward passes and losses
        under torch's autocast in bfloat16; weights, gradients, the optimizer,
        validation and inference stay in float32. The CPU trains in float32
        only (another value is refused there).
    n_threads : int or None, default=None
        Torch threads during fit and inference (restored after); set it in
        parallel searches so that workers do not oversubscribe the cores.
    n_workers : int, default=0
        DataLoader worker processes that read clips in training (useful for
        lazily decoded corpora). Each value is reproducible, but 0 and a
        positive count train different models, as two seeds do: workers draw
        the random crops themselves, and torch's loader takes its random
        numbers from the generator once per fit rather than once per epoch.
    verbose : int, default=0
        1 prints skorch's epoch table.
    checkpoint_dir : str, os.PathLike or None, default=None
        Folder where ``fit`` writes a checkpoint after every epoch (weights,
        optimizer, history, random state), so that a fit killed part-way can
        go on with ``fit(X, y, resume=True)`` to the model an uninterrupted
        fit gives (bit for bit on the CPU). One fit per folder: a fit without
        ``resume`` refuses a folder that holds a checkpoint. Not saved by
        :func:`sklearn_mhr.persistence.save`.
    callbacks : list or None, default=None
        Extra skorch callbacks for training, as callbacks or ``(name, callback)``
        pairs, run after the estimator's own ("valid_acc", "early_stopping",
        "lr_schedule"): a `skorch.callbacks.Checkpoint`, a progress printer.
        They are not saved by :func:`sklearn_mhr.persistence.save`: a loaded
        model has none.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split; two
        fits with the same int are identical on CPU. The global torch RNG is
        left as it was.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Clip length seen in ``fit``, set only when X was a 2-D array; clips of
        any length are accepted later.
    net_ : skorch.NeuralNet
        The trained net (``net_.module_`` is the :class:`~sklearn_mhr.nn.MHRNet`,
        ``net_.history`` the training history).
    win_length_, hop_length_, kernel_size_ : int
        Frame length, hop and filter taps in samples.
    head_bands_ : list of (int, int)
        ``(start, stop)`` rows of the map weighted by each head.
    centre_frequencies_ : ndarray of shape (n_filters,)
        Learned centre frequencies in Hz, sorted (mel band centres for the mel
        front end).
    initial_centre_frequencies_ : ndarray of shape (n_filters,)
        Centre frequencies in Hz before training.
    clip_samples_ : int
        Length in samples of the training clips (their median; the crop
        length with ``random_crop``): the default window of
        :meth:`predict_windows`. Absent from models saved before it was
        recorded.

    Examples
    --------
    >>> from sklearn_mhr import MHRAudioClassifier
    >>> from sklearn_mhr.datasets import make_sound_scenes
    >>> X, y = make_sound_scenes(60, duration=0.5, random_state=0)
    >>> clf = MHRAudioClassifier(n_filters=32, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 4)
    """

    def __init__(self, *, sample_rate=16000, front_end="cosgauss", n_filters=80,
                 filter_init="mel", filter_width="paper", learn_bandwidth=False,
                 front_end_path="auto", compression="relative", top_db=80.0, window_duration=0.0464,
                 hop_duration=0.0232, kernel_duration=0.016, n_heads=2, context=10,
                 head_hidden=16, head_activation="sigmoid", relevance_scaling="none",
                 back_end="light", back_end_width=16, dropout=0.2, max_epochs=30,
                 batch_size=32, lr=1e-3, filter_lr_factor=1.0, weight_decay=0.0,
                 optimizer="adam", momentum=0.9, lr_schedule="cosine", restart_period=10,
                 mixup_alpha=0.0, freq_mask_width=0, time_mask_width=0, n_masks=2,
                 device_augment="auto", freq_mixstyle=0.3, residual_norm=None, distill_weight=0.5,
                 distill_temperature=2.0, random_crop=None,
                 validation_fraction=None, patience=5,
                 spectra_cache_mb=2048, warm_start=False, device="auto", precision="float32",
                 n_threads=None,
                 n_workers=0, verbose=0, checkpoint_dir=None, callbacks=None, random_state=None):
        self.sample_rate = sample_rate
        self.front_end = front_end
        self.n_filters = n_filters
        self.filter_init = filter_init
        self.filter_width = filter_width
        self.learn_bandwidth = learn_bandwidth
        self.front_end_path = front_end_path
        self.compression = compression
        self.top_db = top_db
        self.window_duration = window_duration
        self.hop_duration = hop_duration
        self.kernel_duration = kernel_duration
        self.n_heads = n_heads
        self.context = context
        self.head_hidden = head_hidden
        self.head_activation = head_activation
        self.relevance_scaling = relevance_scaling
        self.back_end = back_end
        self.back_end_width = back_end_width
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.filter_lr_factor = filter_lr_factor
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.momentum = momentum
        self.lr_schedule = lr_schedule
        self.restart_period = restart_period
        self.mixup_alpha = mixup_alpha
        self.freq_mask_width = freq_mask_width
        self.time_mask_width = time_mask_width
        self.n_masks = n_masks
        self.device_augment = device_augment
        self.freq_mixstyle = freq_mixstyle
        self.residual_norm = residual_norm
        self.distill_weight = distill_weight
        self.distill_temperature = distill_temperature
        self.random_crop = random_crop
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.spectra_cache_mb = spectra_cache_mb
        self.warm_start = warm_start
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.n_workers = n_workers
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.callbacks = callbacks
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _check_X(self, X, *, reset: bool):
        clips, dtype = as_clip_sequence(X)
        if isinstance(clips, np.ndarray):
            _check_feature_names(self, X, reset=reset)
            if reset:
                _check_n_features(self, clips, reset=True)
        elif reset and hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return clips, dtype

    def fit(self, X, y, resume=False, teacher_proba=None):
        """Train on waveforms.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
            Waveforms at ``sample_rate``; clips may differ in length.
        y : array-like of shape (n_clips,)
            Labels (strings or integers).
        resume : bool, default=False
            Go on from the checkpoint in ``checkpoint_dir`` instead of starting
            afresh; the parameters and labels must be those of the fit that
            wrote it (a ValueError lists any difference).
        teacher_proba : array-like of shape (n_clips, n_classes), optional
            A teacher's class probabilities for every training clip, columns in
            the order of the sorted labels (as any classifier's
            ``predict_proba`` gives them, e.g. the mean over an ensemble):
            training then also distils them (``distill_weight``,
            ``distill_temperature``). Validation clips are scored against the
            labels alone. Scikit-learn's searches split it with ``X``.

        Returns
        -------
        self : MHRAudioClassifier
        """
        check_params(self)
        if resume and (self.checkpoint_dir is None or self.warm_start):
            raise ValueError("resume=True needs checkpoint_dir (the folder of the checkpoint) "
                             "and warm_start=False")
        clips, _ = self._check_X(X, reset=True)
        y = check_targets(y, len(clips), type(self).__name__)
        classes, y_idx = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y; got 1 class: {classes[0]!r}"
            )
        teacher = None
        if teacher_proba is not None:
            teacher = check_teacher_proba(teacher_proba, len(clips), len(classes),
                                          type(self).__name__)
        device = resolve_device(self.device)
        check_precision(self.precision, device)
        with process_group(device) as (world, device):
            self._fit_clips(clips, y_idx, classes, resume, world, device, teacher)
        forget_fit_state(self.net_)
        vars(self).update(fitted_attributes(
            self, self.net_, self.classes_,
            clip_samples(clips, self.sample_rate, self.random_crop)))
        raise_if_interrupted(self.net_)
        return self

    def _fit_clips(self, clips, y_idx, classes, resume, world, device, teacher) -> None:
        """The body of ``fit``, on one rank of ``world`` (None: the only process)."""
        continuing = can_continue(self, classes)
        seed = base_seed(self.random_state)
        if world is not None:
            seed = agree_on_seed(seed)
        train_idx, valid_set = np.arange(len(clips)), None
        if self.validation_fraction is not None:
            try:
                train_idx, valid_idx = train_test_split(
                    train_idx, test_size=self.validation_fraction, stratify=y_idx,
                    random_state=seed)
            except ValueError as exc:  # too few clips of a class on one side of the split
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} cannot hold out a stratified "
                    f"validation set from {len(clips)} clips of {len(classes)} classes ({exc}); "
                    "raise it, or set it to None") from None
            valid_set = ClipDataset(clips, y_idx, valid_idx)
        train_set = ClipDataset(clips, y_idx, train_idx, teacher)
        check_lengths(self, clips, train_idx)
        warn_if_long_clips(self, clips, train_idx)
        checkpoint = checkpoints(self, seed, classes, y_idx, resume, clips, teacher)
        with torch_threads(self.n_threads), seeded_rng(seed, device), checkpoint.lock():
            if continuing:
                continue_net(self, device, valid_set, checkpoint.callback, world)
                restart_learning_rates(self)
            else:
                start_net(self, classes, device, valid_set, checkpoint.callback, world)
            epochs = checkpoint.restore(self.net_) if resume else self.max_epochs
            if epochs:
                verbose = self.verbose if world is None or world.main else 0
                training_set = use_spectra(self, train_set, valid_set, verbose)
                if world is not None:  # read by the net while it trains (_skorch/net.py)
                    self.net_.world_, self.net_.shard_seed_ = world, seed
                try:
                    self.net_.partial_fit(training_set, None, epochs=epochs)
                finally:
                    vars(self.net_).pop("world_", None)
                    vars(self.net_).pop("shard_seed_", None)

    def partial_fit(self, X, y, classes=None):
        """Train for exactly one more epoch on ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
            Waveforms at ``sample_rate``.
        y : array-like of shape (n_clips,)
            Labels; each must be one of the classes.
        classes : array-like of shape (n_classes,), optional
            Every label that will ever be seen. Required on the first call (when
            the estimator is not fitted yet), as in scikit-learn's incremental
            estimators; if given later it must equal ``classes_``.

        Returns
        -------
        self : MHRAudioClassifier

        Notes
        -----
        The first call builds the network; every call runs one epoch over ``X``
        with the optimizer state kept between calls. ``max_epochs``,
        ``validation_fraction`` and ``patience`` do not apply: the caller
        decides when to stop. Each call seeds torch from ``random_state`` and
        the number of epochs already run, so a sequence of calls is
        reproducible. After `fit`, calls continue the fitted network.
        """
        check_params(self)
        world = current_world()
        if world is not None:
            raise ValueError(
                f"partial_fit trains in one process, but this is rank {world.rank} of a "
                f"distributed launch of {world.size} (WORLD_SIZE); call fit, which trains one "
                "model across the ranks, or run without the launcher")
        first = not hasattr(self, "net_")
        clips, _ = self._check_X(X, reset=first)
        y = check_targets(y, len(clips), type(self).__name__)
        classes = check_partial_fit_classes(y, classes, None if first else self.classes_)
        epochs_done = 0 if first else len(self.net_.history)
        seed = (base_seed(self.random_state) + epochs_done) % np.iinfo(np.int32).max
        device = resolve_device(self.device)
        check_precision(self.precision, device)
        with torch_threads(self.n_threads), seeded_rng(seed, device):
            if first:
                start_net(self, classes, device)
            y_idx = np.searchsorted(self.classes_, y)
            # each call restarts the cosine, so every epoch runs at the peak rate (warm restarts
            # still follow the epochs run so far)
            restart_learning_rates(self)
            self.net_.partial_fit(ClipDataset(clips, y_idx, np.arange(len(clips))), None, epochs=1)
        length = getattr(self, "clip_samples_", None)  # the first call's clips set it
        if length is None:
            length = clip_samples(clips, self.sample_rate, self.random_crop)
        vars(self).update(fitted_attributes(self, self.net_, self.classes_, length))
        raise_if_interrupted(self.net_)
        return self

    # ------------------------------------------------------------ inference
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays

        Returns
        -------
        proba : ndarray of shape (n_clips, n_classes), float64
            Columns follow ``classes_``; rows sum to one.
        """
        outputs, _ = inference.run(self, X, inference.logits)
        return inference.probabilities(np.stack(outputs))

    def predict(self, X) -> np.ndarray:
        """Predicted labels, taken from ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def transform(self, X) -> np.ndarray:
        """Relevance-weighted map pooled over time: mean and standard deviation per filter.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays

        Returns
        -------
        features : ndarray of shape (n_clips, 2 * n_filters)
            Per-filter means over time, then per-filter standard deviations;
            float32 for float32 input, float64 otherwise.
        """
        outputs, dtype = inference.run(self, X, inference.pooled_features)
        return np.stack(outputs).astype(dtype, copy=False)

    def predict_windows(self, X, *, window=None, hop=None, tail="end"):
        """Class probabilities and labels of every window of ``window`` s every ``hop`` s.

        See :func:`sklearn_mhr.windows.predict_windows`: windows go through
        the network in batches, their times come from integer sample offsets,
        and ``tail`` says what happens to the samples after the last whole
        window (``"end"``: a last window aligned to the clip's end).

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
        window : float or None, default=None
            Seconds; None is the training clips' length (``clip_samples_``).
        hop : float or None, default=None
            Seconds; None is half the window.
        tail : {"end", "pad", "drop"}, default="end"

        Returns
        -------
        windows : Bunch
            ``clip``, ``start``, ``end`` (seconds), ``start_sample``,
            ``end_sample``, ``proba`` (n_windows, n_classes) and ``label``,
            one entry per window; ``classes`` and ``sample_rate``.
        """
        from sklearn_mhr.windows import predict_windows

        return predict_windows(self, X, window=window, hop=hop, tail=tail)

    def transform_windows(self, X, *, window=None, hop=None, tail="end"):
        """The ``transform`` features of every window; see :meth:`predict_windows`.

        Returns
        -------
        windows : Bunch
            ``clip``, ``start``, ``end``, ``start_sample``, ``end_sample`` and
            ``features`` (n_windows, 2 * n_filters).
        """
        from sklearn_mhr.windows import transform_windows

        return transform_windows(self, X, window=window, hop=hop, tail=tail)

    def stream(self, *, window=None, hop=None, tail="end"):
        """A :class:`~sklearn_mhr.stream.WindowStream`: chunks in, the windows they complete out.

        Its windows equal :meth:`predict_windows` of the whole recording,
        whatever the chunk sizes.
        """
        from sklearn_mhr.stream import WindowStream

        return WindowStream(self, window=window, hop=hop, tail=tail)

    def relevance_maps(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Unpooled relevance-weighted maps and head weights, one pair per clip.

        Every stage of the network, per clip, is in
        :func:`sklearn_mhr.analysis.clip_maps`.

        Returns
        -------
        maps : list of ndarray of shape (n_filters, n_frames)
            The representation the back end sees.
        weights : list of ndarray of shape (n_filters, n_frames)
            Relevance weights in [0, 1]; rows ``head_bands_[h]`` come from head
            ``h``. Empty list when ``n_heads=0``.
        """
        clips = analysis.clip_maps(self, X)
        return ([c.weighted for c in clips],
                [c.weights for c in clips if c.weights is not None])

    def frequency_response(self, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """Magnitude responses of the filters (learned, or the mel bands).

        See :func:`sklearn_mhr.analysis.frequency_response`.

        Returns
        -------
        freqs : ndarray of shape (n_fft // 2 + 1,)
            Frequencies in Hz.
        magnitude : ndarray of shape (n_filters, n_fft // 2 + 1)
        """
        return analysis.frequency_response(self, n_fft)

    def export(self, path, format: str = "onnx"):
        """Write the fitted network for inference without this package.

        See :func:`sklearn_mhr.export.export`: ONNX or a ``torch.export``
        archive, taking float32 waveforms of shape (batch, n_samples) of any
        length from :func:`sklearn_mhr.export.min_samples` and returning class
        probabilities in the order of ``classes_``.

        Returns
        -------
        path : pathlib.Path
        """
        from sklearn_mhr.export import export

        return export(self, path, format=format)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a row of 2 to 10 numbers, as sklearn's checks feed, is not audio:
        # no accuracy floor can be promised on it
        tags.classifier_tags.poor_score = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
