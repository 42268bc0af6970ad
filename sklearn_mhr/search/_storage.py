"""Where a study lives: in memory, in a journal file on one machine, or in an RDB server."""

from __future__ import annotations

import json
import os
import socket
import warnings
from pathlib import Path

import optuna

from sklearn_mhr._lock import pid_alive

__all__ = ["WORKER_OF_TRIAL", "fail_dead_local_trials", "make_storage"]

#: user attribute: the number of the trial whose worker wrote its ``host`` and ``pid``
WORKER_OF_TRIAL = "worker_of_trial"


def make_storage(storage, *, heartbeat_interval: int = 60, grace_period: int | None = None,
                 max_retry: int = 1):
    """An Optuna storage from a path, a URL or a storage object.

    Parameters
    ----------
    storage : None, str, os.PathLike or optuna.storages.BaseStorage
        None: in memory (one process). A URL with ``://`` (``postgresql://``,
        ``mysql://``, ``sqlite:///``): an `optuna.storages.RDBStorage` with a
        heartbeat, for workers on several machines. Anything else is the path
        of a journal file (`optuna.storages.JournalStorage` on a
        `~optuna.storages.journal.JournalFileBackend`) that processes on one
        machine share; it is created if missing. A storage object is returned
        as it is.
    heartbeat_interval : int, default=60
        Seconds between the heartbeats a running trial writes to an RDB
        storage; a trial whose worker stopped beating for ``grace_period`` is
        marked FAIL by the next worker that starts a trial.
    grace_period : int, optional
        Seconds without a heartbeat before a trial counts as dead (Optuna's
        default: twice ``heartbeat_interval``).
    max_retry : int, default=1
        A trial failed that way is enqueued again with the same parameters at
        most this many times (`optuna.storages.RetryHeartbeatStaleTrialCallback`); 0
        does not retry.

    Returns
    -------
    optuna.storages.BaseStorage or None

    Raises
    ------
    ValueError
        For a journal path whose folder does not exist, a file there that is
        no Optuna journal (left untouched), a URL SQLAlchemy cannot use, or a
        negative ``max_retry``.

    Warns
    -----
    UserWarning
        When a journal ends with a record half-written by a worker that was
        killed: the fragment is removed, so that workers can append again.
    TypeError
        For anything else than the types above.
    """
    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"storage must be None, a path, a URL or an Optuna storage, got "
                        f"{type(storage).__name__}")
    if max_retry < 0:
        raise ValueError(f"max_retry must be 0 or more, got {max_retry}")
    text = os.fspath(storage)
    if "://" in text:
        return _database(text, heartbeat_interval, grace_period, max_retry)
    path = Path(text).expanduser()
    if not path.parent.is_dir():
        raise ValueError(f"storage={text!r}: folder '{path.parent}' does not exist; create it "
                         "or pass another journal file path")
    from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

    if path.exists():
        lock = JournalFileSymlinkLock(str(path))  # the lock Optuna's writers take
        lock.acquire()
        try:
            _check_journal(path)
        finally:
            lock.release()
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def _database(url: str, heartbeat_interval, grace_period, max_retry):
    """An RDB storage for ``url``; a URL SQLAlchemy cannot use is a ValueError naming it."""
    from sqlalchemy.exc import SQLAlchemyError

    with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        callback = (optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
                    if max_retry else None)
        try:
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                heartbeat_stale_trial_callback=callback)
        except (SQLAlchemyError, ImportError) as exc:
            reason = " ".join(str(exc).split("(Background on this error")[0].split())
            raise ValueError(
                f"storage={url!r} cannot be used ({type(exc).__name__}: {reason}); pass a "
                "database URL such as postgresql://user:password@host/db (needs the postgres "
                "extra) or sqlite:///path.db, or a journal file path") from None


def _check_journal(path: Path) -> None:
    """Refuse a file that is no Optuna journal; drop a record a killed writer left half-written.

    Called under the journal's lock, so that no writer is half-way through a
    record: an incomplete last line can only be a torn one. Optuna's readers
    skip it, but a worker appending after it would fail, so it is removed,
    with a warning.
    """
    with open(path, "rb") as f:
        first = f.readline()
    if not first:
        return  # empty: a new journal
    try:
        record = json.loads(first)
    except (ValueError, UnicodeDecodeError):
        record = None
    if not (isinstance(record, dict) and "op_code" in record):
        raise ValueError(
            f"storage '{path}' exists and is not an Optuna journal (its first line is no journal "
            "record); pass the path of a new file or of a study's journal, so that this file is "
            "left as it is")
    size = path.stat().st_size
    with open(path, "rb+") as f:
        f.seek(max(0, size - (1 << 16)))
        tail = f.read()
        if tail.endswith(b"\n"):
            return
        keep = size - len(tail) + tail.rfind(b"\n") + 1
        f.truncate(keep)
    warnings.warn(f"'{path}' ended with an incomplete record ({size - keep} bytes, left by a "
                  "worker stopped while writing it); removed it so that the study can go on",
                  UserWarning, stacklevel=3)


def fail_dead_local_trials(storage, study_name: str) -> list[int]:
    """Mark FAIL the running trials of workers on this machine that no longer exist.

    A journal storage has no heartbeat, and an RDB storage's heartbeat marks
    a trial failed only once its grace period has passed: a worker restarted
    sooner would count the dead trial as running and stop short of the
    total. A trial whose worker was killed on this machine is recognised at
    once by its recorded host and process id, in every storage. Trials of
    other machines, or without those records of their own, are left alone: a
    retried trial inherits the failed trial's records (Optuna's
    ``RetryFailedTrialCallback`` copies its user attributes), which count only
    once its own worker has marked them with the trial's number
    (``WORKER_OF_TRIAL``). A worker
    killed in the instant between creating a trial and recording itself in
    it (its objective's first step) leaves a running trial that no one can
    tell from a live one, and the study then ends one trial short of its
    total.

    Parameters
    ----------
    storage : optuna.storages.BaseStorage
        The storage holding the study.
    study_name : str
        The study's name.

    Returns
    -------
    numbers : list of int
        Numbers of the trials marked FAIL.
    """
    host = socket.gethostname()
    study_id = storage.get_study_id_from_name(study_name)
    failed = []
    for trial in storage.get_all_trials(study_id, deepcopy=False,
                                        states=(optuna.trial.TrialState.RUNNING,)):
        pid = trial.user_attrs.get("pid")
        if (trial.user_attrs.get(WORKER_OF_TRIAL) != trial.number
                or trial.user_attrs.get("host") != host or not isinstance(pid, int)
                or pid_alive(pid)):
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
        except (RuntimeError, optuna.exceptions.UpdateFinishedTrialError):
            continue  # another worker marked it first
        failed.append(trial.number)
        # as the heartbeat would have: its failed-trial callback (a retry) sees the trial too
        get_callback = getattr(storage, "get_failed_trial_callback", None)  # RDB storages
        callback = get_callback() if get_callback is not None else None
        if callback is not None:
            study = optuna.load_study(study_name=study_name, storage=storage)
            callback(study, storage.get_trial(trial_id))
    return failed
