"""Read an audio file of any length block by block, mixed down and resampled as it goes.

:func:`read_blocks` holds one block of the file in memory, never the whole
file, and gives the samples :func:`~sklearn_mhr.io.read_audio` gives for the
whole file: the channels are averaged the same way, and
:class:`BlockResampler` computes exactly the outputs of
`scipy.signal.resample_poly` (the same filter, applied to the samples that
each output needs), so block boundaries leave no trace (equal to float
rounding, 1e-4 is tested, and at the file's ends too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from math import gcd
from numbers import Real

import numpy as np
import soundfile as sf
from scipy.signal import firwin, upfirdn

from sklearn_mhr.io.checks import check_sample_rate
from sklearn_mhr.io.read import AudioReadError, check_finite

__all__ = ["BlockResampler", "audio_length", "read_blocks"]


class BlockResampler:
    """`scipy.signal.resample_poly` over a signal given in pieces.

    Parameters
    ----------
    up, down : int
        Resampling ratio ``up / down`` (reduced here).

    Notes
    -----
    ``resample_poly(x, up, down)`` is ``upfirdn(h, x, up, down)`` cut to the
    outputs centred on the input, where output ``j`` is
    ``sum_k x[k] h[j * down - k * up]``. An output is final once the last
    sample it needs has arrived; each piece computes those outputs from the
    samples still needed (kept from a multiple of ``down``, where the
    filter's phase repeats), and the rest waits for the next piece or for
    :meth:`finish`, which treats the samples after the end as zeros, as
    ``resample_poly`` does.
    """

    def __init__(self, up: int, down: int):
        g = gcd(up, down)
        self.up, self.down = up // g, down // g
        self.n_in = 0
        if self.up == self.down:  # nothing to filter: samples pass through
            return
        max_rate = max(self.up, self.down)
        half_len = 10 * max_rate
        h = firwin(2 * half_len + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * self.up
        n_pre_pad = self.down - half_len % self.down
        self.h = np.concatenate([np.zeros(n_pre_pad), h])
        self._next = (half_len + n_pre_pad) // self.down  # upfirdn's index of the next output
        self._first = self._next
        self._buffer = np.zeros(0)
        self._offset = 0  # input index of the buffer's first sample (a multiple of down)

    def _outputs(self, last: int) -> np.ndarray:
        """upfirdn's outputs ``self._next .. last`` from the buffer; then forget what is done."""
        if last < self._next:
            return np.zeros(0)
        y = upfirdn(self.h, self._buffer, self.up, self.down)
        shift = self._offset * self.up // self.down
        out = y[self._next - shift:last + 1 - shift]
        if out.shape[0] < last + 1 - self._next:  # past upfirdn's end: zeros, as resample_poly
            out = np.pad(out, (0, last + 1 - self._next - out.shape[0]))
        self._next = last + 1
        # the first input sample the next output needs, rounded down to a multiple of down
        need = max(0, -(-(self._next * self.down - self.h.shape[0] + 1) // self.up))
        keep = min(need, self.n_in) // self.down * self.down
        self._buffer = self._buffer[keep - self._offset:]
        self._offset = keep
        return out

    def push(self, x: np.ndarray) -> np.ndarray:
        """Take the next input samples; return the outputs they complete (float64)."""
        if self.up == self.down:
            self.n_in += x.shape[0]
            return np.asarray(x, dtype=np.float64)
        self._buffer = np.concatenate([self._buffer, np.asarray(x, dtype=np.float64)])
        self.n_in += x.shape[0]
        if self.n_in == 0:
            return np.zeros(0)
        return self._outputs((self.n_in - 1) * self.up // self.down)

    def finish(self) -> np.ndarray:
        """The outputs left once the input has ended (``resample_poly``'s last ones)."""
        if self.up == self.down:
            return np.zeros(0)
        n_out = -(-self.n_in * self.up // self.down)
        return self._outputs(self._first + n_out - 1)


def _checked_path(path) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} ({path!r})")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Audio file '{path}' does not exist. Check the path (relative "
                                f"paths are resolved against '{os.getcwd()}').")
    if os.path.isdir(path):
        raise AudioReadError(f"'{path}' is a directory, not an audio file.")
    if os.path.getsize(path) == 0:
        raise AudioReadError(f"Audio file '{path}' is empty (0 bytes); replace it or remove it "
                             "from the list.")
    return path


def _decode_error(path: str, exc: RuntimeError) -> AudioReadError:
    reason = str(getattr(exc, "error_string", exc)).strip().rstrip(".")
    return AudioReadError(f"Cannot decode audio file '{path}': {reason}. The file is corrupt or "
                          "not in a format libsndfile reads (WAV, FLAC, OGG, ...); re-encode it "
                          "or remove it from the list.")


def audio_length(path, sample_rate: int | None = None) -> int:
    """Samples :func:`read_blocks` gives for ``path`` in all, read from the header only.

    Parameters
    ----------
    path : str or os.PathLike
    sample_rate : int or None, default=None
        Output rate in Hz; None keeps the file's.
    """
    path = _checked_path(path)
    sample_rate = check_sample_rate(sample_rate)
    try:
        info = sf.info(path)
    except RuntimeError as exc:
        raise _decode_error(path, exc) from exc
    if sample_rate is None or sample_rate == info.samplerate:
        return int(info.frames)
    g = gcd(sample_rate, info.samplerate)
    return -(-info.frames * (sample_rate // g) // (info.samplerate // g))


def read_blocks(path, *, sample_rate: int | None = None,
                block_duration: float = 60.0) -> Iterator[np.ndarray]:
    """Yield a file's samples, mono and at ``sample_rate``, a block at a time.

    Parameters
    ----------
    path : str or os.PathLike
        File in any format libsndfile reads (WAV, FLAC, OGG, ...).
    sample_rate : int or None, default=None
        Output rate in Hz (resampled with :class:`BlockResampler`); None keeps
        the file's rate.
    block_duration : float, default=60.0
        Seconds of the file decoded at a time: memory holds about this much
        audio, whatever the file's length.

    Yields
    ------
    ndarray of shape (n,), float32
        The next samples, channels averaged; concatenated, the blocks equal
        ``read_audio(path, sample_rate=sample_rate)`` to float rounding.
        Blocks vary in length (resampling holds back the samples whose
        filter reaches past the block); some may be empty.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    AudioReadError
        If the file is corrupt, unsupported, holds no samples, or holds NaN or
        infinite samples (the message names the file and the time).
    ValueError
        For an invalid ``sample_rate`` or ``block_duration``.
    """
    path = _checked_path(path)
    sample_rate = check_sample_rate(sample_rate)
    if isinstance(block_duration, bool) or not isinstance(block_duration, Real) or not (
            0 < block_duration < float("inf")):
        raise ValueError(f"block_duration must be a positive number of seconds, got "
                         f"{block_duration!r}")
    try:
        f = sf.SoundFile(path)
    except RuntimeError as exc:
        raise _decode_error(path, exc) from exc
    with f:
        file_rate = f.samplerate
        if f.frames == 0:
            raise AudioReadError(f"Audio file '{path}' contains no samples (0 frames); replace "
                                 "it or remove it from the list.")
        resampler = BlockResampler(sample_rate or file_rate, file_rate)
        block = max(1, round(block_duration * file_rate))
        start = 0
        while True:
            try:
                data = f.read(frames=block, dtype="float32", always_2d=True)
            except RuntimeError as exc:
                raise _decode_error(path, exc) from exc
            if data.shape[0] == 0:
                break
            check_finite(data, path, start, file_rate)
            start += data.shape[0]
            yield resampler.push(data.mean(axis=1, dtype=np.float64)).astype(np.float32)
        yield resampler.finish().astype(np.float32)
