"""Loader for a folder of audio files with one sub-folder per class."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from sklearn_mhr.datasets._base import (
    check_loader_args,
    check_root,
    load_clips,
    make_bunch,
)

__all__ = ["DEFAULT_EXTENSIONS", "load_audio_folder"]

#: file suffixes read as audio unless told otherwise (MP3 needs libsndfile 1.1 or later)
DEFAULT_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")

DESCR = """\
Audio folder
============

Clips stored as root/<label>/<file>, one sub-folder per class; the label of
a clip is the name of its sub-folder. Only files directly inside a label
folder are read (folders within it are not searched). Sub-folders and files
are taken in sorted order, names starting with "." are skipped.
"""


def _check_extensions(extensions: Any) -> tuple[str, ...]:
    if isinstance(extensions, str):
        extensions = (extensions,)
    exts = tuple(extensions) if isinstance(extensions, Sequence) else ()
    if not exts or not all(isinstance(e, str) and e for e in exts):
        raise ValueError(
            f"extensions must be a non-empty sequence of file suffixes, got "
            f"{extensions!r}. Pass e.g. extensions=('.wav', '.flac')."
        )
    return tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in exts)


def load_audio_folder(
    root: str | os.PathLike,
    *,
    sample_rate: int = 16000,
    duration: float | None = None,
    extensions: Sequence[str] = DEFAULT_EXTENSIONS,
    lazy: bool = False,
    memory: Any = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> Bunch:
    """Load clips stored as ``root/<label>/<file>``.

    Parameters
    ----------
    root : str or os.PathLike
        Folder with one sub-folder per class; the files directly inside each
        sub-folder are its clips (deeper folders are not searched).
    sample_rate : int, default=16000
        Rate in Hz every clip is resampled to.
    duration : float or None, default=None
        Clip length in seconds (zero-padded or cropped); None keeps each
        file's length.
    extensions : sequence of str, default=(".wav", ".flac", ".ogg", ".mp3")
        File suffixes taken as audio (case-insensitive); other files are
        ignored. MP3 needs libsndfile 1.1 or later (the one soundfile's wheels
        bundle); ``soundfile.available_formats()`` lists what it reads.
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
            float32 waveforms, sorted by label then file name.
        target : ndarray of str
            Label (sub-folder name) per clip.
        target_names : list of str
            Sorted labels.
        filenames : ndarray of str
            Full audio paths.
        sample_rate : int
            Rate of `data` in Hz.
        DESCR : str
            Description of the layout.

    Raises
    ------
    FileNotFoundError
        If `root` does not exist.
    ValueError
        If `root` has no label sub-folders, or a sub-folder holds no audio.
    """
    sample_rate, duration = check_loader_args(
        sample_rate=sample_rate,
        duration=duration,
        lazy=lazy,
        memory=memory,
        n_jobs=n_jobs,
    )
    exts = _check_extensions(extensions)
    root = check_root(root)
    label_dirs = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    if not label_dirs:
        loose = [p.name for p in root.iterdir() if p.suffix.lower() in exts]
        hint = (
            f" It holds {len(loose)} audio files directly; move them into one "
            "sub-folder per label."
            if loose
            else ""
        )
        raise ValueError(
            f"Audio folder '{root}' has no label sub-folders; expected "
            f"root/<label>/<file> with suffixes {exts}.{hint}"
        )
    filenames: list[str] = []
    target: list[str] = []
    for d in label_dirs:
        files = sorted(
            p.name
            for p in d.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in exts
        )
        if not files:
            nested = sum(1 for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
            hint = (f" Its {nested} sub-folder(s) are not searched: the clips of a label must "
                    "lie directly in its folder." if nested else "")
            raise ValueError(
                f"Label folder '{d}' holds no audio files with suffixes {exts}.{hint} "
                "Add clips, remove the folder, or pass the suffixes your files have: "
                "extensions=('.wav', '.aiff') in Python, --extensions .wav,.aiff on the "
                "command line."
            )
        filenames.extend(os.path.join(d, f) for f in files)
        target.extend([d.name] * len(files))

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
        target=np.asarray(target, dtype=str),
        target_names=[d.name for d in label_dirs],
        filenames=np.asarray(filenames, dtype=str),
        sample_rate=sample_rate,
        descr=DESCR,
    )
