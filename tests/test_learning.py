"""What training learns: filters move toward a class-bearing tone, heads weight the useful band."""

import numpy as np
import pytest
import torch
from scipy.signal import butter, sosfilt

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.nn import MHRNet

SR = 8000


def _tone_between_filters_task(n, tone_hz, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(SR // 4) / SR
    y = np.arange(n) % 2
    X = 0.5 * rng.standard_normal((n, t.size))
    X[y == 1] += 0.5 * np.sin(2 * np.pi * tone_hz * t + rng.uniform(0, 6, size=((y == 1).sum(), 1)))
    return X.astype(np.float32), y


@pytest.mark.slow
def test_filters_move_toward_a_class_bearing_tone():
    # 16 uniform filters at 8 kHz: centres 235.3 Hz apart; 2941 Hz lies midway between
    # the initial centres 2823.5 and 3058.8 Hz.
    tone = 2941.0
    X, y = _tone_between_filters_task(64, tone, seed=0)
    clf = MHRAudioClassifier(sample_rate=SR, n_filters=16, filter_init="uniform", n_heads=0,
                             max_epochs=15, lr=0.01, random_state=0).fit(X, y)
    before = np.abs(clf.initial_centre_frequencies_ - tone)
    after = np.abs(clf.centre_frequencies_ - tone)
    flanking = np.argsort(before)[:2]
    np.testing.assert_allclose(before[flanking], 117.6, atol=0.5)
    # measured with this seed: the filters on either side of the tone end 47 and 35 Hz closer
    # to it, from below and from above
    assert np.all(before[flanking] - after[flanking] > 30)
    assert after.min() < 80
    X_test, y_test = _tone_between_filters_task(64, tone, seed=1)
    assert clf.score(X_test, y_test) >= 0.9


def _informative_band_task(n, seed):
    """Class: a tone at 2.5 or 3.3 kHz (upper band). Loud random noise bursts below 1.8 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(SR // 2) / SR
    y = np.arange(n) % 2
    X = 0.05 * rng.standard_normal((n, t.size))
    sos = butter(4, [300, 1800], btype="band", fs=SR, output="sos")
    bursts = np.repeat(rng.uniform(size=(n, t.size // 400)) > 0.5, 400, axis=1)
    X += 3 * sosfilt(sos, rng.standard_normal((n, t.size))) * bursts
    X += 0.1 * np.sin(2 * np.pi * np.where(y == 1, 3300.0, 2500.0)[:, None] * t
                      + rng.uniform(0, 6, (n, 1)))
    return X.astype(np.float32), y


@pytest.mark.slow
def test_head_weights_the_informative_band_above_the_noisy_one():
    # One head spans both bands, so its weights on the two are comparable. With one head per
    # band, each band is min-max scaled after weighting and a head's overall level is free:
    # levels of different heads say nothing about each other.
    # Measured as the authors compute it (log energies, bands min-max scaled) at a constant
    # rate; on the default level-free map
    # the task is solved with the head's weights near 0.5 on both bands (docs/benchmarks.md).
    n_heads = 1
    params = dict(sample_rate=SR, n_filters=16, filter_init="uniform", n_heads=n_heads,
                  random_state=0, compression="log", lr_schedule="constant",
                  relevance_scaling="band")
    X, y = _informative_band_task(96, seed=0)
    X_test, y_test = _informative_band_task(64, seed=1)
    clf = MHRAudioClassifier(max_epochs=15, lr=0.003, **params).fit(X, y)
    weights = np.stack(clf.relevance_maps(X_test)[1])
    noisy, informative = weights[:, :8].mean(), weights[:, 8:].mean()  # filters below / above 2 kHz
    # untrained heads weight both bands alike
    torch.manual_seed(0)
    net = MHRNet(2, SR, clf.win_length_, clf.hop_length_, clf.kernel_size_, n_filters=16,
                 filter_init="uniform", n_heads=n_heads, compression="log",
                 relevance_scaling="band").eval()
    with torch.no_grad():
        w0 = net.representation(torch.from_numpy(X_test))[1].numpy()
    assert abs(w0[:, :8].mean() - w0[:, 8:].mean()) < 0.05
    # measured with this seed: 0.29 on the noisy band, 0.58 on the informative one
    assert informative - noisy > 0.1
    assert clf.score(X_test, y_test) >= 0.9
