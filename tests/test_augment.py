"""Training-time augmentation (masking, mixup, random crops), optimizers and presets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._data import collate_cropped
from sklearn_mhr._training import MixupNet
from sklearn_mhr.nn.augment import MapMasking
from sklearn_mhr.presets import paper_dcase2020, paper_urbansound8k

TINY = dict(sample_rate=8000, n_filters=8, context=2, head_hidden=8, back_end_width=4,
            kernel_duration=0.004, batch_size=8, max_epochs=2, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((24, 4000)).astype(np.float32), np.tile(["a", "b", "c"], 8)


# ----------------------------------------------------------------- masking
def test_masking_is_off_in_evaluation_and_with_zero_widths():
    x = torch.randn(3, 20, 50)
    masking = MapMasking(5, 10).eval()
    assert torch.equal(masking(x), x)
    assert torch.equal(MapMasking(0, 0).train()(x), x)


def test_masks_cover_whole_bands_and_spans_with_the_clip_mean():
    torch.manual_seed(0)
    x = torch.randn(64, 20, 100) + torch.arange(64.0)[:, None, None]  # distinct means
    out = MapMasking(freq_width=4, time_width=0, n_masks=1).train()(x)
    changed = out != x
    means = x.mean(dim=(1, 2))
    for b in range(64):
        rows = changed[b].any(dim=1)
        assert rows.sum() <= 4
        assert changed[b][rows].all()  # a masked filter is masked in every frame
        torch.testing.assert_close(out[b][rows], means[b].expand(int(rows.sum()), 100))
    assert changed.any(dim=(1, 2)).float().mean() > 0.5  # widths are drawn from 0..4
    out = MapMasking(freq_width=0, time_width=10, n_masks=2).train()(x)
    cols = (out != x).any(dim=1)  # (batch, frames)
    assert cols.sum(dim=1).max() <= 2 * 10
    assert ((out != x).any(dim=2) == cols.any(dim=1, keepdim=True)).all()  # all filters


def test_time_masks_spare_most_of_a_short_clip():
    x = torch.randn(16, 10, 12)
    out = MapMasking(freq_width=0, time_width=100, n_masks=1).train()(x)
    assert (out != x).any(dim=1).sum(dim=1).max() <= 12 // 5


# ------------------------------------------------------------------- crops
def test_crops_are_contiguous_segments_of_the_right_length():
    torch.manual_seed(0)
    long_clip, short_clip = torch.arange(100.0), torch.arange(7.0)
    waves, targets = collate_cropped([(long_clip, 0), (short_clip, 1)], n_samples=30)
    assert waves.shape == (2, 30) and targets.tolist() == [0, 1]
    start = int(waves[0, 0])
    assert torch.equal(waves[0], torch.arange(start, start + 30.0))
    tiled = short_clip.repeat(5)
    assert any(torch.equal(waves[1], tiled[s:s + 30]) for s in range(len(tiled) - 29))


def test_random_crop_changes_training_only(data):
    X, y = data
    cropped = MHRAudioClassifier(random_crop=0.2, **TINY).fit(X, y)
    assert cropped.predict_proba(X).shape == (24, 3)  # inference on whole 0.5 s clips
    seen = []
    original = MixupNet.train_step_single

    def spy(self, batch, **kw):
        seen.append(batch[0].shape[1])
        return original(self, batch, **kw)

    MixupNet.train_step_single = spy
    try:
        MHRAudioClassifier(random_crop=0.2, **TINY).fit(X, y)
    finally:
        MixupNet.train_step_single = original
    assert set(seen) == {1600}


# ------------------------------------------------------------------- mixup
def test_mixup_trains_against_mixed_one_hot_targets(data, monkeypatch):
    X, y = data
    targets = []
    original = MixupNet.get_loss

    def spy(self, y_pred, y_true, *args, **kwargs):
        if kwargs.get("training"):
            targets.append(y_true.detach().clone())
        return original(self, y_pred, y_true, *args, **kwargs)

    monkeypatch.setattr(MixupNet, "get_loss", spy)
    MHRAudioClassifier(mixup_alpha=0.4, **TINY).fit(X, y)
    assert len(targets) == 2 * 3  # 2 epochs of 3 batches
    for t in targets:
        assert t.dtype.is_floating_point and t.shape == (8, 3)
        torch.testing.assert_close(t.sum(dim=1), torch.ones(8))
        assert ((t > 0).sum(dim=1) <= 2).all()
    assert any(((t > 0) & (t < 1)).any() for t in targets)  # some mixing happened


def test_augmentation_leaves_inference_alone(data):
    X, y = data
    plain = MHRAudioClassifier(**TINY).fit(X, y)
    augmented = MHRAudioClassifier(mixup_alpha=0.4, freq_mask_width=3, time_mask_width=3,
                                   random_crop=0.3, **TINY).fit(X, y)
    augmented.net_.module_.load_state_dict(plain.net_.module_.state_dict())
    np.testing.assert_array_equal(augmented.predict_proba(X), plain.predict_proba(X))


def test_augmented_fits_are_reproducible(data):
    X, y = data
    params = dict(mixup_alpha=0.4, freq_mask_width=3, time_mask_width=3, random_crop=0.3, **TINY)
    a = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    b = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


# -------------------------------------------------------- optimizer, schedule
def test_sgd_with_warm_restarts_follows_the_cosine_schedule(data):
    X, y = data
    params = {**TINY, "max_epochs": 7}
    clf = MHRAudioClassifier(optimizer="sgd", lr=0.1, momentum=0.5, lr_schedule="warm_restarts",
                             restart_period=2, **params).fit(X, y)
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    assert clf.net_.optimizer_.param_groups[0]["momentum"] == 0.5
    # cycles of 2, 4, 8 epochs: position within the cycle at the start of each epoch
    positions = [(0, 2), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8)]
    expected = [0.05 * (1 + math.cos(math.pi * t / period)) for t, period in positions]
    np.testing.assert_allclose(clf.net_.history[:, "event_lr"], expected, rtol=1e-6)


def test_new_parameters_are_checked(data):
    X, y = data
    with pytest.raises(ValueError) as info:
        MHRAudioClassifier(optimizer="rmsprop", lr_schedule="step", mixup_alpha=-1,
                           freq_mask_width=-2, random_crop=0, momentum=1.5,
                           restart_period=0).fit(X, y)
    message = str(info.value)
    for name in ("optimizer", "lr_schedule", "mixup_alpha", "freq_mask_width", "random_crop",
                 "momentum", "restart_period"):
        assert name in message


# ------------------------------------------------------------------- presets
def test_dcase2020_preset_is_the_paper_setting():
    clf = paper_dcase2020()
    clf._set_lengths()
    assert (clf.win_length_, clf.hop_length_, clf.kernel_size_) == (2048, 1024, 705)
    p = clf.get_params()
    assert p["sample_rate"] == 44100 and p["n_filters"] == 80 and p["n_heads"] == 2
    assert p["context"] == 10 and p["head_hidden"] == 50 and p["head_activation"] == "sigmoid"
    assert p["back_end"] == "fcnn" and p["mixup_alpha"] == 0.4
    assert p["optimizer"] == "sgd" and p["lr_schedule"] == "warm_restarts"
    assert p["freq_mask_width"] > 0 and p["time_mask_width"] > 0


def test_urbansound8k_preset_uses_softmax_heads_and_the_cnn_lstm():
    p = paper_urbansound8k().get_params()
    assert p["head_activation"] == "softmax" and p["back_end"] == "cnn_lstm"
    assert p["sample_rate"] == 22050


def test_presets_take_overrides_and_reject_unknown_names(data):
    X, y = data
    small = dict(TINY, window_duration=0.032, hop_duration=0.016)
    for preset in (paper_dcase2020, paper_urbansound8k):
        clf = preset(**small, random_crop=None)
        assert clf.get_params()["sample_rate"] == 8000
        assert clf.fit(X, y).predict(X[:3]).shape == (3,)
        with pytest.raises(TypeError, match="unknown MHRAudioClassifier parameters"):
            preset(n_head=4)
