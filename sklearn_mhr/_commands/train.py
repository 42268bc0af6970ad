"""``sklearn-mhr train``: fit on a corpus' standard training part and save the model."""

from __future__ import annotations

import time

import numpy as np

from sklearn_mhr._commands import corpus
from sklearn_mhr._commands.params import build_estimator, check_window_fits
from sklearn_mhr._commands.progress import epoch_printer
from sklearn_mhr.datasets import protocols

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "load_teachers", "run",
           "teacher_probabilities"]

HELP = "fit on a corpus' standard training split and save the model"
DESCRIPTION = ("Fit MHRAudioClassifier on the training side of a corpus' standard split "
               "(UrbanSound8K: every fold but --test-fold; DCASE2020: fold1_train.csv; folder: "
               "every clip, or those outside --test-groups) and save it as a model directory.")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr train``."""
    from sklearn_mhr._commands.params import add_model_arguments

    corpus.add_corpus_arguments(parser, side="train")
    parser.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    add_model_arguments(parser)
    parser.add_argument("--checkpoint-dir", default=None, metavar="DIR",
                        help="write a checkpoint after every epoch to DIR, so that a run killed "
                             "or stopped with Ctrl-C can go on with --resume")
    parser.add_argument("--resume", action="store_true",
                        help="go on from the checkpoint in --checkpoint-dir (same corpus and "
                             "options as the run that wrote it) to the model that run would "
                             "have given")
    parser.add_argument("--teacher", action="append", default=[], metavar="MODEL",
                        help="a model directory whose class probabilities on the training clips "
                             "the fit also learns from (knowledge distillation, weighted by the "
                             "distill_weight parameter); repeat it for an ensemble, whose mean "
                             "is the teacher")
    parser.add_argument("--verbose", action="store_true",
                        help="print skorch's epoch table instead of one line per epoch")


def run(args) -> int:
    """Select the training clips, fit, save; return the exit code.

    Under ``torchrun`` every rank runs this and trains one model
    (docs/distributed.md); rank 0 alone prints and saves.
    """
    from sklearn_mhr import persistence
    from sklearn_mhr._skorch.distributed import current_world

    world = current_world()
    main = world is None or world.main
    say = print if main else _silent

    part = protocols.standard_split(args.dataset, args.root, side="train", test_fold=args.test_fold,
                                     test_groups=args.test_groups, extensions=args.extensions,
                                     sample_rate=args.sample_rate, duration=args.duration)
    if args.resume and args.checkpoint_dir is None:
        raise ValueError("--resume needs --checkpoint-dir, the folder of the checkpoint")
    estimator = build_estimator(args, sample_rate=part.sample_rate)
    check_window_fits(estimator, part.duration)
    estimator.set_params(checkpoint_dir=args.checkpoint_dir)
    if not args.verbose and main:  # a line per epoch with the time left, on a terminal and in a log
        estimator.set_params(callbacks=[("epoch_lines", epoch_printer())])
    out = persistence.check_save_path(args.out) if main else None
    classes = np.unique(part.target)
    length = "whole files" if part.duration is None else f"{part.duration:g} s"
    ranks = "" if world is None else f", on {world.size} processes"
    say(f"Training on {len(part.target)} clips in {len(classes)} classes ({part.description}), "
        f"{part.sample_rate} Hz, {length}{', read lazily' if args.lazy else ''}{ranks}",
        flush=True)
    if args.resume:
        from sklearn_mhr._skorch.checkpoint import read_checkpoint

        saved = read_checkpoint(args.checkpoint_dir)
        state = "complete" if saved["complete"] else f"{saved['run_epochs']} epoch(s) done"
        say(f"Resuming from the checkpoint in '{args.checkpoint_dir}' ({state})", flush=True)
    teachers = load_teachers(args.teacher, classes, part.sample_rate)
    X = corpus.decode(part, lazy=args.lazy, n_jobs=args.workers)
    teacher = teacher_probabilities(teachers, X, say)
    start = time.perf_counter()
    estimator.fit(X, part.target, resume=args.resume, teacher_proba=teacher)
    fit_seconds = time.perf_counter() - start
    if not main:
        return 0
    epochs = len(estimator.net_.history)
    metadata = {
        "command": "train",
        "dataset": args.dataset,
        "root": str(args.root),
        "test_fold": (protocols.DEFAULT_TEST_FOLD if args.test_fold is None else args.test_fold)
        if args.dataset == "urbansound8k" else None,
        "test_groups": args.test_groups if args.dataset == "folder" else None,
        "extensions": args.extensions if args.dataset == "folder" else None,
        "sample_rate": part.sample_rate,
        "duration": part.duration,
        "n_clips": len(part.target),
        "teachers": [str(path) for path in args.teacher],
        "epochs": epochs,
        "fit_seconds": round(fit_seconds, 3),
        "processes": 1 if world is None else world.size,
    }
    persistence.save(estimator, out, metadata=metadata)
    print(f"Trained {epochs} epoch{'' if epochs == 1 else 's'} in {fit_seconds:.1f} s "
          f"({fit_seconds / max(epochs, 1):.1f} s per epoch); model saved to '{out}'")
    return 0


def load_teachers(paths, classes, sample_rate) -> list:
    """The models at ``paths``, each checked to know ``classes`` and to take ``sample_rate``."""
    from sklearn_mhr import persistence

    teachers = []
    for path in paths:
        model = persistence.load(path)
        if not np.array_equal(model.classes_, classes):
            raise ValueError(
                f"--teacher '{path}' knows the classes {model.classes_.tolist()}, the training "
                f"clips have {classes.tolist()}; a teacher must have been trained on the same "
                "classes")
        if model.sample_rate != sample_rate:
            raise ValueError(f"--teacher '{path}' takes {model.sample_rate} Hz, the training "
                             f"clips are read at {sample_rate} Hz; give --sample-rate "
                             f"{model.sample_rate} or another teacher")
        teachers.append((path, model))
    return teachers


def teacher_probabilities(teachers, X, say=print):
    """The mean class probabilities on ``X`` of the ``(path, model)`` pairs; None without any.

    ``say`` prints the progress (``print``, or nothing on the ranks that do not write).
    """
    if not teachers:
        return None
    probabilities = []
    for path, model in teachers:
        say(f"Teacher '{path}': class probabilities of the training clips", flush=True)
        probabilities.append(model.predict_proba(X))
    return np.mean(probabilities, axis=0)


def _silent(*args, **kwargs) -> None:
    """``print`` on the ranks that do not write."""
