"""Simulated recording devices the corpus builders share: a band-pass chain and a cheap phone."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

from benchmarks.real_corpora import sound

# a mild recording chain: band-pass corners (Hz), soft-clipping drive, noise colour (power
# spectrum ~ 1 / f**exponent) and signal-to-noise ratio (dB), for `band_chain`
MILD = {"band": (120.0, 8000.0), "drive": 1.2, "noise_exponent": 1.0, "snr_db": 35.0}
# a cheap phone, as different from a clean recording as real hardware: a narrow-band voice
# codec's 8 kHz rate, a steep 300 Hz high-pass, the small loudspeaker-microphone's resonance,
# hard limiting, 8-bit mu-law samples, mains hum and hiss
PHONE = {"codec_rate": 8000, "high_pass": 300.0, "resonance_hz": 1800.0, "resonance_db": 10.0,
         "drive": 4.0, "mu_law_bits": 8, "hum_hz": 50.0, "hum_db": -26.0, "snr_db": 20.0}


def coloured_noise(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise whose power spectrum falls as ``1 / f**exponent``."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spec * f ** (-exponent / 2), n)
    return noise / np.sqrt(np.mean(noise**2))


def band_chain(x: np.ndarray, spec: dict, rng: np.random.Generator, rate: int) -> np.ndarray:
    """`x` through a band-pass, soft clipping, coloured noise and a gain.

    Parameters
    ----------
    x : ndarray
        Clean clip.
    spec : dict
        ``band`` (low and high corners in Hz), ``drive`` (soft-clipping gain),
        ``noise_exponent`` (noise power ~ 1 / f**exponent) and ``snr_db``.
    rng : numpy.random.Generator
        Draws this clip's variation (corners within 10 %, SNR within 3 dB, gain 0.8 to 1).
    rate : int
        Sample rate of `x` in Hz.

    Returns
    -------
    ndarray
    """
    low, high = (c * rng.uniform(0.9, 1.1) for c in spec["band"])
    y = sosfilt(butter(2, (low, high), btype="bandpass", fs=rate, output="sos"), x)
    y = np.tanh(spec["drive"] * y) / np.tanh(spec["drive"])
    snr = spec["snr_db"] + rng.uniform(-3.0, 3.0)
    y += (np.sqrt(np.mean(y**2)) * 10 ** (-snr / 20)
          * coloured_noise(len(y), spec["noise_exponent"], rng))
    return y * rng.uniform(0.8, 1.0)


def phone(x: np.ndarray, rng: np.random.Generator, rate: int) -> np.ndarray:
    """`x` through the cheap phone chain of `PHONE`, its corners and levels varied per clip.

    Parameters
    ----------
    x : ndarray
        Clean clip.
    rng : numpy.random.Generator
        Draws this clip's variation (high-pass within 10 %, resonance within 15 %,
        SNR within 3 dB, hum phase, peak 0.5 to 1).
    rate : int
        Sample rate of `x` in Hz.

    Returns
    -------
    ndarray
    """
    p = PHONE
    y = resample_poly(resample_poly(x, p["codec_rate"], rate), rate, p["codec_rate"])
    y = sosfilt(butter(4, p["high_pass"] * rng.uniform(0.9, 1.1), btype="highpass",
                       fs=rate, output="sos"), y[: len(x)])
    centre = p["resonance_hz"] * rng.uniform(0.85, 1.15)
    peak = sosfilt(butter(2, (centre / 1.25, centre * 1.25), btype="bandpass", fs=rate,
                          output="sos"), y)
    y = y + (10 ** (p["resonance_db"] / 20) - 1) * peak
    y = np.tanh(p["drive"] * y / max(sound.peak(y), 1e-9)) / np.tanh(p["drive"])
    mu = 2 ** p["mu_law_bits"] - 1
    code = np.round(np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu) * (mu / 2)) / (mu / 2)
    y = np.sign(code) * np.expm1(np.abs(code) * np.log1p(mu)) / mu
    rms = np.sqrt(np.mean(y**2))
    t = np.arange(len(y)) / rate
    phase = rng.uniform(0, 2 * np.pi)
    hum = sum(np.sin(2 * np.pi * k * p["hum_hz"] * t + k * phase) / k for k in (1, 2, 3))
    y = y + rms * 10 ** (p["hum_db"] / 20) * hum / np.sqrt(np.mean(hum**2))
    snr = p["snr_db"] + rng.uniform(-3.0, 3.0)
    y = y + rms * 10 ** (-snr / 20) * rng.standard_normal(len(y))
    return y * rng.uniform(0.5, 1.0) / max(sound.peak(y), 1e-9)
