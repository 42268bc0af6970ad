"""Back ends and the full network: shapes for any number of frames, deltas, registries."""

import numpy as np
import pytest
import torch

from sklearn_mhr.nn import CNNLSTM, FCNN, LightCNN, MHRNet
from sklearn_mhr.nn.ops import deltas, minmax_scale, standardize


@pytest.mark.parametrize("back_end", [LightCNN, FCNN, CNNLSTM])
@pytest.mark.parametrize("n_filters", [1, 7, 40])
@pytest.mark.parametrize("n_frames", [1, 2, 5, 33])
@pytest.mark.parametrize("batch", [1, 3])
def test_back_end_shapes(back_end, n_filters, n_frames, batch):
    net = back_end(n_filters, 5, width=4).eval()
    out = net(torch.randn(batch, n_filters, n_frames))
    assert out.shape == (batch, 5) and torch.isfinite(out).all()


def test_deltas_regression_formula():
    x = torch.tensor([[[0.0, 1.0, 4.0, 9.0, 16.0, 25.0]]])
    d = deltas(x)
    padded = np.pad(x[0, 0].numpy(), 2, mode="edge")
    expected = [sum(k * (padded[t + 2 + k] - padded[t + 2 - k]) for k in (1, 2)) / 10 for t in range(6)]
    np.testing.assert_allclose(d[0, 0].numpy(), expected, rtol=1e-6)
    # a linear ramp away from the edges has a constant delta equal to its slope
    ramp = torch.arange(20.0)[None, None]
    np.testing.assert_allclose(deltas(ramp)[0, 0, 2:-2].numpy(), 1.0)


def test_scalings_are_per_example():
    x = torch.randn(3, 4, 5) * torch.tensor([1.0, 10.0, 100.0])[:, None, None]
    m = minmax_scale(x)
    torch.testing.assert_close(m.amin(dim=(1, 2)), torch.zeros(3))
    torch.testing.assert_close(m.amax(dim=(1, 2)), torch.ones(3), atol=1e-5, rtol=0)
    s = standardize(x)
    torch.testing.assert_close(s.mean(dim=(1, 2)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(s[0], standardize(x[:1])[0])


@pytest.mark.parametrize("front_end", ["cosgauss", "mel"])
@pytest.mark.parametrize("n_heads", [0, 1, 3])
@pytest.mark.parametrize("back_end", ["light", "fcnn", "cnn_lstm"])
def test_network_shapes_and_representation(front_end, n_heads, back_end):
    net = MHRNet(4, 16000, 400, 160, 129, front_end=front_end, n_filters=10, n_heads=n_heads,
                 context=3, head_hidden=6, back_end=back_end, back_end_width=4).eval()
    for n in (1, 399, 1601):
        x = torch.randn(2, n)
        assert net(x).shape == (2, 4)
        rep, w = net.representation(x)
        assert rep.shape == (2, 10, 1 + max(n - 400, 0) // 160)
        assert (w is None) == (n_heads == 0)


def test_without_heads_the_representation_is_the_front_end_map():
    net = MHRNet(3, 16000, 400, 160, 129, n_filters=10, n_heads=0)
    x = torch.randn(2, 3000)
    torch.testing.assert_close(net.representation(x)[0], net.front_end(x))


@pytest.mark.parametrize("name, value", [("front_end", "stft"), ("back_end", "resnet")])
def test_registries_list_valid_names(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be one of \[.*\], got '{value}'"):
        MHRNet(3, 16000, 400, 160, 129, **{name: value})


def test_gradients_reach_every_part():
    net = MHRNet(3, 16000, 400, 160, 129, n_filters=10, n_heads=2, back_end_width=4)
    torch.nn.functional.cross_entropy(net(torch.randn(4, 4000)), torch.tensor([0, 1, 2, 0])).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
