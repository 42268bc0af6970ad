"""Checks shared by the readers: sample rates, times, paths, workers and caches.

Each returns the checked value or raises a ValueError (TypeError for a wrong
kind of object) that names the argument and gives an example of a valid one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import joblib
import numpy as np

from sklearn_mhr._numbers import is_int, is_number

__all__ = ["as_paths", "check_duration", "check_memory_arg", "check_n_jobs", "check_offset",
           "check_sample_rate", "check_seconds"]


def check_sample_rate(sample_rate: Any, *, allow_none: bool = True) -> int | None:
    """Return `sample_rate` as an int, or raise a ValueError naming it."""
    if sample_rate is None and allow_none:
        return None
    if (
        is_number(sample_rate, finite=True)
        and float(sample_rate).is_integer()
        and sample_rate > 0
    ):
        return int(sample_rate)
    hint = ", or None to keep the file's rate" if allow_none else ""
    raise ValueError(
        f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}. "
        f"Pass e.g. sample_rate=16000{hint}."
    )


def check_seconds(value: Any, *, name: str, positive: bool) -> float:
    """Return a time in seconds as a float, or raise a ValueError naming it."""
    if (
        is_number(value, finite=True)
        and (value > 0 if positive else value >= 0)
    ):
        return float(value)
    kind, example = ("positive", 4.0) if positive else ("non-negative", 0.0)
    raise ValueError(
        f"{name} must be a {kind} number of seconds, got {value!r}. Pass e.g. "
        f"{name}={example}."
    )


def check_duration(duration: Any, *, name: str = "duration") -> float | None:
    """Return `duration` as a float or None, or raise a ValueError naming it."""
    if duration is None:
        return None
    return check_seconds(duration, name=name, positive=True)


def check_offset(offset: Any, *, name: str = "offset") -> float:
    """Return `offset` as a float, or raise a ValueError naming it."""
    return check_seconds(offset, name=name, positive=False)


def check_n_jobs(n_jobs: Any) -> None:
    """Raise a ValueError unless `n_jobs` is None or a non-zero int."""
    if n_jobs is not None and (not is_int(n_jobs) or not n_jobs):
        raise ValueError(
            f"n_jobs must be None or a non-zero int, got {n_jobs!r}. Pass e.g. "
            "n_jobs=-1 to use all cores."
        )


def check_memory_arg(memory: Any) -> str | None:
    """The folder of the clip cache that `memory` names (None: no cache).

    A joblib.Memory stands for its folder: clips are cached there as NumPy
    files (:mod:`sklearn_mhr.io.cache`), never as joblib's pickles.
    """
    if isinstance(memory, joblib.Memory):
        memory = memory.location
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    if isinstance(memory, str):
        if os.path.exists(memory) and not os.path.isdir(memory):
            raise ValueError(f"memory={memory!r} is a file, not a folder; pass the folder to "
                             "cache decoded clips in (it is created if missing)")
        return memory
    if memory is None:
        return memory
    raise ValueError(
        f"memory must be None, a directory path or a joblib.Memory, got "
        f"{memory!r}. Pass e.g. memory='./audio_cache' to cache decoded clips."
    )


def as_paths(X: Any, *, name: str = "X") -> np.ndarray:
    """Validate a sequence of file paths and return them as an object array."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{name} must be a sequence of file paths, got a single path "
            f"{X!r}; wrap it in a list: [{X!r}]."
        )
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if not (X.ndim == 1 or (X.ndim == 2 and X.shape[1] == 1)):
            raise ValueError(
                f"{name} must be a 1-D sequence of file paths, got an array of "
                f"shape {X.shape}."
            )
        items = X.ravel().tolist()
    elif isinstance(X, Iterable):
        items = list(X)
    else:
        raise TypeError(
            f"{name} must be a sequence of file paths, got {type(X).__name__}."
        )
    for i, p in enumerate(items):
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(
                f"{name}[{i}] must be a file path (str or os.PathLike), got "
                f"{type(p).__name__} ({p!r})."
            )
    arr = np.empty(len(items), dtype=object)
    arr[:] = [os.fspath(p) for p in items]
    return arr
