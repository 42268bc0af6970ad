"""Freq-MixStyle: mixing the per-band statistics of clips in a batch, in training only."""

from __future__ import annotations

import torch
from torch import nn

from sklearn_mhr.nn.ops import band_moments

__all__ = ["FreqMixStyle"]


class FreqMixStyle(nn.Module):
    """Give each clip of a batch band levels mixed from its own and another clip's.

    Schmid et al. (CP-JKU, DCASE 2022) for unseen recording devices: a device
    mostly changes how loud each frequency band is and how much it varies, so
    with probability ``p`` per batch each clip's map is standardised per band
    (mean and standard deviation over its frames) and given back the mixture
    ``lam * own + (1 - lam) * other`` of its own statistics and those of a
    random other clip of the batch, ``lam ~ Beta(alpha, alpha)`` per clip.
    The statistics carry no gradient, as in the original. In evaluation mode,
    and with ``p=0``, the map passes unchanged and no random number is drawn.

    Parameters
    ----------
    p : float
        Probability that a training batch is mixed.
    alpha : float, default=0.3
        Parameter of the Beta distribution of the mixing weights (the
        authors' value).
    eps : float, default=1e-6
        Added to the variance before its square root.

    Shapes
    ------
    ``forward``: (batch, n_filters, n_frames) -> the same shape.
    """

    def __init__(self, p: float, alpha: float = 0.3, eps: float = 1e-6):
        super().__init__()
        self.p, self.alpha, self.eps = float(p), float(alpha), float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.shape[0] < 2:
            return x
        if torch.rand(()) >= self.p:
            return x
        batch = x.shape[0]
        mean, std = (moment.detach() for moment in band_moments(x, self.eps))
        normed = (x - mean) / std
        concentration = torch.tensor(self.alpha, device=x.device)
        lam = torch.distributions.Beta(concentration, concentration).sample((batch, 1, 1))
        lam = lam.to(x.dtype)
        perm = torch.randperm(batch, device=x.device)
        mixed_mean = lam * mean + (1 - lam) * mean[perm]
        mixed_std = lam * std + (1 - lam) * std[perm]
        return normed * mixed_std + mixed_mean
