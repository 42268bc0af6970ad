"""The standard train and test parts of each corpus, as the command line uses them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DATASETS", "Part", "default_duration", "default_sample_rate", "decode", "select"]

DATASETS = ("urbansound8k", "dcase2020", "folder")
_SAMPLE_RATE = {"urbansound8k": 22050, "dcase2020": 44100, "folder": 16000}
_DURATION = {"urbansound8k": 4.0, "dcase2020": None, "folder": None}
DEFAULT_TEST_FOLD = 10


def default_sample_rate(dataset: str) -> int:
    """The loader's default rate: 22,050 Hz for UrbanSound8K, 44,100 for DCASE, 16,000 else."""
    return _SAMPLE_RATE[dataset]


def default_duration(dataset: str) -> float | None:
    """The loader's default clip length: 4 s for UrbanSound8K, whole files otherwise."""
    return _DURATION[dataset]


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
    """

    data: object
    target: np.ndarray
    description: str
    device: np.ndarray | None
    sample_rate: int
    duration: float | None
    fold: np.ndarray | None = None


def _folds(values) -> str:
    values = sorted(set(int(v) for v in values))
    if values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]}-{values[-1]}"
    return ", ".join(map(str, values))


def _urbansound8k(root, side, test_fold, sample_rate, duration) -> Part:
    from ..datasets import load_urbansound8k

    bunch = load_urbansound8k(root, sample_rate=sample_rate, duration=duration, lazy=True)
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


def _dcase2020(root, side, sample_rate, duration) -> Part:
    from ..datasets import load_dcase2020_task1a

    subset = "train" if side == "train" else "evaluate"
    bunch = load_dcase2020_task1a(root, subset=subset, sample_rate=sample_rate,
                                  duration=duration, lazy=True)
    what = f"DCASE2020 Task 1A, fold1 {subset} list"
    return Part(bunch.data, bunch.target, what, bunch.device, sample_rate, duration)


def _folder(root, sample_rate, duration) -> Part:
    from ..datasets import load_audio_folder

    bunch = load_audio_folder(root, sample_rate=sample_rate, duration=duration, lazy=True)
    what = f"audio folder '{root}', {len(bunch.target_names)} labels"
    return Part(bunch.data, bunch.target, what, None, sample_rate, duration)


def select(dataset: str, root, *, side: str, test_fold: int | None = None,
           sample_rate: int | None = None, duration: float | None = None) -> Part:
    """Read a corpus' metadata and return one side of its standard split.

    Parameters
    ----------
    dataset : {"urbansound8k", "dcase2020", "folder"}
        Corpus layout.
    root : str or os.PathLike
        Corpus folder.
    side : {"train", "test"}
        UrbanSound8K: every fold but `test_fold`, or `test_fold`; DCASE2020:
        the fold1 train or evaluate list; folder: every clip either way.
    test_fold : int, optional
        UrbanSound8K fold held out (default 10).
    sample_rate : int, optional
        Rate in Hz (default: the corpus' own, see `default_sample_rate`).
    duration : float, optional
        Clip length in seconds (default: `default_duration`).

    Returns
    -------
    Part
        Lazy: nothing is decoded yet, so errors in the metadata come first.
    """
    if sample_rate is None:
        sample_rate = default_sample_rate(dataset)
    if duration is None:
        duration = default_duration(dataset)
    if dataset == "urbansound8k":
        fold = DEFAULT_TEST_FOLD if test_fold is None else test_fold
        return _urbansound8k(root, side, fold, sample_rate, duration)
    if dataset == "dcase2020":
        return _dcase2020(root, side, sample_rate, duration)
    return _folder(root, sample_rate, duration)


def _decoded_bytes(part: Part) -> float:
    """Estimated size of the decoded clips as float32, from the first file if needed."""
    n = len(part.target)
    if n == 0:
        return 0.0
    seconds = part.duration
    if seconds is None:
        import soundfile

        try:
            seconds = soundfile.info(str(part.data.paths[0])).duration
        except (RuntimeError, OSError):  # read_audio reports the file properly later
            return 0.0
    return 4.0 * n * seconds * part.sample_rate


def _available_bytes() -> float:
    """Memory available to this process (Linux: MemAvailable), or infinity if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float("inf")


def decode(part: Part, *, lazy: bool, n_jobs: int | None):
    """The clips to give the estimator: the lazy sequence, or decoded with a progress bar.

    Decoding up front is faster when the corpus fits in memory; when it would
    take more than half of the available memory the clips stay lazy, and a
    message says so.
    """
    if lazy:
        return part.data
    needed, available = _decoded_bytes(part), _available_bytes()
    if needed > available / 2:
        print(f"The decoded clips would take {needed / 2**30:.1f} GiB, more than half of the "
              f"{available / 2**30:.1f} GiB available: reading them lazily instead (as --lazy).",
              flush=True)
        return part.data
    return part.data.decode(n_jobs=n_jobs, verbose=True)
