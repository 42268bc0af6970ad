"""The spoken-words corpora: command words from flite's voices, and from flite's and festival's."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.real_corpora import festival, folders, sound
from benchmarks.real_corpora.packages import unpacked_env

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
# the voices corpus' test speakers: two male, two female, three synthesisers' languages
VOICES_TEST_SPEAKERS = ("awb", "pc", "lj", "dita")


def _flite(pkgs: Path) -> tuple[Path, dict[str, str]]:
    """The unpacked flite binary and the environment that finds its libraries."""
    return pkgs / "usr" / "bin" / "flite", unpacked_env(pkgs)


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
    voices = _flite_voices(binary, env)
    if not voices:
        raise RuntimeError(f"{binary} lists none of the voices {sorted(VOICES)}.")
    tmp = folders.fresh(out)
    spoken = tmp / ".flite.wav"
    for word in words:
        (tmp / word).mkdir()
        for voice in voices:
            for i in range(renditions):
                _flite_clip(binary, env, voice, word, sound.rng(seed, "words", voice, word, i),
                            spoken, tmp / word / f"{voice}_{word}_{i:02d}.wav")
    spoken.unlink(missing_ok=True)
    speakers = {v: VOICES[v][0] for v in voices}
    _write_split(out, speakers, [test_speaker])
    return folders.commit(tmp, out)


def build_voices(
    pkgs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    words: tuple[str, ...] = WORDS,
    renditions: int = 10,
    test_speakers: tuple[str, ...] = VOICES_TEST_SPEAKERS,
) -> Path:
    """Build the many-voice spoken-words corpus (folder layout) and its ``voices_split.json``.

    The words of `build_words`, spoken by flite's voices and by festival's
    (`festival.FESTIVAL_VOICES`: American English, Italian, Finnish, Russian, Catalan and
    Czech speakers reading the English words with their own language's rules, so with
    their accents). Flite's clips vary as in `build_words`; festival's with a random
    speaking rate (``Duration_Stretch`` 0.8 to 1.3) and a random pitch and formant shift
    (the voice resampled by 0.92 to 1.08), then the same gain, position and noise.

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding flite (as for `build_words`) and festival (as for
        `festival.synthesise`).
    out : str or os.PathLike
        Corpus folder to (re)build: ``out/<word>/<voice>_<word>_<index>.wav``; the split
        is written beside it, as ``<out name>_split.json``.
    seed : int, default=0
        Seed of every random choice.
    words : tuple of str, default=WORDS
        Words to speak (the classes).
    renditions : int, default=10
        Clips per word and voice.
    test_speakers : tuple of str, default=VOICES_TEST_SPEAKERS
        Speakers whose voices are held out for test (two male, two female, from
        different synthesisers and languages).

    Returns
    -------
    pathlib.Path
        `out`.

    Raises
    ------
    RuntimeError
        If flite or festival knows none of its voices, or festival fails.
    ValueError
        If a test speaker has no voice.
    """
    out = Path(out)
    binary, env = _flite(Path(pkgs))
    flite_voices = _flite_voices(binary, env)
    festival_voices = festival.available_voices(pkgs)
    if not flite_voices or not festival_voices:
        raise RuntimeError(f"the voices corpus needs flite's and festival's voices; found "
                           f"flite {flite_voices}, festival {festival_voices} under {pkgs}")
    tmp = folders.fresh(out)
    spoken = tmp / ".spoken"
    spoken.mkdir()
    for word in words:
        (tmp / word).mkdir()
    for voice in flite_voices:
        for word in words:
            for i in range(renditions):
                _flite_clip(binary, env, voice, word, sound.rng(seed, "voices", voice, word, i),
                            spoken / "flite.wav", tmp / word / f"{voice}_{word}_{i:02d}.wav")
    for voice in festival_voices:
        items, rngs = [], []
        for word in words:
            for i in range(renditions):
                rng = sound.rng(seed, "voices", voice, word, i)
                items.append((word, rng.uniform(0.8, 1.3), spoken / f"{voice}_{word}_{i:02d}.wav"))
                rngs.append(rng)
        festival.synthesise(pkgs, voice, items, spoken)
        for (word, _, path), rng in zip(items, rngs, strict=True):
            x, rate = sf.read(path, dtype="float64", always_2d=True)
            shift = rng.uniform(0.92, 1.08)  # read faster or slower: pitch and formants move
            sound.write(tmp / word / path.name, _clip(x.mean(axis=1), rate * shift, rng),
                        WORDS_RATE)
            path.unlink()
    (spoken / "flite.wav").unlink(missing_ok=True)
    spoken.rmdir()
    speakers = {v: VOICES[v][0] for v in flite_voices}
    speakers |= {v: festival.FESTIVAL_VOICES[v][1] for v in festival_voices}
    _write_split(out, speakers, test_speakers)
    return folders.commit(tmp, out)


def _flite_voices(binary: Path, env: dict[str, str]) -> list[str]:
    """The keys of `VOICES` that flite lists, in `VOICES`' order."""
    listed = subprocess.run([str(binary), "-lv"], env=env, capture_output=True, text=True,
                            check=True).stdout.split(":")[-1].split()
    return [v for v in VOICES if v in listed]


def _flite_clip(binary: Path, env: dict[str, str], voice: str, word: str,
                rng: np.random.Generator, scratch: Path, path: Path) -> None:
    """Speak `word` into `scratch` and write it to `path` as a clip, all drawn from `rng`.

    The speaking rate and mean pitch are random, then as `_clip` places the word.
    """
    stretch = rng.uniform(0.8, 1.3)
    f0 = VOICES[voice][1] * rng.uniform(0.85, 1.2)
    subprocess.run(
        [str(binary), "-voice", voice,
         "--setf", f"duration_stretch={stretch:.3f}",
         "--setf", f"int_f0_target_mean={f0:.1f}",
         "-t", word, "-o", str(scratch)],
        env=env, check=True, capture_output=True)
    x, rate = sf.read(scratch, dtype="float64", always_2d=True)
    sound.write(path, _clip(x.mean(axis=1), rate, rng), WORDS_RATE)


def _clip(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A spoken word as a 1 s clip: trimmed, at a random gain and place, with a little noise."""
    length = WORDS_RATE
    x = sound.resample(x, WORDS_RATE / rate)
    start, stop = sound.active(x, WORDS_RATE)
    x = x[start:stop]
    x = sound.place(x, min(len(x), int(0.95 * length)), 0, fade=160)
    x *= 10 ** (rng.uniform(-12.0, -1.0) / 20) / max(sound.peak(x), 1e-9)
    y = sound.place(x, length, int(rng.integers(0, length - len(x) + 1)), fade=160)
    rms = np.sqrt(np.mean(x**2))
    y += rms * 10 ** (-rng.uniform(25.0, 40.0) / 20) * rng.standard_normal(length)
    return y


def _write_split(out: Path, speakers: dict[str, str], test_speakers) -> None:
    """Write ``<out name>_split.json`` holding out every voice of `test_speakers`.

    `speakers` maps each voice built to its speaker; a test speaker may also be named by
    one of its voices. Raises ValueError when a test speaker has no voice built.
    """
    test_groups = []
    for held in test_speakers:
        held = speakers.get(held, held)
        voices = [v for v, s in speakers.items() if s == held]
        if not voices:
            raise ValueError(f"test speaker {held!r} has none of the voices built: "
                             f"{sorted(speakers)}")
        test_groups += voices
    split = out.with_name(out.name + "_split.json")
    split.write_text(json.dumps({"test_groups": test_groups}, indent=1) + "\n")
