"""A lock file that keeps a second process out of a folder, on every platform."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

__all__ = ["folder_lock", "lock_is_stale"]


def lock_is_stale(lock: Path) -> bool:
    """Whether `lock` was left by a process of this machine that no longer runs."""
    try:
        pid, host = lock.read_text().split()
        pid = int(pid)
    except (OSError, ValueError):
        return False  # unreadable, or being written: treat it as held
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)  # PermissionError: alive, another user's
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


@contextlib.contextmanager
def folder_lock(lock: Path, busy: str):
    """Hold the lock file `lock`, created exclusively (``O_EXCL``); removed on exit.

    A lock left by a dead process of this machine is replaced. When another
    process holds it, raise ``ValueError(busy)``.
    """
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if attempt == 0 and lock_is_stale(lock):
                lock.unlink(missing_ok=True)  # left by a killed process
                continue
            raise ValueError(busy) from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()} {socket.gethostname()}\n")
        yield
    finally:
        lock.unlink(missing_ok=True)
