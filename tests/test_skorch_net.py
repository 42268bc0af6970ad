"""The skorch net (sklearn_mhr._skorch.net, .build): mixup, optimizers, schedules and rates."""

import math
import signal

import numpy as np
import pytest
import torch
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch import MixupNet, TrainingDivergedError
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


@pytest.fixture(scope="module")
def noise():
    return noise_task()


def test_mixup_trains_against_mixed_one_hot_targets(noise, monkeypatch):
    X, y = noise
    targets = []
    original = MixupNet.get_loss

    def spy(self, y_pred, y_true, *args, **kwargs):
        if kwargs.get("training"):
            targets.append(y_true.detach().clone())
        return original(self, y_pred, y_true, *args, **kwargs)

    monkeypatch.setattr(MixupNet, "get_loss", spy)
    MHRAudioClassifier(mixup_alpha=0.4, **TINY_PARAMS).fit(X, y)
    assert len(targets) == 2 * 3  # 2 epochs of 3 batches
    for t in targets:
        assert t.dtype.is_floating_point and t.shape == (8, 3)
        torch.testing.assert_close(t.sum(dim=1), torch.ones(8))
        assert ((t > 0).sum(dim=1) <= 2).all()
    assert any(((t > 0) & (t < 1)).any() for t in targets)  # some mixing happened


def test_augmentation_leaves_inference_alone(noise):
    X, y = noise
    plain = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    augmented = MHRAudioClassifier(mixup_alpha=0.4, freq_mask_width=3, time_mask_width=3,
                                   random_crop=0.3, **TINY_PARAMS).fit(X, y)
    augmented.net_.module_.load_state_dict(plain.net_.module_.state_dict())
    np.testing.assert_array_equal(augmented.predict_proba(X), plain.predict_proba(X))


def test_augmented_fits_are_reproducible(noise):
    X, y = noise
    params = dict(mixup_alpha=0.4, freq_mask_width=3, time_mask_width=3, random_crop=0.3,
                  **TINY_PARAMS)
    a = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    b = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_sgd_with_warm_restarts_follows_the_cosine_schedule(noise):
    X, y = noise
    params = {**TINY_PARAMS, "max_epochs": 7}
    clf = MHRAudioClassifier(optimizer="sgd", lr=0.1, momentum=0.5, lr_schedule="warm_restarts",
                             restart_period=2, **params).fit(X, y)
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    assert clf.net_.optimizer_.param_groups[0]["momentum"] == 0.5
    # cycles of 2, 4, 8 epochs: position within the cycle at the start of each epoch
    positions = [(0, 2), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8)]
    expected = [0.05 * (1 + math.cos(math.pi * t / period)) for t, period in positions]
    np.testing.assert_allclose(clf.net_.history[:, "event_lr"], expected, rtol=1e-6)


# ------------------------------------------------------ interrupt, divergence
def _act_in_epoch_two(monkeypatch, action) -> list[int]:
    """Make every training step of epoch 2 call ``action(epochs)`` first.

    ``epochs`` lists the epoch of every step so far, and is returned.
    """
    epochs = []
    original = MixupNet.train_step_single

    def step(self, batch, **kw):
        epochs.append(len(self.history))
        if len(self.history) == 2:
            action(epochs)
        return original(self, batch, **kw)

    monkeypatch.setattr(MixupNet, "train_step_single", step)
    return epochs


def test_ctrl_c_stops_fit_with_keyboard_interrupt_and_keeps_the_weights(noise, monkeypatch):
    X, y = noise

    def interrupt(epochs):
        raise KeyboardInterrupt

    epochs = _act_in_epoch_two(monkeypatch, interrupt)
    clf = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 5})
    with pytest.raises(KeyboardInterrupt, match="interrupted after 2 epoch"):
        clf.fit(X, y)
    assert max(epochs) == 2  # stopped in the second epoch, not after the fifth
    assert clf.predict(X[:2]).shape == (2,)  # usable, for whoever wants to look


def test_a_ctrl_c_that_python_drops_still_stops_the_fit_at_the_next_batch(noise, monkeypatch):
    # SIGINT raised where its KeyboardInterrupt is swallowed (as in a finaliser, whose
    # exceptions Python prints and drops): the fit must stop all the same
    X, y = noise

    def swallowed_ctrl_c(epochs):
        if epochs.count(2) == 1:  # the first step of epoch 2 only
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass

    epochs = _act_in_epoch_two(monkeypatch, swallowed_ctrl_c)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)  # may be ignored here
    try:
        clf = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 5})
        with pytest.raises(KeyboardInterrupt, match="interrupted after 2 epoch"):
            clf.fit(X, y)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, inherited)
    assert epochs.count(2) == 1 and max(epochs) == 2  # stopped at the batch after the signal
    # nothing left pending: the next fit runs all its epochs
    assert len(MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 2}).fit(X, y).net_.history) == 2


def test_a_non_finite_loss_stops_training_naming_epoch_and_batch(noise, monkeypatch):
    X, y = noise
    original = MixupNet.get_loss

    def nan_at_third_batch(self, y_pred, y_true, *args, **kwargs):
        loss = original(self, y_pred, y_true, *args, **kwargs)
        batches = len(self.history[-1]["batches"])
        if kwargs.get("training") and len(self.history) == 2 and batches == 2:
            return loss * float("nan")
        return loss

    monkeypatch.setattr(MixupNet, "get_loss", nan_at_third_batch)
    for mixup in (0.0, 0.4):
        clf = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 3, "mixup_alpha": mixup})
        with pytest.raises(TrainingDivergedError, match="nan at epoch 2, batch 3; training "
                                                        "diverged: lower lr"):
            clf.fit(X, y)
        weights = torch.cat([p.detach().flatten() for p in clf.net_.module_.parameters()])
        assert torch.isfinite(weights).all()


def test_early_stopping_is_not_taken_for_an_interrupt(noise, monkeypatch):
    X, y = noise
    clf = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 40, "validation_fraction": 0.25,
                                "patience": 1, "lr": 1e-12})  # no progress: stops soon
    clf.fit(X, y)
    assert len(clf.net_.history) < 40 and not clf.net_.interrupted_


# ----------------------------------------------- what a fitted net keeps
def test_a_pickled_model_holds_no_training_clips(noise):
    import pickle

    X, y = noise
    X = np.repeat(X, 4, axis=1)  # 24 clips of 2 s: their bytes would dominate a pickle
    plain = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    validated = MHRAudioClassifier(**{**TINY_PARAMS, "validation_fraction": 0.25}).fit(X, y)
    size = len(pickle.dumps(validated))
    assert size < len(pickle.dumps(plain)) + X.nbytes / 10
    assert validated.net_.train_split is None
    validated.partial_fit(X, y)  # no stale validation clips, no early stopping left to fail


def test_warm_start_trains_with_this_calls_parameters_and_validation(noise):
    X, y = noise
    clf = MHRAudioClassifier(**{**TINY_PARAMS, "validation_fraction": 0.25, "max_epochs": 2})
    clf.fit(X, y)
    net = clf.net_
    clf.set_params(warm_start=True, batch_size=3, validation_fraction=0.5, max_epochs=1)
    clf.fit(X[:12], y[:12])
    assert clf.net_ is net and len(net.history) == 3
    last = net.history[-1]["batches"]
    assert {b["train_batch_size"] for b in last if "train_batch_size" in b} == {3}
    assert sum(b.get("valid_batch_size", 0) for b in last) == 6  # half of this call's 12 clips


def test_worker_counts_are_each_reproducible():
    """0 and 2 workers draw random numbers differently (documented); each is reproducible."""
    from tasks import tone_task

    from sklearn_mhr import MHRAudioClassifier

    X, y = tone_task(12, seconds=0.25)
    runs = [MHRAudioClassifier(**{**TINY_PARAMS, "n_workers": 2}).fit(X, y).predict_proba(X)
            for _ in range(2)]
    np.testing.assert_array_equal(*runs)
