"""Compression of filterbank energies into the time-frequency map, shared by all front ends.

Three forms, for energies ``E`` of shape (batch, n_filters, n_frames):

- ``"relative"`` (default): ``log(1 + E / (floor * max E))`` with
  ``floor = 10 ** (-top_db / 10)`` and ``max E`` the clip's loudest bin.
  It does not depend on the clip's gain (scaling a clip scales ``E`` and its
  maximum alike), bins more than ``top_db`` below the loudest one sit near 0,
  and the map is never negative, so a relevance weight that grows raises a
  bin. Like a spectrogram in dB with librosa's ``ref=np.max, top_db=...``.
- ``"log"``: ``log(E + eps)`` with an absolute ``eps``, as the authors'
  code writes it; the map then moves with the clip's level.
- ``"pcen"``: per-channel energy normalisation (Wang et al., 2017) of the
  energies relative to the clip's loudest bin, with a learnable exponent,
  bias and root per filter, kept in log space so they stay positive.

The gradient flows through the clip's maximum too (to its loudest bin), so the map is an
exact function of the filter parameters.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["COMPRESSIONS", "Compression"]

COMPRESSIONS = ("relative", "log", "pcen")


def _floor(energy: torch.Tensor, floor: float) -> torch.Tensor:
    """``floor`` times each clip's loudest bin, (batch, 1, 1).

    For silence, the square root of the smallest normal number: its reciprocal, the
    gradient's scale, stays far from overflow (clips scaled to unit peak reach it only
    when silent).
    """
    peak = energy.amax(dim=(1, 2), keepdim=True)
    return (floor * peak).clamp_min(torch.finfo(energy.dtype).tiny ** 0.5)


class Compression(nn.Module):
    """Turn filterbank energies into the map the relevance heads and the back end see.

    Parameters
    ----------
    kind : {"relative", "log", "pcen"}, default="relative"
        The form (module docstring).
    n_filters : int, default=1
        Filters of the energies (PCEN learns its parameters per filter).
    top_db : float, default=80.0
        Dynamic range kept by ``"relative"`` and the floor of ``"pcen"``'s
        input, in dB below the clip's loudest bin.
    eps : float, default=1e-6
        Absolute floor of ``"log"``.
    smoothing : float, default=0.04
        PCEN's smoothing coefficient per frame (about 25 frames of memory).

    Shapes
    ------
    ``forward``: (batch, n_filters, n_frames) -> the same shape.
    """

    def __init__(self, kind="relative", n_filters=1, *, top_db=80.0, eps=1e-6, smoothing=0.04):
        super().__init__()
        if kind not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {list(COMPRESSIONS)}, got {kind!r}")
        if not top_db > 0:
            raise ValueError(f"top_db must be a positive number of dB, got {top_db!r}")
        self.kind, self.top_db, self.eps = kind, float(top_db), float(eps)
        self.floor = 10.0 ** (-self.top_db / 10.0)
        if kind == "pcen":
            # Wang et al.'s values: alpha 0.98, delta 2, r 0.5, on energies scaled to the floor
            self.log_alpha = nn.Parameter(torch.full((n_filters, 1), math.log(0.98)))
            self.log_delta = nn.Parameter(torch.full((n_filters, 1), math.log(2.0)))
            self.log_root = nn.Parameter(torch.full((n_filters, 1), math.log(0.5)))
            taps = math.ceil(math.log(1e-3) / math.log(1.0 - smoothing))
            decay = smoothing * (1.0 - smoothing) ** torch.arange(taps - 1, -1, -1.0)
            self.register_buffer("smoother", decay.view(1, 1, -1))

    def scale_input(self, x: torch.Tensor) -> torch.Tensor:
        """Waveforms (batch, n_samples) as the energies of this form want them.

        The level-free forms ignore a clip's gain, so each clip is scaled to a
        peak of 1 first: the same map, but float32 powers that neither underflow
        (PCM at a few LSB) nor overflow (samples of 1e25), in either pass. The
        authors' ``"log"`` depends on the level and gets the clip as it is.
        """
        if self.kind == "log":
            return x
        peak = x.detach().abs().amax(dim=-1, keepdim=True)
        return x / peak.clamp_min(torch.finfo(x.dtype).tiny)

    def _smooth(self, energy: torch.Tensor) -> torch.Tensor:
        """PCEN's first-order IIR smoother along time, as a causal FIR of its impulse response."""
        batch, n_filters, n_frames = energy.shape
        taps = self.smoother.shape[-1]
        flat = energy.reshape(batch * n_filters, 1, n_frames)
        # the first frame repeated before the clip: the smoother starts settled on it
        padded = F.pad(flat, (taps - 1, 0), mode="replicate")
        weights = self.smoother.to(energy.dtype)
        smooth = F.conv1d(padded, weights) / weights.sum()
        return smooth.reshape(batch, n_filters, n_frames)

    def forward(self, energy: torch.Tensor) -> torch.Tensor:
        if self.kind == "log":
            return torch.log(energy + self.eps)
        relative = energy / _floor(energy, self.floor)
        if self.kind == "relative":
            return torch.log1p(relative)
        alpha, delta, root = self.log_alpha.exp(), self.log_delta.exp(), self.log_root.exp()
        gain = (1.0 + self._smooth(relative)).pow(-alpha)
        return (relative * gain + delta).pow(root) - delta.pow(root)
