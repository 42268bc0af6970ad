"""partial_fit: one epoch per call, classes on the first call, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from sklearn_mhr import MHRAudioClassifier

TINY = dict(sample_rate=8000, n_filters=8, context=2, head_hidden=8, back_end_width=4,
            kernel_duration=0.004, batch_size=8, random_state=0)
LABELS = np.array(["car", "dog", "rain"])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((24, 4000)).astype(np.float32), np.tile(LABELS, 8)


def test_each_call_runs_one_epoch(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=50, **TINY)
    for epoch in range(1, 4):
        clf.partial_fit(X, y, classes=LABELS if epoch == 1 else None)
        assert len(clf.net_.history) == epoch
    assert list(clf.classes_) == list(LABELS)
    assert clf.predict_proba(X).shape == (24, 3)
    assert set(clf.predict(X)) <= set(LABELS)


def test_calls_change_the_weights_and_keep_the_optimizer(data):
    X, y = data
    clf = MHRAudioClassifier(**TINY).partial_fit(X, y, classes=LABELS)
    before = clf.predict_proba(X)
    optimizer = clf.net_.optimizer_
    clf.partial_fit(X, y)
    assert clf.net_.optimizer_ is optimizer
    assert not np.allclose(before, clf.predict_proba(X))


def test_a_sequence_of_calls_is_reproducible(data):
    X, y = data
    runs = []
    for _ in range(2):
        clf = MHRAudioClassifier(**TINY)
        for _ in range(2):
            clf.partial_fit(X, y, classes=LABELS)
        runs.append(clf.predict_proba(X))
    np.testing.assert_array_equal(*runs)


def test_a_batch_may_lack_some_classes(data):
    X, y = data
    clf = MHRAudioClassifier(**TINY).partial_fit(X[y != "rain"], y[y != "rain"], classes=LABELS)
    assert clf.predict_proba(X).shape[1] == 3


def test_classes_are_required_first(data):
    X, y = data
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        MHRAudioClassifier(**TINY).partial_fit(X, y)


def test_labels_outside_the_classes_are_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="not among the classes"):
        MHRAudioClassifier(**TINY).partial_fit(X, y, classes=["car", "dog"])
    clf = MHRAudioClassifier(**TINY).partial_fit(X, y, classes=LABELS)
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(X[:2], ["car", "bird"])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=["car", "dog", "rain", "bird"])


def test_partial_fit_continues_a_fitted_model(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=2, **TINY).fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.net_.history) == 3
