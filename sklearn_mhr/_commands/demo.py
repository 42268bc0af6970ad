"""``sklearn-mhr demo``: MHR against the mel baseline on generated sound scenes."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

__all__ = ["DESCRIPTION", "HELP", "SEED_SPREAD", "add_arguments", "demo_models", "demo_split",
           "run", "verdict", "write_filters"]

HELP = "train MHR and the mel baseline on generated data and compare them"
DESCRIPTION = ("Generate a sound-scene task (no download), train MHR and the mel-spectrogram "
               "baseline with the same back end (about a minute on two cores), print held-out "
               "accuracy, fit time and a verdict in words, and save the MHR model with its "
               "learned filters (filters.csv).")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr demo``."""
    from sklearn_mhr._commands.argtypes import positive_float, positive_int

    parser.add_argument("--n-clips", type=positive_int, default=480,
                        help="clips to generate (default: 480)")
    parser.add_argument("--n-classes", type=int, default=8, help="classes, 2 to 12 (default: 8)")
    parser.add_argument("--duration", type=positive_float, default=1.0,
                        help="clip length in s (default: 1.0)")
    parser.add_argument("--sample-rate", type=positive_int, default=16000,
                        help="Hz (default: 16000)")
    parser.add_argument("--test-size", type=float, default=0.3,
                        help="held-out fraction (default: 0.3)")
    parser.add_argument("--epochs", type=positive_int, default=15,
                        help="training epochs (default: 15)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="torch threads (default: torch's)")
    parser.add_argument("--out", default="mhr-demo-model", metavar="DIR",
                        help="where to save the MHR model and filters.csv (default: "
                             "mhr-demo-model)")
    parser.add_argument("--verbose", action="store_true",
                        help="print skorch's epoch table of each fit instead of one line per "
                             "epoch")


#: columns of the demo's filters.csv, from :func:`sklearn_mhr.analysis.filter_table`
FILTER_COLUMNS = ("index", "initial_hz", "learned_hz", "moved_hz", "bandwidth_hz")

#: seed-to-seed standard deviation of the demo's held-out accuracy, either model, measured with
#: the demo's defaults (docs/benchmarks.md, "The demo's spread over seeds")
SEED_SPREAD = 0.02


def write_filters(estimator, path) -> None:
    """Write the filter table (:data:`FILTER_COLUMNS`), one row per filter, to a CSV file,
    replaced in one rename (a link there is replaced, not written through)."""
    from sklearn_mhr._safe_folder import write_file
    from sklearn_mhr.analysis import filter_table

    table = filter_table(estimator)
    with io.StringIO(newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FILTER_COLUMNS)
        for i in table.index:
            writer.writerow([int(i)] + [f"{table[name][i]:.3f}" for name in FILTER_COLUMNS[1:]])
        text = f.getvalue()
    path = Path(path)
    write_file(path.parent, path.name, lambda out: out.write(text.encode("utf-8")))


def _check_filters_file(out, persistence) -> None:
    """Refuse to overwrite a filters.csv that an earlier demo did not write beside its model."""
    if not (out / "filters.csv").exists():
        return
    try:
        command = persistence.read_metadata(out).get("metadata", {}).get("command")
    except (OSError, ValueError):
        command = None
    if command != "demo":
        raise ValueError(
            f"'{out / 'filters.csv'}' exists and was not written by sklearn-mhr demo; pass "
            "another --out, so that no file of yours is overwritten")


def demo_split(n_clips, n_classes, duration, sample_rate, seed, test_size):
    """The demo's generated clips, split as ``train_test_split`` returns them.

    The same arguments give the same clips, so ``sklearn-mhr plot`` finds a
    demo model's held-out clips again from the metadata saved with it.
    """
    from sklearn.model_selection import train_test_split

    from sklearn_mhr.datasets import make_sound_scenes

    bunch = make_sound_scenes(n_clips, n_classes=n_classes, duration=duration,
                              sample_rate=sample_rate, random_state=seed, return_bunch=True)
    return train_test_split(bunch.data, np.asarray(bunch.target_names)[bunch.target],
                            test_size=test_size, stratify=bunch.target, random_state=seed)


def demo_models(args) -> list[tuple[str, object]]:
    """The demo's two models, named: MHR with the defaults, and the mel baseline.

    Parameters
    ----------
    args : argparse.Namespace
        The demo's options (``sample_rate``, ``epochs``, ``seed``, ``threads``,
        ``verbose``).
    """
    from sklearn_mhr.estimator import MHRAudioClassifier

    common = dict(sample_rate=args.sample_rate, max_epochs=args.epochs, random_state=args.seed,
                  n_threads=args.threads, verbose=int(args.verbose))
    return [
        ("MHR (learned filters, 2 heads)", MHRAudioClassifier(**common)),
        ("mel baseline (no heads)", MHRAudioClassifier(front_end="mel", n_heads=0, **common)),
    ]


def verdict(mhr_accuracy: float, mel_accuracy: float, n_test: int,
            spread: float = SEED_SPREAD) -> str:
    """The demo's comparison in words, true for the two accuracies it printed.

    Parameters
    ----------
    mhr_accuracy, mel_accuracy : float
        Held-out accuracy of MHR and of the mel baseline.
    n_test : int
        Held-out clips.
    spread : float, default=SEED_SPREAD
        Seed-to-seed standard deviation of either accuracy on this task.

    Returns
    -------
    str
        A paragraph: who leads by how many clips, whether that is more than
        the spread, and where the learned front end leads on real recordings.
    """
    diff = mhr_accuracy - mel_accuracy
    clips = round(abs(diff) * n_test)
    clip_text = f"{clips} clip{'' if clips == 1 else 's'} of {n_test}"
    if clips == 0:
        head = "A tie: both models classify the same number of held-out clips correctly."
    else:
        leader = "MHR" if diff > 0 else "The mel baseline"
        head = f"{leader} is ahead by {abs(diff):.3f} ({clip_text})"
        if abs(diff) <= spread:
            head += (f", less than the spread between seeds on this task (standard deviation "
                     f"about {spread:.2f}): a tie, which another --seed may reverse.")
        else:
            head += (f", more than the spread between seeds on this task (standard deviation "
                     f"about {spread:.2f}), but from one seed: compare several before "
                     "concluding.")
    return (head + " The generated classes differ by coarse spectra that mel filters already "
            "resolve, so this task shows the method at work, not where it wins. On real "
            "recordings the learned front end leads the mel baseline on spoken words by an "
            "unseen speaker and on drum one-shots, not on instrument notes: docs/benchmarks.md "
            "in the source repository.")


def run(args) -> int:
    """Generate data, train both models, print the table, save MHR; return the exit code."""
    import textwrap

    from sklearn_mhr import persistence
    from sklearn_mhr._commands.progress import epoch_printer

    out = persistence.check_save_path(args.out)
    _check_filters_file(out, persistence)
    print(f"Generating {args.n_clips} clips of {args.duration} s at {args.sample_rate} Hz "
          f"({args.n_classes} classes, seed {args.seed})", flush=True)
    X_train, X_test, y_train, y_test = demo_split(args.n_clips, args.n_classes, args.duration,
                                                  args.sample_rate, args.seed, args.test_size)
    models = demo_models(args)
    if not args.verbose:  # a line per epoch with the time left, on a terminal and in a log
        for _, model in models:
            model.set_params(callbacks=[("epoch_lines", epoch_printer(prefix="  "))])
    rows = []
    for name, model in models:
        print(f"Training {name} on {len(X_train)} clips for {args.epochs} "
              f"epoch{'' if args.epochs == 1 else 's'}:", flush=True)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        rows.append((name, model.score(X_test, y_test), fit_time))
    width = max(len(r[0]) for r in rows)
    print(f"\nHeld-out accuracy on {len(X_test)} clips:")
    print(f"{'model':<{width}}  accuracy  fit time (s)")
    for name, accuracy, fit_time in rows:
        print(f"{name:<{width}}  {accuracy:8.3f}  {fit_time:12.1f}")
    print()
    print(textwrap.fill(verdict(rows[0][1], rows[1][1], len(X_test)), width=90))
    if rows[1][2] > 0:
        print(f"MHR took {rows[0][2] / rows[1][2]:.1f} times the mel baseline's fit time.")
    mhr = models[0][1]
    moved = np.abs(mhr.centre_frequencies_ - mhr.initial_centre_frequencies_)
    print(f"\nLearned filters moved by {moved.mean():.1f} Hz on average "
          f"(largest move {moved.max():.1f} Hz, filter at "
          f"{mhr.centre_frequencies_[moved.argmax()]:.0f} Hz).")
    metadata = {"command": "demo", "dataset": "make_sound_scenes", "n_clips": args.n_clips,
                "n_classes": args.n_classes, "sample_rate": args.sample_rate,
                "duration": args.duration, "seed": args.seed, "test_size": args.test_size,
                "held_out_accuracy": round(float(rows[0][1]), 4)}
    persistence.save(mhr, out, metadata=metadata)
    write_filters(mhr, out / "filters.csv")
    print(f"Saved the MHR model to '{out}' and its filters to '{out / 'filters.csv'}'.")
    return 0
