"""scikit-learn's searches over the estimator: joblib processes, a Dask cluster, OptunaSearchCV.

The thread count is read inside each fit (a forward pre-hook on every torch
module records ``torch.get_num_threads()``) and carried back to this process
by a scorer, so the test sees what the worker ran with, not what joblib's
defaults would have given.
"""

from __future__ import annotations

import os
import warnings

import joblib
import optuna
import pytest
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from tasks import tone_task

from sklearn_mhr import MHRAudioClassifier

TINY = dict(sample_rate=8000, n_filters=8, window_duration=0.032, hop_duration=0.016,
            kernel_duration=0.004, context=2, head_hidden=8, back_end_width=4, batch_size=8,
            max_epochs=2, random_state=0)


class ThreadRecordingClassifier(MHRAudioClassifier):
    """Records the torch thread counts seen during ``fit``'s forward passes in ``fit_threads_``."""

    def fit(self, X, y):
        seen = set()
        handle = torch.nn.modules.module.register_module_forward_pre_hook(
            lambda module, inputs: seen.add(torch.get_num_threads()))
        try:
            super().fit(X, y)
        finally:
            handle.remove()
        self.fit_threads_ = sorted(seen)
        return self


def fit_threads(estimator, X, y):
    """Scorer: the one thread count the fit ran with (-1 if it changed during the fit)."""
    counts = estimator.fit_threads_
    return float(counts[0]) if len(counts) == 1 else -1.0


def worker_pid(estimator, X, y):
    return float(os.getpid())


SCORING = {"accuracy": "accuracy", "threads": fit_threads, "pid": worker_pid}


@pytest.fixture(scope="module")
def tones():
    return tone_task(18, freqs=(300.0, 900.0, 2500.0), noise=0.05, seed=0)


def grid_search(n_jobs):
    return GridSearchCV(ThreadRecordingClassifier(**TINY),
                        {"n_threads": [1, 2], "lr": [0.01]}, scoring=SCORING,
                        refit="accuracy", cv=StratifiedKFold(2), n_jobs=n_jobs,
                        error_score="raise")


def check_threads_per_candidate(search):
    results = search.cv_results_
    for i, params in enumerate(results["params"]):
        for split in range(2):
            assert results[f"split{split}_test_threads"][i] == params["n_threads"]
    pids = {results[f"split{s}_test_pid"][i] for s in range(2) for i in range(2)}
    assert os.getpid() not in pids  # the fits ran in worker processes
    return pids


def test_grid_search_in_two_processes_runs_each_fit_with_its_thread_count(tones):
    X, y = tones
    search = grid_search(n_jobs=2).fit(*tones)
    check_threads_per_candidate(search)
    assert search.best_estimator_.fit_threads_ == [search.best_params_["n_threads"]]
    assert search.predict(X[:3]).shape == (3,)


def test_grid_search_on_a_local_dask_cluster(tones):
    import distributed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own resource warnings
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
            with joblib.parallel_config(backend="dask"):
                search = grid_search(n_jobs=2).fit(*tones)
    pids = check_threads_per_candidate(search)
    assert pids <= worker_pids and len(worker_pids) == 2


def test_optuna_search_cv_prunes_through_partial_fit(tones):
    from optuna_integration import OptunaSearchCV

    X, y = tones
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)  # optuna.terminator, used inside
        search = OptunaSearchCV(
            MHRAudioClassifier(**TINY, n_threads=1),
            {"lr": optuna.distributions.FloatDistribution(1e-3, 3e-2, log=True)},
            enable_pruning=True, max_iter=2, n_trials=2, cv=StratifiedKFold(2),
            error_score="raise", random_state=0, verbose=0)
        search.fit(X, y)
    for trial in search.study_.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert sorted(trial.intermediate_values) == [0, 1]  # one step per partial_fit call
    # OptunaSearchCV refits with fit(), i.e. max_epochs, not the epochs the trial ran
    assert len(search.best_estimator_.net_.history) == TINY["max_epochs"]
