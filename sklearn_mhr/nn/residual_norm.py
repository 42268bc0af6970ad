"""Residual normalisation: each filter's track standardised over time, plus a share of itself."""

from __future__ import annotations

import torch
from torch import nn

from sklearn_mhr.nn.ops import band_moments

__all__ = ["ResidualNorm"]


class ResidualNorm(nn.Module):
    """``lam * x + (x - mean) / std``, the statistics of each filter over a clip's frames.

    A recording device mostly scales each band by its own gain, which the
    map's log-like compression turns into an offset per filter: standardising
    each filter's track over time (instance normalisation over frequency
    bands) removes that offset, and the residual ``lam * x`` keeps some of the
    band levels that tell classes apart (Kim et al., "Domain generalization on
    efficient acoustic scene classification using residual normalization",
    DCASE 2021). Applied in training and at inference alike.

    Parameters
    ----------
    lam : float or None
        Weight of the residual; None turns the normalisation off (identity).
    eps : float, default=1e-5
        Added to the variance before its square root.

    Shapes
    ------
    ``forward``: (batch, n_filters, n_frames) -> the same shape.
    """

    def __init__(self, lam: float | None, eps: float = 1e-5):
        super().__init__()
        self.lam = None if lam is None else float(lam)
        self.eps = float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.lam is None:
            return x
        mean, std = band_moments(x, self.eps)
        return self.lam * x + (x - mean) / std

    def extra_repr(self) -> str:
        return f"lam={self.lam}"
