"""Worker processes share one study: a journal file on this machine, PostgreSQL across machines.

Each worker is a fresh Python process calling `tune` with the same storage
and study name. Workers first wait for each other (a file per worker in a
shared folder) so that both are searching at the same time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import optuna
import pytest

from sklearn_mhr.search import make_storage

WORKER = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr.search import make_storage, tune

    storage, name, n_trials, pause, barrier, n_workers = sys.argv[1:7]
    pause, n_workers = float(pause), int(n_workers)
    if barrier != "-":  # wait until every worker has started
        open(os.path.join(barrier, str(os.getpid())), "w").close()
        while len(os.listdir(barrier)) < n_workers:
            time.sleep(0.05)
    rng = np.random.default_rng(0)
    t = np.arange(2000) / 8000
    y = np.tile(["high", "low", "mid"], 6)
    hz = {"low": 300.0, "mid": 900.0, "high": 2500.0}
    X = np.stack([np.sin(2 * np.pi * hz[c] * t) + 0.05 * rng.standard_normal(t.size)
                  for c in y]).astype(np.float32)

    def space(trial):
        lr = trial.suggest_float("lr", 3e-3, 3e-2, log=True)
        time.sleep(pause)  # keeps the trial running long enough to be shared or killed
        return {"lr": lr}

    if "://" in storage:
        storage = make_storage(storage, heartbeat_interval=1, grace_period=2)
    tune(MHRAudioClassifier(sample_rate=8000, n_filters=8, window_duration=0.032,
                            hop_duration=0.016, kernel_duration=0.004, context=2,
                            head_hidden=8, back_end_width=4, batch_size=8, max_epochs=1,
                            random_state=0),
         X, y, param_space=space, n_trials=int(n_trials), cv=2, storage=storage,
         study_name=name, refit=False, threads_per_trial=1)
""")


def start_worker(storage, name, n_trials, *, pause=0.0, barrier=None, n_workers=1):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(storage), name, str(n_trials), str(pause),
         str(barrier) if barrier else "-", str(n_workers)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]


def load(storage, name):
    return optuna.load_study(study_name=name, storage=storage)


def count(study, *states):
    return len(study.get_trials(deepcopy=False, states=states))


FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def share_one_study(storage, name, barrier, n_trials=6):
    """Two workers at once; return the study and their pids."""
    barrier.mkdir()
    workers = [start_worker(storage, name, n_trials, pause=0.3, barrier=barrier, n_workers=2)
               for _ in range(2)]
    for w in workers:
        finish(w)
    return load(make_storage(storage), name), {w.pid for w in workers}


def test_two_processes_share_a_journal_file(tmp_path):
    journal = tmp_path / "study.journal"
    study, pids = share_one_study(journal, "shared", tmp_path / "barrier")
    # the study's total, not 6 per worker (two workers deciding at the same moment may each
    # start the last trial)
    assert 6 <= count(study, *FINISHED) <= 6 + 1
    assert {t.user_attrs["pid"] for t in study.trials} == pids
    assert {t.user_attrs["n_threads"] for t in study.trials} == {1}


def test_killed_worker_keeps_finished_trials_and_restart_stops_at_total(tmp_path):
    journal = tmp_path / "study.journal"
    storage = make_storage(journal)
    worker = start_worker(journal, "resumed", 4, pause=1.0)
    deadline = time.monotonic() + 120
    while True:  # kill it once two trials are finished and the third is under way
        assert time.monotonic() < deadline, "the worker did not finish two trials in time"
        try:
            study = load(storage, "resumed")
        except KeyError:  # not created yet
            study = None
        # "under way": its worker has recorded itself. A trial killed in the instant between
        # its creation and that record cannot be told from a live one's (see
        # fail_dead_local_trials); waiting for the record keeps this test out of that instant
        if study is not None and count(study, *FINISHED) >= 2 and any(
                "pid" in t.user_attrs
                for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,))):
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before = {t.number: t.value for t in load(storage, "resumed").get_trials(states=FINISHED)}
    assert len(before) >= 2

    finish(start_worker(journal, "resumed", 4))
    study = load(make_storage(journal), "resumed")
    assert count(study, *FINISHED) == 4
    for number, value in before.items():  # nothing finished was lost or redone
        assert study.trials[number].value == value
    killed = [t for t in study.trials if t.user_attrs["pid"] == worker.pid
              and t.number not in before]
    assert [t.state for t in killed] == [optuna.trial.TrialState.FAIL]
    assert count(study, optuna.trial.TrialState.RUNNING) == 0

    finish(start_worker(journal, "resumed", 4))  # already at the total: runs nothing
    assert len(load(make_storage(journal), "resumed").trials) == len(study.trials)


@pytest.fixture
def postgres_url():
    url = os.environ.get("SKLEARN_MHR_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI is set but SKLEARN_MHR_TEST_POSTGRES_URL is not: .ci/run starts "
                        "PostgreSQL and exports it")
        pytest.skip("no PostgreSQL server: set SKLEARN_MHR_TEST_POSTGRES_URL (.ci/run does)")
    return url


def test_workers_share_a_study_through_postgresql(postgres_url, tmp_path):
    name = f"shared-{uuid.uuid4().hex[:8]}"
    # a worker killed in a trial: its heartbeat stops, and the trial ends FAIL
    victim = start_worker(postgres_url, name, 6, pause=30.0)
    storage = make_storage(postgres_url)
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "the first worker did not start a trial in time"
        try:
            if count(load(storage, name), optuna.trial.TrialState.RUNNING):
                break
        except KeyError:
            pass
        time.sleep(0.2)
    time.sleep(1.5)  # at least one heartbeat written
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    time.sleep(2.5)  # past the grace period

    study, pids = share_one_study(postgres_url, name, tmp_path / "barrier")
    assert 6 <= count(study, *FINISHED) <= 6 + 1
    assert {t.user_attrs["pid"] for t in study.get_trials(states=FINISHED)} == pids
    dead = study.trials[0]
    assert dead.user_attrs["pid"] == victim.pid
    assert dead.state == optuna.trial.TrialState.FAIL
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == dead.number]
    assert len(retried) == 1 and retried[0].params == dead.params
