"""The standard split and cross-validation of each corpus layout.

What "the training part" or "the test part" of a corpus means is defined
here once; the command line, the search and the benchmarks all call it.

- UrbanSound8K: every fold but the test fold (10 unless told), and that fold;
  cross-validation leaves one fold out (or groups whole folds).
- DCASE2020 Task 1A: the fold1 train list and the fold1 evaluate list;
  stratified cross-validation.
- A folder per class: the whole folder on either side (train on one folder,
  test on another), or, given ``test_groups``, the clips of those groups on
  the test side and the others on the training side, where a clip's group is
  its file name up to the first underscore (a speaker, a recording);
  stratified cross-validation.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sklearn_mhr.datasets.dcase2020 import load_dcase2020_task1a
from sklearn_mhr.datasets.folder import DEFAULT_EXTENSIONS, load_audio_folder
from sklearn_mhr.datasets.urbansound8k import load_urbansound8k

__all__ = ["DATASETS", "DEFAULT_TEST_FOLD", "Part", "clip_groups", "cross_validation",
           "default_duration", "default_sample_rate", "standard_split"]

_LOADERS = {"urbansound8k": load_urbansound8k, "dcase2020": load_dcase2020_task1a,
            "folder": load_audio_folder}
#: corpus layouts, as the command line names them
DATASETS = tuple(_LOADERS)
DEFAULT_TEST_FOLD = 10


def _check_dataset(dataset: str) -> None:
    if dataset not in _LOADERS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {dataset!r}")


def default_sample_rate(dataset: str) -> int:
    """The loader's default rate: 22,050 Hz for UrbanSound8K, 44,100 for DCASE, 16,000 else."""
    _check_dataset(dataset)
    return inspect.signature(_LOADERS[dataset]).parameters["sample_rate"].default


def default_duration(dataset: str) -> float | None:
    """The loader's default clip length: 4 s for UrbanSound8K, whole files otherwise."""
    _check_dataset(dataset)
    return inspect.signature(_LOADERS[dataset]).parameters["duration"].default


@dataclass
class Part:
    """Clips of one side of a corpus' standard split, not yet decoded.

    Attributes
    ----------
    data : AudioSequence
        The clips, decoded when indexed.
    target : ndarray of str
        Labels.
    description : str
        What was selected, for messages ("UrbanSound8K, folds 1-9 ...").
    device : ndarray of str or None
        Recording device per clip (DCASE2020 only).
    sample_rate : int
        Rate of the clips in Hz.
    duration : float or None
        Clip length in seconds, or None for whole files.
    fold : ndarray of int or None
        UrbanSound8K fold of each clip (from its metadata); None for the others.
    groups : ndarray of str or None
        Group of each clip of a folder corpus (:func:`clip_groups`); None for the others.
    """

    data: object
    target: np.ndarray
    description: str
    device: np.ndarray | None
    sample_rate: int
    duration: float | None
    fold: np.ndarray | None = None
    groups: np.ndarray | None = None


def clip_groups(filenames) -> np.ndarray:
    """Group of every file of a folder corpus: its name's stem up to the first underscore."""
    return np.array([Path(f).stem.split("_", 1)[0] for f in filenames], dtype=object)


def _folds(values) -> str:
    values = sorted(set(int(v) for v in values))
    if values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]}-{values[-1]}"
    return ", ".join(map(str, values))


def _urbansound8k(root, side, test_fold, sample_rate, duration, memory) -> Part:
    bunch = load_urbansound8k(root, sample_rate=sample_rate, duration=duration, lazy=True,
                              memory=memory)
    present = sorted(set(bunch.fold.tolist()))
    in_test = bunch.fold == test_fold
    if side == "test":
        if not in_test.any():
            raise ValueError(
                f"'{root}/metadata/UrbanSound8K.csv' lists no clip in fold {test_fold} (its folds "
                f"are {_folds(present)}); pass --test-fold with one of them"
            )
        keep, what = in_test, f"UrbanSound8K, test fold {test_fold}"
    else:
        keep = ~in_test
        if not keep.any():
            raise ValueError(
                f"every clip listed in '{root}/metadata/UrbanSound8K.csv' is in the test fold "
                f"{test_fold}; pass --test-fold with another fold"
            )
        held = f"fold {test_fold} held out" if in_test.any() else f"fold {test_fold} absent"
        what = f"UrbanSound8K, folds {_folds(bunch.fold[keep])} ({held})"
    return Part(bunch.data[keep], bunch.target[keep], what, None, sample_rate, duration,
                fold=bunch.fold[keep])


def _dcase2020(root, side, sample_rate, duration, memory) -> Part:
    subset = "train" if side == "train" else "evaluate"
    bunch = load_dcase2020_task1a(root, subset=subset, sample_rate=sample_rate,
                                  duration=duration, lazy=True, memory=memory)
    what = f"DCASE2020 Task 1A, fold1 {subset} list"
    return Part(bunch.data, bunch.target, what, np.asarray(bunch.device), sample_rate, duration)


def _folder(root, side, test_groups, sample_rate, duration, memory, extensions) -> Part:
    bunch = load_audio_folder(root, sample_rate=sample_rate, duration=duration, lazy=True,
                              memory=memory,
                              extensions=DEFAULT_EXTENSIONS if extensions is None else extensions)
    groups = clip_groups(bunch.filenames)
    what = f"audio folder '{root}'"
    if test_groups is None:
        return Part(bunch.data, bunch.target, what, None, sample_rate, duration, groups=groups)
    test_groups = sorted(set(test_groups))
    missing = sorted(set(test_groups) - set(groups.tolist()))
    in_test = np.isin(groups, test_groups)
    # the test side may hold every clip (a folder of new sources); only training needs some left
    if missing or (side == "train" and in_test.all()):
        problem = (f"no clip is in test group(s) {missing}" if missing
                   else f"test groups {test_groups} hold every clip, leaving none to train on")
        raise ValueError(f"'{root}': {problem}; its groups are {sorted(set(groups.tolist()))} "
                         "(a clip's group is its file name up to the first underscore)")
    keep = in_test if side == "test" else ~in_test
    what += (f", test group(s) {', '.join(test_groups)}" if side == "test"
             else f", group(s) {', '.join(test_groups)} held out")
    return Part(bunch.data[keep], bunch.target[keep], what, None, sample_rate, duration,
                groups=groups[keep])


def standard_split(dataset: str, root, *, side: str, test_fold: int | None = None,
                   test_groups=None, sample_rate: int | None = None,
                   duration: float | None = None, memory=None, extensions=None) -> Part:
    """Read a corpus' metadata and return one side of its standard split.

    Parameters
    ----------
    dataset : {"urbansound8k", "dcase2020", "folder"}
        Corpus layout.
    root : str or os.PathLike
        Corpus folder.
    side : {"train", "test"}
        Which side of the split (module docstring).
    test_fold : int, optional
        UrbanSound8K fold held out (default 10).
    test_groups : sequence of str, optional
        Folder corpus: the groups held out for the test side; None puts every
        clip on either side. Every group named must occur in the folder; on
        the training side they must leave some clip, on the test side they may
        hold them all.
    sample_rate : int, optional
        Rate in Hz (default: the loader's, see `default_sample_rate`).
    duration : float, optional
        Clip length in seconds (default: the loader's, see `default_duration`).
    memory : None, str, os.PathLike or joblib.Memory, optional
        Cache of decoded clips, passed to the loader.
    extensions : sequence of str, optional
        Folder corpus: the file suffixes read as audio (default: those of
        `load_audio_folder`); the other layouts name their files in metadata
        and refuse it.

    Returns
    -------
    Part
        Lazy: nothing is decoded yet, so errors in the metadata come first.
    """
    _check_dataset(dataset)
    if side not in ("train", "test"):
        raise ValueError(f"side must be 'train' or 'test', got {side!r}")
    if sample_rate is None:
        sample_rate = default_sample_rate(dataset)
    if duration is None:
        duration = default_duration(dataset)
    if extensions is not None and dataset != "folder":
        raise ValueError(f"extensions (--extensions) are for the folder layout; {dataset} names "
                         "its files in its metadata")
    if dataset == "urbansound8k":
        fold = DEFAULT_TEST_FOLD if test_fold is None else test_fold
        return _urbansound8k(root, side, fold, sample_rate, duration, memory)
    if dataset == "dcase2020":
        return _dcase2020(root, side, sample_rate, duration, memory)
    return _folder(root, side, test_groups, sample_rate, duration, memory, extensions)


def cross_validation(dataset: str, part: Part, n_splits: int | None = None, seed=None):
    """Cross-validation over a training part, as scikit-learn's ``cv`` and ``groups``.

    Parameters
    ----------
    dataset : {"urbansound8k", "dcase2020", "folder"}
        Corpus layout of `part`.
    part : Part
        The training side of :func:`standard_split`.
    n_splits : int, optional
        UrbanSound8K: None leaves one fold out, an int groups whole folds into
        that many splits; the others: stratified folds (3 by default).
    seed : int, optional
        Shuffles the stratified folds.

    Returns
    -------
    cv : cross-validation splitter
    groups : ndarray or None
        What to pass as ``groups`` with `cv`.
    description : str
        The scheme in words, for messages.
    """
    from sklearn.model_selection import GroupKFold, PredefinedSplit, StratifiedKFold

    _check_dataset(dataset)
    if dataset == "urbansound8k":
        folds = part.fold
        present = np.unique(folds)
        if n_splits is None:
            if len(present) < 2:
                raise ValueError(f"the training part holds only fold {present[0]}; "
                                 "cross-validation over folds needs two")
            return PredefinedSplit(folds), None, f"leave-one-fold-out over folds " \
                f"{', '.join(map(str, present))}"
        if n_splits > len(present):
            raise ValueError(f"--cv {n_splits} needs at least {n_splits} UrbanSound8K folds in "
                             f"the training part; it holds {len(present)}")
        return GroupKFold(n_splits), folds, f"{n_splits} groups of whole folds"
    n_splits = 3 if n_splits is None else n_splits
    return (StratifiedKFold(n_splits, shuffle=True, random_state=seed), None,
            f"stratified {n_splits}-fold")
