"""The cos-Gauss filterbank: the authors' random draw of the logits, and the width rules."""

import numpy as np
import pytest
import torch
from scipy import stats

from sklearn_mhr.nn import CosGaussFilterbank
from sklearn_mhr.nn.cosgauss import RANDOM_LOGIT_RANGE

LOW, HIGH = RANDOM_LOGIT_RANGE


def _random_bank(n_filters, seed, sample_rate=44100):
    torch.manual_seed(seed)
    return CosGaussFilterbank(n_filters, 705, sample_rate, init="random")


def test_range_is_the_authors():
    # their code: torch.rand(ngf) * (-5) + 1.3
    assert RANDOM_LOGIT_RANGE == (-3.7, 1.3)


def test_random_logits_lie_in_range_and_are_sorted():
    fb = _random_bank(80, seed=0)
    mu = fb.mu.detach().double().numpy()
    assert mu.shape == (80,)
    assert np.all(mu >= np.float32(LOW)) and np.all(mu <= np.float32(HIGH))
    assert np.all(np.diff(mu) >= 0)
    s = torch.sigmoid(fb.mu.detach()).numpy()
    assert np.all(np.diff(s) >= 0)
    # the stored initial logits are the same draw
    np.testing.assert_array_equal(fb.mu_init.numpy(), fb.mu.detach().numpy())
    # centres in Hz follow from the sigmoids, sorted, inside the image of the interval
    hz = fb.initial_centre_frequencies()
    nyquist = 44100 / 2
    assert np.all(np.diff(hz) >= 0)
    assert hz[0] >= nyquist / (1 + np.exp(-LOW)) * (1 - 1e-6)
    assert hz[-1] <= nyquist / (1 + np.exp(-HIGH)) * (1 + 1e-6)


def test_random_init_is_reproducible_under_manual_seed():
    a, b, c = _random_bank(40, seed=3), _random_bank(40, seed=3), _random_bank(40, seed=4)
    assert torch.equal(a.mu, b.mu)
    assert not torch.equal(a.mu, c.mu)


def test_random_init_does_not_depend_on_sample_rate():
    """The draw is in logit space, so the same seed gives the same normalised centres."""
    a = _random_bank(16, seed=5, sample_rate=16000)
    b = _random_bank(16, seed=5, sample_rate=44100)
    assert torch.equal(a.mu, b.mu)


def test_random_logits_are_uniform_on_the_interval():
    fb = _random_bank(20000, seed=1)
    mu = fb.mu.detach().double().numpy()
    result = stats.kstest(mu, stats.uniform(loc=LOW, scale=HIGH - LOW).cdf)
    assert result.pvalue > 1e-3
    # and plainly not uniform in s = sigmoid(mu), the previous behaviour
    s = 1 / (1 + np.exp(-mu))
    assert stats.kstest(s, stats.uniform(loc=s.min(), scale=np.ptp(s)).cdf).pvalue < 1e-6
    # the spread matches: mean and variance of U(a, b)
    assert abs(mu.mean() - (LOW + HIGH) / 2) < 0.05
    assert abs(mu.var() - (HIGH - LOW) ** 2 / 12) < 0.05


@pytest.mark.parametrize("init", ["mel", "uniform"])
def test_deterministic_inits_do_not_use_the_generator(init):
    torch.manual_seed(0)
    state = torch.get_rng_state()
    CosGaussFilterbank(10, 129, 16000, init=init)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("sample_rate, n_filters", [(16000, 80), (44100, 40), (22050, 64)])
def test_mel_width_gives_each_filter_the_half_power_band_of_a_mel_triangle(sample_rate,
                                                                           n_filters):
    from sklearn_mhr.nn.melscale import mel_frequencies

    kernel = round(0.1 * sample_rate) | 1  # long enough to hold every Gaussian but the lowest
    fb = CosGaussFilterbank(n_filters, kernel, sample_rate, width="mel")
    freqs, magnitude = fb.frequency_response(1 << 17)
    power = magnitude**2 / (magnitude**2).max(axis=1, keepdims=True)
    edges = mel_frequencies(n_filters + 2, 0.0, sample_rate / 2)
    for k in range(n_filters // 4, n_filters - 2):
        band = freqs[power[k] >= 0.5]
        triangle = (edges[k + 2] - edges[k]) / 2  # a mel triangle's width at half height
        assert band.max() - band.min() == pytest.approx(triangle, rel=0.03), k


def test_paper_width_is_five_over_the_centre_frequency():
    fb = CosGaussFilterbank(8, 2001, 16000)
    assert fb.width == "paper"
    s, _ = fb.normalized_centres()
    t = fb.taps
    expected = torch.cos(np.pi * s[:, None] * t) * torch.exp(-(t**2) / (2 * (10 / s[:, None]) ** 2))
    torch.testing.assert_close(fb.filters(), expected)
    with pytest.raises(ValueError, match=r"width must be one of \('paper', 'mel'\)"):
        CosGaussFilterbank(8, 33, 16000, width="erb")
