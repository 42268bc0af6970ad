"""SpecAugment-style masking of a time-frequency map, active in training only."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MapMasking"]


class MapMasking(nn.Module):
    """Mask random bands of filters and random spans of frames of each map.

    Each of ``n_masks`` frequency masks covers ``w ~ U{0, ..., freq_width}``
    consecutive filters at a random position, and each time mask
    ``w ~ U{0, ..., time_width}`` consecutive frames (capped at a fifth of the
    clip's frames, so short clips keep most of their content). Masked bins take
    the clip's mean value: the map is a log energy, so zero would be a level,
    not an absence. In evaluation mode, and when both widths are 0, the map
    passes unchanged. Random numbers come from torch's generator.

    Parameters
    ----------
    freq_width : int
        Largest number of filters one frequency mask covers.
    time_width : int
        Largest number of frames one time mask covers.
    n_masks : int, default=2
        Masks of each kind per clip.

    Shapes
    ------
    ``forward``: (batch, n_filters, n_frames) -> the same shape.
    """

    def __init__(self, freq_width: int, time_width: int, n_masks: int = 2):
        super().__init__()
        self.freq_width, self.time_width = int(freq_width), int(time_width)
        self.n_masks = int(n_masks)

    def _mask(self, size: int, width: int, batch: int, device) -> torch.Tensor:
        """(batch, size) boolean: union of n_masks random spans of at most `width`."""
        positions = torch.arange(size, device=device)
        mask = torch.zeros(batch, size, dtype=torch.bool, device=device)
        for _ in range(self.n_masks):
            w = torch.randint(0, width + 1, (batch, 1), device=device)
            start = (torch.rand(batch, 1, device=device) * (size - w + 1)).long()
            mask |= (positions >= start) & (positions < start + w)
        return mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        off = self.n_masks == 0 or (self.freq_width == 0 and self.time_width == 0)
        if not self.training or off:
            return x
        batch, n_filters, n_frames = x.shape
        mask = torch.zeros_like(x, dtype=torch.bool)
        if self.freq_width > 0:
            f = self._mask(n_filters, min(self.freq_width, n_filters), batch, x.device)
            mask |= f.unsqueeze(2)
        time_width = min(self.time_width, n_frames // 5)
        if time_width > 0:
            t = self._mask(n_frames, time_width, batch, x.device)
            mask |= t.unsqueeze(1)
        fill = x.mean(dim=(1, 2), keepdim=True).expand_as(x)
        return torch.where(mask, fill, x)
