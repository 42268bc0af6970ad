"""A cache of decoded clips on disk, as ``.npy`` files read without pickle.

joblib's ``Memory`` stores results as pickles, and a tampered pickle runs
code when read; a NumPy array file read with ``allow_pickle=False`` holds
numbers only. A clip is keyed by its path, its file's modification time and
size, and the decoding arguments, so a changed file is decoded again.

Each cache file is a ``.npy`` file (``np.load`` reads it) followed by the
SHA-256 of its samples: the header is checked against the file's size before
anything is allocated, and samples that are not the ones written (a file
replaced by zeros, by huge values or by NaN, or damaged) fail the hash. A
file that fails any check is decoded again and replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from sklearn_mhr._safe_folder import read_regular, write_file
from sklearn_mhr.io.read import read_clip

__all__ = ["CACHE_VERSION", "ClipCache", "clip_reader"]

#: part of every key: a change of the decoding (or of the cache file) that changes its output
#: must raise it
CACHE_VERSION = 2

_DIGEST = 32  # bytes of the SHA-256 after the array


def _parse(data: bytes) -> np.ndarray | None:
    """The clip in a cache file's bytes, or None if they are not a whole, unaltered one."""
    import io

    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            return None
        shape, fortran, dtype = read_header(stream)
    except (ValueError, EOFError, SyntaxError, TypeError):
        return None
    start = stream.tell()
    if dtype != np.dtype("<f4") or fortran or len(shape) != 1:
        return None
    # the header's length against the file's size, before any allocation
    if start + shape[0] * 4 + _DIGEST != len(data):
        return None
    samples = data[start:len(data) - _DIGEST]
    if hashlib.sha256(samples).digest() != data[len(data) - _DIGEST:]:
        return None
    clip = np.frombuffer(samples, dtype="<f4").astype(np.float32)
    return clip if np.isfinite(clip).all() else None


class ClipCache:
    """``read_clip`` with its results kept in ``folder/sklearn_mhr_clips/``.

    Parameters
    ----------
    folder : str or os.PathLike
        The cache folder (created when first written).

    Notes
    -----
    Writes go to a temporary file with an unpredictable name, created
    exclusively and renamed into place, so processes decoding the same
    corpus at once never read a half-written clip and no link planted in the
    cache is written through. Cache files are never read through a link. A
    cache file that fails its checks (damaged, altered, or not written here)
    is decoded again and replaced. Instances pickle to their folder, so
    joblib workers share the cache.
    """

    def __init__(self, folder):
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"the clip cache folder '{folder}' is a file; pass a folder")
        self.folder = folder / "sklearn_mhr_clips"

    def _file(self, path, sample_rate, duration, offset, stamp) -> Path:
        key = json.dumps([os.path.abspath(os.fspath(path)), stamp, sample_rate, duration, offset,
                          CACHE_VERSION])
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.npy"

    def __call__(self, path, sample_rate, duration, offset, stamp) -> np.ndarray:
        file = self._file(path, sample_rate, duration, offset, stamp)
        try:
            clip = _parse(read_regular(file, what="cache file"))
            if clip is not None:
                return clip
        except (OSError, ValueError):
            pass  # not cached yet, a link, or damaged: decode again
        clip = read_clip(path, sample_rate, duration, offset, stamp)
        if self.folder.is_symlink() or file.parent.is_symlink():
            return clip  # a link planted for a cache folder: never written through
        file.parent.mkdir(parents=True, exist_ok=True)

        def write(f):
            np.save(f, np.ascontiguousarray(clip, dtype="<f4"), allow_pickle=False)
            f.write(hashlib.sha256(np.ascontiguousarray(clip, dtype="<f4").tobytes()).digest())

        write_file(file.parent, file.name, write)
        return clip


def clip_reader(cache_folder):
    """The function that decodes a clip: :func:`read_clip`, or through a :class:`ClipCache`."""
    return read_clip if cache_folder is None else ClipCache(cache_folder)
