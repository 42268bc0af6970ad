"""AudioLoader: the transformer that turns file paths into waveforms.

``make_pipeline(AudioLoader(...), clf)`` works on files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_mhr.io.cache import clip_reader
from sklearn_mhr.io.checks import (
    as_paths,
    check_duration,
    check_memory_arg,
    check_n_jobs,
    check_sample_rate,
)
from sklearn_mhr.io.read import file_stamp, map_clips
from sklearn_mhr.io.sequence import AudioSequence

__all__ = ["AudioLoader"]


class AudioLoader(TransformerMixin, BaseEstimator):
    """Turn audio file paths into waveforms at one sample rate.

    Stateless: `fit` only checks the parameters, and `transform` works
    without it. Decoding is eager (all clips in memory); for corpora larger
    than memory use `AudioSequence`, which decodes a
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
        Directory (or a Memory's directory) in which decoded clips are cached
        as NumPy files, read without pickle (:class:`~sklearn_mhr.io.cache.ClipCache`);
        a file is decoded again when its modification time or size changes.

    See Also
    --------
    read_audio : Decode one file.
    AudioSequence : Lazy sequence of clips.

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
        sample_rate = check_sample_rate(self.sample_rate, allow_none=False)
        duration = check_duration(self.duration)
        check_n_jobs(self.n_jobs)
        return sample_rate, duration, check_memory_arg(self.memory)

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
        if isinstance(X, AudioSequence):
            raise TypeError(
                "AudioLoader takes file paths, got an AudioSequence, which decodes "
                "clips itself: pass it to the estimator directly, or pass its "
                "`paths` to AudioLoader."
            )
        paths = as_paths(X)
        if paths.shape[0] == 0:
            raise ValueError(
                "Found 0 file paths (shape=(0,)) while a minimum of 1 is required "
                "by AudioLoader."
            )
        func = clip_reader(memory)
        use_stamp = memory is not None
        jobs = [
            (p, sample_rate, duration, 0.0, file_stamp(p) if use_stamp else None)
            for p in paths
        ]
        clips = map_clips(func, jobs, n_jobs=self.n_jobs)
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
