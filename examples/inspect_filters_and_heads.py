"""What did the model learn? Learned filters and relevance weights of a fitted MHR model.

Run: ``python examples/inspect_filters_and_heads.py`` (under a minute on two CPU cores).
"""

import numpy as np

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import make_sound_scenes


def main(n_clips=240, n_classes=4, max_epochs=10, sample_rate=16000):
    """Print how far the filters moved and where each head puts its weight, per class."""
    X, y = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate, random_state=0)
    clf = MHRAudioClassifier(sample_rate=sample_rate, n_filters=40, n_heads=2,
                             max_epochs=max_epochs, random_state=0).fit(X, y)

    moved = clf.centre_frequencies_ - clf.initial_centre_frequencies_
    print("filters that moved most (Hz):")
    for k in np.argsort(-np.abs(moved))[:5]:
        print(f"  filter {k:2d}: {clf.initial_centre_frequencies_[k]:7.1f} -> "
              f"{clf.centre_frequencies_[k]:7.1f} ({moved[k]:+.1f})")

    freqs, magnitude = clf.frequency_response(n_fft=1024)
    peaks = freqs[magnitude.argmax(axis=1)]
    print(f"frequency responses: {magnitude.shape[0]} filters, peaks from {peaks.min():.0f} "
          f"to {peaks.max():.0f} Hz")

    # relevance weights per clip: (n_filters, n_frames); rows head_bands_[h] belong to head h
    _, weights = clf.relevance_maps(X)
    profile = np.stack([w.mean(axis=1) for w in weights])  # (n_clips, n_filters)
    print("mean relevance weight per head band, by class:")
    for label in clf.classes_:
        by_band = [profile[y == label, lo:hi].mean() for lo, hi in clf.head_bands_]
        print(f"  class {label}: " + "  ".join(
            f"head {h} (filters {lo}-{hi - 1}) {v:.2f}"
            for h, ((lo, hi), v) in enumerate(zip(clf.head_bands_, by_band))))
    return clf


if __name__ == "__main__":
    main()
