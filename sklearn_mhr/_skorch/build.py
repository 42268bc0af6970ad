"""From an estimator's parameters to its skorch net: build, continue, restart, read back.

The one way to make the net of an :class:`~sklearn_mhr.MHRAudioClassifier`
is :func:`start_net`; ``fit``, ``partial_fit`` and ``persistence.load`` all
call it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

import numpy as np
import torch
from skorch.callbacks import EpochScoring, LRScheduler
from skorch.helper import predefined_split

from sklearn_mhr._lengths import sample_lengths
from sklearn_mhr._skorch.checkpoint import ResumableEarlyStopping
from sklearn_mhr._skorch.clips import collate_cropped, collate_tiled
from sklearn_mhr._skorch.distill import DistillationLoss
from sklearn_mhr._skorch.distributed import ScoreAgreement
from sklearn_mhr._skorch.net import OPTIMIZERS, PRECISIONS, CosineSchedule, MixupNet
from sklearn_mhr.nn import MHRNet

__all__ = ["LR_SCHEDULES", "base_seed", "can_continue", "check_precision", "continue_net",
           "fitted_attributes", "forget_fit_state", "module_params", "resolve_device",
           "restart_learning_rates", "seeded_rng", "start_net"]

#: values of the estimator's ``lr_schedule``
LR_SCHEDULES = ("constant", "cosine", "warm_restarts")
#: names of the callbacks the estimator adds itself
OWN_CALLBACKS = ("valid_acc", "agreement", "early_stopping", "lr_schedule")

# MHRNet's arguments that are the estimator's parameters of the same name
_SHARED = [name for name, p in inspect.signature(MHRNet).parameters.items()
           if p.kind is p.KEYWORD_ONLY]


@contextlib.contextmanager
def seeded_rng(seed: int, device: str):
    """Seed a private copy of torch's generator (and CUDA's, on a GPU) for the block."""
    with torch.random.fork_rng(devices=[torch.device(device)] if device.startswith("cuda") else []):
        torch.manual_seed(seed)
        yield


def base_seed(random_state) -> int:
    """The torch seed a fit starts from, drawn from ``random_state``."""
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def resolve_device(device: str) -> str:
    """The torch device for an estimator's ``device`` parameter ("auto": CUDA when present)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available; use 'cpu' or 'auto'")
    return device


def check_precision(precision: str, device: str) -> None:
    """Refuse a reduced ``precision`` on the CPU, where autocast would slow training down."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    if precision != "float32" and not device.startswith("cuda"):
        raise ValueError(f"precision={precision!r} is for GPUs, but the device is {device!r}; "
                         "use precision='float32' on the CPU")


def module_params(est, n_classes: int) -> dict:
    """Arguments of the :class:`~sklearn_mhr.nn.MHRNet` that ``est`` describes."""
    lengths = sample_lengths(est.sample_rate, est.window_duration, est.hop_duration,
                             est.kernel_duration)
    return dict(n_classes=n_classes, sample_rate=float(est.sample_rate), **lengths._asdict(),
                **{name: getattr(est, name) for name in _SHARED})


def _schedule_callbacks(est) -> list:
    """The learning-rate schedule as skorch callbacks (empty for a constant rate)."""
    if est.lr_schedule == "warm_restarts":
        return [("lr_schedule", LRScheduler(
            policy=torch.optim.lr_scheduler.CosineAnnealingWarmRestarts,
            T_0=est.restart_period, T_mult=2, step_every="epoch"))]
    if est.lr_schedule == "cosine":
        return [("lr_schedule", CosineSchedule(est.max_epochs))]
    if est.lr_schedule == "constant":
        return []
    raise ValueError(f"lr_schedule must be one of {list(LR_SCHEDULES)}, got {est.lr_schedule!r}")


def _schedule_kind(callbacks) -> list:
    """A schedule among skorch callbacks, as its class and warm-restart period."""
    return [(type(cb), getattr(cb, "kwargs", {}).get("T_0"))
            for name, cb in callbacks or [] if name == "lr_schedule"]


def _group_rates(est) -> list[tuple[str, float]]:
    """Peak learning rate of each optimizer parameter group, in skorch's order."""
    if est.front_end == "cosgauss" and est.filter_lr_factor != 1:
        return [("front_end.filterbank.*", est.lr * est.filter_lr_factor), ("*", est.lr)]
    return [("*", est.lr)]


def valid_accuracy(net, X, y) -> float:
    """Accuracy of ``net`` on the validation clips (skorch caches their outputs)."""
    return float(np.mean(net.predict(X).argmax(axis=1) == y))


def _build_net(est, n_classes: int, device: str, valid_set, checkpoint=None,
               world=None) -> MixupNet:
    callbacks, train_split = [], None
    if valid_set is not None:
        train_split = predefined_split(valid_set)
        callbacks.append(("valid_acc", EpochScoring(valid_accuracy, name="valid_acc",
                                                    lower_is_better=False)))
    if world is not None:  # after the scores it makes agree, before the decisions on them
        callbacks.append(("agreement", ScoreAgreement()))
    if valid_set is not None:
        # after valid_acc, so that the epoch that stops training has its score
        callbacks.append(("early_stopping",
                          ResumableEarlyStopping(patience=est.patience, load_best=True)))
    callbacks += _schedule_callbacks(est)
    if checkpoint is not None:  # after the callbacks whose state it keeps
        callbacks.append(("checkpoint", checkpoint))
    callbacks += list(est.callbacks or [])
    optimizer_args = {"optimizer__weight_decay": est.weight_decay}
    if est.optimizer == "sgd":
        optimizer_args["optimizer__momentum"] = est.momentum
    groups = _group_rates(est)
    if len(groups) > 1:
        optimizer_args["optimizer__param_groups"] = [(groups[0][0], {"lr": groups[0][1]})]
    collate = collate_tiled
    if est.random_crop is not None:
        collate = functools.partial(collate_cropped,
                                    n_samples=max(1, round(est.random_crop * est.sample_rate)))
    workers = dict(num_workers=est.n_workers, persistent_workers=est.n_workers > 0)
    return MixupNet(
        MHRNet, criterion=DistillationLoss, criterion__weight=est.distill_weight,
        criterion__temperature=est.distill_temperature, optimizer=OPTIMIZERS[est.optimizer],
        lr=est.lr, mixup_alpha=est.mixup_alpha, precision=est.precision, **optimizer_args,
        max_epochs=est.max_epochs, batch_size=est.batch_size,
        iterator_train__shuffle=True, iterator_train__collate_fn=collate,
        iterator_valid__collate_fn=collate_tiled,
        **{f"iterator_train__{k}": v for k, v in workers.items()},
        train_split=train_split, callbacks=callbacks or None, device=device,
        verbose=est.verbose if world is None or world.main else 0,
        **{f"module__{k}": v for k, v in module_params(est, n_classes).items()},
    )


def start_net(est, classes, device: str, valid_set=None, checkpoint=None, world=None) -> None:
    """Give ``est`` its lengths, ``classes_`` and an initialised, untrained ``net_``.

    Parameters
    ----------
    est : MHRAudioClassifier
        Parameters already checked.
    classes : ndarray of shape (n_classes,)
        Class labels, sorted as ``np.unique`` sorts them.
    device : str
        A torch device, as :func:`resolve_device` gives.
    valid_set : torch Dataset, optional
        Clips that stop training early (``est.patience``) and keep the best weights.
    checkpoint : TrainingCheckpoint, optional
        Writes a checkpoint after every epoch.
    world : World, optional
        This process's place in a distributed fit
        (:func:`~sklearn_mhr._skorch.distributed.current_world`): the ranks
        then agree on every epoch's scores, and only rank 0 prints.
    """
    net = _build_net(est, len(classes), device, valid_set, checkpoint, world)
    net.initialize()
    vars(est).update(fitted_attributes(est, net, classes))


def continue_net(est, device: str, valid_set=None, checkpoint=None, world=None) -> None:
    """Give ``est.net_`` the current training parameters; keep weights, optimizer state, history.

    A warm-started ``fit`` goes on from where the last one stopped, but with
    this call's epochs, batch size, augmentation, validation clips, patience,
    workers and weight decay, which a net built by the last call would
    silently keep (the distillation weights among them). ``world`` as in :func:`start_net`.
    """
    net = est.net_
    fresh = _build_net(est, len(est.classes_), device, valid_set, checkpoint,
                       world)  # not initialised
    settings = {name: value for name, value in fresh.get_params().items()
                if not name.startswith(("module", "optimizer", "criterion", "device",
                                        "callbacks"))}
    net.set_params(**settings)  # module and optimizer stay as they are
    net.callbacks = fresh.callbacks
    net.initialize_callbacks()
    if isinstance(net.criterion_, DistillationLoss):
        net.criterion_.weight = est.distill_weight
        net.criterion_.temperature = est.distill_temperature
    for group in net.optimizer_.param_groups:  # without resetting the optimizer's moments
        group["weight_decay"] = est.weight_decay
        if "momentum" in group:
            group["momentum"] = est.momentum


def forget_fit_state(net) -> None:
    """Drop what belongs to one fit once it is over: validation clips, early stopping, checkpoints.

    The validation clips are the net's ``train_split``; kept, they would
    travel with every pickled model, and a later ``partial_fit`` would
    validate on them (and write checkpoints of another fit). The score
    agreement of a distributed fit goes too: it needs the fit's ranks.
    """
    def of_the_fit(item) -> bool:  # user callbacks may come without a name
        return isinstance(item, tuple) and item[0] in ("early_stopping", "valid_acc",
                                                       "agreement", "checkpoint")

    if net.train_split is not None or any(map(of_the_fit, net.callbacks or [])):
        net.train_split = None
        net.callbacks = [item for item in net.callbacks or [] if not of_the_fit(item)] or None
        net.initialize_callbacks()


def can_continue(est, classes) -> bool:
    """Whether a warm-started ``fit`` can go on training ``est.net_`` as it is."""
    if not (est.warm_start and hasattr(est, "net_") and np.array_equal(classes, est.classes_)):
        return False
    old = est.net_.get_params()
    return (all(old[f"module__{k}"] == v for k, v in module_params(est, len(classes)).items())
            and old["optimizer"] is OPTIMIZERS[est.optimizer]
            and _schedule_kind(_schedule_callbacks(est)) == _schedule_kind(est.net_.callbacks)
            and len(_group_rates(est)) == len(est.net_.optimizer_.param_groups))


def restart_learning_rates(est) -> None:
    """Put every parameter group of ``est.net_`` back at its peak rate: the schedule restarts."""
    for group, (_, lr) in zip(est.net_.optimizer_.param_groups, _group_rates(est), strict=True):
        group["lr"] = group["initial_lr"] = lr
    if est.lr_schedule == "cosine":
        dict(est.net_.callbacks_)["lr_schedule"].max_epochs = est.max_epochs


def fitted_attributes(est, net, classes, clip_samples=None) -> dict:
    """Every attribute a fitted estimator gets, from its parameters and its net.

    The one place where fitted state is made: :func:`start_net`, the
    estimator's ``fit`` and ``partial_fit``, and ``persistence.load`` all set
    what this returns (``n_features_in_`` aside, which scikit-learn's own
    check sets).

    Parameters
    ----------
    est : MHRAudioClassifier
        Its parameters give the lengths in samples.
    net : MixupNet
        Initialised; its module gives the head bands and centre frequencies.
    classes : ndarray of shape (n_classes,)
        Class labels, sorted.
    clip_samples : int, optional
        Length in samples of the training clips (:func:`~sklearn_mhr._lengths.clip_samples`);
        left out when unknown (a model saved before it was recorded).

    Returns
    -------
    attributes : dict
        ``net_``, ``classes_``, ``win_length_``, ``hop_length_``,
        ``kernel_size_``, ``head_bands_``, ``centre_frequencies_``,
        ``initial_centre_frequencies_`` and, when known, ``clip_samples_``.
    """
    lengths = sample_lengths(est.sample_rate, est.window_duration, est.hop_duration,
                             est.kernel_duration)
    module = net.module_
    attributes = dict(
        net_=net, classes_=classes, win_length_=lengths.win_length,
        hop_length_=lengths.hop_length, kernel_size_=lengths.kernel_size,
        head_bands_=list(module.relevance.edges) if module.relevance is not None else [],
        centre_frequencies_=module.front_end.centre_frequencies(),
        initial_centre_frequencies_=module.front_end.initial_centre_frequencies(),
    )
    if clip_samples is not None:
        attributes["clip_samples_"] = int(clip_samples)
    return attributes
