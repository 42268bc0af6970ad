"""The drum one-shot corpus: Hydrogen kits' samples by instrument type, kits held out by fold."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.real_corpora import folders, sound

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
            if path.is_file() and path not in files and sound.peak(sf.read(path)[0]) > 1e-3:
                files.append(path)
    return {label: files for label, files in found.items() if files}


def _drum_clip(
    path: Path, rng: np.random.Generator, length: int
) -> tuple[np.ndarray, float, float]:
    """One rendition of a drum sample: pitched, placed and scaled; with its source span."""
    info = sf.info(path)
    x, rate = sf.read(path, frames=int(3 * info.samplerate), dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    onset = max(0, sound.active(x, rate)[0] - rate // 500)
    pitch = rng.uniform(0.95, 1.05)
    seg = x[onset : onset + int(1.1 * rate * pitch)]
    seg = sound.resample(seg, DRUMS_RATE / (rate * pitch))
    seg *= 10 ** (rng.uniform(-12.0, -1.0) / 20) / max(sound.peak(seg), 1e-9)
    offset = int(rng.uniform(0.0, 0.05) * DRUMS_RATE)
    y = sound.place(seg, length, offset, fade=int(0.03 * DRUMS_RATE))
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
    rank = np.argsort(sound.rng(seed, "drums-folds").permutation(len(kits)))
    fold_of = {name: 1 + int(r) % n_folds for name, r in zip(kits, rank, strict=True)}
    tmp = folders.fresh(out)
    length = DRUMS_RATE
    rows = []
    for fs_id, (name, classes) in enumerate(kits.items()):
        fold = fold_of[name]
        (tmp / "audio" / f"fold{fold}").mkdir(parents=True, exist_ok=True)
        for class_id, label in enumerate(kept):
            files = classes.get(label, [])
            if not files:
                continue
            rng = sound.rng(seed, "drums", name, label)
            picks = rng.permutation(per_kit_class) % len(files)
            for clip, sample in enumerate(picks):
                y, start, end = _drum_clip(files[sample], rng, length)
                fname = f"{fs_id}-{class_id}-{sample}-{clip}.wav"
                sound.write(tmp / "audio" / f"fold{fold}" / fname, y, DRUMS_RATE)
                rows.append([fname, fs_id, round(start, 6), round(end, 6), 1, fold,
                             class_id, label])
    folders.write_table(tmp / "metadata" / "UrbanSound8K.csv",
                        ["slice_file_name", "fsID", "start", "end", "salience", "fold",
                         "classID", "class"], rows, delimiter=",")
    out.with_name(out.name + "_kits.json").write_text(json.dumps(
        {str(i): {"kit": name, "fold": fold_of[name]} for i, name in enumerate(kits)},
        indent=1) + "\n")
    return folders.commit(tmp, out)
