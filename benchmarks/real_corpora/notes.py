"""The instrument-note corpus: freepats notes by family, through simulated recording devices."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

from benchmarks.real_corpora import folders, sound
from benchmarks.real_corpora.gus_patch import read_gus_patch

FAMILIES = {
    "piano": tuple(range(8)),
    "mallet": tuple(range(8, 16)),
    "organ": tuple(range(16, 24)),
    "guitar": tuple(range(24, 32)),
    "bass": tuple(range(32, 40)),
    "strings": (*range(40, 47), *range(48, 52)),  # without timpani (47)
    "brass": tuple(range(56, 64)),
    "reed": tuple(range(64, 72)),
    "pipe": tuple(range(72, 80)),
}
NOTES_RATE = 44100
# recording-chain simulations: band-pass corners (Hz), soft-clipping drive, noise colour
# (power spectrum ~ 1 / f**exponent) and signal-to-noise ratio (dB)
DEVICES = {
    "b": {"band": (120.0, 8000.0), "drive": 1.2, "noise_exponent": 1.0, "snr_db": 35.0},
    "c": {"band": (350.0, 3800.0), "drive": 2.0, "noise_exponent": 2.0, "snr_db": 24.0},
}
# a cheap phone, as different from a and b as real hardware: a narrow-band voice codec's 8 kHz
# rate, a steep 300 Hz high-pass, the small loudspeaker-microphone's resonance, hard limiting,
# 8-bit mu-law samples, mains hum and hiss
PHONE = {"codec_rate": 8000, "high_pass": 300.0, "resonance_hz": 1800.0, "resonance_db": 10.0,
         "drive": 4.0, "mu_law_bits": 8, "hum_hz": 50.0, "hum_db": -26.0, "snr_db": 20.0}
TRAIN_DEVICES = ("a", "b")
EVALUATE_DEVICES = ("a", "b", "c", "d")


def _sustain(wave: dict, n: int) -> np.ndarray:
    """The wave's first `n` samples, repeating its sustain loop (zero-padded if unlooped)."""
    data = wave["data"]
    if wave["loop"] is None or len(data) >= n:
        return np.pad(data[:n], (0, max(0, n - len(data))))
    start, end = wave["loop"]
    cycle = data[start:end]
    if wave["bidirectional"] and len(cycle) > 2:
        cycle = np.concatenate([cycle, cycle[-2:0:-1]])
    reps = math.ceil((n - end) / len(cycle))
    return np.concatenate([data[:end], np.tile(cycle, reps)])[:n]


def _note(waves: list[dict], rng: np.random.Generator, length: int) -> np.ndarray:
    """One note of a patch: a wave pitched to a note near its root, held, released, placed."""
    wave = waves[int(rng.integers(len(waves)))]
    root = 69 + 12 * math.log2(wave["root"] / 440)
    notes = [m for m in range(24, 97)
             if wave["low"] <= 440 * 2 ** ((m - 69) / 12) < wave["high"]
             and abs(m - root) <= 7]
    pitch = 1.0
    if notes:
        pitch = 2 ** ((notes[int(rng.integers(len(notes)))] - root) / 12)
    hold, release = rng.uniform(0.9, 1.6), 0.3
    n_out = int((hold + release) * NOTES_RATE)
    ratio = NOTES_RATE / (wave["rate"] * pitch)
    x = sound.resample(_sustain(wave, math.ceil(n_out / ratio) + 64), ratio)[:n_out]
    t = np.arange(len(x)) / NOTES_RATE
    x *= np.where(t < hold, 1.0, 10 ** (-3 * (t - hold) / release))
    x *= 10 ** (rng.uniform(-10.0, -1.0) / 20) / max(sound.peak(x), 1e-9)
    return sound.place(x, length, int(rng.uniform(0.0, 0.1) * NOTES_RATE), fade=441)


def _coloured_noise(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise whose power spectrum falls as ``1 / f**exponent``."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n), 1.0 / n)
    noise = np.fft.irfft(spec * f ** (-exponent / 2), n)
    return noise / np.sqrt(np.mean(noise**2))


def _phone(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`x` through the cheap phone chain of `PHONE`, its corners and levels varied per clip."""
    p = PHONE
    y = resample_poly(resample_poly(x, p["codec_rate"], NOTES_RATE), NOTES_RATE, p["codec_rate"])
    y = sosfilt(butter(4, p["high_pass"] * rng.uniform(0.9, 1.1), btype="highpass",
                       fs=NOTES_RATE, output="sos"), y[: len(x)])
    centre = p["resonance_hz"] * rng.uniform(0.85, 1.15)
    peak = sosfilt(butter(2, (centre / 1.25, centre * 1.25), btype="bandpass", fs=NOTES_RATE,
                          output="sos"), y)
    y = y + (10 ** (p["resonance_db"] / 20) - 1) * peak
    y = np.tanh(p["drive"] * y / max(sound.peak(y), 1e-9)) / np.tanh(p["drive"])
    mu = 2 ** p["mu_law_bits"] - 1
    code = np.round(np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu) * (mu / 2)) / (mu / 2)
    y = np.sign(code) * np.expm1(np.abs(code) * np.log1p(mu)) / mu
    rms = np.sqrt(np.mean(y**2))
    t = np.arange(len(y)) / NOTES_RATE
    phase = rng.uniform(0, 2 * np.pi)
    hum = sum(np.sin(2 * np.pi * k * p["hum_hz"] * t + k * phase) / k for k in (1, 2, 3))
    y = y + rms * 10 ** (p["hum_db"] / 20) * hum / np.sqrt(np.mean(hum**2))
    snr = p["snr_db"] + rng.uniform(-3.0, 3.0)
    y = y + rms * 10 ** (-snr / 20) * rng.standard_normal(len(y))
    return y * rng.uniform(0.5, 1.0) / max(sound.peak(y), 1e-9)


def record(x: np.ndarray, device: str, rng: np.random.Generator) -> np.ndarray:
    """`x` as captured by a simulated device: band-pass, soft clipping, noise, gain.

    Parameters
    ----------
    x : ndarray
        Clean clip at `NOTES_RATE`.
    device : str
        ``"a"`` (returns `x` itself), a key of `DEVICES`, or ``"d"`` (`PHONE`).
    rng : numpy.random.Generator
        Draws this clip's variation of the device (corners within 10 %, SNR within
        3 dB, gain 0.8 to 1).

    Returns
    -------
    ndarray
    """
    if device == "a":
        return x
    if device == "d":
        return _phone(x, rng)
    spec = DEVICES[device]
    low, high = (c * rng.uniform(0.9, 1.1) for c in spec["band"])
    y = sosfilt(butter(2, (low, high), btype="bandpass", fs=NOTES_RATE, output="sos"), x)
    y = np.tanh(spec["drive"] * y) / np.tanh(spec["drive"])
    snr = spec["snr_db"] + rng.uniform(-3.0, 3.0)
    y += (np.sqrt(np.mean(y**2)) * 10 ** (-snr / 20)
          * _coloured_noise(len(y), spec["noise_exponent"], rng))
    return y * rng.uniform(0.8, 1.0)


def build_notes(
    pkgs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    sources_per_family: int = 54,
    duration: float = 2.0,
) -> Path:
    """Build the instrument-note corpus (DCASE2020 Task 1A layout).

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding ``usr/share/midi/freepats/Tone_000/<program>_<name>.pat``.
    out : str or os.PathLike
        Corpus folder to (re)build: ``out/audio/<family>-p<program>-<k>-<device>.wav``,
        ``out/meta.csv`` and ``out/evaluation_setup/fold1_{train,evaluate}.csv``.
    seed : int, default=0
        Seed of every random choice.
    sources_per_family : int, default=54
        Notes per family, shared out evenly among its patches.
    duration : float, default=2.0
        Clip length in seconds.

    Returns
    -------
    pathlib.Path
        `out`.

    Raises
    ------
    RuntimeError
        If fewer than two families have at least two patches.
    """
    out = Path(out)
    tone_dir = Path(pkgs) / "usr" / "share" / "midi" / "freepats" / "Tone_000"
    patches: dict[str, list[Path]] = {f: [] for f in FAMILIES}
    for path in sorted(tone_dir.glob("*.pat")):
        program = int(path.name.split("_", 1)[0])
        for family, programs in FAMILIES.items():
            if program in programs:
                patches[family].append(path)
    patches = {f: p for f, p in patches.items() if len(p) >= 2}
    if len(patches) < 2:
        raise RuntimeError(f"Fewer than two families have two patches under {tone_dir}.")
    tmp = folders.fresh(out)
    (tmp / "audio").mkdir()
    length = round(duration * NOTES_RATE)
    meta, train, evaluate = [], [], []
    for family, paths in patches.items():
        order = sound.rng(seed, "notes-split", family).permutation(len(paths))
        held = set(order[: max(1, round(len(paths) / 3))].tolist())
        for p, path in enumerate(paths):
            waves = read_gus_patch(path)
            program = int(path.name.split("_", 1)[0])
            count = sources_per_family // len(paths) + (p < sources_per_family % len(paths))
            devices, listing = (EVALUATE_DEVICES, evaluate) if p in held else (
                TRAIN_DEVICES, train)
            for k in range(count):
                source = f"p{program:03d}-{k:03d}"
                clean = _note(waves, sound.rng(seed, "notes", program, k), length)
                for device in devices:
                    y = record(clean, device, sound.rng(seed, "notes", program, k, device))
                    name = f"audio/{family}-{source}-{device}.wav"
                    sound.write(tmp / name, y, NOTES_RATE)
                    meta.append([name, family, source, device])
                    listing.append([name, family])
    folders.write_table(tmp / "meta.csv",
                        ["filename", "scene_label", "identifier", "source_label"], meta,
                        delimiter="\t")
    setup = tmp / "evaluation_setup"
    folders.write_table(setup / "fold1_train.csv", ["filename", "scene_label"], train,
                        delimiter="\t")
    folders.write_table(setup / "fold1_evaluate.csv", ["filename", "scene_label"], evaluate,
                        delimiter="\t")
    return folders.commit(tmp, out)
