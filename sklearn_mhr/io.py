"""Read audio files into float waveforms, one file or many.

`read_audio` decodes one file with soundfile, mixes the channels down and
resamples with a polyphase filter. `AudioLoader` is the transformer that turns
paths into waveforms, so ``make_pipeline(AudioLoader(...), clf)`` works on files.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Sequence
from math import gcd
from typing import Any

import joblib
import numpy as np
import soundfile as sf
from scipy.signal import resample_poly
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_memory
from tqdm.auto import tqdm

__all__ = ["AudioLoader", "AudioReadError", "read_audio"]


class AudioReadError(ValueError):
    """An audio file exists but cannot be decoded into finite samples.

    Raised for corrupt or unsupported files, files with no samples and files
    holding NaN or infinite values. The message names the file.
    """


def _check_sample_rate(sample_rate: Any, *, allow_none: bool = True) -> int | None:
    """Return `sample_rate` as an int, or raise a ValueError naming it."""
    if sample_rate is None and allow_none:
        return None
    if (
        isinstance(sample_rate, numbers.Real)
        and not isinstance(sample_rate, bool)
        and float(sample_rate).is_integer()
        and sample_rate > 0
    ):
        return int(sample_rate)
    hint = ", or None to keep the file's rate" if allow_none else ""
    raise ValueError(
        f"sample_rate must be a positive whole number of Hz, got {sample_rate!r}. "
        f"Pass e.g. sample_rate=16000{hint}."
    )


def _check_seconds(value: Any, *, name: str, positive: bool) -> float:
    """Return a time in seconds as a float, or raise a ValueError naming it."""
    if (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and np.isfinite(value)
        and (value > 0 if positive else value >= 0)
    ):
        return float(value)
    kind, example = ("positive", 4.0) if positive else ("non-negative", 0.0)
    raise ValueError(
        f"{name} must be a {kind} number of seconds, got {value!r}. Pass e.g. "
        f"{name}={example}."
    )


def _check_duration(duration: Any, *, name: str = "duration") -> float | None:
    """Return `duration` as a float or None, or raise a ValueError naming it."""
    if duration is None:
        return None
    return _check_seconds(duration, name=name, positive=True)


def _check_offset(offset: Any, *, name: str = "offset") -> float:
    """Return `offset` as a float, or raise a ValueError naming it."""
    return _check_seconds(offset, name=name, positive=False)


def _check_n_jobs(n_jobs: Any) -> None:
    """Raise a ValueError unless `n_jobs` is None or a non-zero int."""
    if n_jobs is not None and (
        not isinstance(n_jobs, numbers.Integral)
        or isinstance(n_jobs, bool)
        or not n_jobs
    ):
        raise ValueError(
            f"n_jobs must be None or a non-zero int, got {n_jobs!r}. Pass e.g. "
            "n_jobs=-1 to use all cores."
        )


def _check_memory_arg(memory: Any) -> joblib.Memory:
    """Return a joblib.Memory-like object for None, a path or a Memory."""
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    try:
        return check_memory(memory)
    except ValueError:
        raise ValueError(
            f"memory must be None, a directory path or a joblib.Memory, got "
            f"{memory!r}. Pass e.g. memory='./audio_cache' to cache decoded clips."
        ) from None


def read_audio(
    path: str | os.PathLike,
    *,
    sample_rate: int | None = None,
    duration: float | None = None,
    offset: float = 0.0,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Read an audio file as a mono waveform.

    Parameters
    ----------
    path : str or os.PathLike
        File in any format libsndfile reads (WAV, FLAC, OGG, ...).
    sample_rate : int or None, default=None
        Output rate in Hz; the file is resampled with
        `scipy.signal.resample_poly` when its rate differs. None keeps the
        file's rate.
    duration : float or None, default=None
        Length in seconds. When set, the result has exactly
        ``round(duration * sample_rate)`` samples: short files are zero-padded
        at the end, long ones cropped. None reads to the end of the file.
    offset : float, default=0.0
        Start time in seconds in the file.
    dtype : numpy floating dtype, default=np.float32
        Output dtype.

    Returns
    -------
    ndarray of shape (n_samples,)
        Samples in [-1, 1] for PCM files (float files are passed through),
        channels averaged.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    AudioReadError
        If the file is corrupt or unsupported, holds no samples, or holds NaN
        or infinite samples.
    ValueError
        For invalid arguments, or an `offset` past the end of the file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__} ({path!r})."
        )
    path = os.fspath(path)
    sample_rate = _check_sample_rate(sample_rate)
    duration = _check_duration(duration)
    offset = _check_offset(offset)
    if not isinstance(dtype, (type, str, np.dtype)) or np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be np.float32 or np.float64, got {dtype!r}.")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"Audio file '{path}' does not exist. Check the path (relative paths "
            f"are resolved against '{os.getcwd()}')."
        )
    if os.path.isdir(path):
        raise AudioReadError(f"'{path}' is a directory, not an audio file.")
    if os.path.getsize(path) == 0:
        raise AudioReadError(
            f"Audio file '{path}' is empty (0 bytes); replace it or remove it from "
            "the list."
        )

    try:
        with sf.SoundFile(path) as f:
            file_rate = f.samplerate
            n_frames = f.frames
            start = round(offset * file_rate)
            if start and start >= n_frames:
                raise ValueError(
                    f"offset={offset} s is past the end of audio file '{path}' "
                    f"({n_frames / file_rate:.3f} s long); pass an offset below "
                    "the file's length."
                )
            frames = -1
            if duration is not None:
                frames = int(np.ceil(duration * file_rate))
            if start:
                f.seek(start)
            data = f.read(frames=frames, dtype="float32", always_2d=True)
    except RuntimeError as exc:  # soundfile's LibsndfileError and relatives
        reason = str(getattr(exc, "error_string", exc)).strip().rstrip(".")
        raise AudioReadError(
            f"Cannot decode audio file '{path}': {reason}. The file is corrupt or "
            "not in a format libsndfile reads (WAV, FLAC, OGG, ...); re-encode it "
            "or remove it from the list."
        ) from exc

    if data.shape[0] == 0:
        raise AudioReadError(
            f"Audio file '{path}' contains no samples (0 frames); replace it or "
            "remove it from the list."
        )
    finite = np.isfinite(data)
    if not finite.all():
        frame, channel = np.argwhere(~finite)[0]
        raise AudioReadError(
            f"Audio file '{path}' contains NaN or infinite samples (first at "
            f"frame {start + frame}, {(start + frame) / file_rate:.4f} s, channel "
            f"{channel}); repair the file or remove it from the list."
        )

    y = data.mean(axis=1, dtype=np.float64)
    out_rate = file_rate if sample_rate is None else sample_rate
    if out_rate != file_rate:
        g = gcd(out_rate, file_rate)
        y = resample_poly(y, out_rate // g, file_rate // g)
    if duration is not None:  # crop or zero-pad at the end
        n_samples = round(duration * out_rate)
        y = np.pad(y[:n_samples], (0, max(0, n_samples - y.shape[0])))
    return np.ascontiguousarray(y, dtype=dtype)


def _file_stamp(path: str) -> tuple[int, int] | None:
    """Return the modification time and size of `path` (cache keys), or None."""
    st = os.stat(path) if os.path.isfile(path) else None
    return None if st is None else (st.st_mtime_ns, st.st_size)


def _as_paths(X: Any, *, name: str = "X") -> np.ndarray:
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


def _map_clips(
    func: Callable[..., np.ndarray],
    jobs: Sequence[tuple],
    *,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> list[np.ndarray]:
    """Call ``func(*job)`` for every job, over joblib workers, in order."""
    tasks = (joblib.delayed(func)(*job) for job in jobs)
    results = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    if verbose:
        # disable=None: a bar on a terminal, none in logs and pipes
        results = tqdm(results, total=len(jobs), desc="Decoding audio", unit="clip", disable=None)
    return list(results)


def _read_one(
    path: str,
    sample_rate: int,
    duration: float | None,
    offset: float,
    stamp: tuple[int, int] | None,
) -> np.ndarray:
    """Decode one clip; `stamp` only keys the on-disk cache."""
    return read_audio(path, sample_rate=sample_rate, duration=duration, offset=offset)


class AudioLoader(TransformerMixin, BaseEstimator):
    """Turn audio file paths into waveforms at one sample rate.

    Stateless: `fit` only checks the parameters, and `transform` works
    without it. Decoding is eager (all clips in memory); for corpora larger
    than memory use `sklearn_mhr.datasets.AudioSequence`, which decodes a
    clip only when it is indexed.

    Parameters
    ----------
    sample_rate : int, default=16000
        Output rate in Hz; every file is resampled to it.
    duration : float or None, default=None
        Clip length in seconds. When set, clips are zero-padded or cropped to
        ``round(duration * sample_rate)`` samples and `transform` returns a
        2-D array; None keeps whole files and returns a list.
    n_jobs : int or None, default=None
        Number of joblib workers decoding files (None means 1 unless in a
        `joblib.parallel_config` context, -1 means all cores).
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Directory (or Memory) in which decoded clips are cached; a file is
        decoded again when its modification time or size changes.

    See Also
    --------
    read_audio : Decode one file.
    sklearn_mhr.datasets.AudioSequence : Lazy sequence of clips.

    Examples
    --------
    >>> from sklearn_mhr.io import AudioLoader
    >>> loader = AudioLoader(sample_rate=16000, duration=1.0)
    >>> X = loader.transform(["a.wav", "b.flac"])  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (2, 16000)
    """

    def __init__(self, *, sample_rate=16000, duration=None, n_jobs=None, memory=None):
        self.sample_rate = sample_rate
        self.duration = duration
        self.n_jobs = n_jobs
        self.memory = memory

    def _check_params(self) -> tuple[int, float | None, Any]:
        sample_rate = _check_sample_rate(self.sample_rate, allow_none=False)
        duration = _check_duration(self.duration)
        _check_n_jobs(self.n_jobs)
        return sample_rate, duration, _check_memory_arg(self.memory)

    def fit(self, X: Any, y: Any = None) -> AudioLoader:
        """Check the parameters; nothing is learned.

        Parameters
        ----------
        X : sequence of str or os.PathLike
            Audio file paths (not read).
        y : None
            Ignored.

        Returns
        -------
        self : AudioLoader
        """
        self._check_params()
        return self

    def transform(self, X: Any) -> np.ndarray | list[np.ndarray]:
        """Decode the files.

        Parameters
        ----------
        X : sequence of str or os.PathLike, or 1-D array of them
            Audio file paths.

        Returns
        -------
        ndarray of shape (n_files, n_samples) or list of ndarray
            float32 waveforms at `sample_rate`: a 2-D array when `duration` is
            set, else a list of 1-D arrays of each file's length.
        """
        sample_rate, duration, memory = self._check_params()
        from sklearn_mhr.datasets.lazy import AudioSequence

        if isinstance(X, AudioSequence):
            raise TypeError(
                "AudioLoader takes file paths, got an AudioSequence, which decodes "
                "clips itself: pass it to the estimator directly, or pass its "
                "`paths` to AudioLoader."
            )
        paths = _as_paths(X)
        if paths.shape[0] == 0:
            raise ValueError(
                "Found 0 file paths (shape=(0,)) while a minimum of 1 is required "
                "by AudioLoader."
            )
        func = memory.cache(_read_one)
        use_stamp = self.memory is not None
        jobs = [
            (p, sample_rate, duration, 0.0, _file_stamp(p) if use_stamp else None)
            for p in paths
        ]
        clips = _map_clips(func, jobs, n_jobs=self.n_jobs)
        if duration is not None:
            return np.stack(clips)
        return clips

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags
