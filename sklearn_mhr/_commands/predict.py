"""``sklearn-mhr predict``: label audio files with a saved model."""

from __future__ import annotations

import json

from sklearn_mhr._commands import plain
from sklearn_mhr._commands.params import check_window_fits

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "label audio files with a saved model"
DESCRIPTION = ("Print one line per file: path, predicted label and its probability "
               "(tab-separated), or one JSON object per line with --json. With --window "
               "and/or --hop, one row per window of each file instead (CSV or JSON lines), "
               "files read block by block whatever their length.")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr predict``."""
    from sklearn_mhr._commands import windows
    from sklearn_mhr._commands.argtypes import positive_float, positive_int

    parser.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, ...)")
    parser.add_argument("--duration", type=positive_float, default=None, metavar="SECONDS",
                        help="pad or crop to this length (default: the model's training length)")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead")
    windows.add_arguments(parser, positive_float, positive_int)


def run(args) -> int:
    """Read every file, then print one line per file; return the exit code."""
    from sklearn_mhr import persistence
    from sklearn_mhr._commands import windows
    from sklearn_mhr.io import read_audio

    if windows.wanted(args):
        return windows.run(args)
    if args.top is not None or args.format != "csv" or args.tail != "end":
        raise ValueError("--format, --top and --tail apply to windows: pass --window and/or --hop")

    trained = persistence.read_metadata(args.model).get("metadata", {})
    duration = args.duration if args.duration is not None else trained.get("duration")
    estimator = persistence.load(args.model)
    check_window_fits(estimator, args.duration)
    waves = [read_audio(path, sample_rate=estimator.sample_rate, duration=duration)
             for path in args.files]
    proba = estimator.predict_proba(waves)
    classes = [plain(c) for c in estimator.classes_]
    for path, row in zip(args.files, proba, strict=True):
        best = int(row.argmax())
        if args.json:
            print(json.dumps({
                "path": path, "label": classes[best], "probability": float(row[best]),
                "probabilities": {str(c): float(p) for c, p in zip(classes, row, strict=True)},
            }))
        else:
            print(f"{path}\t{classes[best]}\t{row[best]:.4f}")
    return 0
