"""Helpers shared by the corpus loaders.

Metadata tables are read with the csv module and checked as they are read:
errors name the file, the line and the column. Audio is returned eagerly
(decoded into memory) or lazily (an `AudioSequence`), as the caller asks.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from sklearn_mhr.io.checks import check_duration, check_memory_arg, check_n_jobs, check_sample_rate
from sklearn_mhr.io.sequence import AudioSequence

__all__ = [
    "Table",
    "check_files_exist",
    "check_loader_args",
    "check_root",
    "load_clips",
    "make_bunch",
    "read_table",
]


class Table:
    """Columns of a metadata file as lists of str, with source line numbers.

    Parameters
    ----------
    path : pathlib.Path
        The file the table was read from (named in errors).
    columns : dict of str to list of str
        Column name to values, one per data row.
    lines : list of int
        The line number in `path` of each data row.
    """

    def __init__(self, path: Path, columns: dict[str, list[str]], lines: list[int]):
        self.path = path
        self.columns = columns
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, name: str) -> list[str]:
        return self.columns[name]

    def as_type(self, name: str, kind: Callable[[str], Any], what: str) -> np.ndarray:
        """Convert column `name` with `kind` (int or float); errors name the line.

        Parameters
        ----------
        name : str
            Column name.
        kind : callable
            ``int`` or ``float``.
        what : str
            What the values should be, for the error text ("an integer").

        Returns
        -------
        ndarray
        """
        out = []
        for value, line in zip(self.columns[name], self.lines, strict=True):
            try:
                out.append(kind(value))
            except ValueError:
                raise ValueError(
                    f"{self.path}, line {line}, column '{name}': expected {what}, "
                    f"got {value!r}. Fix or remove that row."
                ) from None
        return np.asarray(out)


def read_table(
    path: str | os.PathLike, *, required: Sequence[str], delimiter: str = ","
) -> Table:
    r"""Read a CSV/TSV metadata file and check its columns and rows.

    Parameters
    ----------
    path : str or os.PathLike
        Metadata file with a header row.
    required : sequence of str
        Columns that must be present and non-empty in every row.
    delimiter : str, default=","
        Field separator (``"\\t"`` for TSV).

    Returns
    -------
    Table

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a required column is missing, a row has the wrong number of fields,
        or a required field is empty; the message names file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Metadata file '{path}' does not exist. Check that root points to "
            "the corpus folder and that it was extracted completely."
        )
    sep = "TAB" if delimiter == "\t" else repr(delimiter)
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"Metadata file '{path}' is empty; expected a header row.")
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"Metadata file '{path}' has no column {', '.join(map(repr, missing))} "
                f"(header: {header}, fields separated by {sep}). Expected the "
                f"columns {list(required)}."
            )
        positions = {c: header.index(c) for c in header}
        columns: dict[str, list[str]] = {c: [] for c in header}
        lines: list[int] = []
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{path}, line {line}: expected {len(header)} fields separated "
                    f"by {sep} ({', '.join(header)}), found {len(row)}. The row may "
                    "be truncated; fix or remove it."
                )
            for c in required:
                if not row[positions[c]].strip():
                    raise ValueError(
                        f"{path}, line {line}, column '{c}': the value is empty. "
                        "Fill it in or remove the row."
                    )
            for c, j in positions.items():
                columns[c].append(row[j].strip())
            lines.append(line)
    return Table(path, columns, lines)


def check_root(root: str | os.PathLike) -> Path:
    """Return `root` as a Path, or raise FileNotFoundError if it is not a folder."""
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"root must be a str or os.PathLike, got {type(root).__name__} ({root!r})."
        )
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"Corpus folder '{root}' does not exist or is not a directory. Pass "
            "the folder the corpus was extracted to."
        )
    return root


def check_files_exist(paths: Sequence[str], *, listed_in: str | os.PathLike,
                      root: str | os.PathLike | None = None) -> None:
    """Raise FileNotFoundError naming the first missing files, if any.

    Parameters
    ----------
    paths : sequence of str
        Audio files that must exist.
    listed_in : str or os.PathLike
        The metadata file that lists them (named in the error).
    root : str or os.PathLike, optional
        The corpus folder: a path that leaves it (``..`` or an absolute name in
        the metadata) is refused with a ValueError, before anything is read.
        The test is on the names, so a corpus whose files are links elsewhere
        still loads.
    """
    if root is not None:
        inside = os.path.normpath(os.path.abspath(root)) + os.sep
        outside = [p for p in paths
                   if not os.path.normpath(os.path.abspath(p)).startswith(inside)]
        if outside:
            shown = ", ".join(f"'{p}'" for p in outside[:5])
            raise ValueError(
                f"{len(outside)} audio file name(s) listed in '{listed_in}' point outside the "
                f"corpus folder '{root}': {shown}; a corpus reads only its own files")
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        shown = ", ".join(f"'{p}'" for p in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise FileNotFoundError(
            f"{len(missing)} of {len(paths)} audio files listed in '{listed_in}' are "
            f"missing: {shown}{more}. Check that the corpus was extracted "
            "completely, or remove their rows from the metadata."
        )


def check_loader_args(
    *, sample_rate: Any, duration: Any, lazy: Any, memory: Any, n_jobs: Any
) -> tuple[int, float | None]:
    """Validate the keyword arguments every loader takes.

    Returns
    -------
    sample_rate : int
    duration : float or None
    """
    sample_rate = check_sample_rate(sample_rate, allow_none=False)
    duration = check_duration(duration)
    if not isinstance(lazy, (bool, np.bool_)):
        raise TypeError(f"lazy must be True or False, got {lazy!r}.")
    check_memory_arg(memory)
    check_n_jobs(n_jobs)
    return sample_rate, duration


def load_clips(
    paths: Sequence[str],
    *,
    sample_rate: int,
    duration: float | None,
    lazy: bool,
    memory: Any,
    n_jobs: int | None,
    verbose: bool,
) -> AudioSequence | np.ndarray | list[np.ndarray]:
    """Return the clips lazily (AudioSequence) or decoded in memory.

    Returns
    -------
    AudioSequence, ndarray of shape (n_clips, n_samples) or list of ndarray
        An AudioSequence when `lazy`; else a 2-D float32 array when
        `duration` is set, or a list of 1-D float32 arrays.
    """
    seq = AudioSequence(
        paths, sample_rate=sample_rate, duration=duration, memory=memory
    )
    if lazy:
        return seq
    return seq.decode(n_jobs=n_jobs, verbose=verbose)


def make_bunch(*, data: Any, sample_rate: int, descr: str, **fields: Any) -> Bunch:
    """Build the Bunch a loader returns.

    Parameters
    ----------
    data : AudioSequence, ndarray or list of ndarray
        The clips.
    sample_rate : int
        Rate of `data` in Hz, stored as ``bunch.sample_rate`` so that an
        estimator can be configured from the bunch.
    descr : str
        Description of the corpus (``bunch.DESCR``).
    **fields
        Per-clip arrays and other entries (target, filenames, cv, ...).

    Returns
    -------
    sklearn.utils.Bunch
    """
    return Bunch(data=data, sample_rate=sample_rate, **fields, DESCR=descr)
