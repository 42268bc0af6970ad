"""Loader for the UrbanSound8K corpus (10 classes, 8,732 clips, 10 folds)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.model_selection import PredefinedSplit
from sklearn.utils import Bunch

from sklearn_mhr._numbers import is_int
from sklearn_mhr.datasets._base import (
    check_files_exist,
    check_loader_args,
    check_root,
    load_clips,
    make_bunch,
    read_table,
)

__all__ = ["load_urbansound8k"]

COLUMNS = (
    "slice_file_name",
    "fsID",
    "start",
    "end",
    "salience",
    "fold",
    "classID",
    "class",
)
N_FOLDS = 10

DESCR = """\
UrbanSound8K
============

8,732 labelled clips (up to 4 s) of urban sounds in 10 classes (air_conditioner,
car_horn, children_playing, dog_bark, drilling, engine_idling, gun_shot,
jackhammer, siren, street_music), cut from Freesound recordings and split into
10 predefined folds. Files are WAV at 8 to 96 kHz, 8 to 32 bits, mono or
stereo.

Protocol: 10-fold cross-validation over the given folds, never reshuffled
(slices of one recording share a fold): ``cross_val_score(est, data, target,
cv=bunch.cv)``.

Layout: root/metadata/UrbanSound8K.csv and root/audio/fold1 ... fold10/.

Reference: J. Salamon, C. Jacoby and J. P. Bello, "A Dataset and Taxonomy for
Urban Sound Research", ACM Multimedia 2014.
"""


def _check_folds(folds: Any) -> list[int] | None:
    if folds is None:
        return None
    if is_int(folds):
        folds = [folds]
    if isinstance(folds, (str, bytes)) or not isinstance(folds, Iterable):
        raise TypeError(
            f"folds must be None, an int or a sequence of ints in 1..{N_FOLDS}, "
            f"got {folds!r}."
        )
    folds = list(folds)
    bad = [
        f
        for f in folds
        if not is_int(f) or not 1 <= f <= N_FOLDS
    ]
    if bad or not folds:
        raise ValueError(
            f"folds must be ints in 1..{N_FOLDS}; got invalid value(s) {bad} in "
            f"folds={folds!r}. Pass e.g. folds=[1, 2, 3], or None for all folds."
        )
    return sorted({int(f) for f in folds})


def load_urbansound8k(
    root: str | os.PathLike,
    *,
    folds: int | Iterable[int] | None = None,
    sample_rate: int = 22050,
    duration: float | None = 4.0,
    lazy: bool = False,
    memory: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> Bunch:
    """Load UrbanSound8K from its extracted folder.

    Parameters
    ----------
    root : str or os.PathLike
        Folder holding ``metadata/UrbanSound8K.csv`` and
        ``audio/fold1`` ... ``audio/fold10``.
    folds : int, sequence of int or None, default=None
        Folds to load (1 to 10); None loads every fold in the metadata.
    sample_rate : int, default=22050
        Rate in Hz every clip is resampled to.
    duration : float or None, default=4.0
        Clip length in seconds (shorter clips are zero-padded at the end);
        None keeps each clip's own length.
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
            float32 waveforms (2-D when `duration` is set and not `lazy`).
        target : ndarray of str, shape (n_clips,)
            Class names.
        target_names : list of str
            Class names present, ordered by classID.
        filenames : ndarray of str
            Full audio paths.
        fold, fsID, salience : ndarray of int
            Metadata columns per clip.
        start, end : ndarray of float
            Position of each slice in its Freesound recording, in seconds.
        cv : sklearn.model_selection.PredefinedSplit
            Test split k is the k-th selected fold, in ascending order.
        sample_rate : int
            Rate of `data` in Hz.
        DESCR : str
            Description of the corpus.

    Raises
    ------
    FileNotFoundError
        If the metadata file or listed audio files are missing.
    ValueError
        For malformed metadata (the message names file, line and column) or
        invalid arguments.
    """
    sample_rate, duration = check_loader_args(
        sample_rate=sample_rate,
        duration=duration,
        lazy=lazy,
        memory=memory,
        n_jobs=n_jobs,
    )
    folds = _check_folds(folds)
    root = check_root(root)
    meta_path = root / "metadata" / "UrbanSound8K.csv"
    table = read_table(meta_path, required=COLUMNS)
    if len(table) == 0:
        raise ValueError(f"Metadata file '{meta_path}' lists no clips (header only).")

    fold = table.as_type("fold", int, "an integer fold number")
    for f, line in zip(fold, table.lines, strict=True):
        if not 1 <= f <= N_FOLDS:
            raise ValueError(
                f"{meta_path}, line {line}, column 'fold': expected 1..{N_FOLDS}, "
                f"got {f}. Fix that row."
            )
    class_id = table.as_type("classID", int, "an integer class id")
    names = np.asarray(table["class"], dtype=str)
    id_to_name: dict[int, str] = {}
    for cid, name, line in zip(class_id, table["class"], table.lines, strict=True):
        if id_to_name.setdefault(int(cid), name) != name:
            raise ValueError(
                f"{meta_path}, line {line}: classID {cid} is named '{name}' here but "
                f"'{id_to_name[int(cid)]}' on an earlier row. Fix the 'class' column."
            )

    if folds is None:
        keep = np.ones(len(table), dtype=bool)
    else:
        absent = sorted(set(folds) - set(fold.tolist()))
        if absent:
            raise ValueError(
                f"folds {absent} have no clips in '{meta_path}' (it lists folds "
                f"{sorted(set(fold.tolist()))}). Pass folds present in the metadata."
            )
        keep = np.isin(fold, folds)

    filenames = np.asarray(
        [
            os.path.join(root, "audio", f"fold{f}", name)
            for f, name in zip(fold, table["slice_file_name"], strict=True)
        ],
        dtype=str,
    )[keep]
    check_files_exist(filenames, listed_in=meta_path, root=root)
    fold = fold[keep]
    target = names[keep]
    present = sorted(set(class_id[keep].tolist()))

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
        target_names=[id_to_name[c] for c in present],
        filenames=filenames,
        fold=fold,
        fsID=table.as_type("fsID", int, "an integer Freesound id")[keep],
        salience=table.as_type("salience", int, "an integer salience (1 or 2)")[keep],
        start=table.as_type("start", float, "a time in seconds")[keep],
        end=table.as_type("end", float, "a time in seconds")[keep],
        cv=PredefinedSplit(fold - 1),
        sample_rate=sample_rate,
        descr=DESCR,
    )
