"""A cache of decoded clips on disk, as ``.npy`` files read without pickle.

joblib's ``Memory`` stores results as pickles, and a tampered pickle runs
code when read; a NumPy array file read with ``allow_pickle=False`` holds
numbers only. A clip is keyed by its path, its file's modification time and
size, and the decoding arguments, so a changed file is decoded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from sklearn_mhr.io.read import read_clip

__all__ = ["CACHE_VERSION", "ClipCache", "clip_reader"]

#: part of every key: a change of the decoding that changes its output must raise it
CACHE_VERSION = 1


class ClipCache:
    """``read_clip`` with its results kept in ``folder/sklearn_mhr_clips/``.

    Parameters
    ----------
    folder : str or os.PathLike
        The cache folder (created when first written).

    Notes
    -----
    Writes go to a temporary file renamed into place, so processes decoding
    the same corpus at once never read a half-written clip. A cache file
    that cannot be read as a float array (damaged, or not written here) is
    decoded again and replaced. Instances pickle to their folder, so joblib
    workers share the cache.
    """

    def __init__(self, folder):
        self.folder = Path(folder) / "sklearn_mhr_clips"

    def _file(self, path, sample_rate, duration, offset, stamp) -> Path:
        key = json.dumps([os.path.abspath(os.fspath(path)), stamp, sample_rate, duration, offset,
                          CACHE_VERSION])
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.npy"

    def __call__(self, path, sample_rate, duration, offset, stamp) -> np.ndarray:
        file = self._file(path, sample_rate, duration, offset, stamp)
        try:
            clip = np.load(file, allow_pickle=False)
            if clip.dtype == np.float32 and clip.ndim == 1:
                return clip
        except (OSError, ValueError, EOFError):
            pass  # not cached yet, or damaged: decode again
        clip = read_clip(path, sample_rate, duration, offset, stamp)
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(f".{file.stem}.{os.getpid()}.tmp.npy")
        try:
            np.save(partial, clip, allow_pickle=False)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
        return clip


def clip_reader(cache_folder):
    """The function that decodes a clip: :func:`read_clip`, or through a :class:`ClipCache`."""
    return read_clip if cache_folder is None else ClipCache(cache_folder)
