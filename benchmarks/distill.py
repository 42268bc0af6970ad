"""Knowledge distillation from an ensemble over seeds, against the same student trained alone.

For seeds 0..N-1 this fits the estimator (the teachers, each also the student's
"alone" twin of its seed), averages the teachers' probabilities on the training
clips into one teacher, and fits a student per seed on the labels and that
teacher (``fit(..., teacher_proba=...)``). Every fit is scored on the test side,
overall and per device (DCASE2020 layout); the ensemble's own test accuracy is
reported as the teacher's. Both sets of fits are written in benchmarks.compare's
JSON format, so ``benchmarks.paired`` compares them seed by seed; this script prints that
comparison and, with ``--docs-heading``, writes it to docs/benchmarks.md.
Finished fits are kept in ``--out`` and skipped when the command is run again.

A teacher's probabilities on the clips it was trained on are close to their labels. With
``--out-of-fold K`` the teacher's probability for each training clip comes instead from
fits that never saw it: for each seed the training clips are cut into K stratified folds
(shuffled with the seed) and one fit on the other folds predicts each fold; the teacher is
the mean of those out-of-fold probabilities over seeds. The students are then written to
``student_oof{K}.json``. It costs K more fits per seed, each on (K - 1) / K of the clips.

Usage::

    python -m benchmarks.distill --dataset dcase2020 --root CORPUS --duration 2 \\
        --seeds 5 --out /tmp/distill [--unseen c,d] [--set distill_weight=0.5] \\
        [--out-of-fold 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks._report import command, publish
from benchmarks._settings import setting
from benchmarks.compare import data
from benchmarks.compare.data import Split
from benchmarks.compare.fit import per_device
from benchmarks.paired import paired_table

HEADING = "## Distillation from an ensemble over seeds"


def load_split(args) -> Split:
    """The corpus' training and test clips, decoded, as ``benchmarks.compare`` reads them.

    ``--test-fold`` holds out an UrbanSound8K fold, ``--split-file`` a folder corpus'
    groups; a folder corpus without held-out groups is split 70/30 with seed 0, the
    same split for every teacher and student.
    """
    groups = (json.loads(Path(args.split_file).read_text())["test_groups"]
              if args.split_file else None)
    return data.load_split({"dataset": args.dataset, "root": args.root,
                            "sample_rate": args.sample_rate, "duration": args.duration,
                            "seed": 0, "cache": None, "split": args.test_fold,
                            "test_groups": groups})


def score(classes, proba, y_test, device) -> dict:
    """Accuracy overall and per device of the test probabilities ``proba``."""
    pred = classes[proba.argmax(axis=1)]
    out = {"accuracy": float(np.mean(pred == y_test))}
    if device is not None:
        out["per_device"] = per_device(y_test, pred, device)
    return out


def fit_scored(params, seed, split, teacher=None) -> tuple[dict, object, np.ndarray]:
    """Fit one estimator: its run record (benchmarks.compare's fields), itself, its test
    probabilities."""
    from sklearn_mhr import MHRAudioClassifier

    clf = MHRAudioClassifier(**params, random_state=seed)
    started = time.perf_counter()
    clf.fit(split.X_train, split.y_train, teacher_proba=teacher)
    fit_seconds = time.perf_counter() - started
    test_proba = clf.predict_proba(split.X_test)
    run = {"variant": "student" if teacher is not None else "alone", "seed": seed,
           "split": None, "params": {**params, "random_state": seed},
           "fit_seconds": fit_seconds,
           **score(clf.classes_, test_proba, split.y_test, split.device)}
    return run, clf, test_proba


def out_of_fold_proba(params, seed, split, n_folds: int) -> np.ndarray:
    """Probabilities of every training clip from a fit on the other ``n_folds - 1`` folds."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.utils import _safe_indexing  # rows of an array or of a list of clips

    from sklearn_mhr import MHRAudioClassifier

    classes = np.unique(split.y_train)
    proba = np.zeros((len(split.y_train), len(classes)))
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for k, (train, held) in enumerate(folds.split(split.X_train, split.y_train)):
        clf = MHRAudioClassifier(**params, random_state=seed)
        clf.fit(_safe_indexing(split.X_train, train), split.y_train[train])
        if not np.array_equal(clf.classes_, classes):
            raise SystemExit(f"fold {k} of seed {seed} lacks a class; use fewer folds")
        proba[held] = clf.predict_proba(_safe_indexing(split.X_train, held))
    return proba


def _runs(path: Path) -> list[dict]:
    return json.loads(path.read_text())["runs"] if path.exists() else []


def _save(path: Path, runs: list[dict]) -> None:
    path.write_text(json.dumps({"runs": runs}, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["dcase2020", "urbansound8k", "folder"],
                        required=True)
    parser.add_argument("--root", required=True, help="corpus folder")
    parser.add_argument("--duration", type=float, default=None, help="clip length in s")
    parser.add_argument("--sample-rate", type=int, default=None,
                        help="Hz (default: the loader's: 44100 DCASE2020, 22050 UrbanSound8K, "
                             "16000 folder)")
    parser.add_argument("--test-fold", type=int, default=None,
                        help="UrbanSound8K fold held out (default: the loader's, 10)")
    parser.add_argument("--split-file", default=None,
                        help='folder corpus: JSON {"test_groups": [...]} held out, as '
                             "benchmarks.compare reads it")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default: 5)")
    parser.add_argument("--set", action="append", default=[], type=setting, metavar="KEY=VALUE",
                        help="estimator parameter of every fit; repeatable")
    parser.add_argument("--student-set", action="append", default=[], type=setting,
                        metavar="KEY=VALUE",
                        help="estimator parameter of the students only (distill_weight, "
                             "distill_temperature...); repeatable")
    parser.add_argument("--out-of-fold", type=int, default=0, metavar="K",
                        help="teacher probabilities on the training clips from K-fold fits "
                             "that did not see them (default: 0, the teachers' own)")
    parser.add_argument("--unseen", default="", help="comma-separated unseen devices")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for the JSON files and the teachers' probabilities")
    parser.add_argument("--docs-heading", default=None,
                        help=f"write the table to docs/benchmarks.md under this heading "
                             f"(e.g. {HEADING!r})")
    args = parser.parse_args(argv)
    if args.out_of_fold == 1 or args.out_of_fold < 0:  # refused before any fit, not after
        parser.error(f"--out-of-fold needs at least 2 folds (or 0 for none), got "
                     f"{args.out_of_fold}")
    if args.sample_rate is None:
        args.sample_rate = {"dcase2020": 44100, "urbansound8k": 22050, "folder": 16000}[
            args.dataset]
    args.out.mkdir(parents=True, exist_ok=True)
    params = {"sample_rate": args.sample_rate, **dict(args.set)}
    student_params = {**params, **dict(args.student_set)}
    split = load_split(args)
    print(f"{len(split.y_train)} training clips, {len(split.y_test)} test clips, "
          f"{args.seeds} seeds", flush=True)

    alone_path, student_path = args.out / "alone.json", args.out / "student.json"
    alone = {r["seed"]: r for r in _runs(alone_path)}
    for seed in range(args.seeds):
        proba_file = args.out / f"teacher_seed{seed}.npz"
        if seed in alone and proba_file.exists():
            continue
        run, clf, test_proba = fit_scored(params, seed, split)
        np.savez(proba_file, train=clf.predict_proba(split.X_train), test=test_proba,
                 classes=clf.classes_)
        alone[seed] = run
        _save(alone_path, [alone[s] for s in sorted(alone)])
        print(f"alone, seed {seed}: accuracy {run['accuracy']:.3f} "
              f"({run['fit_seconds']:.0f} s)", flush=True)

    saved = [np.load(args.out / f"teacher_seed{s}.npz") for s in range(args.seeds)]
    teacher_train = np.mean([z["train"] for z in saved], axis=0)
    if args.out_of_fold:
        oof = []
        for seed in range(args.seeds):
            oof_file = args.out / f"teacher_seed{seed}_oof{args.out_of_fold}.npy"
            if not oof_file.exists():
                np.save(oof_file, out_of_fold_proba(params, seed, split, args.out_of_fold))
                print(f"out-of-fold teacher, seed {seed}: done", flush=True)
            oof.append(np.load(oof_file))
        teacher_train = np.mean(oof, axis=0)
        student_path = args.out / f"student_oof{args.out_of_fold}.json"
        print(f"out-of-fold teacher ({args.out_of_fold} folds): accuracy on the training "
              f"clips {np.mean(saved[0]['classes'][teacher_train.argmax(1)] == split.y_train):.3f}",
              flush=True)
    teacher_test = np.mean([z["test"] for z in saved], axis=0)
    ensemble = score(saved[0]["classes"], teacher_test, split.y_test, split.device)
    print(f"teacher (ensemble of {args.seeds}): accuracy {ensemble['accuracy']:.3f}", flush=True)

    student = {r["seed"]: r for r in _runs(student_path)}
    for seed in range(args.seeds):
        if seed in student:
            continue
        run, _, _ = fit_scored(student_params, seed, split, teacher=teacher_train)
        student[seed] = run
        _save(student_path, [student[s] for s in sorted(student)])
        print(f"student, seed {seed}: accuracy {run['accuracy']:.3f} "
              f"({run['fit_seconds']:.0f} s)", flush=True)

    unseen = [d for d in args.unseen.split(",") if d]
    rows = paired_table({(s, None): alone[s] for s in alone},
                        {(s, None): student[s] for s in student}, unseen)
    shown = command("benchmarks.distill", argv if argv is not None else sys.argv[1:])
    heading = args.docs_heading or HEADING
    lines = [heading, "", f"Command: `{shown}`",
             "", f"Teacher: the mean probabilities of the {args.seeds} fits alone; its test "
             f"accuracy {ensemble['accuracy']:.3f}"
             + ("" if "per_device" not in ensemble else " (" + ", ".join(
                 f"{d} {a:.3f}" for d, a in ensemble["per_device"].items()) + ")")
             + f". Student settings: {dict(args.student_set) or 'the defaults'}."
             + (f" Teacher on the training clips: out of {args.out_of_fold} folds."
                if args.out_of_fold else ""), "",
             "| score | alone | student | paired diff | seeds better / worse |",
             "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['score']} | {row['base']:.3f} | {row['other']:.3f} | "
                     f"{row['diff']:+.3f} ± {row['diff_std']:.3f} | "
                     f"{row['better']} / {row['worse']} |")
    publish("\n".join(lines) + "\n", heading, write=args.docs_heading is not None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
