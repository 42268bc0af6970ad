"""From a fitted model to every picture: filters, one clip, per-class relevance, curves, errors.

Run: ``python examples/plot_what_the_model_learned.py`` (about a minute on two CPU cores;
needs matplotlib: ``pip install ".[plot]"``). Writes PNG files to ``mhr-example-plots/``.
"""

from pathlib import Path

import matplotlib
from sklearn.model_selection import train_test_split

from sklearn_mhr import MHRAudioClassifier, plotting
from sklearn_mhr.datasets import make_sound_scenes

matplotlib.use("Agg")  # write files; no window needed


def main(n_clips=240, n_classes=4, max_epochs=10, sample_rate=16000,
         out="mhr-example-plots"):
    """Fit a model with a validation split, draw every picture; return the files written."""
    X, y = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate,
                             random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    # a validation fraction records validation loss and accuracy for the training curves
    clf = MHRAudioClassifier(sample_rate=sample_rate, n_filters=40, n_heads=2,
                             max_epochs=max_epochs, validation_fraction=0.2, random_state=0)
    clf.fit(X_train, y_train)

    figures = {
        "filters": plotting.plot_filters(clf),
        "clip": plotting.plot_clip(clf, X_test[0], label=y_test[0]),
        "relevance": plotting.plot_class_relevance(clf, X_test, y_test),
        "history": plotting.plot_history(clf),
        "confusion": plotting.plot_confusion(clf, X_test, y_test),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=80)
        written.append(path)
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
