"""The ``sklearn-mhr`` command line: demo, train, evaluate, predict, tune, plot and export.

The parser lives here; what each command does lives in ``sklearn_mhr._commands``.
Errors a user can fix (a missing file, a malformed metadata row, a damaged
model, an invalid parameter) end the command with a one-line message on
stderr and exit code 1; argparse's own usage errors exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

__all__ = ["main", "build_parser"]



def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def _param(text: str):
    from sklearn_mhr._commands.params import parse_param

    return parse_param(text)


def _groups(text: str) -> list[str]:
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if not groups:
        raise argparse.ArgumentTypeError(f"expected comma-separated group names, got {text!r}")
    return groups


def _extensions(text: str) -> list[str]:
    extensions = [e.strip() for e in text.split(",") if e.strip()]
    if not extensions:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated file suffixes such as .wav,.flac, got {text!r}")
    return extensions


def _add_corpus_arguments(command, *, side: str) -> None:
    from sklearn_mhr.datasets.folder import DEFAULT_EXTENSIONS
    from sklearn_mhr.datasets.protocols import DATASETS, DEFAULT_TEST_FOLD, default_duration

    evaluating = side == "test"
    command.add_argument("--dataset", required=True, choices=DATASETS,
                         help="corpus layout (--root says what each expects; the corpus pages, "
                              "docs/datasets/ in the source repository, describe them)")
    command.add_argument("--root", required=True, metavar="PATH",
                         help="corpus folder (the one holding metadata/ and audio/ for "
                              "UrbanSound8K, meta.csv for DCASE2020, one folder per label "
                              "otherwise, with the clips directly inside)")
    command.add_argument("--extensions", type=_extensions, default=None, metavar=".EXT,.EXT",
                         help="folder corpus: file suffixes read as audio, case-insensitive "
                              "(default: " + ("those the model was trained with, else "
                                              if evaluating else "") +
                              f"{','.join(DEFAULT_EXTENSIONS)})")
    if evaluating:
        command.add_argument("--test-fold", type=int, default=None, metavar="K",
                             help="UrbanSound8K fold to evaluate on (default: the fold the model "
                                  f"was trained without, else {DEFAULT_TEST_FOLD})")
    else:
        command.add_argument("--test-fold", type=int, default=None, metavar="K",
                             help="UrbanSound8K fold held out for testing, not trained on "
                                  f"(default: {DEFAULT_TEST_FOLD})")
    command.add_argument("--test-groups", type=_groups, default=None, metavar="G1,G2",
                         help="folder corpus: groups held out for testing, a clip's group being "
                              "its file name up to the first underscore (default: every clip" +
                              ("; for evaluate, the groups the model was trained without)"
                               if evaluating else ")"))
    if evaluating:
        command.add_argument("--duration", type=_positive_float, default=None,
                             metavar="SECONDS",
                             help="pad or crop every test clip to this length (default: the "
                                  "length the model was trained on, for a model trained on the "
                                  "same corpus layout; else "
                                  f"{default_duration('urbansound8k'):g} s for UrbanSound8K, "
                                  "whole files otherwise)")
        command.add_argument("--lazy", action="store_true",
                             help="decode the test clips a few at a time while predicting "
                                  "instead of all up front (for a test part that does not fit "
                                  "in memory)")
        command.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                             help="processes decoding the test clips up front (default: 1); "
                                  "with --lazy, clips are decoded in this process while "
                                  "predicting")
    else:
        command.add_argument("--duration", type=_positive_float, default=None,
                             metavar="SECONDS",
                             help="pad or crop every clip to this length (default: "
                                  f"{default_duration('urbansound8k'):g} s for UrbanSound8K, "
                                  "whole files otherwise)")
        command.add_argument("--lazy", action="store_true",
                             help="decode clips while training instead of all up front (needed "
                                  "when the corpus does not fit in memory, e.g. DCASE2020 at "
                                  "44.1 kHz)")
        command.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                             help="processes decoding audio (up front, or during training with "
                                  "--lazy; default: 1)")


def _add_model_arguments(command) -> None:
    from sklearn_mhr.datasets.protocols import DATASETS, default_sample_rate

    group = command.add_argument_group(
        "model", "Every MHRAudioClassifier parameter can be set with --param NAME=VALUE "
                 "(VALUE read as JSON, e.g. --param lr=0.003 --param head_activation=softmax); "
                 "the flags below are shortcuts. 'python -m pydoc "
                 "sklearn_mhr.MHRAudioClassifier' lists the parameters (docs/estimator.md in "
                 "the source repository tabulates them).")
    group.add_argument("--preset", choices=("paper",), default=None,
                       help="start from the paper's set-up for the corpus (paper_dcase2020 or "
                            "paper_urbansound8k in sklearn_mhr.presets); other options override it")
    group.add_argument("--param", dest="params", action="append", type=_param, default=[],
                       metavar="NAME=VALUE", help="set any estimator parameter (repeatable)")
    group.add_argument("--sample-rate", type=_positive_int, default=None, metavar="HZ",
                       help="rate clips are read and modelled at (default: " +
                            ", ".join(f"{default_sample_rate(d)} for {d}" for d in DATASETS) +
                            ")")
    # the estimator checks the values and names the valid ones, and its docs give the defaults
    group.add_argument("--epochs", type=_positive_int, default=None, help="max_epochs")
    group.add_argument("--n-heads", type=int, default=None, help="n_heads (0: no heads)")
    group.add_argument("--n-filters", type=_positive_int, default=None, help="n_filters")
    group.add_argument("--front-end", default=None, metavar="NAME", help="front_end")
    group.add_argument("--back-end", default=None, metavar="NAME", help="back_end")
    group.add_argument("--device", default=None, help="cpu, cuda or auto (default: auto)")
    group.add_argument("--threads", type=_positive_int, default=None,
                       help="torch threads (default: torch's)")
    group.add_argument("--seed", type=int, default=None, help="random_state (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-mhr``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-mhr",
        description="Learn audio representations from raw waveforms with multi-head relevance "
                    "weighting, and classify sounds with them.",
        epilog="'sklearn-mhr COMMAND --help' lists the options of a command. The documentation "
               "is the docs/ folder of the source repository (docs/cli.md for the command "
               "line); an installed package has no docs/ folder, but 'python -m pydoc "
               "sklearn_mhr' shows its docstrings.")
    from sklearn_mhr import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="train MHR and the mel baseline on generated data and compare them",
        description="Generate a sound-scene task (no download), train MHR and the mel-spectrogram "
                    "baseline with the same back end, print held-out accuracy and fit time, and "
                    "save the MHR model with its learned filters (filters.csv).")
    demo.add_argument("--n-clips", type=_positive_int, default=480,
                      help="clips to generate (default: 480)")
    demo.add_argument("--n-classes", type=int, default=8, help="classes, 2 to 12 (default: 8)")
    demo.add_argument("--duration", type=_positive_float, default=1.0,
                      help="clip length in s (default: 1.0)")
    demo.add_argument("--sample-rate", type=_positive_int, default=16000,
                      help="Hz (default: 16000)")
    demo.add_argument("--test-size", type=float, default=0.3,
                      help="held-out fraction (default: 0.3)")
    demo.add_argument("--epochs", type=_positive_int, default=15,
                      help="training epochs (default: 15)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--threads", type=_positive_int, default=None,
                      help="torch threads (default: torch's)")
    demo.add_argument("--out", default="mhr-demo-model", metavar="DIR",
                      help="where to save the MHR model and filters.csv (default: mhr-demo-model)")
    demo.add_argument("--verbose", action="store_true", help="print the epoch table of each fit")
    demo.set_defaults(module="demo")

    train = commands.add_parser(
        "train", help="fit on a corpus' standard training split and save the model",
        description="Fit MHRAudioClassifier on the training side of a corpus' standard split "
                    "(UrbanSound8K: every fold but --test-fold; DCASE2020: fold1_train.csv; "
                    "folder: every clip, or those outside --test-groups) and save it as a model "
                    "directory.")
    _add_corpus_arguments(train, side="train")
    train.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    _add_model_arguments(train)
    train.add_argument("--checkpoint-dir", default=None, metavar="DIR",
                       help="write a checkpoint after every epoch to DIR, so that a run killed "
                            "or stopped with Ctrl-C can go on with --resume")
    train.add_argument("--resume", action="store_true",
                       help="go on from the checkpoint in --checkpoint-dir (same corpus and "
                            "options as the run that wrote it) to the model that run would "
                            "have given")
    train.add_argument("--verbose", action="store_true",
                       help="print the epoch table while training (on by default in a terminal)")
    train.set_defaults(module="train")

    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on a corpus' standard test split",
        description="Accuracy, macro F1, log loss and the confusion matrix of a saved model on "
                    "the test side of a corpus' standard split (UrbanSound8K: the held-out fold; "
                    "DCASE2020: fold1_evaluate.csv, with per-device accuracy; folder: every clip, "
                    "or those of --test-groups).")
    evaluate.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    _add_corpus_arguments(evaluate, side="test")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead")
    evaluate.set_defaults(module="evaluate")

    predict = commands.add_parser(
        "predict", help="label audio files with a saved model",
        description="Print one line per file: path, predicted label and its probability "
                    "(tab-separated), or one JSON object per line with --json.")
    predict.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    predict.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, ...)")
    predict.add_argument("--duration", type=_positive_float, default=None, metavar="SECONDS",
                         help="pad or crop to this length (default: the model's training length)")
    predict.add_argument("--json", action="store_true", help="print JSON lines instead")
    predict.set_defaults(module="predict")

    tune = commands.add_parser(
        "tune",
        help="search hyper-parameters with Optuna; workers sharing a storage share the study",
        description="Search heads, filters, context, back end width, learning rate and epochs "
                    "with Optuna on the training side of a corpus' standard split, with "
                    "cross-validation and per-epoch pruning; then train the best parameters on "
                    "that whole side and save the trials (trials.csv), plots (with matplotlib) "
                    "and the model (model/) in --out. Parameters set with the model options "
                    "below are fixed, not searched. The same command started elsewhere with the "
                    "same --storage and --study-name joins the search.")
    _add_corpus_arguments(tune, side="train")
    tune.add_argument("--n-trials", required=True, type=_positive_int, metavar="N",
                      help="finished trials the study should hold in total, across every worker")
    tune.add_argument("--cv", type=_positive_int, default=None, metavar="K",
                      help="folds (default: UrbanSound8K's own folds, leave one out; "
                           "3 stratified folds otherwise)")
    tune.add_argument("--storage", default=None, metavar="PATH_OR_URL",
                      help="journal file shared by workers on one machine (default: "
                           "OUT/study.journal), or a database URL such as "
                           "postgresql://user:password@host/db for several machines")
    tune.add_argument("--study-name", default="mhr", metavar="NAME",
                      help="study to create or join (default: mhr)")
    tune.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                      help="start no trial after this long")
    tune.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                      help="trials at once in this process (threads; default: 1); torch threads "
                           "per trial default to the cores divided by this")
    tune.add_argument("--out", default="mhr-tune", metavar="DIR",
                      help="folder for trials.csv, the plots, model/ and the default journal "
                           "(default: mhr-tune)")
    tune.add_argument("--no-refit", dest="refit", action="store_false",
                      help="search only; do not train and save the best model")
    _add_model_arguments(tune)
    tune.set_defaults(module="tune")

    from sklearn_mhr._commands.plot import FORMATS, KINDS
    from sklearn_mhr.datasets.protocols import DATASETS

    plot = commands.add_parser(
        "plot", help="draw a saved model's filters, heads, training curves and errors",
        description="Draw what a saved model learned (needs matplotlib: pip install matplotlib). "
                    "filters: centres and responses; history: training curves; clip: each "
                    "stage of the network for one clip per label; relevance: mean head weight "
                    "per filter and class; confusion: confusion matrices (per device for "
                    "DCASE2020). Clips come from audio files, from the test side of a corpus "
                    "(--dataset/--root), or, for a model written by sklearn-mhr demo, from the "
                    "demo's held-out clips.")
    plot.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    plot.add_argument("files", nargs="*", metavar="FILE",
                      help="audio files to draw (relevance then groups them by predicted label)")
    plot.add_argument("--kind", action="append", choices=KINDS, default=None,
                      help="what to draw (repeatable; default: every kind the inputs allow)")
    plot.add_argument("--out", default="mhr-plots", metavar="DIR_OR_FILE",
                      help="folder for the figures (default: mhr-plots), or one file whose "
                           "extension (.png, .svg, .pdf) sets the format")
    plot.add_argument("--format", choices=FORMATS, default=None,
                      help="format of the figures written to a folder (default: png)")
    plot.add_argument("--dpi", type=_positive_int, default=100, help="resolution (default: 100)")
    plot.add_argument("--max-clips", type=_positive_int, default=4, metavar="N",
                      help="clip figures to draw, the first clip of each label (default: 4)")
    plot.add_argument("--dataset", default=None, choices=DATASETS,
                      help="corpus layout whose test side gives the clips")
    plot.add_argument("--root", default=None, metavar="PATH", help="corpus folder")
    plot.add_argument("--test-fold", type=int, default=None, metavar="K",
                      help="UrbanSound8K fold to draw (default: the one the model was trained "
                           "without)")
    plot.add_argument("--test-groups", type=_groups, default=None, metavar="G1,G2",
                      help="folder corpus: the groups to draw (default: the groups the model "
                           "was trained without, else every clip)")
    plot.add_argument("--extensions", type=_extensions, default=None, metavar=".EXT,.EXT",
                      help="folder corpus: file suffixes to read (default: those the model was "
                           "trained on, else the loader's)")
    plot.add_argument("--duration", type=_positive_float, default=None, metavar="SECONDS",
                      help="pad or crop clips to this length (default: the model's training "
                           "length)")
    plot.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                      help="processes decoding the corpus (default: 1)")
    plot.set_defaults(module="plot")

    from sklearn_mhr._export_formats import FORMATS as EXPORT_FORMATS

    export = commands.add_parser(
        "export", help="write a saved model as an ONNX file or a torch.export archive",
        description="Write the network of a saved model for inference without sklearn-mhr: "
                    "float32 waveforms (batch, n_samples) at the model's sample rate in, class "
                    "probabilities out, in the order of the model's labels (stored in the "
                    "file). ONNX needs onnx and onnxscript (pip install onnx onnxscript).")
    export.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="onnx",
                        help="onnx (default) or torch (a torch.export .pt2 archive)")
    export.add_argument("--out", required=True, metavar="FILE",
                        help="file to write, e.g. model.onnx or model.pt2")
    export.set_defaults(module="export")
    return parser


def _one_line(exc: BaseException) -> str:
    """The message of `exc` on one line.

    An error raised in a DataLoader worker (decoding a clip with ``--lazy
    --workers N``) comes back with the worker's whole traceback in its message;
    keep only the original message, which follows the traceback's last
    ``Type: `` prefix.
    """
    message = str(exc)
    if "Original Traceback" in message:
        name = type(exc).__qualname__
        _, sep, tail = message.rpartition(f"{name}: ")
        if sep and tail.strip():
            message = tail
    return " ".join(message.split()) or type(exc).__name__


def _warning_printer(command: str):
    """``warnings.showwarning`` for the command line: one line naming the command, no source."""
    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        print(f"sklearn-mhr {command}: warning: {text} ({category.__name__})",
              file=sys.stderr if file is None else file)
    return show


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "train" and not args.verbose and sys.stdout.isatty():
        args.verbose = True
    run = importlib.import_module(f"._commands.{args.module}", __package__).run
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(args.command)
            return run(args)
    except (ValueError, TypeError, OSError, ArithmeticError, ImportError) as exc:
        message = _one_line(exc)
        print(f"sklearn-mhr {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"sklearn-mhr {args.command}: interrupted", file=sys.stderr)
        return 130
