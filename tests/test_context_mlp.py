"""The chunked per-bin MLP of the relevance heads against the convolutions it replaces."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from sklearn_mhr.nn.context_mlp import context_mlp

HIDDEN, TAPS = 6, 5


def reference(band, w1, b1, w2, b2):
    """The head as the paper's layers: (1 x taps) convolution, sigmoid, 1 x 1 convolution."""
    hidden = torch.sigmoid(F.conv2d(band.unsqueeze(1), w1.view(HIDDEN, 1, 1, TAPS), b1,
                                    padding=(0, TAPS // 2)))
    return F.conv2d(hidden, w2.view(1, HIDDEN, 1, 1), b2).squeeze(1)


def parameters(dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(HIDDEN, TAPS), (HIDDEN,), (HIDDEN,), (1,)]
    return [torch.randn(*s, generator=g, dtype=dtype).requires_grad_(True) for s in shapes]


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 4), (3, 5, 17)])
@pytest.mark.parametrize("chunk_bins", [1, 7, 10_000])
def test_forward_and_gradients_equal_the_convolutions(shape, chunk_bins):
    band = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    params = parameters()
    got = context_mlp(band, *params, chunk_bins=chunk_bins)
    want = reference(band, *params)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    upstream = torch.randn_like(got)
    grads_got = torch.autograd.grad(got, [band, *params], upstream)
    grads_want = torch.autograd.grad(want, [band, *params], upstream)
    for a, b in zip(grads_got, grads_want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_gradcheck():
    band = torch.randn(2, 3, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda b, *p: context_mlp(b, *p, chunk_bins=5), (band, *parameters()))


def test_input_without_gradient():
    band = torch.randn(2, 3, 9, dtype=torch.float64)  # a map that needs no gradient
    params = parameters()
    context_mlp(band, *params).sum().backward()
    reference(band, *params).sum().backward()
    assert all(p.grad is not None for p in params)


def test_float32_on_a_long_map_matches_the_convolutions():
    torch.manual_seed(0)
    band = torch.randn(4, 10, 500, requires_grad=True)
    params = [p.detach().float().requires_grad_(True) for p in parameters()]
    got, want = context_mlp(band, *params), reference(band, *params)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    g_got = torch.autograd.grad(got.square().sum(), band)[0]
    g_want = torch.autograd.grad(want.square().sum(), band)[0]
    torch.testing.assert_close(g_got, g_want, rtol=1e-4, atol=1e-4)


def test_even_window_is_an_error():
    params = parameters()
    with pytest.raises(ValueError, match="odd number of taps"):
        context_mlp(torch.zeros(1, 1, 4, dtype=torch.float64), params[0][:, :4], *params[1:])
