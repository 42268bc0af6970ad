"""``sklearn-mhr plot``: pictures of a saved model's filters, heads, history and errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

__all__ = ["DESCRIPTION", "FORMATS", "HELP", "KINDS", "add_arguments", "run"]

HELP = "draw a saved model's filters, heads, training curves and errors"
DESCRIPTION = ("Draw what a saved model learned (needs matplotlib: pip install matplotlib). "
               "filters: centres and responses; history: training curves; clip: each stage of "
               "the network for one clip per label; relevance: mean head weight per filter and "
               "class; confusion: confusion matrices (per device for DCASE2020); timeline (only "
               "with --kind timeline): class probabilities over time of each audio file, window "
               "by window, for long recordings; groups (only with --kind groups): accuracy per "
               "device, fold or group of a corpus' test side, with the mean and spread. Clips "
               "come from audio files, from the test side "
               "of a corpus (--dataset/--root), or, for a model written by sklearn-mhr demo, "
               "from the demo's held-out clips.")

#: what ``--kind`` draws, each by a function of :mod:`sklearn_mhr.plotting`
KINDS = ("filters", "history", "clip", "relevance", "confusion", "timeline", "groups")
#: the kinds drawn only when asked for (``--kind``), not by default
_ON_REQUEST = ("timeline", "groups")
#: the kinds that need clips, and those that need their labels
_NEED_CLIPS = ("clip", "relevance", "confusion", "groups")
_NEED_LABELS = ("confusion", "groups")
FORMATS = ("png", "svg", "pdf")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr plot``."""
    from sklearn_mhr._commands.argtypes import extensions, positive_float, positive_int
    from sklearn_mhr._commands.corpus import add_group_arguments
    from sklearn_mhr.datasets.protocols import DATASETS

    parser.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="audio files to draw (relevance then groups them by predicted "
                             "label)")
    parser.add_argument("--kind", action="append", choices=KINDS, default=None,
                        help="what to draw (repeatable; default: every kind the inputs allow)")
    parser.add_argument("--out", default="mhr-plots", metavar="DIR_OR_FILE",
                        help="folder for the figures (default: mhr-plots), or one file whose "
                             "extension (.png, .svg, .pdf) sets the format")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="format of the figures written to a folder (default: png)")
    parser.add_argument("--dpi", type=positive_int, default=100,
                        help="resolution (default: 100)")
    parser.add_argument("--max-clips", type=positive_int, default=4, metavar="N",
                        help="clip figures to draw, the first clip of each label (default: 4)")
    parser.add_argument("--dataset", default=None, choices=DATASETS,
                        help="corpus layout whose test side gives the clips")
    parser.add_argument("--root", default=None, metavar="PATH", help="corpus folder")
    parser.add_argument("--test-fold", type=int, default=None, metavar="K",
                        help="UrbanSound8K fold to draw (default: the one the model was "
                             "trained without)")
    add_group_arguments(parser, what="draw from")
    parser.add_argument("--extensions", type=extensions, default=None, metavar=".EXT,.EXT",
                        help="folder corpus: file suffixes to read (default: those the model "
                             "was trained on, else the loader's)")
    parser.add_argument("--duration", type=positive_float, default=None, metavar="SECONDS",
                        help="pad or crop clips to this length (default: the model's training "
                             "length)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="processes decoding the corpus (default: 1)")
    parser.add_argument("--window", type=positive_float, default=None, metavar="SECONDS",
                        help="timeline: window length (default: the model's training clips' "
                             "length)")
    parser.add_argument("--hop", type=positive_float, default=None, metavar="SECONDS",
                        help="timeline: seconds between windows (default: half the window)")


def _outputs(out: str, fmt: str | None, n_figures_max: int):
    """The folder the figures go to, and the single file when ``out`` names one."""
    path = Path(out)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if fmt is not None and fmt != suffix:
            raise ValueError(f"--out {out!r} ends in .{suffix} but --format is {fmt!r}")
        if n_figures_max > 1:
            raise ValueError(
                f"--out {out!r} names one file, but these kinds draw several figures; pass a "
                "folder (and --format) instead, or a single --kind of one figure")
        return path.parent, path
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {out!r} is a file; pass a folder, or a file name ending in "
                         f"{', '.join('.' + f for f in FORMATS)}")
    return path, None


def _safe(label) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(label)).strip("-") or "clip"


def _clips(args, estimator, trained):
    """The clips to draw, their labels (None for files), grouping and names, and what they are.

    The grouping is ``(kind, values)``: the clips' devices, folds or groups
    (``evaluate.GROUPINGS``), the first the corpus part has; None without one.
    """
    from sklearn_mhr._commands import corpus
    from sklearn_mhr._commands.evaluate import GROUPINGS
    from sklearn_mhr.io import read_audio

    if args.files:
        if args.dataset is not None:
            raise ValueError("pass audio files or --dataset/--root, not both")
        duration = args.duration if args.duration is not None else trained.get("duration")
        clips = [read_audio(path, sample_rate=estimator.sample_rate, duration=duration)
                 for path in args.files]
        return clips, None, None, [Path(p).stem for p in args.files], f"{len(clips)} files"
    if args.dataset is not None:
        if args.root is None:
            raise ValueError("--dataset needs --root, the corpus folder")
        part = corpus.test_part(args, trained, estimator.sample_rate)
        X = corpus.decode(part, lazy=False, n_jobs=args.workers)
        names = [Path(p).stem for p in part.data.paths]
        grouping = next(((kind, getattr(part, field)) for kind, field in GROUPINGS
                         if getattr(part, field) is not None), None)
        return X, np.asarray(part.target), grouping, names, part.description
    if trained.get("command") == "demo":
        from sklearn_mhr._commands.demo import demo_split

        _, X, _, y = demo_split(trained["n_clips"], trained["n_classes"], trained["duration"],
                                trained["sample_rate"], trained["seed"],
                                trained.get("test_size", 0.3))
        return X, y, None, [f"{label}-{i}" for i, label in enumerate(y)], \
            f"the demo's {len(y)} held-out clips (generated again from seed {trained['seed']})"
    raise ValueError("these kinds need clips: pass audio files, or --dataset and --root (a "
                     "model written by sklearn-mhr demo finds its own held-out clips)")


def _first_of_each_label(labels, n_max: int) -> list[int]:
    """Up to ``n_max`` clips: the first clip of each label, in the order they come."""
    firsts = {}
    for i, label in enumerate(labels.tolist()):
        firsts.setdefault(label, i)
    return list(firsts.values())[:n_max]


def run(args) -> int:
    """Load the model, draw each kind asked for and write it; return the exit code."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plot needs matplotlib: pip install matplotlib (from a checkout of "
                          "sklearn-mhr, pip install \".[plot]\")") from None
    matplotlib.use("Agg")  # files only: no window, no display needed
    import matplotlib.pyplot as plt

    from sklearn_mhr import persistence, plotting

    kinds = list(dict.fromkeys(args.kind or [k for k in KINDS if k not in _ON_REQUEST]))
    if "timeline" in kinds and not args.files:
        raise ValueError("--kind timeline draws audio files: pass one or more files")
    n_clip_figures = 0
    if "clip" in kinds:
        n_clip_figures = min(args.max_clips, len(args.files)) if args.files else args.max_clips
    if "timeline" in kinds:
        n_clip_figures += len(args.files)
    folder, single = _outputs(args.out, args.format,
                              n_clip_figures + sum(k not in ("clip", "timeline") for k in kinds))
    fmt = single.suffix.lstrip(".").lower() if single else (args.format or "png")
    trained = persistence.read_metadata(args.model).get("metadata", {})
    estimator = persistence.load(args.model)
    if not estimator.head_bands_ and "relevance" in kinds:
        if args.kind:
            raise ValueError(f"'{args.model}' has no relevance heads (n_heads=0): there is no "
                             "relevance to plot; choose another --kind")
        kinds.remove("relevance")
    X = labels = grouping = names = None
    if any(k in _NEED_CLIPS for k in kinds):
        X, labels, grouping, names, description = _clips(args, estimator, trained)
        needing = [k for k in kinds if k in _NEED_LABELS]
        if labels is None and needing:
            raise ValueError(f"--kind {needing[0]} needs true labels: pass --dataset and --root "
                             "instead of audio files")
        if "groups" in kinds and grouping is None:
            raise ValueError("--kind groups needs clips with devices, folds or groups: a "
                             "DCASE2020 or UrbanSound8K corpus, or a folder whose file names "
                             "start with their group (--dataset and --root)")
        print(f"Drawing on {description}", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def write(fig, name):
        path = single or folder / f"{name}.{fmt}"
        fig.savefig(path, dpi=args.dpi)
        plt.close(fig)
        written.append(path)
        print(f"wrote {path}", flush=True)

    for kind in kinds:
        if kind == "filters":
            write(plotting.plot_filters(estimator), "filters")
        elif kind == "history":
            write(plotting.plot_history(estimator), "history")
        elif kind == "clip":
            chosen = (range(min(args.max_clips, len(X))) if labels is None
                      else _first_of_each_label(labels, args.max_clips))
            for i in chosen:
                label = None if labels is None else labels[i]
                write(plotting.plot_clip(estimator, X[i], label=label),
                      f"clip-{_safe(names[i])}")
        elif kind == "relevance":
            print(f"Averaging relevance weights over {len(X)} clips ...", flush=True)
            by = labels if labels is not None else estimator.predict(X)
            write(plotting.plot_class_relevance(estimator, X, by), "relevance")
        elif kind == "timeline":
            from sklearn_mhr.stream import predict_file

            for path in args.files:
                print(f"Labelling every window of {path} ...", flush=True)
                windows = predict_file(estimator, path, window=args.window, hop=args.hop)
                write(plotting.plot_timeline(windows, title=Path(path).name),
                      f"timeline-{_safe(Path(path).stem)}")
        elif kind == "confusion":
            print(f"Predicting {len(X)} clips ...", flush=True)
            devices = grouping[1] if grouping and grouping[0] == "device" else None
            write(plotting.plot_confusion(estimator, X, labels, groups=devices), "confusion")
        elif kind == "groups":
            print(f"Predicting {len(X)} clips ...", flush=True)
            write(plotting.plot_group_accuracy(estimator, X, labels, grouping[1],
                                               what=grouping[0]), f"accuracy-per-{grouping[0]}")
    print(f"Wrote {len(written)} figure(s) to '{folder}'.")
    return 0
