"""Pruning that leaves the first epochs of every fold alone."""

from __future__ import annotations

import optuna

from sklearn_mhr._numbers import is_int
from sklearn_mhr.search._objective import STEPS_PER_FOLD

__all__ = ["FoldWarmupPruner"]


class FoldWarmupPruner(optuna.pruners.BasePruner):
    """Ask `pruner` only once a fold has trained `warmup_epochs` epochs.

    Steps are ``fold * STEPS_PER_FOLD + epoch``; Optuna's own
    ``n_warmup_steps`` counts steps from the start of the trial, so it spares
    the first epochs of the first fold only. Early epochs say little about
    where a model ends up in any fold.

    Parameters
    ----------
    pruner : optuna.pruners.BasePruner
        The pruner that decides after the warm-up (e.g. `optuna.pruners.MedianPruner`).
    warmup_epochs : int, default=3
        Epochs of each fold that are never pruned.
    """

    def __init__(self, pruner: optuna.pruners.BasePruner, warmup_epochs: int = 3):
        if not is_int(warmup_epochs) or warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be an integer >= 0, got {warmup_epochs!r}")
        self.pruner = pruner
        self.warmup_epochs = warmup_epochs

    def prune(self, study, trial) -> bool:
        """Whether `trial` should stop now."""
        step = trial.last_step
        if step is None or step % STEPS_PER_FOLD < self.warmup_epochs:
            return False
        return self.pruner.prune(study, trial)
