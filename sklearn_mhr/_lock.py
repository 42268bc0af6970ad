"""A lock file that keeps a second process out of a folder, on every platform.

The lock file holds ``"pid host start"`` (``start``: when the process began,
where the system tells it, else ``-``). It appears with its contents in one
step: they are written to a private file that is then hard-linked to the
lock's name, which fails if the name exists. So a lock file is never seen
half-written, and one that is empty or unreadable was never completed (left
by a process killed while creating it the old way, or by hand): it is broken.
A lock whose process is gone from this machine (no such process, or another
one that started later under the same id) is broken too. Locks of other
machines are never broken.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["folder_lock", "lock_holder", "lock_is_stale", "pid_alive"]

_POLL = 0.05  # seconds between tries of a waiting lock


def _start_time(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, Linux), or "-" where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        return stat[stat.rindex(")") + 2:].split()[19]  # field 22, after the command name
    except (OSError, ValueError, IndexError):
        return "-"


def pid_alive(pid: int) -> bool:
    """Whether a process with id `pid` runs on this machine (True when it cannot be told)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFO
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
            return True
        return ctypes.windll.kernel32.GetLastError() != 87  # ERROR_INVALID_PARAMETER: no such
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # alive, another user's
        return True
    return True


def _owner_text() -> str:
    pid = os.getpid()
    return f"{pid} {socket.gethostname()} {_start_time(pid)}\n"


def lock_holder(lock: Path) -> str | None:
    """Who holds `lock` ("process N on HOST"), or None if nothing holds it (absent or broken)."""
    try:
        text = Path(lock).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        return "an unknown process"  # unreadable (permissions): treat it as held
    if lock_is_stale(lock, text):
        return None
    pid, host = text.split()[:2]
    return f"process {pid} on {host}"


def lock_is_stale(lock: Path, text: str | None = None) -> bool:
    """Whether `lock` is broken: never completed, or left by a process of this machine now gone.

    Parameters
    ----------
    lock : pathlib.Path
        The lock file.
    text : str, optional
        Its contents, when already read.
    """
    if text is None:
        try:
            text = Path(lock).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return False  # released meanwhile: nothing to break
        except OSError:
            return False  # unreadable: treat it as held
    fields = text.split()
    if len(fields) not in (2, 3) or not fields[0].isdigit():
        return True  # empty or garbled: no process completed it
    pid, host = int(fields[0]), fields[1]
    if host != socket.gethostname():
        return False  # another machine's process: cannot be told from here
    if not pid_alive(pid):
        return True
    start = fields[2] if len(fields) == 3 else "-"
    now = _start_time(pid)
    return start != "-" and now != "-" and start != now  # the id was reused


def _create(lock: Path) -> bool:
    """Create `lock` with this process' record, in one step; False if it exists."""
    fd, partial = tempfile.mkstemp(prefix=f"{lock.name}.", suffix=".tmp", dir=lock.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_owner_text())
        try:
            os.link(partial, lock)  # fails if `lock` exists, even as a dangling link
            return True
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: create, then fill
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(_owner_text())
            return True
    finally:
        os.unlink(partial)


def _break(lock: Path) -> None:
    """Remove a broken lock, unless another process replaced it meanwhile by a live one."""
    # rename first, then look again: of several processes breaking one lock, one wins
    aside = lock.with_name(f"{lock.name}.{os.getpid()}.broken")
    try:
        os.replace(lock, aside)
    except FileNotFoundError:
        return
    if lock_is_stale(aside):
        aside.unlink(missing_ok=True)
    else:  # a live lock taken between our look and the rename: put it back
        with contextlib.suppress(FileExistsError, OSError):
            os.link(aside, lock)
        aside.unlink(missing_ok=True)


@contextlib.contextmanager
def folder_lock(lock: Path, busy: str, *, wait: bool = False):
    """Hold the lock file `lock`; removed on exit.

    A broken lock (see :func:`lock_is_stale`) is replaced. When a live
    process holds it, raise ``ValueError(busy)``, or with ``wait=True`` wait
    until it is released.
    """
    lock = Path(lock)
    while not _create(lock):
        if lock_is_stale(lock):
            _break(lock)
            continue
        if not wait:
            raise ValueError(busy)
        time.sleep(_POLL)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
