"""Crash-safe writes into a folder: one writer at a time, files replaced whole, kills recovered.

Three things, used by model saves, checkpoints, the decoded-audio cache and a
search's output folder:

- :func:`write_file`: one file replaced in one rename, written first to a
  temporary file with an unpredictable name created exclusively (``O_EXCL``),
  so that a link planted in the folder is never written through;
- :class:`SafeFolder`: a folder whose set of files is replaced as a whole: a
  lock file (:mod:`sklearn_mhr._lock`) keeps a second writer out, the files
  are written into a fresh hidden staging folder and then moved into place
  one rename each, the file that marks a complete set last; a writer killed
  part-way leaves its staging folder, which :meth:`SafeFolder.recover`
  finishes or drops (what it should do is the caller's decision);
- :func:`read_regular`: the bytes of a file that must be a regular file of
  the folder, never read through a link.

Renames replace links instead of following them, and entries of the folder
that are links are never treated as the writer's own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from sklearn_mhr._lock import folder_lock, lock_holder

__all__ = ["SafeFolder", "check_can_write", "is_regular_file", "read_regular", "write_file"]


def is_regular_file(path: Path) -> bool:
    """Whether `path` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def read_regular(path: Path, what: str = "file") -> bytes:
    """The bytes of `path`, which must be a regular file and not a link.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If it is a link, a folder or anything else than a regular file; the
        message names it.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    if os.path.islink(path):  # where O_NOFOLLOW is missing
        raise ValueError(f"'{path}' is a symbolic link; the {what} must be a regular file, "
                         "and links are not followed")
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        if os.path.islink(path):
            raise ValueError(f"'{path}' is a symbolic link; the {what} must be a regular file, "
                             "and links are not followed") from None
        if os.path.isdir(path):
            raise ValueError(f"'{path}' is a folder; the {what} must be a regular file") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ValueError(f"'{path}' is {kind}; the {what} must be a regular file")
    with os.fdopen(fd, "rb") as f:
        return f.read()


def write_file(folder: Path, name: str, write: Callable) -> Path:
    """Replace ``folder/name`` in one rename by what ``write(binary_file)`` writes.

    The temporary file has a random name and is created exclusively, so no
    link planted in `folder` is followed; the rename replaces a link at
    ``name`` rather than writing through it. A failure leaves the old file.
    """
    folder = Path(folder)
    fd, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(partial, folder / name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return folder / name


def check_can_write(folder: Path) -> None:
    """Raise ``PermissionError`` naming `folder` if no file can be created in it.

    An existing folder is tried with a file created and removed at once; for
    one still to be created, its nearest existing parent is asked (nothing is
    written outside `folder`).
    """
    folder = Path(folder)
    if folder.is_dir():
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        except OSError as exc:
            raise PermissionError(f"cannot write in '{folder}' ({exc.strerror or exc}); choose "
                                  "a folder you can write to") from None
        os.close(fd)
        os.unlink(probe)
        return
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write in '{parent}', where '{folder}' would be created; "
                              "choose a folder you can write to")


class SafeFolder:
    """A folder whose files one writer at a time replaces as a set, recoverable after a kill.

    Parameters
    ----------
    root : pathlib.Path
        The folder.
    lock_name : str
        Name of its lock file.
    staging_prefix : str
        Prefix of the hidden staging folders (``.saving-`` say).
    busy : str
        Error message when another process holds the lock.
    """

    def __init__(self, root: Path, *, lock_name: str, staging_prefix: str, busy: str):
        self.root = Path(root)
        self.lock_file = self.root / lock_name
        self.staging_prefix = staging_prefix
        self.busy = busy

    def lock(self, *, wait: bool = False):
        """Hold the folder's lock (a context manager); ``ValueError(busy)`` if held elsewhere."""
        return folder_lock(self.lock_file, self.busy, wait=wait)

    def holder(self) -> str | None:
        """Who holds the lock now, or None."""
        return lock_holder(self.lock_file)

    def check_free(self) -> None:
        """Raise ``ValueError(busy)`` if a live process holds the lock now."""
        if self.holder() is not None:
            raise ValueError(self.busy)

    @contextlib.contextmanager
    def staging(self):
        """A fresh staging folder (random name, created exclusively), removed on exit."""
        staging = Path(tempfile.mkdtemp(prefix=self.staging_prefix, dir=self.root))
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def commit(self, staging: Path, names: Iterable[str]) -> None:
        """Move ``names`` from `staging` into the folder in this order (the marker last), then
        drop the staging folders of writers killed earlier. Call it holding the lock."""
        for name in names:
            os.replace(staging / name, self.root / name)
        for left in self._stagings()[0]:
            if left != staging:
                shutil.rmtree(left, ignore_errors=True)

    def _stagings(self) -> tuple[list[Path], list[Path]]:
        """(staging folders, entries with the prefix that are not folders, links included)."""
        try:
            entries = sorted(p for p in self.root.iterdir()
                             if p.name.startswith(self.staging_prefix))
        except OSError:
            return [], []
        return ([p for p in entries if _is_real_dir(p)],
                [p for p in entries if not _is_real_dir(p)])

    def recover(self, judge: Callable[[Path], list[str] | None]) -> list[tuple[str, Path]]:
        """Finish or drop what writers killed part-way left; return what was done.

        Parameters
        ----------
        judge : callable
            ``judge(staging)`` returns the names to move into the folder, in
            order, when the staging folder holds a set to finish; ``[]`` when
            it holds none (it is dropped); None when it must be left alone.

        Returns
        -------
        done : list of (str, pathlib.Path)
            ``("finished", staging)``, ``("dropped", staging)`` or
            ``("ignored", entry)`` for an entry named like a staging folder
            that is a link or a file: never followed, moved or removed.

        Notes
        -----
        Nothing is finished or dropped while a live process holds the lock.
        """
        stagings, others = self._stagings()
        done = [("ignored", p) for p in others]
        if not stagings or self.holder() is not None:
            return done
        try:
            with self.lock():
                for staging in stagings:
                    names = judge(staging)
                    if names is None:
                        continue
                    for name in names:
                        if is_regular_file(staging / name):
                            os.replace(staging / name, self.root / name)
                    shutil.rmtree(staging, ignore_errors=True)
                    done.append(("finished" if names else "dropped", staging))
        except (ValueError, OSError):  # a save started meanwhile, or a read-only folder
            pass
        return done
