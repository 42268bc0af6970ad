"""The instrument-note corpus: freepats notes by family, through simulated recording devices."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from benchmarks.real_corpora import devices, folders, sound
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
    "b": devices.MILD,
    "c": {"band": (350.0, 3800.0), "drive": 2.0, "noise_exponent": 2.0, "snr_db": 24.0},
}
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


def record(x: np.ndarray, device: str, rng: np.random.Generator) -> np.ndarray:
    """`x` as captured by a simulated device: band-pass, soft clipping, noise, gain.

    Parameters
    ----------
    x : ndarray
        Clean clip at `NOTES_RATE`.
    device : str
        ``"a"`` (returns `x` itself), a key of `DEVICES`, or ``"d"``
        (`devices.PHONE`).
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
        return devices.phone(x, rng, NOTES_RATE)
    return devices.band_chain(x, DEVICES[device], rng, NOTES_RATE)


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
    folders.write_dcase_tables(tmp, meta, {"train": train, "evaluate": evaluate})
    return folders.commit(tmp, out)
