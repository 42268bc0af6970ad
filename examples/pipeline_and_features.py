"""Fit MHR on generated sound scenes, then reuse its features in a scikit-learn pipeline.

``transform`` pools the relevance-weighted map over time (mean and standard deviation per
filter). Those statistics keep which bands carry energy and how much it varies, but not the
order of events in time; on classes that differ in their temporal patterns (modulation rates,
chirps, event rates, as in ``make_sound_scenes``) the network's own back end, which sees the
whole map, scores higher than a linear model on the pooled features.

Run: ``python examples/pipeline_and_features.py`` (about a minute on two CPU cores).
"""

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import make_sound_scenes


def main(n_clips=320, n_classes=6, max_epochs=10, sample_rate=16000):
    """Print the held-out accuracy of MHR and of a logistic regression on its features."""
    X, y = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

    mhr = MHRAudioClassifier(sample_rate=sample_rate, max_epochs=max_epochs, random_state=0)
    mhr.fit(X_train, y_train)
    print(f"MHR network:                          {mhr.score(X_test, y_test):.3f}")

    # transform() pools the relevance-weighted map over time: (n_clips, 2 * n_filters)
    pipeline = make_pipeline(
        MHRAudioClassifier(sample_rate=sample_rate, max_epochs=max_epochs, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    pipeline.fit(X_train, y_train)
    print(f"logistic regression on MHR features: {pipeline.score(X_test, y_test):.3f}")
    return mhr, pipeline


if __name__ == "__main__":
    main()
