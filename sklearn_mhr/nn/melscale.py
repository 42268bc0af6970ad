"""The mel scale and triangular mel filter matrices."""

from __future__ import annotations

import numpy as np

__all__ = ["hz_to_mel", "mel_to_hz", "mel_frequencies", "mel_filter_matrix"]


def hz_to_mel(f):
    """Convert Hz to mel (HTK formula)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    """Convert mel (HTK formula) to Hz."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_frequencies(n: int, f_min: float, f_max: float) -> np.ndarray:
    """``n`` frequencies in Hz, evenly spaced on the mel scale from ``f_min`` to ``f_max``."""
    return mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n))


def mel_filter_matrix(
    n_mels: int, n_fft: int, sample_rate: float, f_min: float = 0.0, f_max: float | None = None
) -> np.ndarray:
    """Triangular mel filters with unit area, as a matrix over rfft bins.

    Returns
    -------
    weights : ndarray of shape (n_mels, n_fft // 2 + 1)
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    edges = mel_frequencies(n_mels + 2, f_min, f_max)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= 2.0 / (upper - lower)  # unit area, so wide high bands are not louder
    return weights
