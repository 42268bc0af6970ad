"""What did the model learn? Learned filters and relevance weights of a fitted MHR model.

Run: ``python examples/inspect_filters_and_heads.py`` (under a minute on two CPU cores).
Arrays only; ``plot_what_the_model_learned.py`` draws the same as pictures.
"""

import numpy as np

from sklearn_mhr import MHRAudioClassifier, analysis
from sklearn_mhr.datasets import make_sound_scenes


def main(n_clips=240, n_classes=4, max_epochs=10, sample_rate=16000):
    """Print how far the filters moved and where each head puts its weight, per class."""
    X, y = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate, random_state=0)
    clf = MHRAudioClassifier(sample_rate=sample_rate, n_filters=40, n_heads=2,
                             max_epochs=max_epochs, random_state=0).fit(X, y)

    table = analysis.filter_table(clf)
    print("filters that moved most (Hz):")
    for k in np.argsort(-np.abs(table.moved_hz))[:5]:
        print(f"  filter {k:2d}: {table.initial_hz[k]:7.1f} -> {table.learned_hz[k]:7.1f} "
              f"({table.moved_hz[k]:+.1f}), half-power bandwidth {table.bandwidth_hz[k]:.0f}")

    relevance = analysis.class_relevance(clf, X, y)
    print("mean relevance weight per head band, by class:")
    for label, per_head in zip(relevance.classes, relevance.per_head):
        print(f"  class {label}: " + "  ".join(
            f"head {h} (filters {lo}-{hi - 1}) {v:.2f}"
            for h, ((lo, hi), v) in enumerate(zip(relevance.head_bands, per_head))))
    return clf


if __name__ == "__main__":
    main()
