"""Writers of miniature corpora in the real on-disk layouts, for tests.

Each clip carries class-dependent content (a tone at a class frequency plus
a little noise), so an end-to-end test can learn something from them. Clips
are short (0.5 s by default) to keep tests fast.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = [
    "US8K_CLASSES",
    "class_tone_hz",
    "truncate_row",
    "write_audio_folder",
    "write_clip",
    "write_corrupt_wav",
    "write_dcase2020",
    "write_urbansound8k",
]

US8K_CLASSES = (
    "air_conditioner",
    "car_horn",
    "children_playing",
    "dog_bark",
    "drilling",
    "engine_idling",
    "gun_shot",
    "jackhammer",
    "siren",
    "street_music",
)

# (sample rate, subtype, channels): the mix of formats UrbanSound8K holds
US8K_FORMATS = (
    (44100, "PCM_16", 2),
    (8000, "PCM_U8", 1),
    (48000, "PCM_24", 2),
    (22050, "PCM_16", 1),
    (96000, "PCM_24", 1),
    (11025, "PCM_16", 2),
    (16000, "FLOAT", 1),
    (32000, "PCM_32", 2),
)


def class_tone_hz(label_index: int) -> float:
    """Frequency of the tone that marks class `label_index` (below 3.5 kHz)."""
    return 300.0 * 1.45 ** (label_index % 7)


def write_clip(
    path: str | os.PathLike,
    *,
    freq: float,
    sample_rate: int,
    duration: float,
    subtype: str = "PCM_16",
    channels: int = 1,
    rng: np.random.Generator | None = None,
    format: str | None = None,
) -> np.ndarray:
    """Write a tone at `freq` Hz plus faint noise; return the mono signal written."""
    rng = np.random.default_rng(0) if rng is None else rng
    n = round(duration * sample_rate)
    t = np.arange(n) / sample_rate
    y = 0.5 * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    y += 0.02 * rng.standard_normal(n)
    data = np.repeat(y[:, None], channels, axis=1)
    if channels > 1:  # same content, slightly different level per channel
        data *= np.linspace(1.0, 0.8, channels)[None, :]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sample_rate, subtype=subtype, format=format)
    return data.mean(axis=1)


def write_urbansound8k(
    root: str | os.PathLike,
    *,
    n_per_fold: int = 4,
    folds: tuple[int, ...] = (1, 2, 3),
    classes: tuple[str, ...] = ("air_conditioner", "car_horn", "dog_bark"),
    duration: float = 0.5,
    seed: int = 0,
) -> Path:
    """Write a miniature UrbanSound8K: metadata CSV and audio/fold*/ WAV files.

    Formats cycle through 8 to 96 kHz, PCM_U8/16/24/32 and FLOAT, mono and
    stereo; lengths vary between 40 % and 100 % of `duration`. Classes cycle
    within each fold. Returns `root`.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for fold in folds:
        for j in range(n_per_fold):
            name = classes[j % len(classes)]
            class_id = US8K_CLASSES.index(name)
            sr, subtype, channels = US8K_FORMATS[k % len(US8K_FORMATS)]
            length = duration * (0.4 + 0.6 * ((k * 7) % 5) / 4)
            fs_id = 100000 + 37 * k
            fname = f"{fs_id}-{class_id}-0-{j}.wav"
            write_clip(
                root / "audio" / f"fold{fold}" / fname,
                freq=class_tone_hz(class_id),
                sample_rate=sr,
                duration=length,
                subtype=subtype,
                channels=channels,
                rng=rng,
            )
            start = round(float(rng.uniform(0, 30)), 6)
            rows.append(
                [
                    fname,
                    fs_id,
                    start,
                    round(start + length, 6),
                    1 + k % 2,
                    fold,
                    class_id,
                    name,
                ]
            )
            k += 1
    meta = root / "metadata" / "UrbanSound8K.csv"
    meta.parent.mkdir(parents=True, exist_ok=True)
    with open(meta, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "slice_file_name",
                "fsID",
                "start",
                "end",
                "salience",
                "fold",
                "classID",
                "class",
            ]
        )
        w.writerows(rows)
    return root


def write_dcase2020(
    root: str | os.PathLike,
    *,
    scenes: tuple[str, ...] = ("airport", "metro", "park"),
    cities: tuple[str, ...] = ("barcelona", "helsinki"),
    devices: tuple[str, ...] = ("a", "b", "c", "s1", "s2", "s3"),
    n_unused: int = 2,
    duration: float = 0.5,
    seed: int = 0,
) -> Path:
    """Write a miniature TAU Urban Acoustic Scenes 2020 Mobile development set.

    44.1 kHz 24-bit mono WAV named ``<scene>-<city>-<location>-<segment>-
    <device>.wav``; one clip per scene x city x location (2) x device.
    Location 0 goes to fold1_train, location 1 to fold1_evaluate; the last
    `n_unused` clips of meta.csv are in neither list, as in the real setup.
    Returns `root`.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    meta = []
    for s, scene in enumerate(scenes):
        for city in cities:
            for loc in range(2):
                for dev in devices:
                    name = f"audio/{scene}-{city}-{loc}-{s}-{dev}.wav"
                    write_clip(
                        root / name,
                        freq=class_tone_hz(s),
                        sample_rate=44100,
                        duration=duration,
                        subtype="PCM_24",
                        rng=rng,
                    )
                    meta.append([name, scene, f"{city}-{loc}", dev])
    train = [m[:2] for m in meta[: len(meta) - n_unused] if m[2].endswith("-0")]
    evaluate = [m[:2] for m in meta[: len(meta) - n_unused] if m[2].endswith("-1")]
    _write_tsv(
        root / "meta.csv",
        ["filename", "scene_label", "identifier", "source_label"],
        meta,
    )
    setup = root / "evaluation_setup"
    _write_tsv(setup / "fold1_train.csv", ["filename", "scene_label"], train)
    _write_tsv(setup / "fold1_evaluate.csv", ["filename", "scene_label"], evaluate)
    return root


def _write_tsv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_audio_folder(
    root: str | os.PathLike,
    *,
    classes: tuple[str, ...] = ("bird", "engine", "rain"),
    n_per_class: int = 3,
    sample_rate: int = 16000,
    duration: float = 0.5,
    seed: int = 0,
) -> Path:
    """Write ``root/<label>/clip_<i>.<wav|flac>`` files, alternating formats.

    Returns `root`.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    for c, label in enumerate(classes):
        for i in range(n_per_class):
            ext = (".wav", ".flac")[i % 2]
            write_clip(
                root / label / f"clip_{i}{ext}",
                freq=class_tone_hz(c),
                sample_rate=sample_rate,
                duration=duration,
                rng=rng,
            )
    return root


def write_corrupt_wav(
    path: str | os.PathLike, *, n_bytes: int = 256, seed: int = 0
) -> Path:
    """Write random bytes under an audio file name; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(seed).bytes(n_bytes))
    return path


def truncate_row(
    path: str | os.PathLike, line: int, *, keep_fields: int = 3, delimiter: str = ","
) -> None:
    """Cut line `line` (1-based, header is line 1) of a CSV/TSV after `keep_fields`."""
    path = Path(path)
    lines = path.read_text().splitlines()
    lines[line - 1] = delimiter.join(lines[line - 1].split(delimiter)[:keep_fields])
    path.write_text("\n".join(lines) + "\n")
