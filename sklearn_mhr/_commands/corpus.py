"""A saved model's test clips for a command, and decoding a corpus part.

Decoding is up front with a progress bar, or lazy. The parts themselves
(which clips are training and test) come from
:mod:`sklearn_mhr.datasets.protocols`.
"""

from __future__ import annotations

import os
import sys

__all__ = ["add_corpus_arguments", "available_memory", "decode", "test_part"]


def add_corpus_arguments(parser, *, side: str) -> None:
    """The options that choose a corpus and one side of its standard split.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    side : {"train", "test"}
        ``"test"`` words them for a saved model (``evaluate``): defaults come
        from the model, and ``--all-groups`` turns its test groups off.
    """
    from sklearn_mhr._commands.argtypes import extensions, groups, positive_float, positive_int
    from sklearn_mhr.datasets.folder import DEFAULT_EXTENSIONS
    from sklearn_mhr.datasets.protocols import DATASETS, DEFAULT_TEST_FOLD, default_duration

    evaluating = side == "test"
    parser.add_argument("--dataset", required=True, choices=DATASETS,
                        help="corpus layout (--root says what each expects)")
    parser.add_argument("--root", required=True, metavar="PATH",
                        help="corpus folder (the one holding metadata/ and audio/ for "
                             "UrbanSound8K, meta.csv for DCASE2020, one folder per label "
                             "otherwise, with the clips directly inside)")
    parser.add_argument("--extensions", type=extensions, default=None, metavar=".EXT,.EXT",
                        help="folder corpus: file suffixes read as audio, case-insensitive "
                             "(default: " + ("those the model was trained with, else "
                                             if evaluating else "") +
                             f"{','.join(DEFAULT_EXTENSIONS)})")
    if evaluating:
        parser.add_argument("--test-fold", type=int, default=None, metavar="K",
                            help="UrbanSound8K fold to evaluate on (default: the fold the model "
                                 f"was trained without, else {DEFAULT_TEST_FOLD})")
        add_group_arguments(parser)
        parser.add_argument("--duration", type=positive_float, default=None, metavar="SECONDS",
                            help="pad or crop every test clip to this length (default: the "
                                 "length the model was trained on, for a model trained on the "
                                 "same corpus layout; else "
                                 f"{default_duration('urbansound8k'):g} s for UrbanSound8K, "
                                 "whole files otherwise)")
        parser.add_argument("--lazy", action="store_true",
                            help="decode the test clips a few at a time while predicting "
                                 "instead of all up front (for a test part that does not fit "
                                 "in memory)")
        parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                            help="processes decoding the test clips up front (default: 1); "
                                 "with --lazy, clips are decoded in this process while "
                                 "predicting")
        return
    parser.add_argument("--test-fold", type=int, default=None, metavar="K",
                        help="UrbanSound8K fold held out for testing, not trained on "
                             f"(default: {DEFAULT_TEST_FOLD})")
    parser.add_argument("--test-groups", type=groups, default=None, metavar="G1,G2",
                        help="folder corpus: groups held out for testing, a clip's group being "
                             "its file name up to the first underscore (default: every clip)")
    parser.add_argument("--duration", type=positive_float, default=None, metavar="SECONDS",
                        help="pad or crop every clip to this length (default: "
                             f"{default_duration('urbansound8k'):g} s for UrbanSound8K, "
                             "whole files otherwise)")
    parser.add_argument("--lazy", action="store_true",
                        help="decode clips while training instead of all up front (needed "
                             "when the corpus does not fit in memory, e.g. DCASE2020 at "
                             "44.1 kHz)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="processes decoding audio (up front, or during training with "
                             "--lazy; default: 1)")


def add_group_arguments(parser, *, what: str = "test on") -> None:
    """``--test-groups`` or ``--all-groups``, for a command on a saved model's test side."""
    from sklearn_mhr._commands.argtypes import groups

    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--test-groups", type=groups, default=None, metavar="G1,G2",
                        help=f"folder corpus: the groups to {what}, a clip's group being its "
                             "file name up to the first underscore (default: the test groups "
                             "saved with a model trained on a folder, else every clip)")
    choice.add_argument("--all-groups", action="store_true",
                        help=f"folder corpus: {what} every clip, whatever test groups the "
                             "model saved (e.g. a folder of new speakers)")


def test_part(args, trained: dict, sample_rate: int):
    """The test side of the corpus that ``args`` names, for a model trained as ``trained`` says.

    Options left unset take what the model was trained with: the fold or
    groups it was trained without, the file suffixes it read and its clip
    length (the last three when it was trained on the same corpus layout).
    ``args.all_groups`` (``--all-groups``) turns the remembered groups off, so
    that every clip of a folder counts, as for a model trained on another
    folder.
    """
    from sklearn_mhr.datasets import protocols

    same_layout = trained.get("dataset") == args.dataset
    test_fold = args.test_fold
    if test_fold is None and args.dataset == "urbansound8k" and trained.get("test_fold"):
        test_fold = trained["test_fold"]
    all_groups = getattr(args, "all_groups", False)
    if all_groups and args.dataset != "folder":
        raise ValueError(f"--all-groups is for the folder layout; {args.dataset} has no groups")
    test_groups, extensions = args.test_groups, args.extensions
    remembered = None
    if args.dataset == "folder" and same_layout:
        if test_groups is None and not all_groups:
            test_groups = remembered = trained.get("test_groups")
        extensions = trained.get("extensions") if extensions is None else extensions
    duration = args.duration
    if duration is None and same_layout:
        duration = trained.get("duration")
    try:
        return protocols.standard_split(args.dataset, args.root, side="test",
                                        test_fold=test_fold, test_groups=test_groups,
                                        extensions=extensions, sample_rate=int(sample_rate),
                                        duration=duration)
    except ValueError as exc:
        if remembered is None or "no clip is in test group" not in str(exc):
            raise
        raise ValueError(
            f"{exc}. The test groups {', '.join(remembered)} are those saved with the model; "
            "pass --all-groups to use every clip of the folder, or --test-groups to choose "
            "others") from None


def _decoded_bytes(part) -> float:
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


def available_memory() -> int | None:
    """Bytes of memory available for new data on this machine, or None if unknown.

    Tried in turn: ``MemAvailable`` in /proc/meminfo (Linux: it counts the page
    cache that can be reclaimed, which sysconf's free pages leave out);
    sysconf's available physical pages (POSIX systems that define them);
    ``GlobalMemoryStatusEx`` (Windows); and, where sysconf knows only the
    physical pages (macOS), the total memory, an upper bound that still tells
    a corpus larger than the machine.

    Returns
    -------
    int or None
        A positive number of bytes, or None when no source answers.
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if hasattr(os, "sysconf"):
        for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
            try:
                size = os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
            except (ValueError, OSError):
                continue
            if size > 0:
                return size
    if sys.platform == "win32":
        import ctypes

        class MemoryStatus(ctypes.Structure):  # MEMORYSTATUSEX
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong)] + [
                (name, ctypes.c_ulonglong) for name in (
                    "ullTotalPhys", "ullAvailPhys", "ullTotalPageFile", "ullAvailPageFile",
                    "ullTotalVirtual", "ullAvailVirtual", "ullAvailExtendedVirtual")]

        status = MemoryStatus(dwLength=ctypes.sizeof(MemoryStatus))
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return int(status.ullAvailPhys) or None
    return None


def decode(part, *, lazy: bool, n_jobs: int | None):
    """The clips to give the estimator: the lazy sequence, or decoded with a progress bar.

    Decoding up front is faster when the corpus fits in memory; when it would
    take more than half of the available memory the clips stay lazy, and a
    message says so. Where the available memory is unknown
    (:func:`available_memory` is None) the clips are decoded up front.
    """
    if lazy:
        return part.data
    needed, available = _decoded_bytes(part), available_memory()
    if available is not None and needed > available / 2:
        print(f"The decoded clips would take {needed / 2**30:.1f} GiB, more than half of the "
              f"{available / 2**30:.1f} GiB available: reading them lazily instead (as --lazy).",
              flush=True)
        return part.data
    return part.data.decode(n_jobs=n_jobs, verbose=True)
