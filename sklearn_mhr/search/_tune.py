"""`tune`: one call that runs, joins or resumes a study over `MHRAudioClassifier`."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import column_or_1d

from sklearn_mhr._numbers import is_int
from sklearn_mhr._skorch import torch_threads
from sklearn_mhr.search._objective import CVObjective
from sklearn_mhr.search._pruner import FoldWarmupPruner
from sklearn_mhr.search._space import default_space
from sklearn_mhr.search._storage import fail_dead_local_trials, make_storage

__all__ = ["FINISHED", "SearchResult", "available_cores", "tune"]

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _TrialBar:
    """A tqdm bar of the study's finished trials, counting every worker's."""

    def __init__(self, study, total: int, enabled: bool):
        from tqdm.auto import tqdm

        self._lock = threading.Lock()
        done = len(study.get_trials(deepcopy=False, states=FINISHED))
        self.bar = tqdm(total=total, initial=min(done, total), unit="trial",
                        desc="Trials", disable=not enabled)

    def __call__(self, study, trial) -> None:
        with self._lock:
            done = len(study.get_trials(deepcopy=False, states=FINISHED))
            self.bar.update(max(0, min(done, self.bar.total) - self.bar.n))
            try:
                self.bar.set_postfix(best=f"{study.best_value:.4g}", refresh=False)
            except ValueError:  # no completed trial yet
                pass

    def close(self) -> None:
        self.bar.close()


@dataclass
class SearchResult:
    """What `tune` found.

    Attributes
    ----------
    study : optuna.Study
        The study, with every worker's trials.
    best_trial_ : optuna.trial.FrozenTrial
        The completed trial with the best mean score.
    best_params_ : dict
        The estimator parameters of that trial (as the space returned them).
    best_score_ : float
        Its mean cross-validated score.
    best_epochs_ : int
        Epochs per fold that trial trained.
    best_estimator_ : MHRAudioClassifier or None
        With ``refit=True``, a clone with ``best_params_`` trained on all of
        ``X`` for ``best_epochs_`` epochs; else None.
    n_threads_ : int
        Torch threads each trial ran with.
    """

    study: optuna.Study
    best_trial_: optuna.trial.FrozenTrial
    best_params_: dict
    best_score_: float
    best_epochs_: int
    best_estimator_: object
    n_threads_: int

    def trials_dataframe(self, **kwargs):
        """The study's trials as a pandas DataFrame (`optuna.Study.trials_dataframe`)."""
        return self.study.trials_dataframe(**kwargs)


def _check_count(name: str, value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def tune(estimator, X, y, *, param_space=None, n_trials: int = 20, cv=5, scoring=None,
         groups=None, storage=None, study_name: str | None = None, sampler=None, pruner=None,
         timeout: float | None = None, n_jobs: int = 1, refit: bool = True, random_state=None,
         show_progress_bar: bool = False, threads_per_trial: int | None = None,
         callbacks=None) -> SearchResult:
    """Search the parameters of an `MHRAudioClassifier` with Optuna.

    Every trial draws parameters from ``param_space``, computes the splits of
    ``cv`` once, trains each fold epoch by epoch and reports the held-out score
    after each epoch, so that ``pruner`` can stop a poor trial in any fold.
    Several calls (processes or machines) given the same ``storage`` and
    ``study_name`` share one study.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Template holding the fixed parameters (sample rate, batch size, ...).
    X : ndarray of shape (n_clips, n_samples), sequence of 1-D arrays, or AudioSequence
        Clips.
    y : array-like of shape (n_clips,)
        Labels.
    param_space : callable, optional
        ``param_space(trial) -> dict`` of estimator parameters; default
        `default_space`. It may use earlier suggestions to bound later ones.
    n_trials : int, default=20
        Finished (complete or pruned) trials the study should hold in total,
        counting those of earlier runs and other workers; a worker starts no
        trial once finished and running trials reach it (workers deciding at
        the same moment may each start a last one).
    cv : int or cross-validation splitter, default=5
        Any scikit-learn splitter (e.g. `~sklearn.model_selection.PredefinedSplit`
        over UrbanSound8K's folds); an int means stratified k-fold.
    scoring : str or callable, optional
        A scikit-learn scorer (greater is better); default accuracy.
    groups : array-like, optional
        Groups for group-aware splitters.
    storage : None, str, os.PathLike or optuna.storages.BaseStorage
        None keeps the study in memory; a path is a journal file shared by
        processes on one machine; a URL such as ``postgresql://user@host/db``
        is shared by machines (see `make_storage`).
    study_name : str, optional
        Name of the study to create or join; needed to join a shared one.
    sampler : optuna.samplers.BaseSampler, optional
        Default: TPE seeded with ``random_state``.
    pruner : optuna.pruners.BasePruner, optional
        Default: `optuna.pruners.MedianPruner` (2 startup trials) that never
        prunes in the first 3 epochs of a fold (`FoldWarmupPruner`).
    timeout : float, optional
        Seconds after which this worker starts no new trial.
    n_jobs : int, default=1
        Trials run at once as threads of this process.
    refit : bool, default=True
        Train the best parameters on all of ``X`` afterwards.
    random_state : int, optional
        Seeds the default sampler. Workers sharing a study should use
        different seeds (or None) or they suggest the same parameters.
    show_progress_bar : bool, default=False
        A bar of the study's finished trials.
    threads_per_trial : int, optional
        Torch threads of each trial; default: the estimator's ``n_threads``
        if set, else the available cores divided by ``n_jobs``.
    callbacks : list of callable, optional
        Extra ``callback(study, frozen_trial)`` for `optuna.Study.optimize`.

    Returns
    -------
    SearchResult

    Raises
    ------
    ValueError
        For invalid counts, a study with no completed trial (all pruned or
        failed), or a space returning unknown parameters.
    """
    _check_count("n_trials", n_trials)
    _check_count("n_jobs", n_jobs)
    _check_count("threads_per_trial", threads_per_trial, allow_none=True)
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if param_space is None:
        param_space = default_space
    if not callable(param_space):
        raise TypeError(f"param_space must be a callable trial -> dict, got "
                        f"{type(param_space).__name__}")
    y = column_or_1d(np.asarray(y))
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} clips but y has {len(y)} labels; they must match")
    n_threads = threads_per_trial or estimator.n_threads or max(1, available_cores() // n_jobs)
    splitter = check_cv(cv, y, classifier=True)
    try:  # here, not in the first trial, where Optuna would log the error as a failed trial's
        for _ in splitter.split(X, y, groups):
            pass
    except ValueError as exc:
        raise ValueError(f"cv={cv!r} cannot split these {len(y)} clips: {exc}") from None
    objective = CVObjective(estimator, X, y, space=param_space, cv=splitter,
                            scorer=check_scoring(estimator, scoring=scoring), groups=groups,
                            n_threads=n_threads)

    storage = make_storage(storage)
    study = optuna.create_study(
        storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=sampler if sampler is not None else optuna.samplers.TPESampler(seed=random_state),
        pruner=pruner if pruner is not None else FoldWarmupPruner(
            optuna.pruners.MedianPruner(n_startup_trials=2), warmup_epochs=3))
    if storage is not None:  # every shared storage: an RDB's heartbeat only acts after its grace
        fail_dead_local_trials(storage, study.study_name)
    done = len(study.get_trials(deepcopy=False, states=FINISHED))
    if done < n_trials:
        bar = _TrialBar(study, n_trials, show_progress_bar)
        # counting running trials too, a worker starts no trial that would take
        # the study past the total while other workers finish theirs
        stop = optuna.study.MaxTrialsCallback(
            n_trials, states=(*FINISHED, optuna.trial.TrialState.RUNNING))
        try:
            with torch_threads(n_threads):
                study.optimize(objective, n_trials=n_trials - done, timeout=timeout,
                               n_jobs=n_jobs, callbacks=[stop, bar, *(callbacks or [])])
        finally:
            bar.close()

    try:
        best = study.best_trial
    except ValueError:
        raise ValueError(f"study {study.study_name!r} has no completed trial (every trial was "
                         "pruned or failed); run more trials or use a gentler pruner") from None
    params = best.user_attrs.get("estimator_params", best.params)
    epochs = best.user_attrs.get("epochs", params.get("max_epochs", estimator.max_epochs))
    final = None
    if refit:
        final = clone(estimator).set_params(**{**params, "max_epochs": epochs})
        classes = np.unique(y)
        for epoch in range(epochs):
            final.partial_fit(X, y, classes=classes if epoch == 0 else None)
    return SearchResult(study=study, best_trial_=best, best_params_=dict(params),
                        best_score_=float(best.value), best_epochs_=int(epochs),
                        best_estimator_=final, n_threads_=n_threads)
