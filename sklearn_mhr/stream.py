"""Windows of a recording that arrives in chunks: a microphone, a socket, a file read in blocks.

A :class:`WindowStream` takes chunks of samples of any size (one sample, a
prime number, whatever a sound card delivers) and returns the windows each
chunk completes, with the same times and probabilities as
:func:`sklearn_mhr.windows.predict_windows` gives for the whole recording
(to float32 rounding, whatever the chunking).

Latency: a window comes back from the :meth:`~WindowStream.push` that
delivers its last sample, so the label of a moment arrives between one hop
and one window after it (plus the time of one forward pass of the windows
the chunk completes). The tail's window (``tail="end"`` or ``"pad"``) comes
from :meth:`~WindowStream.finish`, when the recording's end is known. The
stream keeps at most one window and one chunk of samples.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from sklearn_mhr._inputs import pcm_as_float
from sklearn_mhr._skorch import inference
from sklearn_mhr.windows import _Cuts, probabilities_result, window_grid, window_times

__all__ = ["WindowStream", "predict_file"]


class WindowStream:
    """Class probabilities of every window of a recording given chunk by chunk.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted; the chunks are at its ``sample_rate``.
    window, hop, tail
        As in :func:`sklearn_mhr.windows.predict_windows`.

    Attributes
    ----------
    grid : sklearn_mhr.windows.WindowGrid
        Window and hop in samples.
    n_samples : int
        Samples pushed so far.

    Examples
    --------
    >>> from sklearn_mhr import MHRAudioClassifier
    >>> from sklearn_mhr.datasets import make_sound_scenes
    >>> X, y = make_sound_scenes(40, duration=0.5, random_state=0)
    >>> clf = MHRAudioClassifier(n_filters=16, max_epochs=1, random_state=0).fit(X, y)
    >>> stream = clf.stream(window=0.25, hop=0.125)
    >>> [len(stream.push(chunk).start) for chunk in (X[0][:5000], X[0][5000:])]
    [1, 2]
    >>> len(stream.finish().start)
    0
    """

    def __init__(self, estimator, *, window=None, hop=None, tail: str = "end"):
        self.estimator = estimator
        self.grid = window_grid(estimator, window, hop, tail)
        self.n_samples = 0
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = 0  # sample index of the buffer's first sample
        self._next = 0  # index on the grid of the next window
        self._finished = False

    def _check_chunk(self, samples) -> np.ndarray:
        if self._finished:
            raise ValueError("this stream is finished; start another with estimator.stream()")
        try:
            arr = np.asarray(samples)
        except Exception as exc:
            raise ValueError(f"a chunk could not be read as an array of samples: {exc}") from exc
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"a chunk has dtype {arr.dtype}; chunks must hold numeric samples")
        if arr.ndim != 1:
            raise ValueError(f"a chunk has shape {arr.shape}; chunks must be 1-D arrays of "
                             "samples (mix multi-channel audio down to mono first)")
        arr = np.asarray(pcm_as_float(arr, "a chunk"), dtype=np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"a chunk contains NaN or infinite samples (samples "
                             f"{self.n_samples} to {self.n_samples + arr.size} of the stream)")
        return arr

    def _run(self, starts, stops, length) -> list:
        """``[(times, logits)]`` for the windows ``[start, stop)`` of the samples seen so far."""
        if not starts:
            return []
        cuts = _Cuts()
        cuts.add(self._buffer, [s - self._offset for s in starts],
                 [s - self._offset for s in stops])
        outputs = inference.run_clips(self.estimator, cuts, inference.logits)
        return [(window_times(self.grid, [0] * len(starts), starts, stops,
                              [length] * len(starts)), outputs)]

    def push_parts(self, samples) -> list:
        """:meth:`push` as ``[(times, logits)]`` parts (see ``windows.probabilities_result``)."""
        chunk = self._check_chunk(samples)
        self._buffer = np.concatenate([self._buffer, chunk])
        self.n_samples += chunk.size
        starts, stops = [], []
        while (start := self.grid.start(self._next)) + self.grid.window <= self.n_samples:
            starts.append(start)
            stops.append(start + self.grid.window)
            self._next += 1
        parts = self._run(starts, stops, self.n_samples)
        # keep what the next window and an end-aligned tail window may need
        keep = max(0, min(self.grid.start(self._next), self.n_samples - self.grid.window))
        self._buffer = self._buffer[keep - self._offset:]
        self._offset = keep
        return parts

    def push(self, samples) -> Bunch:
        """Add samples; return the windows they complete.

        Parameters
        ----------
        samples : array-like of shape (n,)
            The next samples of the recording (any ``n``, zero included),
            floats or integer PCM.

        Returns
        -------
        windows : Bunch
            As :func:`sklearn_mhr.windows.predict_windows` returns (``clip``
            is 0), for the windows completed by these samples, possibly none.
        """
        return probabilities_result(self.estimator, self._empty() + self.push_parts(samples),
                                    self.grid)

    def finish_parts(self) -> list:
        """:meth:`finish` as ``[(times, logits)]`` parts."""
        if self._finished:
            raise ValueError("this stream is already finished")
        self._finished = True
        last = self.grid.tail_window(self.n_samples, self._next)
        if last is None:
            return []
        return self._run([last[0]], [last[1]], self.n_samples)

    def finish(self) -> Bunch:
        """End the recording; return the tail's window, if ``tail`` gives one.

        A stream that never reached a whole window gives its one short
        window here (``tail="end"`` or ``"pad"``).
        """
        return probabilities_result(self.estimator, self._empty() + self.finish_parts(),
                                    self.grid)

    def _empty(self) -> list:
        return [(window_times(self.grid, [], [], [], []), [])]


def predict_file(estimator, path, *, window=None, hop=None, tail: str = "end",
                 block_duration: float = 60.0, progress=None) -> Bunch:
    """Windows of an audio file of any length, read and resampled block by block.

    Memory holds one block and one window, not the file: a 3-hour file
    costs what a 10-minute one does (``benchmarks/long_recordings.py``).

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    path : str or os.PathLike
        Audio file in any format libsndfile reads; channels are mixed down
        and the samples resampled to the model's ``sample_rate``
        (:func:`sklearn_mhr.io.blocks.read_blocks`).
    window, hop, tail
        As in :func:`sklearn_mhr.windows.predict_windows`.
    block_duration : float, default=60.0
        Seconds of the file read at a time.
    progress : callable or None, default=None
        Called as ``progress(seconds_done, seconds_total)`` after every block.

    Returns
    -------
    windows : Bunch
        As :func:`~sklearn_mhr.windows.predict_windows` returns for the
        file read whole (``read_audio(path, sample_rate=...)``) as one clip:
        ``clip`` is 0 throughout, times are equal, probabilities equal to
        float32 rounding (block-wise resampling gives the whole file's
        samples, at its ends too).
    """
    from sklearn_mhr.io.blocks import audio_length, read_blocks

    stream = WindowStream(estimator, window=window, hop=hop, tail=tail)
    total = audio_length(path, estimator.sample_rate)
    parts = []
    for block in read_blocks(path, sample_rate=estimator.sample_rate,
                             block_duration=block_duration):
        parts += stream.push_parts(block)
        if progress is not None:
            progress(stream.n_samples / stream.grid.sample_rate,
                     total / stream.grid.sample_rate)
    parts += stream.finish_parts()
    return probabilities_result(estimator, parts, stream.grid)
