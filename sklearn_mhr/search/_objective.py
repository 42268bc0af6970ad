"""The cross-validated objective of a trial, trained epoch by epoch so that it can be pruned."""

from __future__ import annotations

import os
import socket

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from sklearn_mhr._skorch import TrainingDivergedError
from sklearn_mhr.search._storage import WORKER_OF_TRIAL

__all__ = ["STEPS_PER_FOLD", "CVObjective"]

# Intermediate values are reported at step fold * STEPS_PER_FOLD + epoch: the
# same step means the same fold and epoch in every trial, even when trials
# train for different numbers of epochs, so pruners compare like with like.
STEPS_PER_FOLD = 1000


class CVObjective:
    """Mean cross-validated score of the parameters a trial suggests.

    Each fold trains a fresh clone one epoch at a time (``partial_fit``),
    scores it on the held-out clips after every epoch and reports the score
    to the trial at step ``fold * STEPS_PER_FOLD + epoch``; when the pruner
    says so, `optuna.TrialPruned` leaves every fold at once.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Template; never fitted itself.
    X : array-like or AudioSequence
        Clips, indexed with `sklearn.utils._safe_indexing` (a lazy sequence
        stays lazy).
    y : ndarray of shape (n_clips,)
        Labels.
    space : callable
        ``space(trial) -> dict`` of estimator parameters.
    cv : cross-validation splitter
        Its ``split`` is called once per trial.
    scorer : callable
        ``scorer(estimator, X, y) -> float``, greater is better.
    groups : array-like or None
        Passed to ``cv.split``.
    n_threads : int
        Torch threads of every fit and prediction of the trial.
    """

    def __init__(self, estimator, X, y, *, space, cv, scorer, groups, n_threads):
        self.estimator = estimator
        self.X = X
        self.y = y
        self.space = space
        self.cv = cv
        self.scorer = scorer
        self.groups = groups
        self.n_threads = n_threads
        self.classes = np.unique(y)

    def parameters(self, trial) -> dict:
        """The estimator parameters ``space`` suggests, checked."""
        params = self.space(trial)
        if not isinstance(params, dict):
            raise TypeError(f"param_space must return a dict of estimator parameters, got "
                            f"{type(params).__name__}")
        if "n_threads" in params:
            raise ValueError("param_space must not set n_threads: the search sets it (pass "
                             "threads_per_trial to tune)")
        valid = self.estimator.get_params(deep=False)
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ValueError(f"param_space returned unknown parameters {unknown}; valid names: "
                             f"{', '.join(sorted(valid))}")
        return params

    def __call__(self, trial) -> float:
        """Train and score every fold; return the mean of the last epoch's fold scores."""
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("host", socket.gethostname())
        # last: a retried trial inherits its failed trial's records, which this one marks
        # as its own only now (search/_storage.py, fail_dead_local_trials)
        trial.set_user_attr(WORKER_OF_TRIAL, trial.number)
        params = self.parameters(trial)
        trial.set_user_attr("estimator_params", params)
        trial.set_user_attr("n_threads", self.n_threads)
        template = clone(self.estimator).set_params(**params, n_threads=self.n_threads)
        epochs = template.max_epochs
        if not 1 <= epochs <= STEPS_PER_FOLD:
            raise ValueError(f"max_epochs must be between 1 and {STEPS_PER_FOLD} in a search, "
                             f"got {epochs}")
        splits = list(self.cv.split(self.X, self.y, self.groups))
        scores = []
        for fold, (train, test) in enumerate(splits):
            model = clone(template)
            X_train, y_train = _safe_indexing(self.X, train), self.y[train]
            X_test, y_test = _safe_indexing(self.X, test), self.y[test]
            for epoch in range(epochs):
                try:
                    model.partial_fit(X_train, y_train,
                                      classes=self.classes if epoch == 0 else None)
                except TrainingDivergedError as exc:  # judged, like a poor score: not a crash
                    raise optuna.TrialPruned(
                        f"trial {trial.number} diverged at fold {fold + 1} of {len(splits)}, "
                        f"epoch {epoch + 1}: {exc}") from None
                score = float(self.scorer(model, X_test, y_test))
                trial.report(score, fold * STEPS_PER_FOLD + epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned(
                        f"trial {trial.number} pruned at fold {fold + 1} of {len(splits)}, "
                        f"epoch {epoch + 1}: score {score:.4g}")
            scores.append(score)
        trial.set_user_attr("fold_scores", scores)
        trial.set_user_attr("epochs", epochs)
        return float(np.mean(scores))
