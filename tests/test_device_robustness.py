"""Augmentations for unseen devices: Freq-MixStyle and random recording chains."""

import numpy as np
import pytest
import torch
from tasks import TINY_PARAMS as TINY
from tasks import noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.nn import MHRNet
from sklearn_mhr.nn.device_chain import AUTO_PROBABILITY, RecordingChain, exponential_draws
from sklearn_mhr.nn.mixstyle import FreqMixStyle
from sklearn_mhr.nn.residual_norm import ResidualNorm
from sklearn_mhr.presets import paper_dcase2020, paper_urbansound8k


def _maps(batch=6, n_filters=5, n_frames=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    levels = torch.rand(batch, n_filters, 1, generator=g) * 4
    return levels + torch.rand(batch, n_filters, n_frames, generator=g)


def test_mixstyle_is_identity_off_or_in_evaluation():
    x = _maps()
    state = torch.random.get_rng_state()
    assert torch.equal(FreqMixStyle(0.0).train()(x), x)
    assert torch.equal(FreqMixStyle(1.0).eval()(x), x)
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing drawn


def test_mixstyle_mixes_band_statistics_and_keeps_the_pattern():
    x = _maps()
    torch.manual_seed(3)
    out = FreqMixStyle(1.0, alpha=0.3).train()(x)
    torch.manual_seed(3)
    torch.rand(())  # the draw that decides whether the batch is mixed
    lam = torch.distributions.Beta(torch.tensor(0.3), torch.tensor(0.3)).sample((6, 1, 1))
    perm = torch.randperm(6)
    mean, std = x.mean(-1, keepdim=True), (x.var(-1, keepdim=True, correction=0) + 1e-6).sqrt()
    torch.testing.assert_close(out.mean(-1, keepdim=True), lam * mean + (1 - lam) * mean[perm])
    torch.testing.assert_close(out.std(-1, keepdim=True, correction=0),
                               lam * std + (1 - lam) * std[perm], rtol=1e-4, atol=1e-5)
    # the pattern along time within each band is the clip's own
    normed = (x - mean) / std
    torch.testing.assert_close((out - out.mean(-1, keepdim=True)) / out.std(
        -1, keepdim=True, correction=0), normed, rtol=1e-3, atol=1e-3)


def test_mixstyle_passes_gradients_to_the_map():
    x = _maps().requires_grad_(True)
    torch.manual_seed(0)
    FreqMixStyle(1.0).train()(x).pow(2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_recording_chain_is_identity_off_or_in_evaluation():
    spectra = torch.rand(3, 10, 129)
    state = torch.random.get_rng_state()
    assert torch.equal(RecordingChain(0.0, 16000, 256).train()(spectra), spectra)
    assert torch.equal(RecordingChain(1.0, 16000, 256).eval()(spectra), spectra)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("sample_rate, n_fft", [(8000, 200), (16000, 1000), (44100, 2880)])
def test_recording_chain_responses_are_band_limited_and_bounded(sample_rate, n_fft):
    chain = RecordingChain(1.0, sample_rate, n_fft)
    torch.manual_seed(0)
    response = chain.response(200)
    freqs = chain.freqs
    assert response.shape == (200, n_fft // 2 + 1)
    assert torch.isfinite(response).all() and (response >= 0).all()
    db = 10 * torch.log10(response.clamp_min(1e-30))
    # the high-pass (30 Hz or more) cuts the lowest bin below 1 kHz's level in most chains
    at_1k = db[:, int(torch.argmin((freqs - 1000).abs()))]
    assert (db[:, 0] - at_1k).median() < -3
    # no resonance or tilt lifts a band by more than 12 dB plus 3 dB per octave from 1 kHz
    octaves = torch.log2(freqs / 1000).abs()
    assert (db <= 3 * 12 + 3 * octaves + 1e-3).all()
    # chains differ from one another
    assert response.std(dim=0).mean() > 0


def test_recording_chain_changes_chosen_clips_only():
    spectra = torch.rand(400, 6, 129) + 0.1
    torch.manual_seed(0)
    out = RecordingChain(0.5, 16000, 256).train()(spectra)
    changed = (out != spectra).flatten(1).any(dim=1).float().mean().item()
    assert 0.4 < changed < 0.6
    assert (out >= 0).all() and torch.isfinite(out).all()


def test_recording_chain_noise_levels_are_the_documented_ones():
    chain = RecordingChain(1.0, 16000, 4096)
    torch.manual_seed(0)
    hiss, hum = chain.noise_levels(torch.full((2000, 1, 1), 3.0, dtype=torch.float64))
    # hiss 10 to 40 dB below the clip's power on average over the bins, white to pink
    db = 10 * torch.log10(hiss.mean(dim=(1, 2)) / 3.0)
    assert db.min() > -40.01 and db.max() < -9.99 and db.max() - db.min() > 25
    low, high = hiss[:, 0, 50], hiss[:, 0, 2000]  # about 195 Hz and 7.8 kHz
    assert (low >= high * (1 - 1e-9)).all() and (low > 2 * high).mean(dtype=float) > 0.3
    # hum in about a third of the clips, 15 to 35 dB below their power, on 50 or 60 Hz lines
    hummed = hum.sum(dim=(1, 2)) > 0
    assert 0.28 < hummed.mean(dtype=float) < 0.39
    hum_db = 10 * torch.log10(hum[hummed].mean(dim=(1, 2)) / 3.0)
    assert hum_db.min() > -35.1 and hum_db.max() < -14.9
    peak_hz = hum[hummed, 0].argmax(dim=-1) * 16000 / 4096
    harmonics = torch.tensor([k * mains for mains in (50.0, 60.0) for k in (1, 2, 3)])
    assert ((peak_hz[:, None] - harmonics).abs().min(dim=1).values < 16000 / 4096).all()


def test_recording_chain_draws_each_frames_hiss_as_gaussian_noise_power(monkeypatch):
    n_bins = 257
    chain = RecordingChain(1.0, 16000, 512).train()
    monkeypatch.setattr(chain, "response", lambda batch: torch.ones(batch, n_bins,
                                                                      dtype=torch.float64))
    spectra = torch.ones(100, 800, n_bins, dtype=torch.float64)  # hiss far below 1 survives
    torch.manual_seed(0)
    added = chain(spectra) - spectra
    torch.manual_seed(0)
    torch.rand(100)  # the draws that choose the clips
    hiss, hum = chain.noise_levels(torch.ones(100, 1, 1, dtype=torch.float64))
    hiss, hum = hiss[:, 0], hum[:, 0]
    # over frames, each bin's noise has the drawn mean and, beside the hum, an exponential's
    # spread (std = mean)
    error = (added.mean(dim=1) / (hiss + hum) - 1).abs()
    assert error.median() < 0.03 and error.max() < 0.25
    quiet = hum < 0.01 * hiss
    ratio = ((added.std(dim=1) / hiss)[quiet]).median()
    assert abs(ratio - 1) < 0.03


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exponential_draws_are_exp1_and_fixed_by_torchs_seed(dtype):
    like = torch.empty(400, 500, dtype=dtype)
    torch.manual_seed(3)
    a = exponential_draws(like)
    b = exponential_draws(like)
    torch.manual_seed(3)
    assert torch.equal(exponential_draws(like), a)  # torch's seed fixes the draws
    assert a.shape == like.shape and a.dtype == dtype and a.device == like.device
    assert not torch.equal(a, b)  # and successive calls differ
    x = a.double().flatten()
    assert (x >= 0).all()
    assert abs(x.mean() - 1) < 0.01 and abs(x.std() - 1) < 0.01
    # quantiles of Exp(1): -log(1 - q)
    q = torch.tensor([0.1, 0.5, 0.9, 0.99], dtype=torch.float64)
    assert torch.allclose(torch.quantile(x[:100_000], q), -torch.log1p(-q), rtol=0.03)


def test_network_with_device_augment_and_mixstyle_trains_and_infers_unchanged(rng):
    kwargs = dict(n_filters=8, context=2, head_hidden=4, back_end_width=4)
    plain = MHRNet(3, 8000, 200, 80, 33, **kwargs).eval()
    torch.manual_seed(0)
    augmented = MHRNet(3, 8000, 200, 80, 33, device_augment=1.0, freq_mixstyle=1.0, **kwargs)
    augmented.load_state_dict(plain.state_dict())
    x = torch.from_numpy(rng.standard_normal((4, 1200)).astype(np.float32))
    with torch.no_grad():
        torch.testing.assert_close(augmented.eval()(x), plain(x))  # inference unchanged
        augmented.train()
        torch.manual_seed(1)
        a = augmented(x)
        torch.manual_seed(1)
        b = augmented(spectra=augmented.front_end.power_spectra(x))
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)  # the same draws either way
    plain.train()
    torch.manual_seed(1)
    with torch.no_grad():
        assert not torch.allclose(plain(x), a, atol=1e-3)


def test_estimator_fits_with_both_and_is_reproducible():
    X, y = noise_task()
    params = dict(TINY, device_augment=0.5, freq_mixstyle=0.5)
    first = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    again = MHRAudioClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    plain = MHRAudioClassifier(**TINY, device_augment=0).fit(X, y).predict_proba(X)
    assert not np.allclose(first, plain, atol=1e-4)


def test_default_draws_chains_on_most_clips_and_mixes_statistics():
    X, y = noise_task()
    default = MHRAudioClassifier(**TINY).fit(X, y).predict_proba(X)
    spelled = MHRAudioClassifier(**TINY, device_augment=0.8,
                                 freq_mixstyle=0.3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(default, spelled)
    for off in (dict(device_augment=0), dict(freq_mixstyle=0)):
        other = MHRAudioClassifier(**TINY, **off).fit(X, y).predict_proba(X)
        assert not np.allclose(default, other, atol=1e-4), off


@pytest.mark.parametrize("front_end, path, expected", [
    ("cosgauss", "fft", AUTO_PROBABILITY), ("cosgauss", "analytic", AUTO_PROBABILITY),
    ("cosgauss", "auto", AUTO_PROBABILITY), ("mel", "fft", AUTO_PROBABILITY),
    ("mel", "auto", AUTO_PROBABILITY), ("cosgauss", "time", 0.0)])
def test_auto_chains_wherever_power_spectra_are_computed(front_end, path, expected):
    net = MHRNet(3, 8000, 64, 32, 33, front_end=front_end, n_filters=8, front_end_path=path,
                 device_augment="auto")
    assert net.recording_chain.p == expected
    params = dict(front_end=front_end, n_filters=8, front_end_path=path, device_augment=0.25)
    if path == "time":
        with pytest.raises(ValueError, match="the time path does not compute"):
            MHRNet(3, 8000, 64, 32, 33, **params)
    else:
        assert MHRNet(3, 8000, 64, 32, 33, **params).recording_chain.p == 0.25


def test_the_time_path_fits_with_the_default_and_the_presets_draw_no_chains():
    X, y = noise_task(n=6, n_samples=800)
    clf = MHRAudioClassifier(**{**TINY, "front_end_path": "time", "max_epochs": 1}).fit(X, y)
    assert clf.net_.module_.recording_chain.p == 0.0
    assert paper_dcase2020().device_augment == 0.0
    assert paper_urbansound8k().device_augment == 0.0


@pytest.mark.parametrize("name", ["device_augment", "freq_mixstyle"])
@pytest.mark.parametrize("value", [-0.1, 1.5, "often", None])
def test_probabilities_are_checked(name, value):
    X, y = noise_task()
    allowed = "'auto' or a probability" if name == "device_augment" else "a probability"
    with pytest.raises(ValueError, match=f"{name} must be {allowed} in \\[0, 1\\]"):
        MHRAudioClassifier(**{**TINY, name: value}).fit(X, y)


def test_device_augment_refuses_the_time_path():
    X, y = noise_task()
    with pytest.raises(ValueError, match="front_end_path='time' does not compute"):
        MHRAudioClassifier(**{**TINY, "device_augment": 0.5, "front_end_path": "time"}).fit(X, y)


def test_residual_norm_is_identity_when_off():
    x = _maps()
    assert ResidualNorm(None)(x) is x


def test_residual_norm_standardises_each_filter_and_keeps_a_share_of_the_map():
    x = _maps()
    out = ResidualNorm(0.25)(x)
    normed = out - 0.25 * x
    torch.testing.assert_close(normed.mean(-1), torch.zeros(6, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(normed.std(-1, correction=0), torch.ones(6, 5), atol=1e-3, rtol=0)
    # train and evaluation alike: a normalisation, not an augmentation
    torch.testing.assert_close(ResidualNorm(0.25).eval()(x), out)


def test_residual_norm_removes_a_gain_per_band():
    """A device's gain per band is an offset per filter of a log-like map: gone at lam=0."""
    x = _maps()
    offsets = torch.linspace(-6, 6, 5).reshape(1, 5, 1)
    torch.testing.assert_close(ResidualNorm(0.0)(x + offsets), ResidualNorm(0.0)(x))
    shifted = ResidualNorm(0.5)(x + offsets) - ResidualNorm(0.5)(x)
    torch.testing.assert_close(shifted, (0.5 * offsets).expand_as(x))


def test_estimator_with_residual_norm_fits_on_spectra_and_waveforms_alike():
    X, y = noise_task()
    params = dict(TINY, residual_norm=0.1)
    cached = MHRAudioClassifier(**params).fit(X, y)
    direct = MHRAudioClassifier(**params, spectra_cache_mb=0).fit(X, y)
    np.testing.assert_allclose(cached.predict_proba(X), direct.predict_proba(X), atol=1e-4)
    plain = MHRAudioClassifier(**TINY).fit(X, y).predict_proba(X)
    assert not np.allclose(cached.predict_proba(X), plain, atol=1e-4)
    assert cached.net_.module_.residual_norm.lam == 0.1


@pytest.mark.parametrize("value", [-0.5, float("nan"), "some"])
def test_residual_norm_is_checked(value):
    X, y = noise_task()
    with pytest.raises(ValueError, match="residual_norm must be None or a finite number >= 0"):
        MHRAudioClassifier(**{**TINY, "residual_norm": value}).fit(X, y)
