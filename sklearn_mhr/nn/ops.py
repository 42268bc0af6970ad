"""Small tensor operations shared by the relevance heads and the back ends."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["band_moments", "minmax_scale", "standardize", "deltas"]


def minmax_scale(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Scale each example of a (batch, n_filters, n_frames) map to [0, 1]."""
    lo = x.amin(dim=(1, 2), keepdim=True)
    hi = x.amax(dim=(1, 2), keepdim=True)
    return (x - lo) / (hi - lo + eps)


def band_moments(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation over frames of each filter of a (batch, n_filters, n_frames) map.

    Both of shape (batch, n_filters, 1); the deviation is ``sqrt(var + eps)``.
    """
    mean = x.mean(dim=-1, keepdim=True)
    return mean, (x.var(dim=-1, keepdim=True, correction=0) + eps).sqrt()


def standardize(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Zero mean and unit variance for each example of a (batch, n_filters, n_frames) map."""
    mean = x.mean(dim=(1, 2), keepdim=True)
    var = x.var(dim=(1, 2), keepdim=True, correction=0)
    return (x - mean) / torch.sqrt(var + eps)


def deltas(x: torch.Tensor, width: int = 2) -> torch.Tensor:
    """Regression deltas along the last (time) axis, edges repeated.

    ``d[t] = sum_n n (x[t + n] - x[t - n]) / (2 sum_n n^2)`` for ``n = 1..width``.
    """
    padded = nn.functional.pad(x, (width, width), mode="replicate")
    n = x.shape[-1]
    out = sum(k * (padded[..., width + k:width + k + n] - padded[..., width - k:width - k + n])
              for k in range(1, width + 1))
    return out / (2 * sum(k * k for k in range(1, width + 1)))
