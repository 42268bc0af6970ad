"""A lazy sequence of audio clips for corpora larger than memory.

`AudioSequence` holds file paths and decodes a clip only when it is indexed
with an integer. Slices, index arrays and boolean masks return a new
sequence over the selected files without decoding anything, and the object
has a ``shape``, so scikit-learn's splitters and ``_safe_indexing`` (used by
``train_test_split``, ``cross_val_score``, ``GridSearchCV``) select clips
without reading them.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from sklearn_mhr._numbers import is_int
from sklearn_mhr.io.cache import clip_reader
from sklearn_mhr.io.checks import (
    as_paths,
    check_duration,
    check_memory_arg,
    check_offset,
    check_sample_rate,
)
from sklearn_mhr.io.read import file_stamp, map_clips

__all__ = ["AudioSequence"]


def _per_clip(value: Any, n: int, *, name: str, check) -> np.ndarray | None:
    """Broadcast a scalar or per-clip sequence to a float array of length n."""
    if value is None:
        return None
    if isinstance(value, numbers.Real):
        return np.full(n, check(value, name=name), dtype=np.float64)
    arr = np.asarray(value, dtype=object).ravel()
    if arr.shape[0] != n:
        raise ValueError(
            f"{name} must be a number or have one value per clip ({n}), got "
            f"{arr.shape[0]} values."
        )
    return np.array(
        [check(v, name=f"{name}[{i}]") for i, v in enumerate(arr)], dtype=np.float64
    )


def _common(durations: np.ndarray | None) -> float | None:
    """Return the one value all `durations` share, or None."""
    if durations is None or durations.size == 0:
        return None
    if np.all(durations == durations[0]):
        return float(durations[0])
    return None


class AudioSequence:
    """Audio clips decoded on demand, indexable like a 1-D array.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Audio files, one per clip.
    sample_rate : int
        Rate in Hz every clip is resampled to.
    duration : float, sequence of float or None, default=None
        Clip length in seconds (one value, or one per clip); clips are
        zero-padded or cropped to it. None keeps whole files.
    offset : float, sequence of float or None, default=None
        Start time in seconds in each file (one value, or one per clip).
        None starts at 0.
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Directory (or a Memory's directory) in which decoded clips are cached
        as NumPy files, read without pickle (:class:`~sklearn_mhr.io.cache.ClipCache`).

    Attributes
    ----------
    paths : ndarray of str, shape (n_clips,)
        File paths as given.
    offsets : ndarray of float, shape (n_clips,)
        Start time of each clip in its file, in seconds.
    durations : ndarray of float, shape (n_clips,), or None
        Length of each clip in seconds, or None for whole files.
    shape : tuple of int
        ``(n_clips,)``; lets scikit-learn index the sequence as an array.
    ndim : int
        Always 1.

    Notes
    -----
    ``seq[i]`` (an integer) decodes and returns a float32 array;
    ``seq[2:5]``, ``seq[[0, 3]]``, ``seq[mask]`` return a new AudioSequence
    and decode nothing. Iterating decodes one clip at a time. The object has
    no ``__array__`` (code that duck-types arrays sees a sequence), and
    ``np.asarray(seq)`` raises a TypeError rather than decoding the whole
    corpus; call `decode` to load everything on purpose.
    It pickles to a few arrays, so it can be sent to DataLoader workers.

    Examples
    --------
    >>> from sklearn_mhr.datasets import AudioSequence
    >>> seq = AudioSequence(["a.wav", "b.wav", "c.wav"], sample_rate=16000)
    >>> seq
    AudioSequence(n_clips=3, sample_rate=16000)
    >>> seq[1:]
    AudioSequence(n_clips=2, sample_rate=16000)
    """

    ndim = 1

    def __init__(self, paths, *, sample_rate, duration=None, offset=None, memory=None):
        self.paths = as_paths(paths, name="paths")
        n = self.paths.shape[0]
        self.sample_rate = check_sample_rate(sample_rate, allow_none=False)
        self.durations = _per_clip(duration, n, name="duration", check=check_duration)
        self._duration = _common(self.durations)
        if isinstance(duration, numbers.Real):
            self._duration = float(duration)
        offsets = _per_clip(offset, n, name="offset", check=check_offset)
        self.offsets = np.zeros(n) if offsets is None else offsets
        check_memory_arg(memory)
        self.memory = memory
        self._reader = None

    @classmethod
    def _from_arrays(cls, paths, sample_rate, durations, duration, offsets, memory):
        seq = cls.__new__(cls)
        seq.paths = paths
        seq.sample_rate = sample_rate
        seq.durations = durations
        seq._duration = duration
        seq.offsets = offsets
        seq.memory = memory
        seq._reader = None
        return seq

    @property
    def shape(self) -> tuple[int]:
        """``(n_clips,)``."""
        return (self.paths.shape[0],)

    @property
    def duration(self) -> float | None:
        """The clip length in seconds if all clips share one, else None."""
        return self._duration

    def __len__(self) -> int:
        return self.paths.shape[0]

    def __repr__(self) -> str:
        extra = "" if self.duration is None else f", duration={self.duration:g}"
        return (
            f"{type(self).__name__}(n_clips={len(self)}, "
            f"sample_rate={self.sample_rate}{extra})"
        )

    @property
    def __array_interface__(self):
        # numpy asks for this before falling back to the sequence protocol
        # (which would decode every clip); there is deliberately no __array__,
        # so duck-typed code that checks hasattr(X, "__array__") sees a sequence.
        raise TypeError(
            f"{self!r} is lazy and cannot be converted to an array implicitly, "
            "which would decode every clip. Index it (seq[i] decodes one clip), "
            "iterate over it, or call seq.decode() to load all clips on purpose."
        )

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_reader"] = None
        return state

    def _clip_args(self, i: int) -> tuple:
        duration = None if self.durations is None else float(self.durations[i])
        path = self.paths[i]
        stamp = file_stamp(path) if self.memory is not None else None
        return (path, self.sample_rate, duration, float(self.offsets[i]), stamp)

    def _get_reader(self):
        if self._reader is None:
            self._reader = clip_reader(check_memory_arg(self.memory))
        return self._reader

    def _subset(self, index: np.ndarray | slice) -> AudioSequence:
        durations = None if self.durations is None else self.durations[index]
        duration = self._duration
        if duration is None:
            duration = _common(durations)
        return self._from_arrays(
            self.paths[index],
            self.sample_rate,
            durations,
            duration,
            self.offsets[index],
            self.memory,
        )

    def __getitem__(self, key):
        if isinstance(key, tuple):
            # scikit-learn's _safe_indexing calls X[key, ...]
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(
                    f"AudioSequence is 1-D; got the multi-dimensional index {key!r}."
                )
        if is_int(key):
            n = len(self)
            i = int(key)
            if not -n <= i < n:
                raise IndexError(
                    f"index {i} is out of range for an AudioSequence of {n} clips."
                )
            return self._get_reader()(*self._clip_args(i % n))
        if isinstance(key, slice):
            return self._subset(key)
        index = np.asarray(key)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(
                    f"boolean index of shape {index.shape} does not match an "
                    f"AudioSequence of {len(self)} clips."
                )
            return self._subset(index)
        if index.size == 0:
            return self._subset(np.zeros(0, dtype=np.intp))
        if index.dtype.kind not in "iu" or index.ndim != 1:
            raise IndexError(
                "AudioSequence indices must be an int, a slice, a 1-D array of "
                f"ints or a boolean mask, got {key!r}."
            )
        n = len(self)
        bad = index[(index < -n) | (index >= n)]
        if bad.size:
            raise IndexError(
                f"index {int(bad[0])} is out of range for an AudioSequence of {n} "
                "clips."
            )
        return self._subset(index)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def decode(
        self, *, n_jobs: int | None = None, verbose: bool = False
    ) -> np.ndarray | list[np.ndarray]:
        """Decode every clip now.

        Parameters
        ----------
        n_jobs : int or None, default=None
            Number of joblib workers.
        verbose : bool, default=False
            Show a progress bar.

        Returns
        -------
        ndarray of shape (n_clips, n_samples) or list of ndarray
            A 2-D float32 array when all clips share one duration, else a list
            of 1-D float32 arrays.
        """
        reader = self._get_reader()
        jobs = [self._clip_args(i) for i in range(len(self))]
        clips = map_clips(reader, jobs, n_jobs=n_jobs, verbose=verbose)
        if self.duration is not None:
            if not clips:
                n_samples = round(self.duration * self.sample_rate)
                return np.zeros((0, n_samples), dtype=np.float32)
            return np.stack(clips)
        return clips
