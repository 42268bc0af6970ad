"""Per-example scalings and deltas (sklearn_mhr.nn.ops)."""

import numpy as np
import torch

from sklearn_mhr.nn.ops import deltas, minmax_scale, standardize


def test_deltas_regression_formula():
    x = torch.tensor([[[0.0, 1.0, 4.0, 9.0, 16.0, 25.0]]])
    d = deltas(x)
    padded = np.pad(x[0, 0].numpy(), 2, mode="edge")
    expected = [sum(k * (padded[t + 2 + k] - padded[t + 2 - k]) for k in (1, 2)) / 10
                for t in range(6)]
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
