"""The skorch net that trains MHRAudioClassifier: mixup, optimizers and schedules."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_device, to_tensor

from sklearn_mhr._skorch import distributed
from sklearn_mhr._skorch.interrupt import interrupt_kept, raise_if_pending

__all__ = ["CosineSchedule", "MixupNet", "OPTIMIZERS", "PRECISIONS", "TrainingDivergedError",
           "raise_if_interrupted"]

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
#: values of the estimator's ``precision``: the dtype of training's forward pass under autocast
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}


class TrainingDivergedError(ArithmeticError):
    """The training loss became NaN or infinite; the message names the epoch and the batch."""


class MixupNet(NeuralNet):
    """A skorch NeuralNet whose training steps can mix pairs of clips.

    With ``mixup_alpha > 0`` every training batch is replaced by
    ``lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(alpha, alpha)`` and a
    random permutation ``perm`` of the batch, and the loss is taken against
    the same mixture of the two one-hot targets (cross-entropy accepts class
    probabilities); a teacher's probabilities, when the targets carry them
    (:mod:`sklearn_mhr._skorch.distill`), are mixed alike. Validation and
    inference are unchanged.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    mixup_alpha : float, default=0.0
        Beta parameter; 0 turns mixup off.
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs the training steps' forward passes and losses
        under ``torch.autocast`` in bfloat16 (weights, gradients and the
        optimizer stay in float32); validation and inference stay in float32.

    Notes
    -----
    In a distributed fit the estimator sets ``world_`` (a
    :class:`~sklearn_mhr._skorch.distributed.World`) and ``shard_seed_``
    before training and removes them after: each rank then trains on its
    shard of the clips through DistributedDataParallel
    (:mod:`sklearn_mhr._skorch.distributed`).
    """

    def __init__(self, *args, mixup_alpha=0.0, precision="float32", **kwargs):
        super().__init__(*args, **kwargs)
        self.mixup_alpha = mixup_alpha
        self.precision = precision

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch ends training quietly on Ctrl-C; note it, so the estimator can say so. Its
        # EarlyStopping stops training by raising KeyboardInterrupt too: that one is no interrupt
        self.interrupted_ = False
        if getattr(self, "world_", None) is not None:
            # past skorch's __setattr__, which would register the wrapper as a module of the net
            vars(self)["parallel_module_"] = distributed.data_parallel(self.module_, self.device)
        try:
            with interrupt_kept():
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            stopper = dict(self.callbacks_).get("early_stopping")
            self.interrupted_ = stopper is None or stopper.misses_ < stopper.patience
            raise
        finally:
            vars(self).pop("parallel_module_", None)

    def get_iterator(self, dataset, training=False):
        world = getattr(self, "world_", None)
        if not training or world is None:
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for("iterator_train")
        kwargs.setdefault("batch_size", self.batch_size)
        return distributed.shard_loader(self.iterator_train, dataset, world, self.shard_seed_,
                                        **kwargs)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        world = getattr(self, "world_", None)
        if world is None or not training or iterator is None:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        # the epoch's number counts a resumed fit's epochs: its shards and draws are those of
        # an uninterrupted fit
        epoch = len(self.history)
        iterator.sampler.set_epoch(epoch)
        torch.manual_seed(distributed.rank_seed(self.shard_seed_, world.rank, epoch))
        super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        distributed.sync_buffers(self.module_)
        return None

    def infer(self, x, **fit_params):
        parallel = getattr(self, "parallel_module_", None)
        if parallel is None or not self.module_.training:
            return super().infer(x, **fit_params)
        x = to_tensor(x, device=self.device)
        if isinstance(x, Mapping):
            return parallel(**self._merge_x_and_fit_params(x, fit_params))
        return parallel(x, **fit_params)

    def train_step(self, batch, **fit_params):
        raise_if_pending()  # a Ctrl-C that Python dropped (sklearn_mhr._skorch.interrupt)
        return super().train_step(batch, **fit_params)

    def train_step_single(self, batch, **fit_params):
        # nets pickled before precision existed have none
        dtype = PRECISIONS[getattr(self, "precision", "float32")]
        with torch.autocast(torch.device(self.device).type, dtype=dtype, enabled=dtype is not None):
            if self.mixup_alpha:
                step = self._mixed_step(batch, **fit_params)
            else:
                step = super().train_step_single(batch, **fit_params)
        loss = step["loss"]
        if getattr(self, "world_", None) is not None:
            # one loss for every rank: its history, and one decision on divergence
            loss = step["loss"] = distributed.mean_over_ranks(loss)
        if not torch.isfinite(loss).all():
            # before the optimizer's step: the weights stay those of the last finite batch
            epoch = len(self.history)
            batch_number = len(self.history[-1]["batches"]) + 1 if epoch else 1
            raise TrainingDivergedError(
                f"the training loss became {loss.item()} at epoch {epoch}, batch {batch_number}; "
                f"training diverged: lower lr (now {self.lr}) or check the clips for extreme "
                "values")
        return step

    def _mixed_step(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = to_device(batch, self.device)
        alpha = torch.tensor(float(self.mixup_alpha))
        lam = torch.distributions.Beta(alpha, alpha).sample().item()
        perm = torch.randperm(Xi.shape[0], device=Xi.device)
        mixed = lam * Xi + (1.0 - lam) * Xi[perm]
        y_pred = self.infer(mixed, **fit_params)
        labels = yi["label"] if isinstance(yi, dict) else yi
        onehot = torch.nn.functional.one_hot(labels, y_pred.shape[1]).to(y_pred.dtype)
        soft = lam * onehot + (1.0 - lam) * onehot[perm]
        if isinstance(yi, dict):  # a teacher's probabilities are mixed as the labels are
            teacher = yi["teacher"].to(y_pred.dtype)
            soft = {"label": soft, "teacher": lam * teacher + (1.0 - lam) * teacher[perm]}
        loss = self.get_loss(y_pred, soft, X=mixed, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}


class CosineSchedule(Callback):
    """One cosine from each parameter group's peak rate towards 0 over a training run.

    Epoch ``k`` (from 0) of every call to ``fit`` or ``partial_fit`` trains at
    ``peak * (1 + cos(pi * k / max_epochs)) / 2``, where ``peak`` is the group's
    ``initial_lr`` (its rate when training first began). Unlike skorch's
    ``LRScheduler``, which counts epochs over the whole history, each call
    starts the cosine again: a warm-started ``fit`` gets a full schedule, and a
    one-epoch ``partial_fit`` trains at the peak rate.

    Parameters
    ----------
    max_epochs : int
        Epochs over which the rate falls.
    """

    def __init__(self, max_epochs: int):
        self.max_epochs = max_epochs

    def checkpoint_state(self) -> dict:
        return {"epoch": self.epoch_}

    def restore_state(self, state: dict) -> None:
        """Go on from ``state["epoch"]`` epochs at the next training call (a resumed fit)."""
        self.pending_epoch_ = state["epoch"]

    def on_train_begin(self, net, **kwargs):
        self.epoch_ = self.__dict__.pop("pending_epoch_", 0)
        self.peaks_ = [group.setdefault("initial_lr", group["lr"])
                       for group in net.optimizer_.param_groups]

    def on_epoch_begin(self, net, **kwargs):
        factor = 0.5 * (1.0 + math.cos(math.pi * self.epoch_ / self.max_epochs))
        for group, peak in zip(net.optimizer_.param_groups, self.peaks_):
            group["lr"] = peak * factor
        self.epoch_ += 1


def raise_if_interrupted(net) -> None:
    """Raise KeyboardInterrupt if the last training call of `net` was stopped by one."""
    if getattr(net, "interrupted_", False):
        raise KeyboardInterrupt(
            f"training was interrupted after {len(net.history)} epoch(s); the estimator holds "
            "the weights it had reached, which are not those of a complete fit")
