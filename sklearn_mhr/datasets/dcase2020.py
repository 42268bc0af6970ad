"""Loader for DCASE2020 Task 1A (TAU Urban Acoustic Scenes 2020 Mobile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import PredefinedSplit
from sklearn.utils import Bunch

from sklearn_mhr.datasets._base import (
    Table,
    check_files_exist,
    check_loader_args,
    check_root,
    load_clips,
    make_bunch,
    read_table,
)

__all__ = ["load_dcase2020_task1a"]

META_COLUMNS = ("filename", "scene_label", "identifier", "source_label")
SETUP_COLUMNS = ("filename", "scene_label")
SUBSETS = ("all", "train", "evaluate")

DESCR = """\
DCASE2020 Task 1A: TAU Urban Acoustic Scenes 2020 Mobile, development set
========================================================================

10 s clips of 10 acoustic scenes (airport, bus, metro, metro_station, park,
public_square, shopping_mall, street_pedestrian, street_traffic, tram) from
10 cities, recorded with 3 real devices (a, b, c) and simulated from them
for 6 more (s1 ... s6); 44.1 kHz, 24-bit, mono.

Protocol: the fold1 split of evaluation_setup (train / evaluate; devices
s4 to s6 occur only in evaluate). With subset="all", ``cv=bunch.cv`` runs
exactly that split: ``cross_val_score(est, data, target, cv=bunch.cv)``.
Report accuracy overall and per device (``bunch.device``).

Layout: root/audio/*.wav, root/meta.csv and
root/evaluation_setup/fold1_train.csv, fold1_evaluate.csv (TAB-separated,
file names with the ``audio/`` prefix).

Reference: T. Heittola, A. Mesaros and T. Virtanen, "Acoustic scene
classification in DCASE 2020 Challenge: generalization across devices and
low complexity solutions", DCASE Workshop 2020.
"""


def _read_setup(path: Path, meta_index: dict[str, int], meta: Table) -> list[int]:
    """Rows of meta.csv listed in an evaluation-setup file, checked."""
    table = read_table(path, required=SETUP_COLUMNS, delimiter="\t")
    rows = []
    for name, label, line in zip(
        table["filename"], table["scene_label"], table.lines, strict=True
    ):
        i = meta_index.get(name)
        if i is None:
            raise ValueError(
                f"{path}, line {line}: '{name}' is not listed in '{meta.path}'. "
                "Use the meta.csv and evaluation_setup of the same release."
            )
        if meta["scene_label"][i] != label:
            raise ValueError(
                f"{path}, line {line}: '{name}' has scene_label '{label}' here but "
                f"'{meta['scene_label'][i]}' in '{meta.path}' (line {meta.lines[i]})."
            )
        rows.append(i)
    return rows


def load_dcase2020_task1a(
    root: str | os.PathLike,
    *,
    subset: str = "all",
    sample_rate: int = 44100,
    duration: float | None = None,
    lazy: bool = False,
    memory: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> Bunch:
    """Load the DCASE2020 Task 1A development set from its extracted folder.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding ``audio/``, ``meta.csv`` and ``evaluation_setup/``.
    subset : {"all", "train", "evaluate"}, default="all"
        Clips of the fold1 training list, of the fold1 evaluation list, or of
        both. Clips listed in neither are left out.
    sample_rate : int, default=44100
        Rate in Hz every clip is resampled to.
    duration : float or None, default=None
        Clip length in seconds (zero-padded or cropped); None keeps each
        clip's length (10 s in the corpus).
    lazy : bool, default=False
        If True, `data` is an `AudioSequence` that decodes clips when indexed;
        if False, every clip is decoded now.
    memory : None, str, os.PathLike or joblib.Memory, default=None
        Directory (or Memory) in which decoded clips are cached.
    n_jobs : int or None, default=None
        joblib workers for eager decoding.
    verbose : bool, default=False
        Show a progress bar while decoding.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        data : ndarray of shape (n_clips, n_samples), list of ndarray or
        AudioSequence
            float32 waveforms, in meta.csv order.
        target : ndarray of str
            Scene label per clip.
        target_names : list of str
            Sorted scene labels present.
        filenames : ndarray of str
            Full audio paths.
        device : ndarray of str
            Recording device per clip (source_label: a, b, c, s1 ... s6).
        identifier : ndarray of str
            Recording location (city-location id) per clip.
        subset : ndarray of str
            "train" or "evaluate" per clip.
        cv : sklearn.model_selection.PredefinedSplit or None
            For subset="all", one split: train on the fold1 training list,
            test on the fold1 evaluation list. None otherwise.
        sample_rate : int
            Rate of `data` in Hz.
        DESCR : str
            Description of the corpus.

    Raises
    ------
    FileNotFoundError
        If a metadata file or listed audio files are missing.
    ValueError
        For malformed metadata (the message names file and line) or invalid
        arguments.
    """
    sample_rate, duration = check_loader_args(
        sample_rate=sample_rate,
        duration=duration,
        lazy=lazy,
        memory=memory,
        n_jobs=n_jobs,
    )
    if subset not in SUBSETS:
        raise ValueError(
            f"subset must be one of {', '.join(map(repr, SUBSETS))}, got {subset!r}."
        )
    root = check_root(root)
    meta = read_table(root / "meta.csv", required=META_COLUMNS, delimiter="\t")
    meta_index: dict[str, int] = {}
    for i, (name, line) in enumerate(zip(meta["filename"], meta.lines, strict=True)):
        if name in meta_index:
            raise ValueError(
                f"{meta.path}, line {line}: '{name}' is listed twice (first on line "
                f"{meta.lines[meta_index[name]]}). Remove the duplicate row."
            )
        meta_index[name] = i

    setup = root / "evaluation_setup"
    role = np.full(len(meta), "", dtype=object)
    for name in ("train", "evaluate"):
        path = setup / f"fold1_{name}.csv"
        for i in _read_setup(path, meta_index, meta):
            if role[i]:
                raise ValueError(
                    f"'{meta['filename'][i]}' is listed in both fold1_train.csv and "
                    f"fold1_evaluate.csv under '{setup}'. Each clip belongs to one "
                    "side of the split."
                )
            role[i] = name
    if subset == "all":
        keep = role != ""
    else:
        keep = role == subset
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise ValueError(
            f"No clips for subset={subset!r}: '{setup}' lists none of the files in "
            f"'{meta.path}'."
        )

    def column(name: str) -> np.ndarray:
        return np.asarray(meta[name], dtype=str)[rows]

    filenames = np.asarray(
        [os.path.join(root, *name.split("/")) for name in column("filename")],
        dtype=str,
    )
    check_files_exist(filenames, listed_in=meta.path, root=root)
    target = column("scene_label")
    subset_col = role[rows].astype(str)
    cv = None
    if subset == "all":
        cv = PredefinedSplit(np.where(subset_col == "evaluate", 0, -1))

    data = load_clips(
        filenames,
        sample_rate=sample_rate,
        duration=duration,
        lazy=lazy,
        memory=memory,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    return make_bunch(
        data=data,
        target=target,
        target_names=sorted(set(target.tolist())),
        filenames=filenames,
        device=column("source_label"),
        identifier=column("identifier"),
        subset=subset_col,
        cv=cv,
        sample_rate=sample_rate,
        descr=DESCR,
    )
