"""Signal helpers the corpus builders share: seeded draws, resampling, levels, placing, writing."""

from __future__ import annotations

import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly


def rng(seed: int, *keys: int | str) -> np.random.Generator:
    """Generator for one item, drawn from `seed` and the item's keys (order-independent).

    Parameters
    ----------
    seed : int
        The corpus seed.
    *keys : int or str
        What identifies the item (strings are hashed with CRC-32).

    Returns
    -------
    numpy.random.Generator
    """
    ints = [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return np.random.default_rng([seed, *ints])


def resample(x: np.ndarray, ratio: float) -> np.ndarray:
    """Resample `x` to ``ratio`` times as many samples with a polyphase filter.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Signal.
    ratio : float
        Output length over input length (a rational approximation with denominators up
        to 256 is used: off by less than 0.01 %, a tenth of a cent).

    Returns
    -------
    ndarray
    """
    frac = Fraction(ratio).limit_denominator(256)
    if frac == 1:
        return x.astype(np.float64)
    return resample_poly(x, frac.numerator, frac.denominator)


def peak(x: np.ndarray) -> float:
    """Largest absolute sample of `x` (0 for an empty array)."""
    return float(np.max(np.abs(x))) if x.size else 0.0


def active(x: np.ndarray, rate: int, *, floor_db: float = -40.0) -> tuple[int, int]:
    """First and one-past-last sample of `x` whose 5-ms envelope exceeds `floor_db`.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Signal.
    rate : int
        Its sample rate in Hz.
    floor_db : float, default=-40.0
        Threshold relative to the envelope's peak.

    Returns
    -------
    start, stop : int
    """
    width = max(1, rate // 200)
    env = np.convolve(np.abs(x), np.ones(width) / width, mode="same")
    above = np.flatnonzero(env >= env.max() * 10 ** (floor_db / 20))
    return int(above[0]), int(above[-1]) + 1


def place(x: np.ndarray, length: int, offset: int, *, fade: int) -> np.ndarray:
    """`x` at sample `offset` of a zero clip of `length` samples, faded out if cut.

    Parameters
    ----------
    x : ndarray
        Sound to place.
    length : int
        Clip length in samples.
    offset : int
        Where `x` starts.
    fade : int
        Length of the linear fade applied when `x` does not fit.

    Returns
    -------
    ndarray of shape (length,)
    """
    y = np.zeros(length)
    part = x[: length - offset].astype(np.float64)
    if len(part) < len(x):
        fade = min(fade, len(part))
        part[len(part) - fade :] *= np.linspace(1.0, 0.0, fade)
    y[offset : offset + len(part)] = part
    return y


def write(path: Path, y: np.ndarray, rate: int) -> None:
    """Write `y` as 16-bit PCM WAV (clipped to [-1, 1])."""
    sf.write(path, np.clip(y, -1.0, 1.0), rate, subtype="PCM_16")
