"""The spoken-words corpus: command words from flite's voices, one voice held out."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.real_corpora import folders, sound

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
# voice -> (speaker, approximate mean F0 in Hz of its default prosody)
VOICES = {
    "awb": ("awb", 135.0),
    "kal": ("kal", 90.0),
    "kal16": ("kal", 90.0),
    "rms": ("rms", 107.0),
    "slt": ("slt", 170.0),
}
WORDS_RATE = 16000


def _flite(pkgs: Path) -> tuple[Path, dict[str, str]]:
    """The unpacked flite binary and the environment that finds its libraries."""
    binary = pkgs / "usr" / "bin" / "flite"
    libs = [str(p) for p in sorted((pkgs / "usr" / "lib").glob("*-linux-gnu"))]
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join([*libs, env.get("LD_LIBRARY_PATH", "")])
    return binary, env


def build_words(
    pkgs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    words: tuple[str, ...] = WORDS,
    renditions: int = 20,
    test_speaker: str = "awb",
) -> Path:
    """Build the spoken-words corpus (folder layout) and its ``words_split.json``.

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding ``usr/bin/flite`` and its libraries under
        ``usr/lib/<arch>-linux-gnu``.
    out : str or os.PathLike
        Corpus folder to (re)build: ``out/<word>/<voice>_<word>_<index>.wav``. The split
        is written beside it, as ``<out name>_split.json``.
    seed : int, default=0
        Seed of every random choice.
    words : tuple of str, default=WORDS
        Words to speak (the classes).
    renditions : int, default=20
        Clips per word and voice.
    test_speaker : str, default="awb"
        Speaker whose voices are held out for test (a key of `VOICES` or a speaker
        name, e.g. "kal" for kal and kal16).

    Returns
    -------
    pathlib.Path
        `out`.

    Raises
    ------
    RuntimeError
        If flite knows none of the voices in `VOICES`.
    ValueError
        If `test_speaker` has none of the voices flite lists.
    """
    out = Path(out)
    binary, env = _flite(Path(pkgs))
    listed = subprocess.run([str(binary), "-lv"], env=env, capture_output=True, text=True,
                            check=True).stdout.split(":")[-1].split()
    voices = [v for v in VOICES if v in listed]
    if not voices:
        raise RuntimeError(f"{binary} lists voices {listed}, none of {sorted(VOICES)}.")
    tmp = folders.fresh(out)
    spoken = tmp / ".flite.wav"
    length = WORDS_RATE
    for word in words:
        (tmp / word).mkdir()
        for voice in voices:
            for i in range(renditions):
                rng = sound.rng(seed, "words", voice, word, i)
                stretch = rng.uniform(0.8, 1.3)
                f0 = VOICES[voice][1] * rng.uniform(0.85, 1.2)
                subprocess.run(
                    [str(binary), "-voice", voice,
                     "--setf", f"duration_stretch={stretch:.3f}",
                     "--setf", f"int_f0_target_mean={f0:.1f}",
                     "-t", word, "-o", str(spoken)],
                    env=env, check=True, capture_output=True)
                x, rate = sf.read(spoken, dtype="float64", always_2d=True)
                x = sound.resample(x.mean(axis=1), WORDS_RATE / rate)
                start, stop = sound.active(x, WORDS_RATE)
                x = x[start:stop]
                x = sound.place(x, min(len(x), int(0.95 * length)), 0, fade=160)
                x *= 10 ** (rng.uniform(-12.0, -1.0) / 20) / max(sound.peak(x), 1e-9)
                y = sound.place(x, length, int(rng.integers(0, length - len(x) + 1)), fade=160)
                rms = np.sqrt(np.mean(x**2))
                y += rms * 10 ** (-rng.uniform(25.0, 40.0) / 20) * rng.standard_normal(length)
                sound.write(tmp / word / f"{voice}_{word}_{i:02d}.wav", y, WORDS_RATE)
    spoken.unlink(missing_ok=True)
    held = VOICES.get(test_speaker, (test_speaker,))[0]
    test_groups = [v for v in voices if VOICES[v][0] == held]
    if not test_groups:
        raise ValueError(f"test_speaker={test_speaker!r} is none of the voices flite lists: "
                         f"{voices}")
    split = out.with_name(out.name + "_split.json")
    split.write_text(json.dumps({"test_groups": test_groups}, indent=1) + "\n")
    return folders.commit(tmp, out)
