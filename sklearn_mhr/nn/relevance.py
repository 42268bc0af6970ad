"""Multi-head relevance weighting of a time-frequency map."""

from __future__ import annotations

import torch
from torch import nn

from sklearn_mhr.nn.context_mlp import context_mlp
from sklearn_mhr.nn.ops import minmax_scale

__all__ = ["RelevanceHead", "MultiHeadRelevance", "band_edges", "ACTIVATIONS", "SCALINGS"]

ACTIVATIONS = ("sigmoid", "softmax")
SCALINGS = ("none", "band")


def band_edges(n_filters: int, n_heads: int) -> list[tuple[int, int]]:
    """Contiguous bands of the filter axis, one per head.

    Bands differ in size by at most one filter; the lower bands take the extra
    filters when ``n_filters`` is not a multiple of ``n_heads`` (as
    ``numpy.array_split`` cuts).
    """
    if not 1 <= n_heads <= n_filters:
        raise ValueError(f"n_heads must be between 1 and n_filters={n_filters}, got {n_heads}")
    size, extra = divmod(n_filters, n_heads)
    edges, start = [], 0
    for h in range(n_heads):
        stop = start + size + (h < extra)
        edges.append((start, stop))
        start = stop
    return edges


class RelevanceHead(nn.Module):
    """One head: a relevance weight for every bin of a band.

    The weight of bin (f, t) comes from that filter's row over frames
    ``t - context .. t + context`` through a small network
    ``(2 context + 1) -> hidden -> 1`` with sigmoids, shared over the band's
    rows: a ``1 x (2 context + 1)`` convolution with ``hidden`` channels and a
    ``1 x 1`` convolution, with no loop over bins. On a GPU they run as those
    convolutions; on a CPU as :func:`~sklearn_mhr.nn.context_mlp.context_mlp`,
    the same computation in cache-sized chunks of bins (several times faster,
    and it stores no hidden activation for the backward pass).

    Parameters
    ----------
    context : int, default=10
        Frames on each side of a bin.
    hidden : int, default=16
        Hidden units.
    activation : {"sigmoid", "softmax"}, default="sigmoid"
        Sigmoid per bin (the paper's acoustic-scene variant) or softmax over
        the band's filters in each frame (its urban-sound variant).

    Shapes
    ------
    ``forward``: (batch, band_filters, n_frames) -> weights of the same shape.
    """

    def __init__(self, context=10, hidden=16, activation="sigmoid"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        self.hidden = nn.Conv2d(1, hidden, (1, 2 * context + 1), padding=(0, context))
        self.out = nn.Conv2d(hidden, 1, 1)

    def forward(self, band: torch.Tensor) -> torch.Tensor:
        if band.is_cuda or torch.compiler.is_exporting():
            hidden = torch.sigmoid(self.hidden(band.unsqueeze(1).contiguous()))
            logits = self.out(hidden).squeeze(1)
        else:
            taps = self.hidden.kernel_size[1]
            logits = context_mlp(band, self.hidden.weight.view(-1, taps), self.hidden.bias,
                                 self.out.weight.view(-1), self.out.bias)
        if self.activation == "softmax":
            return torch.softmax(logits, dim=1)
        return torch.sigmoid(logits)


class MultiHeadRelevance(nn.Module):
    """Relevance heads over contiguous bands of the filter axis.

    Each head weights its band ``X_h`` into ``W_h * X_h + X_h`` (weighted map
    plus skip connection) and the bands are joined back along the filter axis.

    Parameters
    ----------
    n_filters : int
        Size of the filter axis.
    n_heads : int
        Number of heads (``1 <= n_heads <= n_filters``); see :func:`band_edges`.
    context, hidden, activation
        Passed to each :class:`RelevanceHead`.
    scaling : {"none", "band"}, default="none"
        ``"band"`` min-max scales each weighted band per clip, as the authors'
        code does (the levels of one band against another are lost);
        ``"none"`` keeps the weighted map as it is, which suits a level-free
        map that is never negative.

    Shapes
    ------
    ``forward``: (batch, n_filters, n_frames) -> (output, weights), both of
    that shape.
    """

    def __init__(self, n_filters, n_heads, *, context=10, hidden=16, activation="sigmoid",
                 scaling="none"):
        super().__init__()
        if scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
        self.scaling = scaling
        self.edges = band_edges(n_filters, n_heads)
        self.heads = nn.ModuleList(
            RelevanceHead(context, hidden, activation) for _ in self.edges
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outputs, weights = [], []
        for (start, stop), head in zip(self.edges, self.heads):
            band = x[:, start:stop]
            w = head(band)
            weighted = w * band + band
            outputs.append(minmax_scale(weighted) if self.scaling == "band" else weighted)
            weights.append(w)
        return torch.cat(outputs, dim=1), torch.cat(weights, dim=1)
