"""One rank of a distributed fit, as tests/test_distributed.py launches it with torchrun.

``python -m torch.distributed.run --nproc-per-node 2 ... distributed_worker.py OUT``
runs three fits in one launch (each launch costs seconds of imports):

- one training step; each rank saves the batch it trained on, rank 0 the
  initial weights and the averaged gradients, under OUT/grads;
- a short fit with a validation fraction; rank 0 saves the model to
  OUT/full, every rank its history's scores to OUT/scores_RANK.json;
- the same fit with checkpoints in OUT/checkpoints, which rank 1 leaves
  with exit code 3 at the end of epoch ``EXIT_AT_EPOCH``, as a crashed rank
  would; rank 0 would save the model to OUT/model.

``distributed_worker.py OUT --resume`` resumes the last fit from the
checkpoint in OUT/resumed and saves its model to OUT/resumed/model.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from skorch.callbacks import Callback

from sklearn_mhr import MHRAudioClassifier, persistence
from sklearn_mhr.datasets import make_sound_scenes

#: a small, fast network; the tests build the same one
TINY = dict(sample_rate=8000, n_filters=8, context=2, head_hidden=8, back_end_width=4,
            kernel_duration=0.004, device="cpu", random_state=0)


def grads_data():
    """The global batch of the gradient test: 8 clips, 4 per rank."""
    return make_sound_scenes(8, n_classes=2, duration=0.25, sample_rate=8000, random_state=0)


def fit_data():
    """Clips of the short fits."""
    return make_sound_scenes(48, n_classes=2, duration=0.25, sample_rate=8000, random_state=1)


class SaveStep(Callback):
    """Save this rank's batch; on rank 0 the weights before the step and the gradients."""

    def __init__(self, out: Path):
        self.out = out

    def on_train_begin(self, net, **kwargs):
        if os.environ["RANK"] == "0":
            torch.save(net.module_.state_dict(), self.out / "initial.pt")

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            torch.save(batch, self.out / f"batch_{os.environ['RANK']}.pt")

    def on_grad_computed(self, net, named_parameters, **kwargs):
        if os.environ["RANK"] == "0":
            torch.save({name: p.grad.clone() for name, p in named_parameters},
                       self.out / "grads.pt")


class ExitAt(Callback):
    """Rank 1 leaves without cleaning up at the end of an epoch (after its checkpoint)."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if os.environ["RANK"] == "1" and len(net.history) == self.epoch:
            os._exit(3)


def fitted(checkpoint_dir=None, resume=False, callbacks=None) -> MHRAudioClassifier:
    """The short fit of :func:`fit_data`'s clips."""
    X, y = fit_data()
    clf = MHRAudioClassifier(**TINY, max_epochs=4, batch_size=8, validation_fraction=0.25,
                             patience=2, checkpoint_dir=checkpoint_dir, callbacks=callbacks)
    return clf.fit(X, y, resume=resume)


def save_on_rank_0(clf, path: Path) -> None:
    if os.environ["RANK"] == "0":
        persistence.save(clf, path)


def main(out: Path, resume: bool) -> None:
    torch.set_num_threads(1)
    if resume:
        save_on_rank_0(fitted(out / "resumed", resume=True), out / "resumed" / "model")
        return
    (out / "grads").mkdir(parents=True, exist_ok=True)
    X, y = grads_data()
    MHRAudioClassifier(**TINY, max_epochs=1, batch_size=4, dropout=0.0, device_augment=0,
                       freq_mixstyle=0, lr_schedule="constant", spectra_cache_mb=0,
                       callbacks=[("save_step", SaveStep(out / "grads"))]).fit(X, y)
    full = fitted()
    save_on_rank_0(full, out / "full")
    scores = full.net_.history[:, ("train_loss", "valid_loss", "valid_acc")]
    (out / f"scores_{os.environ['RANK']}.json").write_text(json.dumps(scores))
    exit_at = int(os.environ["EXIT_AT_EPOCH"])
    save_on_rank_0(fitted(out / "checkpoints", callbacks=[("exit_at", ExitAt(exit_at))]),
                   out / "model")


if __name__ == "__main__":
    main(Path(sys.argv[1]), resume=sys.argv[2:] == ["--resume"])
