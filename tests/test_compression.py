"""Compression of energies into the map: formulas, level-freedom, equal terms, PCEN, gradients."""

import numpy as np
import pytest
import torch

from sklearn_mhr.nn import CosGaussFrontEnd, LogMelFrontEnd
from sklearn_mhr.nn.compression import COMPRESSIONS, Compression


def _front_ends(compression):
    return [CosGaussFrontEnd(20, 16000, 400, 200, 129, compression=compression),
            LogMelFrontEnd(20, 16000, 400, 200, compression=compression)]


def test_relative_matches_its_formula(rng):
    energy = rng.uniform(0, 5, (3, 4, 6)) ** 4
    got = Compression("relative", top_db=60.0)(torch.from_numpy(energy)).numpy()
    peak = energy.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, np.log1p(energy / (1e-6 * peak)), rtol=1e-12)
    assert got.min() >= 0


def test_log_matches_its_formula(rng):
    energy = rng.uniform(0, 1, (2, 3, 5))
    got = Compression("log", eps=1e-3)(torch.from_numpy(energy)).numpy()
    np.testing.assert_allclose(got, np.log(energy + 1e-3), rtol=1e-12)


@pytest.mark.parametrize("compression", ["relative", "pcen"])
@pytest.mark.parametrize("gain", [1e-3, 0.5, 40.0])
def test_level_free_maps_ignore_the_clip_gain(compression, gain):
    x = (torch.randn(2, 4000, dtype=torch.float64)
         * torch.linspace(0.01, 1, 4000, dtype=torch.float64))
    for fe in _front_ends(compression):
        fe = fe.double()
        torch.testing.assert_close(fe(gain * x), fe(x), rtol=1e-9, atol=1e-9)


def test_log_map_moves_with_the_clip_gain():
    x = torch.randn(1, 4000, dtype=torch.float64)
    for fe in _front_ends("log"):
        fe = fe.double()
        shift = (fe(10 * x) - fe(x)).mean().item()
        assert shift == pytest.approx(np.log(100), abs=0.05)


def test_both_front_ends_pass_white_noise_at_one_level_per_filter():
    # unit-energy kernels and unit-area mel triangles: no filter is louder than another
    x = torch.randn(1, 16000 * 20, generator=torch.Generator().manual_seed(0))
    spreads = {}
    for fe in _front_ends("relative"):
        level = fe.energy(x).mean(dim=-1).log()[0]
        spreads[type(fe).__name__] = (level.max() - level.min()).item()
    assert spreads["CosGaussFrontEnd"] < 0.35 and spreads["LogMelFrontEnd"] < 0.35
    raw = CosGaussFrontEnd(20, 16000, 400, 200, 129, compression="log")
    level = raw.energy(x).mean(dim=-1).log()[0]
    assert (level.max() - level.min()).item() > 1.5  # the authors' unscaled kernels are not level


def test_relative_floor_sits_top_db_below_the_loudest_bin():
    energy = torch.tensor([[[1.0, 1e-4, 1e-8, 0.0]]], dtype=torch.float64)
    got = Compression("relative", top_db=40.0)(energy)[0, 0]
    np.testing.assert_allclose(got.numpy(), np.log1p(np.array([1e4, 1.0, 1e-4, 0.0])), rtol=1e-12)


def test_silent_clip_gives_a_finite_map():
    for kind in COMPRESSIONS:
        for fe in _front_ends(kind):
            assert torch.isfinite(fe(torch.zeros(1, 1600))).all()


@pytest.mark.parametrize("kind", ["relative", "pcen"])
def test_level_free_maps_and_gradients_stay_finite_from_silence_to_huge_samples(kind, rng):
    from sklearn_mhr.nn import MHRNet

    clips = rng.standard_normal((4, 1600)).astype(np.float32)
    clips[1] = 0.0  # digital silence
    clips[2] = np.round(clips[2] * 2) * 2.0**-31  # int32 PCM a few steps from zero
    y = torch.tensor([0, 1, 2, 0])
    maps = []
    for gain in (1.0, 1e25):
        for front_end in ("cosgauss", "mel"):
            torch.manual_seed(0)
            net = MHRNet(3, 16000, 400, 200, 129, front_end=front_end, n_filters=12,
                         compression=kind, context=2, head_hidden=4, back_end_width=4)
            x = torch.from_numpy(clips) * gain
            torch.nn.functional.cross_entropy(net(x), y).backward()
            for name, p in net.named_parameters():
                assert torch.isfinite(p.grad).all(), (front_end, gain, name)
            maps.append(net.front_end(x).detach())
    # the map does not depend on the gain, even where float32 powers would overflow
    torch.testing.assert_close(maps[0], maps[2], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(maps[1], maps[3], rtol=1e-4, atol=1e-4)


def test_pcen_smoother_equals_its_recursion(rng):
    comp = Compression("pcen", 2, smoothing=0.1).double()
    energy = torch.from_numpy(rng.uniform(0, 1, (1, 2, 50)))
    got = comp._smooth(energy).numpy()
    s, state = 0.1, energy[0, :, 0].numpy().copy()  # settled on the first frame
    taps = comp.smoother.shape[-1]
    expected = np.empty_like(got)
    for t in range(50):
        state = (1 - s) * state + s * energy[0, :, t].numpy()
        expected[0, :, t] = state
    # the FIR keeps the impulse response to 1e-3 of its start, and is renormalised
    np.testing.assert_allclose(got, expected, atol=2e-3)
    assert taps == int(np.ceil(np.log(1e-3) / np.log(0.9)))


def test_pcen_parameters_learn_and_stay_positive():
    fe = CosGaussFrontEnd(6, 8000, 200, 100, 33, compression="pcen")
    out = fe(torch.randn(2, 2000))
    out.square().mean().backward()
    comp = fe.compression
    for p in (comp.log_alpha, comp.log_delta, comp.log_root, fe.filterbank.mu):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    assert comp.log_alpha.shape == (6, 1)


@pytest.mark.parametrize("path", ["fft", "time"])
def test_gradcheck_through_unit_energy_kernels_and_relative_map(path):
    fe = CosGaussFrontEnd(4, 8000, 64, 32, 17, path=path).double()
    x = torch.randn(2, 200, dtype=torch.float64)
    mu = fe.filterbank.mu.detach().clone().requires_grad_(True)
    forward = lambda m: torch.func.functional_call(fe, {"filterbank.mu": m}, (x,))  # noqa: E731
    assert torch.autograd.gradcheck(forward, (mu,), eps=1e-6, atol=1e-5)


def test_unknown_compression_names_the_choices():
    with pytest.raises(ValueError,
                       match=r"compression must be one of \['relative', 'log', 'pcen'\]"):
        Compression("db")
    with pytest.raises(ValueError, match="top_db must be a positive"):
        Compression("relative", top_db=0)
