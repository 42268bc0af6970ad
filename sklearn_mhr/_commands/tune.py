"""``sklearn-mhr tune``: an Optuna search on a corpus' training part, joinable by other workers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from sklearn_mhr._commands import corpus
from sklearn_mhr._commands.params import SHORTCUTS, build_estimator, check_window_fits
from sklearn_mhr._commands.progress import TrialLines, describe_params
from sklearn_mhr._lock import folder_lock
from sklearn_mhr.datasets import protocols

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "search hyper-parameters with Optuna; workers sharing a storage share the study"
DESCRIPTION = ("Search heads, filters, context, back end width, learning rate and epochs with "
               "Optuna on the training side of a corpus' standard split, with cross-validation "
               "and per-epoch pruning; then train the best parameters on that whole side and "
               "save the trials (trials.csv), plots (with matplotlib) and the model (model/) in "
               "--out. Parameters set with the model options below are fixed, not searched. The "
               "same command started elsewhere with the same --storage and --study-name joins "
               "the search.")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr tune``."""
    from sklearn_mhr._commands.argtypes import positive_float, positive_int
    from sklearn_mhr._commands.params import add_model_arguments

    corpus.add_corpus_arguments(parser, side="train")
    parser.add_argument("--n-trials", required=True, type=positive_int, metavar="N",
                        help="finished trials the study should hold in total, across every "
                             "worker")
    parser.add_argument("--cv", type=positive_int, default=None, metavar="K",
                        help="folds (default: UrbanSound8K's own folds, leave one out; "
                             "3 stratified folds otherwise)")
    parser.add_argument("--storage", default=None, metavar="PATH_OR_URL",
                        help="journal file shared by workers on one machine (default: "
                             "OUT/study.journal), or a database URL such as "
                             "postgresql://user:password@host/db for several machines")
    parser.add_argument("--study-name", default="mhr", metavar="NAME",
                        help="study to create or join (default: mhr)")
    parser.add_argument("--timeout", type=positive_float, default=None, metavar="SECONDS",
                        help="start no trial after this long")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="trials at once in this process (threads; default: 1); torch "
                             "threads per trial default to the cores divided by this")
    parser.add_argument("--out", default="mhr-tune", metavar="DIR",
                        help="folder for trials.csv, the plots, model/ and the default journal "
                             "(default: mhr-tune)")
    parser.add_argument("--no-refit", dest="refit", action="store_false",
                        help="search only; do not train and save the best model")
    add_model_arguments(parser)

_NOT_SEARCHED = {"random_state", "n_threads", "device", "verbose", "n_workers", "callbacks",
                 "checkpoint_dir"}


def _fixed_parameters(args) -> dict:
    """Estimator parameters set on the command line: the search leaves them alone."""
    fixed = {name: getattr(args, flag) for flag, name in SHORTCUTS.items()
             if getattr(args, flag, None) is not None}
    fixed.update(dict(args.params or []))
    return {k: v for k, v in fixed.items() if k not in _NOT_SEARCHED}


_MARKER = ".sklearn-mhr-tune"


def _claim_output_folder(out: Path) -> None:
    """Make `out` a tune folder, refusing one that holds files tune did not write.

    A tune folder carries a marker file; workers joining the study find it and
    write beside each other, as they should.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out '{out}' is a file; pass a directory for the search's results")
    if out.is_dir() and not (out / _MARKER).exists() and any(out.iterdir()):
        raise ValueError(
            f"--out '{out}' is a non-empty directory that sklearn-mhr tune did not create; pass "
            "a new or empty directory (or one of an earlier search), so that no file of yours "
            "(trials.csv, plots, a model) is overwritten")
    out.mkdir(parents=True, exist_ok=True)
    (out / _MARKER).touch()


def _locked(out: Path):
    """Hold the output folder's lock, waiting for other workers' writes to end.

    The lock file of models and checkpoints, on every platform: a lock left
    by a worker killed while writing is broken, not waited for.
    """
    lock = out / ".lock"
    return folder_lock(lock, f"another worker is writing to '{out}' (lock file '{lock}')",
                       wait=True)


def _study_id(study) -> str:
    """Name and start of the study's first trial: tells a study from a later one of that name."""
    first = study.get_trials(deepcopy=False)[0].datetime_start
    return f"{study.study_name} {first.isoformat() if first else ''}"


def _saved_result(model_dir: Path, study) -> dict | None:
    """The metadata of a model saved in `model_dir` by a worker of the same study, if any."""
    from sklearn_mhr import persistence

    try:
        meta = persistence.read_metadata(model_dir)["metadata"]
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("command") != "tune" or meta.get("study") != _study_id(study):
        return None
    return meta


def run(args) -> int:
    """Run (or join) the search, then write the trials, the plots and the best model."""
    import optuna

    from sklearn_mhr import persistence
    from sklearn_mhr.search import default_space_except, save_plots, tune, write_trials_csv
    from sklearn_mhr.search._tune import FINISHED

    if args.cv is not None and args.cv < 2:
        raise ValueError(f"--cv must be at least 2, got {args.cv}")
    part = protocols.standard_split(args.dataset, args.root, side="train", test_fold=args.test_fold,
                                     test_groups=args.test_groups, extensions=args.extensions,
                                     sample_rate=args.sample_rate, duration=args.duration)
    estimator = build_estimator(args, sample_rate=part.sample_rate)
    check_window_fits(estimator, part.duration)
    out = Path(args.out)
    _claim_output_folder(out)
    model_dir = persistence.check_save_path(out / "model") if args.refit else None
    storage = args.storage or str(out / "study.journal")
    cv, groups, cv_text = protocols.cross_validation(args.dataset, part, args.cv,
                                                      estimator.random_state)
    fixed = _fixed_parameters(args)
    print(f"Searching on {len(part.target)} clips of {part.description} "
          f"({len(np.unique(part.target))} classes, {part.sample_rate} Hz), {cv_text}; "
          f"study {args.study_name!r} in {storage}, {args.n_trials} trials in total",
          flush=True)
    X = corpus.decode(part, lazy=args.lazy, n_jobs=args.workers)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # a bar on a terminal; one line per trial where the bar is off or the output is a log
    bar = sys.stderr.isatty()
    lines = [TrialLines(args.n_trials)] if not (bar and sys.stdout.isatty()) else []
    result = tune(estimator, X, part.target, param_space=default_space_except(fixed),
                  n_trials=args.n_trials, cv=cv, groups=groups, storage=storage,
                  study_name=args.study_name, timeout=args.timeout, n_jobs=args.jobs,
                  refit=args.refit, show_progress_bar=bar, callbacks=lines)
    study, best = result.study, result.best_trial_
    states = [t.state.name.lower() for t in study.get_trials(deepcopy=False)]
    finished = sum(t.state in FINISHED for t in study.get_trials(deepcopy=False))
    print(f"Study {study.study_name!r}: {finished} finished trials ("
          + ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states))) + ")")
    print(f"Best trial {best.number}: mean accuracy {result.best_score_:.4f} over the folds, "
          f"{result.best_epochs_} epochs, {describe_params(result.best_params_)}")
    print(f"Torch threads per trial: {result.n_threads_}")
    with _locked(out):
        csv_path = write_trials_csv(study, out / "trials.csv")
        written = [csv_path]
        try:
            written += save_plots(study, out)
        except ImportError as exc:
            print(f"No plots: {exc}")
        saved = _saved_result(model_dir, study) if model_dir is not None else None
        if saved is not None and saved["cv_accuracy"] > result.best_score_:
            print(f"Kept the model of trial {saved['trial']} (mean accuracy "
                  f"{saved['cv_accuracy']:.4f}) that another worker saved in '{model_dir}'")
            model_dir = None
        if model_dir is not None:
            metadata = {"command": "tune", "dataset": args.dataset, "root": str(args.root),
                        "study_name": study.study_name, "study": _study_id(study),
                        "trial": best.number,
                        "cv_accuracy": result.best_score_, "epochs": result.best_epochs_,
                        "sample_rate": part.sample_rate, "duration": part.duration,
                        "n_clips": len(part.target),
                        "extensions": args.extensions if args.dataset == "folder" else None}
            persistence.save(result.best_estimator_, model_dir, metadata=metadata)
            written.append(model_dir)
    print("Wrote " + ", ".join(f"'{p}'" for p in written))
    return 0
