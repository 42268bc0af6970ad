"""sklearn_mhr.search.tune in one process: search, refit, pruning, splitters, threads, errors."""

from __future__ import annotations

import threading

import numpy as np
import optuna
import pytest
import torch
from corpus_fixtures import write_audio_folder
from sklearn.model_selection import PredefinedSplit, StratifiedKFold
from tasks import tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import AudioSequence, load_audio_folder
from sklearn_mhr.search import default_space, tune
from sklearn_mhr.search._objective import STEPS_PER_FOLD

TINY = dict(sample_rate=8000, n_filters=8, window_duration=0.032, hop_duration=0.016,
            kernel_duration=0.004, context=2, head_hidden=8, back_end_width=4, batch_size=8,
            max_epochs=3, random_state=0, n_threads=1)  # one thread: robust on a busy machine
TONE_HZ = (300.0, 900.0, 2500.0)
CV3 = StratifiedKFold(3, shuffle=True, random_state=0)


@pytest.fixture(autouse=True)
def quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def tones():
    """36 clips of 0.25 s at 8 kHz: a tone per class plus a little noise."""
    return tone_task(36, freqs=TONE_HZ, noise=0.05, seed=0)


def sane_lr_space(trial):
    """Learning rates that train: a search of these always has completed trials."""
    return {"lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True)}


def lr_space(trial):
    """The learning rate only, over a range wide enough for deliberately bad values."""
    return {"lr": trial.suggest_float("lr", 1e-4, 100.0, log=True)}


def small_space(trial):
    n_filters = trial.suggest_int("n_filters", 4, 8, step=4)
    return {"n_filters": n_filters,
            "n_heads": trial.suggest_int("n_heads", 1, min(6, n_filters)),
            "lr": trial.suggest_float("lr", 3e-3, 3e-2, log=True),
            "max_epochs": trial.suggest_int("max_epochs", 2, 3)}


def test_search_finds_parameters_and_refits(tones):
    X, y = tones
    result = tune(MHRAudioClassifier(**TINY), X, y, param_space=small_space, n_trials=3,
                  cv=CV3, random_state=0, pruner=optuna.pruners.NopPruner())
    trials = result.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 3
    for t in trials:  # the constraint of the space held, and every fold was scored
        assert t.params["n_heads"] <= t.params["n_filters"]
        epochs = t.params["max_epochs"]
        assert len(t.user_attrs["fold_scores"]) == 3
        assert sorted(t.intermediate_values) == [f * STEPS_PER_FOLD + e
                                                 for f in range(3) for e in range(epochs)]
        assert t.value == pytest.approx(np.mean(t.user_attrs["fold_scores"]))
    best = max(trials, key=lambda t: t.value)
    assert result.best_trial_.number == best.number
    assert result.best_params_ == best.params
    assert result.best_score_ == best.value
    clf = result.best_estimator_
    assert clf.get_params()["n_filters"] == best.params["n_filters"]
    assert len(clf.net_.history) == best.params["max_epochs"] == result.best_epochs_
    assert clf.n_threads == TINY["n_threads"]  # the final model keeps the template's setting
    assert (clf.predict(X) == y).mean() > 0.6
    assert set(result.trials_dataframe()["state"]) == {"COMPLETE"}


def test_bad_learning_rate_is_pruned_in_a_later_fold(tones):
    X, y = tones
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(
        storage=storage, direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=STEPS_PER_FOLD))
    for lr in (0.01, 0.03, 5.0):
        study.enqueue_trial({"lr": lr})
    calls = []

    def space(trial):
        calls.append(trial.number)
        return lr_space(trial)

    states_seen = []
    result = tune(MHRAudioClassifier(**TINY), X, y, param_space=space, n_trials=3, cv=CV3,
                  storage=storage, study_name=study.study_name, refit=False,
                  pruner=study.pruner, callbacks=[lambda s, t: states_seen.append(t.state)])
    good1, good2, bad = result.study.trials
    assert [t.params["lr"] for t in result.study.trials] == [0.01, 0.03, 5.0]
    assert good1.state == good2.state == optuna.trial.TrialState.COMPLETE
    assert bad.state == optuna.trial.TrialState.PRUNED  # not FAIL: the exception got out
    steps = sorted(bad.intermediate_values)
    # fold 1 completely, then pruned at the first epoch of fold 2; fold 3 never ran
    assert steps == [0, 1, 2, STEPS_PER_FOLD]
    assert bad.intermediate_values[STEPS_PER_FOLD] < np.median(
        [good1.intermediate_values[STEPS_PER_FOLD], good2.intermediate_values[STEPS_PER_FOLD]])
    assert all(0.0 <= v <= 1.0 for v in bad.intermediate_values.values())
    assert good1.intermediate_values[2] == good1.user_attrs["fold_scores"][0]
    assert result.best_score_ > 0.8
    assert calls == [0, 1, 2]
    assert states_seen[-1] == optuna.trial.TrialState.PRUNED


def test_predefined_split_on_a_lazy_corpus(tmp_path):
    root = write_audio_folder(tmp_path / "clips", classes=("bird", "engine", "rain"),
                              n_per_class=4, sample_rate=8000, duration=0.25)
    bunch = load_audio_folder(root, sample_rate=8000, lazy=True)
    assert isinstance(bunch.data, AudioSequence)
    fold = np.arange(len(bunch.target)) % 2  # two predefined folds
    seen = []

    class Recording(PredefinedSplit):
        def split(self, X=None, y=None, groups=None):
            seen.append(type(X))
            return super().split(X, y, groups)

    result = tune(MHRAudioClassifier(**{**TINY, "max_epochs": 2}), bunch.data, bunch.target,
                  param_space=sane_lr_space, n_trials=2, cv=Recording(fold), refit=False,
                  random_state=0)
    # once before the study (checked), then once per trial, on the lazy sequence
    assert seen == [AudioSequence] * 3
    for t in result.study.trials:
        assert len(t.user_attrs["fold_scores"]) == 2
        assert sorted(t.intermediate_values) == [0, 1, STEPS_PER_FOLD, STEPS_PER_FOLD + 1]


def test_trials_in_threads_run_with_the_thread_count_given(tones, monkeypatch):
    X, y = tones
    seen = {}
    lock = threading.Lock()

    def record(module, inputs):  # inside every forward pass of every fit and prediction
        with lock:
            seen.setdefault(threading.get_ident(), set()).add(torch.get_num_threads())

    handle = torch.nn.modules.module.register_module_forward_pre_hook(record)
    monkeypatch.setattr("sklearn_mhr.search._tune.available_cores", lambda: 4)
    try:
        result = tune(MHRAudioClassifier(**{**TINY, "max_epochs": 2, "n_threads": None}), X, y,
                      param_space=small_space, n_trials=4, n_jobs=2, cv=2, refit=False,
                      random_state=0)
    finally:
        handle.remove()
    assert result.n_threads_ == 2  # 4 cores // n_jobs=2
    assert len(seen) >= 2  # trials ran in two threads
    assert set().union(*seen.values()) == {2}
    assert {t.user_attrs["n_threads"] for t in result.study.trials} == {2}


def test_threads_per_trial_and_restored_count(tones):
    X, y = tones
    before = torch.get_num_threads()
    counts = []
    handle = torch.nn.modules.module.register_module_forward_pre_hook(
        lambda m, i: counts.append(torch.get_num_threads()))
    try:
        result = tune(MHRAudioClassifier(**{**TINY, "max_epochs": 1, "n_threads": 2}), X, y,
                      param_space=sane_lr_space, n_trials=1, cv=2, refit=False,
                      threads_per_trial=1)  # wins over the estimator's n_threads
    finally:
        handle.remove()
    assert set(counts) == {1} and result.n_threads_ == 1
    assert torch.get_num_threads() == before


def test_n_trials_is_the_study_total(tones):
    X, y = tones
    est = MHRAudioClassifier(**{**TINY, "max_epochs": 1})
    storage, name = optuna.storages.InMemoryStorage(), "total"
    tune(est, X, y, param_space=sane_lr_space, n_trials=2, cv=2, refit=False, storage=storage,
         study_name=name)
    again = tune(est, X, y, param_space=sane_lr_space, n_trials=2, cv=2, refit=False,
                 storage=storage, study_name=name)
    assert len(again.study.trials) == 2  # already complete: nothing more ran
    more = tune(est, X, y, param_space=sane_lr_space, n_trials=3, cv=2, refit=False,
                storage=storage, study_name=name)
    assert len(more.study.trials) == 3


def test_default_space_respects_the_constraint():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        params = default_space(trial)
        MHRAudioClassifier(**params)  # valid names
        assert 0 <= params["n_heads"] <= params["n_filters"]
        assert 1e-4 <= params["lr"] <= 1e-2 and 5 <= params["max_epochs"] <= 30
        study.tell(trial, 0.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_trials=0), "n_trials must be a positive integer, got 0"),
    (dict(n_jobs=1.5), "n_jobs must be a positive integer, got 1.5"),
    (dict(threads_per_trial=0), "threads_per_trial must be a positive integer, got 0"),
    (dict(timeout=-1), "timeout must be a positive number of seconds, got -1"),
    (dict(param_space=lambda t: {"lr": 0.01, "n_heds": 2}),
     r"param_space returned unknown parameters \['n_heds'\]; valid names: .*n_heads"),
    (dict(param_space=lambda t: {"n_threads": 3}), "param_space must not set n_threads"),
    (dict(storage="/no/such/folder/study.journal"), "storage='/no/such/folder/study.journal'"),
])
def test_errors_name_the_argument(tones, kwargs, message):
    X, y = tones
    with pytest.raises(ValueError, match=message):
        tune(MHRAudioClassifier(**TINY), X, y, **{"n_trials": 1, "cv": 2, **kwargs})


def test_space_must_return_a_dict(tones):
    X, y = tones
    with pytest.raises(TypeError, match="param_space must return a dict .* got list"):
        tune(MHRAudioClassifier(**TINY), X, y, param_space=lambda t: [1], n_trials=1, cv=2)


def test_fold_warmup_pruner_spares_the_first_epochs_of_every_fold():
    from sklearn_mhr.search import FoldWarmupPruner

    study = optuna.create_study(direction="maximize")
    for _ in range(2):  # two good trials to compare with
        trial = study.ask()
        for fold in range(2):
            for epoch in range(4):
                trial.report(0.9, fold * STEPS_PER_FOLD + epoch)
        study.tell(trial, 0.9)
    pruner = FoldWarmupPruner(optuna.pruners.MedianPruner(n_startup_trials=2), warmup_epochs=2)
    trial = study.ask()
    decisions = {}
    for fold in range(2):
        for epoch in range(4):
            step = fold * STEPS_PER_FOLD + epoch
            trial.report(0.1, step)
            decisions[step] = pruner.prune(study, study.trials[-1])
    assert decisions == {0: False, 1: False, 2: True, 3: True,
                         STEPS_PER_FOLD: False, STEPS_PER_FOLD + 1: False,
                         STEPS_PER_FOLD + 2: True, STEPS_PER_FOLD + 3: True}
    with pytest.raises(ValueError, match="warmup_epochs must be an integer >= 0, got -1"):
        FoldWarmupPruner(optuna.pruners.MedianPruner(), warmup_epochs=-1)


def test_a_trial_whose_training_diverges_is_pruned_not_crashed(tones, monkeypatch):
    from sklearn_mhr._skorch import MixupNet

    original = MixupNet.get_loss

    def nan_when_lr_is_huge(self, y_pred, y_true, *args, **kwargs):
        loss = original(self, y_pred, y_true, *args, **kwargs)
        return loss * float("nan") if self.lr > 1 else loss

    monkeypatch.setattr(MixupNet, "get_loss", nan_when_lr_is_huge)
    X, y = tones
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(storage=storage, direction="maximize")
    for lr in (0.01, 50.0, 0.03):
        study.enqueue_trial({"lr": lr})
    result = tune(MHRAudioClassifier(**TINY), X, y, param_space=lr_space, n_trials=3, cv=CV3,
                  storage=storage, study_name=study.study_name, refit=False)
    states = {t.params["lr"]: t.state for t in result.study.trials}
    assert states[50.0] == optuna.trial.TrialState.PRUNED
    assert states[0.01] == states[0.03] == optuna.trial.TrialState.COMPLETE
    assert result.best_params_["lr"] in (0.01, 0.03)


def test_a_cv_that_cannot_split_the_clips_fails_before_any_trial(tones, caplog):
    X, y = tones  # 12 clips per class
    storage = optuna.storages.InMemoryStorage()
    with pytest.raises(ValueError, match=r"cv=50 cannot split these 36 clips: .*n_splits=50 "
                                         r"greater than the number of samples"):
        tune(MHRAudioClassifier(**TINY), X, y, param_space=sane_lr_space, n_trials=1, cv=50,
             storage=storage, study_name="cv")
    assert "Traceback" not in caplog.text
    assert optuna.get_all_study_names(storage) == []  # no study, no failed trial


def test_a_retried_trial_is_not_failed_for_the_records_it_inherited(tmp_path):
    """A retry of a dead worker's trial, just taken by a live worker that has not yet recorded
    itself, carries the dead worker's host and pid (Optuna's retry copies user attributes)."""
    import socket
    import subprocess
    import sys

    from sklearn_mhr.search import make_storage
    from sklearn_mhr.search._storage import fail_dead_local_trials

    storage = make_storage(tmp_path / "study.journal")
    study = optuna.create_study(storage=storage, study_name="retried")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    killed, retried = study.ask(), study.ask()
    for trial in (killed, retried):
        trial.set_user_attr("pid", int(dead))
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("worker_of_trial", killed.number)
    assert fail_dead_local_trials(storage, "retried") == [killed.number]
    assert study.trials[retried.number].state == optuna.trial.TrialState.RUNNING


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
def test_a_restart_soon_after_a_killed_worker_runs_the_whole_total(tones, tmp_path):
    """SQLite: the heartbeat would fail the dead worker's trial only after its grace period; a
    restart before then must not count that trial as running and stop one short."""
    import socket
    import subprocess
    import sys

    from sklearn_mhr.search import make_storage

    X, y = tones
    url = f"sqlite:///{tmp_path / 'study.db'}"
    storage = make_storage(url)  # heartbeat every 60 s, grace 120 s: far from over
    study = optuna.create_study(storage=storage, study_name="restarted", direction="maximize")
    lr = optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)
    for value in (0.5, 0.6):
        study.add_trial(optuna.trial.create_trial(params={"lr": 1e-3}, distributions={"lr": lr},
                                                  value=value))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    running = study.ask()  # the killed worker's trial, as its objective recorded it
    running.set_user_attr("pid", int(dead))
    running.set_user_attr("host", socket.gethostname())
    running.set_user_attr("worker_of_trial", running.number)
    result = tune(MHRAudioClassifier(**{**TINY, "max_epochs": 1}), X, y,
                  param_space=sane_lr_space, n_trials=4, cv=2, refit=False, storage=url,
                  study_name="restarted")
    states = [t.state for t in result.study.trials]
    assert states.count(optuna.trial.TrialState.COMPLETE) == 4
    assert result.study.trials[running.number].state == optuna.trial.TrialState.FAIL
