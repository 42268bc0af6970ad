"""``sklearn-mhr predict --window S --hop S``: a row for every window of every file.

Each file is read block by block (:func:`sklearn_mhr.windows.predict_file`),
so files longer than memory are labelled too. Rows go to stdout as CSV
(a header, then one row per window) or as JSON lines; a progress bar (on a
terminal) and one line per file (always) go to stderr.
"""

from __future__ import annotations

import csv
import json
import sys
import time

from sklearn_mhr._commands import plain

__all__ = ["FORMATS", "add_arguments", "rows", "run"]

#: what ``--format`` writes
FORMATS = ("csv", "json")


def add_arguments(parser, positive_float, positive_int) -> None:
    """The window options of ``predict``."""
    from sklearn_mhr._window_tails import TAILS

    group = parser.add_argument_group(
        "windows", "a row for every window of every file instead of one line per file; files "
                   "are read block by block, so they may be longer than memory")
    group.add_argument("--window", type=positive_float, default=None, metavar="SECONDS",
                       help="window length (default with --hop: the model's training clips' "
                            "length)")
    group.add_argument("--hop", type=positive_float, default=None, metavar="SECONDS",
                       help="seconds between window starts (default: half the window)")
    group.add_argument("--tail", choices=TAILS, default=TAILS[0],
                       help="after the last whole window: end (a last window aligned to the "
                            "file's end; default), pad (zeros) or drop")
    group.add_argument("--format", choices=FORMATS, default="csv",
                       help="csv (default: a header, then a row per window) or json (one "
                            "object per line)")
    group.add_argument("--top", type=positive_int, default=None, metavar="K",
                       help="only the K most probable classes of each window, as columns "
                            "class_1, probability_1, ... instead of one column per class")


def wanted(args) -> bool:
    """Whether ``predict`` was asked for windows."""
    return args.window is not None or args.hop is not None


def rows(path: str, windows, top: int | None):
    """One dict per window: file, start, end, label, then the probabilities."""
    classes = [plain(c) for c in windows.classes]
    for start, end, label, proba in zip(windows.start, windows.end, windows.label,
                                        windows.proba, strict=True):
        row = {"file": path, "start": float(start), "end": float(end), "label": plain(label)}
        if top is None:
            row.update({str(c): float(p) for c, p in zip(classes, proba, strict=True)})
        else:
            for rank, i in enumerate(proba.argsort()[::-1][:top], start=1):
                row[f"class_{rank}"] = classes[i]
                row[f"probability_{rank}"] = float(proba[i])
        yield row


def _cell(value) -> str:
    # repr of a float is the shortest text that reads back as the same float: times are exact
    return repr(value) if isinstance(value, float) else str(value)


def run(args) -> int:
    """Label every window of every file; return the exit code."""
    from tqdm.auto import tqdm

    from sklearn_mhr import persistence
    from sklearn_mhr.io.blocks import audio_length
    from sklearn_mhr.stream import predict_file

    if args.duration is not None:
        raise ValueError("--duration pads or crops whole files; it does not apply with "
                         "--window/--hop, which label every window of the whole file")
    if args.json:
        raise ValueError("--json is for one line per file; with --window/--hop use --format json")
    estimator = persistence.load(args.model)
    n_classes = len(estimator.classes_)
    if args.top is not None and args.top > n_classes:
        raise ValueError(f"--top {args.top} is more than the model's {n_classes} classes")
    out = sys.stdout
    writer = None
    for path in args.files:
        began = time.perf_counter()
        total = audio_length(path, estimator.sample_rate) / estimator.sample_rate
        # disable=None: a bar on a terminal, none in logs and pipes
        with tqdm(total=total, desc=path, unit="s", disable=None, leave=False,
                  bar_format="{desc}: {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]",
                  file=sys.stderr) as bar:
            def progress(done, total, bar=bar):
                bar.update(done - bar.n)

            windows = predict_file(estimator, path, window=args.window, hop=args.hop,
                                   tail=args.tail, progress=progress)
        for row in rows(path, windows, args.top):
            if args.format == "json":
                out.write(json.dumps(row) + "\n")
                continue
            if writer is None:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(list(row))
            writer.writerow([_cell(v) for v in row.values()])
        out.flush()
        seconds = float(windows.end[-1]) if len(windows.end) else 0.0
        print(f"{path}: {len(windows.start)} windows, {seconds:.1f} s of audio in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return 0
