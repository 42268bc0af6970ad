"""Decode audio files into float waveforms: one file, or many over joblib workers.

`read_audio` decodes one file with soundfile, mixes the channels down and
resamples with a polyphase filter.
"""

from __future__ import annotations

import os
import shutil
import struct
import warnings
from collections.abc import Callable, Sequence
from math import gcd
from typing import Any

import joblib
import numpy as np
import soundfile as sf
from scipy.signal import resample_poly
from tqdm.auto import tqdm

from sklearn_mhr.io.checks import check_duration, check_offset, check_sample_rate

__all__ = ["MAX_DECODED_SAMPLES", "MAX_FILE_SAMPLE_RATE", "MIN_FILE_SAMPLE_RATE", "AudioReadError",
           "TruncatedAudioWarning", "file_stamp", "map_clips", "read_audio", "read_clip"]

#: lowest sample rate a file's header may give: below it no audio of interest is recorded,
#: and a header saying 1 Hz would make a small file an hours-long clip
MIN_FILE_SAMPLE_RATE = 1000

#: highest sample rate a file's header may give (the highest rate audio interfaces record at)
MAX_FILE_SAMPLE_RATE = 768_000

#: most taps of the resampling filter, whose length grows with the terms of the rate ratio
#: (``resample_poly`` uses about 20 per unit of the larger term; designing 2**20 taps takes
#: about 50 MiB at its peak). Every ratio between common rates has terms under 1000
MAX_RESAMPLING_TAPS = 2**20

#: most samples one read may produce (after resampling): 2**28 is 93 minutes at 48 kHz, whose
#: decoding takes about 2 GiB at its peak; checked before anything is allocated
MAX_DECODED_SAMPLES = 2**28


class AudioReadError(ValueError):
    """An audio file exists but cannot be decoded into finite samples.

    Raised for corrupt or unsupported files, files with no samples and files
    holding NaN or infinite values. The message names the file.
    """


class TruncatedAudioWarning(UserWarning):
    """A WAV file holds fewer samples than its header declares: it was cut short.

    The samples present are used; the message names the file and both lengths.
    """


def declared_wav_frames(path) -> int | None:
    """Frames a RIFF/WAVE file's header declares for its data chunk, or None if unknown.

    None for other formats, for headers that declare no size (0 or
    0xFFFFFFFF, as streaming writers leave them) and for unreadable headers.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            block_align = None
            while len(header := f.read(8)) == 8:  # chunk by chunk: 8 bytes read for each
                chunk, size = header[:4], struct.unpack("<I", header[4:])[0]
                if chunk == b"data":
                    return None if not block_align or size in (0, 0xFFFFFFFF) \
                        else size // block_align
                if chunk == b"fmt ":
                    fmt = f.read(min(size, 64))  # never what a crafted size asks for
                    f.seek(size - len(fmt), os.SEEK_CUR)
                    block_align = struct.unpack("<H", fmt[12:14])[0] if len(fmt) >= 14 else None
                    f.seek(size & 1, os.SEEK_CUR)
                else:
                    f.seek(size + (size & 1), os.SEEK_CUR)  # chunks are padded to even sizes
    except OSError:
        return None
    return None


def _check_size(path: str, file_rate: int, channels: int, frames: int, out_rate: int) -> None:
    """Refuse a read whose samples (as read, and as resampled) would pass the bound."""
    g = gcd(out_rate, file_rate)
    taps = 20 * max(out_rate, file_rate) // g + 1
    if out_rate != file_rate and taps > MAX_RESAMPLING_TAPS:
        raise AudioReadError(
            f"Resampling audio file '{path}' from {file_rate} Hz to {out_rate} Hz takes a filter "
            f"of {taps} taps (the rates' ratio is {out_rate // g}/{file_rate // g}), more than "
            f"the {MAX_RESAMPLING_TAPS} allowed; choose a sample rate whose ratio to the file's "
            "has smaller terms, or convert the file first.")
    decoded = max(frames, 0) * max(channels, 1)
    resampled = -(-max(frames, 0) * out_rate // file_rate)
    if max(decoded, resampled) > MAX_DECODED_SAMPLES:
        raise AudioReadError(
            f"Audio file '{path}' would decode to {max(decoded, resampled)} samples "
            f"({frames} frames of {channels} channel(s) at {file_rate} Hz, resampled to "
            f"{out_rate} Hz), more than the {MAX_DECODED_SAMPLES} one read may allocate; pass a "
            "duration (and offset) to read part of it, or check its header.")


def check_finite(data: np.ndarray, path, start: int, file_rate: int) -> None:
    """Refuse decoded frames ``data`` (frames, channels) of ``path`` that hold NaN or inf.

    ``start`` is the file frame of ``data``'s first row; the error names the
    first bad frame, its time and channel.
    """
    finite = np.isfinite(data)
    if not finite.all():
        frame, channel = np.argwhere(~finite)[0]
        raise AudioReadError(
            f"Audio file '{path}' contains NaN or infinite samples (first at "
            f"frame {start + frame}, {(start + frame) / file_rate:.4f} s, channel "
            f"{channel}); repair the file or remove it from the list."
        )


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
        If the file is corrupt or unsupported, holds no samples, holds NaN
        or infinite samples, gives a sample rate under
        `MIN_FILE_SAMPLE_RATE`, or would decode to more than
        `MAX_DECODED_SAMPLES` samples (checked before reading).
    ValueError
        For invalid arguments, or an `offset` past the end of the file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__} ({path!r})."
        )
    path = os.fspath(path)
    sample_rate = check_sample_rate(sample_rate)
    duration = check_duration(duration)
    offset = check_offset(offset)
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
            if not MIN_FILE_SAMPLE_RATE <= file_rate <= MAX_FILE_SAMPLE_RATE:
                side = "under" if file_rate < MIN_FILE_SAMPLE_RATE else "over"
                limit = MIN_FILE_SAMPLE_RATE if side == "under" else MAX_FILE_SAMPLE_RATE
                raise AudioReadError(
                    f"Audio file '{path}' gives a sample rate of {file_rate} Hz in its header, "
                    f"{side} the {limit} Hz this reader accepts ({MIN_FILE_SAMPLE_RATE} to "
                    f"{MAX_FILE_SAMPLE_RATE} Hz); the header is damaged, or the file is no "
                    "audio recording. Re-encode it or remove it from the list.")
            start = round(offset * file_rate)
            if start and start >= n_frames:
                raise ValueError(
                    f"offset={offset} s is past the end of audio file '{path}' "
                    f"({n_frames / file_rate:.3f} s long); pass an offset below "
                    "the file's length."
                )
            declared = declared_wav_frames(path) if f.format.startswith("WAV") else None
            if declared is not None and declared > n_frames:
                warnings.warn(
                    f"Audio file '{path}' is truncated: its header declares {declared} frames "
                    f"({declared / file_rate:.3f} s) but it holds {n_frames} "
                    f"({n_frames / file_rate:.3f} s); reading the {n_frames} frames present. "
                    "Copy the file again if it was cut short.", TruncatedAudioWarning,
                    stacklevel=2)
            frames = -1
            if duration is not None:
                frames = int(np.ceil(duration * file_rate))
            _check_size(path, file_rate, f.channels,
                        n_frames - start if frames < 0 else min(frames, n_frames - start),
                        file_rate if sample_rate is None else sample_rate)
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
    check_finite(data, path, start, file_rate)

    y = data.mean(axis=1, dtype=np.float64)
    out_rate = file_rate if sample_rate is None else sample_rate
    if duration is not None and round(duration * out_rate) < 1:
        raise ValueError(f"duration={duration} s is under one sample at {out_rate} Hz; pass a "
                         "longer duration")
    if out_rate != file_rate:
        g = gcd(out_rate, file_rate)
        y = resample_poly(y, out_rate // g, file_rate // g)
    if duration is not None:  # crop or zero-pad at the end
        n_samples = round(duration * out_rate)
        y = np.pad(y[:n_samples], (0, max(0, n_samples - y.shape[0])))
    return np.ascontiguousarray(y, dtype=dtype)


def file_stamp(path: str) -> tuple[int, int] | None:
    """Return the modification time and size of `path` (cache keys), or None."""
    st = os.stat(path) if os.path.isfile(path) else None
    return None if st is None else (st.st_mtime_ns, st.st_size)


def read_clip(
    path: str,
    sample_rate: int,
    duration: float | None,
    offset: float,
    stamp: tuple[int, int] | None,
) -> np.ndarray:
    """Decode one clip; `stamp` only keys the on-disk cache."""
    return read_audio(path, sample_rate=sample_rate, duration=duration, offset=offset)


def map_clips(
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
        # disable=None: a bar on a terminal, none in logs and pipes; tqdm draws nothing on a
        # terminal that reports a size of 0 x 0 (some editors' and remote shells'
        # pseudo-terminals), so the size falls back to $COLUMNS x $LINES, else 80 x 24
        columns, lines = shutil.get_terminal_size()
        results = tqdm(results, total=len(jobs), desc="Decoding audio", unit="clip", disable=None,
                       ncols=columns, nrows=lines)
    return list(results)
