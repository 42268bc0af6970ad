"""Frame power spectra computed once per fit (sklearn_mhr._skorch.spectra)."""

import numpy as np
import pytest
import torch
from tasks import TINY_PARAMS as TINY
from tasks import noise_task, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch import ClipDataset
from sklearn_mhr._skorch.spectra import (
    SpectraDataset,
    precompute_spectra,
    spectra_bytes,
    why_not_precomputed,
)
from sklearn_mhr.nn import MHRNet
from sklearn_mhr.nn.frontend import CosGaussFrontEnd
from sklearn_mhr.nn.mel import LogMelFrontEnd


@pytest.fixture(scope="module")
def data():
    return noise_task()


def _front_ends():
    for path in ("fft", "analytic"):
        for compression in ("relative", "log", "pcen"):
            yield CosGaussFrontEnd(10, 8000, 200, 80, 33, path=path, compression=compression)
    for compression in ("relative", "log", "pcen"):
        yield LogMelFrontEnd(10, 8000, 200, 80, compression=compression)


@pytest.mark.parametrize("front", list(_front_ends()), ids=lambda f: f"{type(f).__name__}-"
                         f"{getattr(f, 'path', 'fft')}-{f.compression.kind}")
@pytest.mark.parametrize("n_samples", [150, 1000, 4321])
def test_map_from_spectra_equals_the_map_from_waveforms(front, n_samples, rng):
    x = torch.from_numpy(rng.standard_normal((3, n_samples)).astype(np.float32))
    expected = front(x)
    power = front.power_spectra(x)
    assert power.shape[:2] == (3, expected.shape[-1])
    got = front.from_spectra(power)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    if not any(p.requires_grad for p in front.parameters()):
        return  # the fixed mel filters with a parameter-free compression
    # the gradient reaches the same parameters with the same values
    grads = []
    for fn in (lambda: front(x), lambda: front.from_spectra(power)):
        front.zero_grad()
        (fn() * torch.linspace(-1, 1, expected.shape[-1])).sum().backward()
        grads.append([p.grad.clone() for p in front.parameters() if p.grad is not None])
    assert len(grads[0]) == len(grads[1])
    for a, b in zip(grads[0], grads[1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_spectra_do_not_depend_on_the_filters(rng):
    front = CosGaussFrontEnd(10, 8000, 200, 80, 33)
    x = torch.from_numpy(rng.standard_normal((2, 1000)).astype(np.float32))
    before, map_before = front.power_spectra(x), front(x)
    with torch.no_grad():
        front.filterbank.mu.add_(0.5)
        torch.testing.assert_close(front.power_spectra(x), before, rtol=0, atol=0)
        moved = front.from_spectra(before)
        torch.testing.assert_close(moved, front(x), rtol=1e-5, atol=1e-5)
        assert not torch.allclose(moved, map_before, atol=1e-2)


def test_the_time_path_has_no_spectra(rng):
    front = CosGaussFrontEnd(4, 8000, 200, 80, 33, path="time")
    assert not front.spectral
    with pytest.raises(ValueError, match="time path"):
        front.power_spectra(torch.zeros(1, 400))


def test_network_forward_takes_spectra_as_keyword(rng):
    net = MHRNet(3, 8000, 200, 80, 33, n_filters=8, context=2, head_hidden=4,
                 back_end_width=4).eval()
    x = torch.from_numpy(rng.standard_normal((2, 1200)).astype(np.float32))
    with torch.no_grad():
        expected = net(x)
        got = net(spectra=net.front_end.power_spectra(x))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("extra", [{}, {"validation_fraction": 0.25, "patience": 1},
                                   {"front_end": "mel", "n_heads": 0},
                                   {"front_end_path": "fft", "compression": "pcen"},
                                   {"freq_mask_width": 2, "time_mask_width": 2}])
def test_fit_on_spectra_trains_the_model_of_a_fit_on_waveforms(extra):
    X, y = tone_task(36, seed=1)
    params = dict(TINY, max_epochs=3, **extra)
    cached = MHRAudioClassifier(**params).fit(X, y)
    fresh = MHRAudioClassifier(spectra_cache_mb=0, **params).fit(X, y)
    assert len(cached.net_.history) == len(fresh.net_.history)
    np.testing.assert_allclose(cached.net_.history[:, "train_loss"],
                               fresh.net_.history[:, "train_loss"], rtol=1e-4)
    np.testing.assert_allclose(cached.predict_proba(X), fresh.predict_proba(X), atol=1e-4)


def _spy_batches(monkeypatch):
    """Record the keyword or positional input of every training forward pass."""
    seen = []
    original = MHRNet.forward

    def spy(self, x=None, spectra=None):
        if self.training:
            seen.append("spectra" if spectra is not None else "waveforms")
        return original(self, x, spectra)

    monkeypatch.setattr(MHRNet, "forward", spy)
    return seen


def test_default_fit_trains_on_spectra(data, monkeypatch, capsys):
    seen = _spy_batches(monkeypatch)
    X, y = data
    MHRAudioClassifier(**dict(TINY, verbose=1)).fit(X, y)
    assert set(seen) == {"spectra"}
    assert "Frame spectra of 24 clips computed once" in capsys.readouterr().out


@pytest.mark.parametrize("extra, reason", [
    ({"spectra_cache_mb": 0}, "spectra_cache_mb=0"),
    ({"mixup_alpha": 0.4}, "mixup"),
    ({"random_crop": 0.2}, "random crops"),
    ({"front_end_path": "time"}, "time path"),
    ({"spectra_cache_mb": 0.01}, "differ in length or their spectra need over"),
])
def test_fit_falls_back_to_waveforms_and_says_why(data, monkeypatch, capsys, extra, reason):
    seen = _spy_batches(monkeypatch)
    X, y = data
    MHRAudioClassifier(**dict(TINY, verbose=1, **extra)).fit(X, y)
    assert set(seen) == {"waveforms"}
    assert reason in capsys.readouterr().out


def test_lazy_clips_are_read_batch_by_batch(data, monkeypatch, capsys):
    seen = _spy_batches(monkeypatch)

    class Lazy:  # any sequence that is neither an array nor a list
        def __init__(self, clips):
            self.clips = clips

        def __len__(self):
            return len(self.clips)

        def __getitem__(self, i):
            return self.clips[i]

    X, y = data
    MHRAudioClassifier(**dict(TINY, verbose=1)).fit(Lazy(X), y)
    assert set(seen) == {"waveforms"}
    assert "the clips are read lazily" in capsys.readouterr().out


def test_clips_of_different_lengths_fall_back(monkeypatch):
    seen = _spy_batches(monkeypatch)
    X, y = tone_task(24, lengths=[2000, 2400, 2000, 2000])
    clf = MHRAudioClassifier(**TINY).fit(X, y)
    assert set(seen) == {"waveforms"}
    assert clf.predict(X).shape == (24,)


def test_precompute_respects_the_budget_before_computing(data):
    X, y = data
    module = MHRAudioClassifier(**TINY).fit(X, y).net_.module_
    dataset = ClipDataset(X, np.arange(len(X)) % 3)
    need = spectra_bytes(module, len(X), X.shape[1])
    assert precompute_spectra(module, dataset, need - 1, 8) is None
    spectra = precompute_spectra(module, dataset, need, 8)
    assert isinstance(spectra, SpectraDataset) and spectra.spectra.numel() * 4 == need
    item, target = spectra[5]
    assert target == 5 % 3 and item["spectra"].shape == spectra.spectra.shape[1:]


def test_a_bad_clip_is_named_once_spectra_are_computed():
    X, y = noise_task()
    X = list(X)  # a list's clips are checked as they are read
    X[7] = X[7].copy()
    X[7][10] = np.nan
    with pytest.raises(ValueError, match="clip 7 contains NaN"):
        MHRAudioClassifier(**TINY).fit(X, y)


@pytest.mark.parametrize("value", [-1, float("inf"), "big", None])
def test_spectra_cache_mb_must_be_a_size(data, value):
    X, y = data
    with pytest.raises(ValueError, match="spectra_cache_mb must be a finite number of MiB >= 0"):
        MHRAudioClassifier(**dict(TINY, spectra_cache_mb=value)).fit(X, y)


def test_reasons_are_checked_in_order(data):
    X, y = data
    clf = MHRAudioClassifier(**TINY).fit(X, y)
    assert why_not_precomputed(clf, clf.net_.module_) is None
    clf.set_params(mixup_alpha=0.2, random_crop=0.1)
    assert "mixup" in why_not_precomputed(clf, clf.net_.module_)
