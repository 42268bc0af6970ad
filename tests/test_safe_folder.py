"""The crash-safe folder engine: the lock, temporary files, staging and recovery."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from sklearn_mhr._lock import folder_lock, lock_holder, lock_is_stale
from sklearn_mhr._safe_folder import SafeFolder, read_regular, write_file


def _dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("content, stale", [
    ("", True), ("   \n", True), ("garbage", True), ("12", True), ("x host", True),
    ("{dead} {host}\n", True), ("{me} {host}\n", False), ("{me} another-host\n", False),
    ("{dead} another-host\n", False), ("{me} {host} {start}\n", False),
    ("{me} {host} 1\n", "reused"),
], ids=["empty", "blank", "garbled", "pid-only", "no-pid", "dead", "alive", "alive-elsewhere",
        "dead-elsewhere", "alive-same-start", "pid-reused"])
def test_which_locks_are_broken(tmp_path, content, stale):
    from sklearn_mhr._lock import _start_time

    start = _start_time(os.getpid())
    if stale == "reused":
        if start == "-":
            pytest.skip("process start times are not known on this system")
        stale = True
    lock = tmp_path / "lock"
    lock.write_text(content.format(dead=_dead_pid(), me=os.getpid(), host=socket.gethostname(),
                                   start=start))
    assert lock_is_stale(lock) is stale
    assert (lock_holder(lock) is None) is stale


def test_a_lock_is_written_whole_and_removed_on_exit(tmp_path):
    lock = tmp_path / "lock"
    with folder_lock(lock, "busy"):
        pid, host, _ = lock.read_text().split()
        assert (int(pid), host) == (os.getpid(), socket.gethostname())
        with pytest.raises(ValueError, match="busy"), folder_lock(lock, "busy"):
            pass
    assert not lock.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left


def test_a_waiting_lock_is_taken_once_the_holder_releases_it(tmp_path):
    lock, order = tmp_path / "lock", []
    held, release = threading.Event(), threading.Event()

    def holder():
        with folder_lock(lock, "busy"):
            held.set()
            release.wait()
            order.append("released")

    first = threading.Thread(target=holder)
    first.start()
    held.wait()

    def waiter():
        with folder_lock(lock, "busy", wait=True):
            order.append("taken")

    second = threading.Thread(target=waiter)
    second.start()
    release.set()
    first.join()
    second.join()
    assert order == ["released", "taken"]


def test_write_file_never_writes_through_a_planted_link(tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("mine")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "data").symlink_to(outside)
    write_file(folder, "data", lambda f: f.write(b"new"))
    assert outside.read_text() == "mine"
    assert not (folder / "data").is_symlink() and (folder / "data").read_bytes() == b"new"
    assert sorted(p.name for p in folder.iterdir()) == ["data"]


def test_write_file_keeps_the_old_file_when_writing_fails(tmp_path):
    (tmp_path / "data").write_bytes(b"old")

    def fail(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(tmp_path, "data", fail)
    assert (tmp_path / "data").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_read_regular_refuses_links_and_folders(tmp_path):
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dir").mkdir()
    assert read_regular(tmp_path / "real") == b"x"
    with pytest.raises(ValueError, match=r"'.*link' is a symbolic link"):
        read_regular(tmp_path / "link")
    with pytest.raises(ValueError, match=r"'.*dir' is a folder"):
        read_regular(tmp_path / "dir")
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing")


def test_recover_finishes_drops_and_ignores(tmp_path):
    folder = SafeFolder(tmp_path, lock_name=".lock", staging_prefix=".staging-", busy="busy")
    finished, dropped = tmp_path / ".staging-a", tmp_path / ".staging-b"
    for staging in (finished, dropped):
        staging.mkdir()
        (staging / "file").write_text(staging.name)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "file").write_text("not ours")
    (tmp_path / ".staging-link").symlink_to(elsewhere, target_is_directory=True)
    done = folder.recover(lambda s: ["file"] if s == finished else [])
    assert sorted((action, path.name) for action, path in done) == [
        ("dropped", ".staging-b"), ("finished", ".staging-a"), ("ignored", ".staging-link")]
    assert (tmp_path / "file").read_text() == ".staging-a"
    assert (elsewhere / "file").read_text() == "not ours"
    assert not finished.exists() and not dropped.exists()


def test_recover_leaves_a_live_writer_alone(tmp_path):
    folder = SafeFolder(tmp_path, lock_name=".lock", staging_prefix=".staging-", busy="busy")
    (tmp_path / ".staging-x").mkdir()
    (tmp_path / ".lock").write_text(f"{os.getpid()} {socket.gethostname()}\n")
    assert folder.recover(lambda s: []) == []
    assert (tmp_path / ".staging-x").is_dir()


def test_check_can_write_names_the_folder(tmp_path, monkeypatch):
    import sklearn_mhr._safe_folder as engine

    check = engine.check_can_write
    check(tmp_path)
    check(tmp_path / "new" / "nested")
    assert sorted(tmp_path.iterdir()) == []  # nothing left, nothing created

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(engine.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=rf"cannot write in '{tmp_path}' \(Permission"):
        check(tmp_path)
    monkeypatch.setattr(engine.os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match=rf"cannot write in '{tmp_path}', where "
                                              rf"'{tmp_path / 'new'}' would be created"):
        check(tmp_path / "new")
