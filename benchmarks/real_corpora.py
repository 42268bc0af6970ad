"""Three small corpora of real recorded and sampled sound, built from Debian packages.

They serve a development benchmark (choosing model defaults on real sound rather than on
generated scenes) and are written into a cache folder outside the repository, never
committed. Each corpus is about a thousand clips, laid out exactly as one of the project's
loaders reads it, with a split that tests generalisation to unseen sources:

``words`` (``load_audio_folder`` layout, 16 kHz mono, 1 s clips)
    Ten spoken command words (yes, no, up, down, left, right, on, off, stop, go) from the
    ``flite`` synthesiser, whose voices are built from recordings of different speakers:
    awb, kal, kal16 (kal16 is the same speaker as kal, from a 16 kHz recording), rms and
    slt. Each word is spoken 20 times per voice with a random speaking rate
    (``duration_stretch`` 0.8 to 1.3) and mean pitch (``int_f0_target_mean``, 0.85 to 1.2
    times the voice's own), random gain, position in the clip and a little white noise.
    Files are ``words/<word>/<voice>_<word>_<index>.wav``; the group of a clip is the
    file-name prefix before the first underscore (the voice). ``words_split.json``, beside
    the corpus folder, names the voices held out for test (``{"test_groups": [...]}``):
    one male speaker (awb by default), so that training keeps a female voice (slt) and
    the test measures generalisation to a new speaker rather than to a new sex from three
    male speakers.

``drums`` (``load_urbansound8k`` layout, 22050 Hz mono, 1 s clips)
    Drum one-shots from the Hydrogen drum kits (``hydrogen-drumkits``), classified by
    instrument type from the instrument names in each kit's ``drumkit.xml`` (kick, snare,
    hihat_closed, hihat_open, tom, crash, ride, clap; a class is kept when at least half
    the kits have it, and kits with fewer than 4 classes are left out). Every kit and
    class gets 12 clips drawn from its velocity layers and samples, each resampled by a
    random 0.95 to 1.05 pitch factor, with a random gain and onset offset. ``fold`` is a
    group of kits (5 folds, kits dealt in a seeded order), so a test fold holds kits never
    seen in training; ``fsID`` is the kit's index (``drums_kits.json`` beside the corpus
    names the kits), ``start``/``end`` the part of the sample file used, ``salience`` 1.

``notes`` (``load_dcase2020_task1a`` layout, 44100 Hz mono, 2 s clips)
    Single notes of sampled instruments from ``freepats`` (Gravis UltraSound ``.pat``
    patches, read by the parser below), in 9 classes by General MIDI family: piano,
    mallet, organ, guitar, bass, strings, brass, reed, pipe. A source is one note: a wave
    of a patch, pitched by resampling to a note within 7 semitones of its root, held 0.9
    to 1.6 s and released. Within each family a third of the patches (at least one) are
    for evaluation only, so test notes come from instruments unseen in training. Devices:
    ``a`` is the clean note; ``b`` and ``c`` simulate recording chains (band-pass, soft
    clipping, coloured noise, gain; ``c`` narrower and noisier); ``d`` a cheap phone (an
    8 kHz codec's band, a steep 300 Hz high-pass, a 10 dB resonance near 1.8 kHz, hard
    limiting, 8-bit mu-law samples, 50 Hz hum and hiss). Training sources are written as
    devices a and b, evaluation sources as a, b, c and d: devices c and d are never seen
    in training. ``identifier`` is the source (shared by its device versions),
    ``scene_label`` the family.

The packages are fetched with ``apt-get download`` into ``<cache>/debs`` and unpacked with
``dpkg-deb -x`` into ``<cache>/pkgs`` (nothing is installed); both steps are skipped when
done. A corpus is built only when its folder is missing (or with ``--force``), into a
temporary folder renamed at the end, so an interrupted build leaves nothing half-written.
Everything is drawn from ``--seed``.

Usage::

    python -m benchmarks.real_corpora                        # all three, ~/.cache/sklearn-mhr-bench
    python -m benchmarks.real_corpora --only words,notes --force
    python -m benchmarks.real_corpora --cache /data/bench --seed 1

and then, e.g., ``load_audio_folder(cache / "words", sample_rate=16000, duration=1.0)``,
``load_urbansound8k(cache / "drums", duration=1.0)`` or
``load_dcase2020_task1a(cache / "notes", duration=2.0)``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import struct
import subprocess
import time
import xml.etree.ElementTree as ET
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

DEFAULT_CACHE = Path("~/.cache/sklearn-mhr-bench")
CORPORA = ("words", "drums", "notes")
PACKAGES = {
    "words": ("flite", "libflite1"),
    "drums": ("hydrogen-drumkits",),
    "notes": ("freepats",),
}

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

DRUM_CLASSES = (
    "kick",
    "snare",
    "hihat_closed",
    "hihat_open",
    "tom",
    "crash",
    "ride",
    "clap",
)
# instrument names with one of these words are none of the classes (snare rolls, half-open
# hi-hats); other hi-hats that are neither open nor closed (pedal, choke, ...) are left out by
# drum_class itself
DRUM_EXCLUDE = {"roll", "semi"}
DRUMS_RATE = 22050

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


# ------------------------------------------------------------------ helpers
def _rng(seed: int, *keys: int | str) -> np.random.Generator:
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


def _resample(x: np.ndarray, ratio: float) -> np.ndarray:
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


def _peak(x: np.ndarray) -> float:
    """Largest absolute sample of `x` (0 for an empty array)."""
    return float(np.max(np.abs(x))) if x.size else 0.0


def _active(x: np.ndarray, rate: int, *, floor_db: float = -40.0) -> tuple[int, int]:
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


def _place(x: np.ndarray, length: int, offset: int, *, fade: int) -> np.ndarray:
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


def _write(path: Path, y: np.ndarray, rate: int) -> None:
    """Write `y` as 16-bit PCM WAV (clipped to [-1, 1])."""
    sf.write(path, np.clip(y, -1.0, 1.0), rate, subtype="PCM_16")


def _fresh(out: Path) -> Path:
    """Empty temporary folder beside `out` in which a corpus is built."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def _commit(tmp: Path, out: Path) -> Path:
    """Replace `out` by the finished build `tmp`; return `out`."""
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _write_table(path: Path, header: list[str], rows: list[list], *, delimiter: str) -> None:
    """Write a CSV/TSV table with a header row, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --------------------------------------------------------------- packages
def ensure_packages(cache: Path, names: list[str]) -> Path:
    """Download and unpack Debian packages, skipping what is already done.

    Parameters
    ----------
    cache : pathlib.Path
        Cache folder; ``.deb`` files go to ``cache/debs``, their contents to
        ``cache/pkgs`` (a marker ``cache/pkgs/.unpacked/<deb>`` records each unpacking).
    names : list of str
        Package names, fetched with ``apt-get download``.

    Returns
    -------
    pathlib.Path
        The unpacked tree, ``cache/pkgs``.
    """
    debs, pkgs = cache / "debs", cache / "pkgs"
    markers = pkgs / ".unpacked"
    debs.mkdir(parents=True, exist_ok=True)
    markers.mkdir(parents=True, exist_ok=True)
    for name in names:
        found = sorted(debs.glob(f"{name}_*.deb"))
        if not found:
            print(f"downloading {name}", flush=True)
            subprocess.run(["apt-get", "download", name], cwd=debs, check=True)
            found = sorted(debs.glob(f"{name}_*.deb"))
        deb = found[-1]
        if not (markers / deb.name).exists():
            print(f"unpacking {deb.name}", flush=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(pkgs)], check=True)
            (markers / deb.name).touch()
    return pkgs


# ------------------------------------------------------------------- words
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
    tmp = _fresh(out)
    spoken = tmp / ".flite.wav"
    length = WORDS_RATE
    for word in words:
        (tmp / word).mkdir()
        for voice in voices:
            for i in range(renditions):
                rng = _rng(seed, "words", voice, word, i)
                stretch = rng.uniform(0.8, 1.3)
                f0 = VOICES[voice][1] * rng.uniform(0.85, 1.2)
                subprocess.run(
                    [str(binary), "-voice", voice,
                     "--setf", f"duration_stretch={stretch:.3f}",
                     "--setf", f"int_f0_target_mean={f0:.1f}",
                     "-t", word, "-o", str(spoken)],
                    env=env, check=True, capture_output=True)
                x, rate = sf.read(spoken, dtype="float64", always_2d=True)
                x = _resample(x.mean(axis=1), WORDS_RATE / rate)
                start, stop = _active(x, WORDS_RATE)
                x = x[start:stop]
                x = _place(x, min(len(x), int(0.95 * length)), 0, fade=160)
                x *= 10 ** (rng.uniform(-12.0, -1.0) / 20) / max(_peak(x), 1e-9)
                y = _place(x, length, int(rng.integers(0, length - len(x) + 1)), fade=160)
                rms = np.sqrt(np.mean(x**2))
                y += rms * 10 ** (-rng.uniform(25.0, 40.0) / 20) * rng.standard_normal(length)
                _write(tmp / word / f"{voice}_{word}_{i:02d}.wav", y, WORDS_RATE)
    spoken.unlink(missing_ok=True)
    held = VOICES.get(test_speaker, (test_speaker,))[0]
    test_groups = [v for v in voices if VOICES[v][0] == held]
    if not test_groups:
        raise ValueError(f"test_speaker={test_speaker!r} is none of the voices flite lists: "
                         f"{voices}")
    split = out.with_name(out.name + "_split.json")
    split.write_text(json.dumps({"test_groups": test_groups}, indent=1) + "\n")
    return _commit(tmp, out)


# ------------------------------------------------------------------- drums
def drum_class(name: str) -> str | None:
    """Instrument type of a Hydrogen instrument name, or None when it is none of the classes.

    Parameters
    ----------
    name : str
        Instrument name from ``drumkit.xml``, e.g. ``"Hi-Hat Closed (Paiste 14\")"``.

    Returns
    -------
    str or None
        One of `DRUM_CLASSES`.
    """
    tokens = re.findall(r"[a-z]+", name.lower())
    words = set(tokens)

    def starts(prefix: str) -> bool:
        return any(t.startswith(prefix) for t in tokens)

    if words & DRUM_EXCLUDE:
        return None
    if words & {"hh", "hat", "hihat"}:
        if words & {"open", "opened", "op"}:
            return "hihat_open"
        if words & {"closed", "cl"}:
            return "hihat_closed"
        return None
    if words & {"kick", "bassdrum", "bd"} or {"bass", "drum"} <= words:
        return "kick"
    if starts("snare"):
        return "snare"
    if starts("tom"):
        return "tom"
    crash, ride = starts("crash"), starts("ride")
    if crash != ride:
        return "crash" if crash else "ride"
    if starts("clap"):
        return "clap"
    return None


def _local(tag: str) -> str:
    """XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def read_drumkit(kit: Path) -> dict[str, list[Path]]:
    """Sample files per instrument type of one Hydrogen kit.

    Parameters
    ----------
    kit : pathlib.Path
        Kit folder holding ``drumkit.xml`` and the sample files it names.

    Returns
    -------
    dict of str to list of pathlib.Path
        Class -> existing, non-silent sample files (every velocity layer of every
        instrument of that type, each file once), for the classes the kit has.
    """
    root = ET.parse(kit / "drumkit.xml").getroot()
    found: dict[str, list[Path]] = {}
    for inst in root.iter():
        if _local(inst.tag) != "instrument":
            continue
        name = next((c.text or "" for c in inst if _local(c.tag) == "name"), "")
        label = drum_class(name)
        if label is None:
            continue
        for el in inst.iter():
            if _local(el.tag) != "filename" or not el.text:
                continue
            path = kit / el.text.strip()
            files = found.setdefault(label, [])
            if path.is_file() and path not in files and _peak(sf.read(path)[0]) > 1e-3:
                files.append(path)
    return {label: files for label, files in found.items() if files}


def _drum_clip(
    path: Path, rng: np.random.Generator, length: int
) -> tuple[np.ndarray, float, float]:
    """One rendition of a drum sample: pitched, placed and scaled; with its source span."""
    info = sf.info(path)
    x, rate = sf.read(path, frames=int(3 * info.samplerate), dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    onset = max(0, _active(x, rate)[0] - rate // 500)
    pitch = rng.uniform(0.95, 1.05)
    seg = x[onset : onset + int(1.1 * rate * pitch)]
    seg = _resample(seg, DRUMS_RATE / (rate * pitch))
    seg *= 10 ** (rng.uniform(-12.0, -1.0) / 20) / max(_peak(seg), 1e-9)
    offset = int(rng.uniform(0.0, 0.05) * DRUMS_RATE)
    y = _place(seg, length, offset, fade=int(0.03 * DRUMS_RATE))
    used = min(len(x) - onset, (length - offset) * rate * pitch / DRUMS_RATE)
    return y, onset / rate, (onset + used) / rate


def build_drums(
    pkgs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    per_kit_class: int = 12,
    n_folds: int = 5,
    min_classes: int = 4,
) -> Path:
    """Build the drum one-shot corpus (UrbanSound8K layout) and its ``drums_kits.json``.

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding ``usr/share/hydrogen/data/drumkits/<kit>/drumkit.xml``.
    out : str or os.PathLike
        Corpus folder to (re)build: ``out/metadata/UrbanSound8K.csv`` and
        ``out/audio/fold<k>/<fsID>-<classID>-<sample>-<clip>.wav``. The kit names, by
        fsID, are written beside it as ``<out name>_kits.json``.
    seed : int, default=0
        Seed of every random choice.
    per_kit_class : int, default=12
        Clips per kit and class.
    n_folds : int, default=5
        Folds the kits are dealt into (at most 10, the loader's limit).
    min_classes : int, default=4
        Kits with fewer of the classes are left out.

    Returns
    -------
    pathlib.Path
        `out`.

    Raises
    ------
    RuntimeError
        If fewer than `n_folds` kits qualify.
    """
    out = Path(out)
    kits_dir = Path(pkgs) / "usr" / "share" / "hydrogen" / "data" / "drumkits"
    kits = {}
    for kit in sorted(p for p in kits_dir.iterdir() if (p / "drumkit.xml").is_file()):
        classes = read_drumkit(kit)
        if len(classes) >= min_classes:
            kits[kit.name] = classes
    if len(kits) < n_folds:
        raise RuntimeError(f"{len(kits)} kits under {kits_dir} have {min_classes} classes; "
                           f"{n_folds} folds need at least {n_folds}.")
    kept = [c for c in DRUM_CLASSES if 2 * sum(c in k for k in kits.values()) >= len(kits)]
    rank = np.argsort(_rng(seed, "drums-folds").permutation(len(kits)))
    fold_of = {name: 1 + int(r) % n_folds for name, r in zip(kits, rank, strict=True)}
    tmp = _fresh(out)
    length = DRUMS_RATE
    rows = []
    for fs_id, (name, classes) in enumerate(kits.items()):
        fold = fold_of[name]
        (tmp / "audio" / f"fold{fold}").mkdir(parents=True, exist_ok=True)
        for class_id, label in enumerate(kept):
            files = classes.get(label, [])
            if not files:
                continue
            rng = _rng(seed, "drums", name, label)
            picks = rng.permutation(per_kit_class) % len(files)
            for clip, sample in enumerate(picks):
                y, start, end = _drum_clip(files[sample], rng, length)
                fname = f"{fs_id}-{class_id}-{sample}-{clip}.wav"
                _write(tmp / "audio" / f"fold{fold}" / fname, y, DRUMS_RATE)
                rows.append([fname, fs_id, round(start, 6), round(end, 6), 1, fold,
                             class_id, label])
    _write_table(tmp / "metadata" / "UrbanSound8K.csv",
                 ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID",
                  "class"], rows, delimiter=",")
    out.with_name(out.name + "_kits.json").write_text(json.dumps(
        {str(i): {"kit": name, "fold": fold_of[name]} for i, name in enumerate(kits)},
        indent=1) + "\n")
    return _commit(tmp, out)


# ------------------------------------------------------------------- notes
def read_gus_patch(path: str | os.PathLike) -> list[dict]:
    """Waves of a Gravis UltraSound patch (``.pat``) file.

    The format: a 129-byte header (``GF1PATCH110``/``GF1PATCH100``, description, counts),
    a 63-byte instrument header, and per layer a 47-byte layer header followed by its
    waves, each a 96-byte header and its PCM data. Only the first instrument is read (the
    files hold one).

    Parameters
    ----------
    path : str or os.PathLike
        The patch file.

    Returns
    -------
    list of dict
        One per wave: ``data`` (float64 in [-1, 1]), ``rate`` (Hz), ``low``, ``high``
        (key range, Hz), ``root`` (frequency of the recorded note, Hz), ``loop`` (start
        and end sample of the sustain loop, or None) and ``bidirectional`` (bool).

    Raises
    ------
    ValueError
        If the file is not a GUS patch or is truncated.
    """
    raw = Path(path).read_bytes()
    if raw[:8] != b"GF1PATCH" or len(raw) < 129 + 63:
        raise ValueError(f"{path} is not a GUS patch file.")
    (n_layers,) = struct.unpack_from("<B", raw, 129 + 22)
    pos = 129 + 63
    waves = []
    for _ in range(n_layers):
        (n_waves,) = struct.unpack_from("<B", raw, pos + 6)
        pos += 47
        for _ in range(n_waves):
            (size, loop_start, loop_end, rate, low, high, root) = struct.unpack_from(
                "<IIIHIII", raw, pos + 8)
            modes = raw[pos + 55]
            pos += 96
            if pos + size > len(raw):
                raise ValueError(f"{path}: wave data runs past the end of the file.")
            width = 2 if modes & 0x01 else 1
            data = np.frombuffer(raw, dtype=f"<{'u' if modes & 0x02 else 'i'}{width}",
                                 count=size // width, offset=pos).astype(np.float64)
            if modes & 0x02:
                data -= 2 ** (8 * width - 1)
            data /= 2 ** (8 * width - 1)
            pos += size
            loop = (loop_start // width, loop_end // width)
            waves.append({
                "data": data, "rate": rate, "low": low / 1000, "high": high / 1000,
                "root": root / 1000,
                "loop": loop if modes & 0x04 and 0 <= loop[0] < loop[1] <= len(data) else None,
                "bidirectional": bool(modes & 0x08),
            })
    return waves


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
    x = _resample(_sustain(wave, math.ceil(n_out / ratio) + 64), ratio)[:n_out]
    t = np.arange(len(x)) / NOTES_RATE
    x *= np.where(t < hold, 1.0, 10 ** (-3 * (t - hold) / release))
    x *= 10 ** (rng.uniform(-10.0, -1.0) / 20) / max(_peak(x), 1e-9)
    return _place(x, length, int(rng.uniform(0.0, 0.1) * NOTES_RATE), fade=441)


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
    y = np.tanh(p["drive"] * y / max(_peak(y), 1e-9)) / np.tanh(p["drive"])
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
    return y * rng.uniform(0.5, 1.0) / max(_peak(y), 1e-9)


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
    tmp = _fresh(out)
    (tmp / "audio").mkdir()
    length = round(duration * NOTES_RATE)
    meta, train, evaluate = [], [], []
    for family, paths in patches.items():
        order = _rng(seed, "notes-split", family).permutation(len(paths))
        held = set(order[: max(1, round(len(paths) / 3))].tolist())
        for p, path in enumerate(paths):
            waves = read_gus_patch(path)
            program = int(path.name.split("_", 1)[0])
            count = sources_per_family // len(paths) + (p < sources_per_family % len(paths))
            devices, listing = (EVALUATE_DEVICES, evaluate) if p in held else (
                TRAIN_DEVICES, train)
            for k in range(count):
                source = f"p{program:03d}-{k:03d}"
                clean = _note(waves, _rng(seed, "notes", program, k), length)
                for device in devices:
                    y = record(clean, device, _rng(seed, "notes", program, k, device))
                    name = f"audio/{family}-{source}-{device}.wav"
                    _write(tmp / name, y, NOTES_RATE)
                    meta.append([name, family, source, device])
                    listing.append([name, family])
    _write_table(tmp / "meta.csv", ["filename", "scene_label", "identifier", "source_label"],
                 meta, delimiter="\t")
    setup = tmp / "evaluation_setup"
    _write_table(setup / "fold1_train.csv", ["filename", "scene_label"], train, delimiter="\t")
    _write_table(setup / "fold1_evaluate.csv", ["filename", "scene_label"], evaluate,
                 delimiter="\t")
    return _commit(tmp, out)


# ---------------------------------------------------------------- summary
def _counts(values) -> str:
    """``"name count, ..."`` of the distinct values, sorted."""
    names, counts = np.unique(np.asarray(values), return_counts=True)
    return ", ".join(f"{n} {c}" for n, c in zip(names.tolist(), counts.tolist(), strict=True))


def summarise(corpus: str, root: Path) -> list[str]:
    """Load a built corpus with the project's loader and describe it.

    Parameters
    ----------
    corpus : {"words", "drums", "notes"}
        Which corpus `root` holds.
    root : pathlib.Path
        Its folder.

    Returns
    -------
    list of str
        Lines of the description (clips, classes, groups / folds / devices).
    """
    from sklearn_mhr.datasets import (
        load_audio_folder,
        load_dcase2020_task1a,
        load_urbansound8k,
    )

    if corpus == "words":
        b = load_audio_folder(root, sample_rate=WORDS_RATE, duration=1.0)
        groups = np.array([Path(f).name.split("_", 1)[0] for f in b.filenames])
        test = json.loads(root.with_name(root.name + "_split.json").read_text())["test_groups"]
        held = np.isin(groups, test)
        return [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
                f"classes ({len(b.target_names)}): {', '.join(b.target_names)}",
                f"groups (voice): {_counts(groups)}",
                f"test groups {test}: {int(held.sum())} clips, train {int((~held).sum())}"]
    if corpus == "drums":
        b = load_urbansound8k(root, sample_rate=DRUMS_RATE, duration=1.0)
        kits = json.loads(root.with_name(root.name + "_kits.json").read_text())
        folds = [f"fold {f}: {int((b.fold == f).sum())} clips, kits "
                 + ", ".join(kits[str(i)]["kit"] for i in sorted(set(b.fsID[b.fold == f])))
                 for f in sorted(set(b.fold.tolist()))]
        return [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
                f"classes ({len(b.target_names)}): {_counts(b.target)}",
                *folds]
    b = load_dcase2020_task1a(root, sample_rate=NOTES_RATE, duration=2.0)
    lines = [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
             f"classes ({len(b.target_names)}): {_counts(b.target)}"]
    for side in ("train", "evaluate"):
        sel = b.subset == side
        patches = {s.split("-")[0] for s in b.identifier[sel]}
        lines.append(f"{side}: {int(sel.sum())} clips, {len(patches)} patches, "
                     f"devices {_counts(b.device[sel])}")
    return lines


# ------------------------------------------------------------------- main
BUILDERS = {"words": build_words, "drums": build_drums, "notes": build_notes}


def main(argv: list[str] | None = None) -> int:
    """Fetch the packages, build the requested corpora that are missing, summarise them.

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        Exit status, 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="folder for packages and corpora (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument("--only", default=",".join(CORPORA),
                        help="comma-separated corpora to build (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild the corpora even if they exist")
    args = parser.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = sorted(set(only) - set(CORPORA))
    if unknown or not only:
        parser.error(f"--only takes a comma-separated subset of {','.join(CORPORA)}, "
                     f"got {args.only!r}")
    cache = args.cache.expanduser().resolve()
    todo = [c for c in only if args.force or not (cache / c).is_dir()]
    if todo:
        pkgs = ensure_packages(cache, [p for c in todo for p in PACKAGES[c]])
    for corpus in only:
        out = cache / corpus
        took = "already built"
        if corpus in todo:
            print(f"building {corpus} ...", flush=True)
            start = time.perf_counter()
            BUILDERS[corpus](pkgs, out, seed=args.seed)
            took = f"built in {time.perf_counter() - start:.0f} s"
        print(f"\n{corpus}: {out} ({took})")
        for line in summarise(corpus, out):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
