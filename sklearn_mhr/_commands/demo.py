"""``sklearn-mhr demo``: MHR against the mel baseline on generated sound scenes."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

__all__ = ["demo_split", "run", "write_filters"]


#: columns of the demo's filters.csv, from :func:`sklearn_mhr.analysis.filter_table`
FILTER_COLUMNS = ("index", "initial_hz", "learned_hz", "moved_hz", "bandwidth_hz")


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


def run(args) -> int:
    """Generate data, train both models, print the table, save MHR; return the exit code."""
    from sklearn_mhr import persistence
    from sklearn_mhr.estimator import MHRAudioClassifier

    out = persistence.check_save_path(args.out)
    _check_filters_file(out, persistence)
    print(f"Generating {args.n_clips} clips of {args.duration} s at {args.sample_rate} Hz "
          f"({args.n_classes} classes, seed {args.seed})", flush=True)
    X_train, X_test, y_train, y_test = demo_split(args.n_clips, args.n_classes, args.duration,
                                                  args.sample_rate, args.seed, args.test_size)
    common = dict(sample_rate=args.sample_rate, max_epochs=args.epochs, random_state=args.seed,
                  n_threads=args.threads, verbose=int(args.verbose))
    models = [
        ("MHR (learned filters, 2 heads)", MHRAudioClassifier(**common)),
        ("mel baseline (no heads)", MHRAudioClassifier(front_end="mel", n_heads=0, **common)),
    ]
    rows = []
    for name, model in models:
        print(f"Training {name} on {len(X_train)} clips for {args.epochs} epochs ...", flush=True)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        rows.append((name, model.score(X_test, y_test), fit_time))
    width = max(len(r[0]) for r in rows)
    print(f"\nHeld-out accuracy on {len(X_test)} clips:")
    print(f"{'model':<{width}}  accuracy  fit time (s)")
    for name, accuracy, fit_time in rows:
        print(f"{name:<{width}}  {accuracy:8.3f}  {fit_time:12.1f}")
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
