"""Learning-rate schedules and per-group rates of the training loop."""

import math

import numpy as np
import pytest

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import make_sound_scenes

TINY = dict(n_filters=8, context=2, head_hidden=8, back_end_width=4, batch_size=16, random_state=0,
            n_threads=1)


@pytest.fixture(scope="module")
def data():
    return make_sound_scenes(24, n_classes=2, duration=0.25, random_state=0)


def _rates(clf):
    return [group["lr"] for group in clf.net_.optimizer_.param_groups]


def _cosine(peak, epoch, epochs):
    return peak * (1 + math.cos(math.pi * epoch / epochs)) / 2


def test_cosine_schedule_falls_over_max_epochs_per_group(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=4, lr=0.002, filter_lr_factor=0.1, **TINY).fit(X, y)
    # skorch orders the filterbank's group first; the last epoch ran at k = 3
    assert _rates(clf) == pytest.approx([_cosine(2e-4, 3, 4), _cosine(2e-3, 3, 4)])
    filter_params = {id(p) for p in clf.net_.module_.front_end.filterbank.parameters()}
    assert {id(p) for p in clf.net_.optimizer_.param_groups[0]["params"]} == filter_params


def test_warm_started_fit_starts_a_fresh_schedule_at_the_new_rates(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=4, filter_lr_factor=0.1, **TINY).fit(X, y)
    net = clf.net_
    clf.set_params(warm_start=True, max_epochs=3, lr=0.004).fit(X, y)
    assert clf.net_ is net and len(clf.net_.history) == 7
    assert _rates(clf) == pytest.approx([_cosine(4e-4, 2, 3), _cosine(4e-3, 2, 3)])


def test_partial_fit_trains_every_epoch_at_the_peak_rate(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=4, **TINY)
    for _ in range(6):  # past max_epochs: the cosine neither ends nor restarts
        clf.partial_fit(X, y, classes=np.unique(y))
        assert _rates(clf) == pytest.approx([1e-3])


def test_changed_schedule_or_filter_rate_rebuilds_the_net_on_warm_start(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=2, **TINY).fit(X, y)
    net = clf.net_
    clf.set_params(warm_start=True, lr_schedule="constant").fit(X, y)
    assert clf.net_ is not net and len(clf.net_.history) == 2
    net = clf.net_
    clf.set_params(filter_lr_factor=10.0).fit(X, y)
    assert clf.net_ is not net and len(_rates(clf)) == 2


def test_constant_schedule_keeps_the_rate(data):
    X, y = data
    clf = MHRAudioClassifier(max_epochs=3, lr_schedule="constant", **TINY).fit(X, y)
    assert _rates(clf) == pytest.approx([1e-3])


def test_filter_rate_factor_is_ignored_by_the_mel_front_end(data):
    X, y = data
    clf = MHRAudioClassifier(front_end="mel", n_heads=0, max_epochs=1, filter_lr_factor=0.1,
                             **TINY).fit(X, y)
    assert len(clf.net_.optimizer_.param_groups) == 1
