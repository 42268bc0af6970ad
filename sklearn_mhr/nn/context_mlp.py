"""A per-bin MLP over a context window of each row, computed in cache-sized chunks.

A relevance head maps every bin ``(r, t)`` of a band to
``w2 . sigmoid(W1 @ x[r, t - c : t + c + 1] + b1) + b2``: a ``1 x (2c + 1)``
convolution with ``hidden`` output channels, a sigmoid and a ``1 x 1``
convolution. Autograd through those layers stores the ``hidden``-channel
activation, 50 times the map, and streams it through memory about ten times
per step; on a CPU that memory traffic, not arithmetic, sets the cost.
`context_mlp` instead processes a few thousand bins at a time, keeps only
the input for the backward pass and recomputes each chunk's activation
there: three to four times faster on maps of a few hundred frames, and the
memory of a step no longer grows with ``hidden``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["context_mlp", "CHUNK_BINS"]

CHUNK_BINS = 16384  # bins per chunk: the hidden activation of a chunk stays in cache


def _windows(padded_rows: torch.Tensor, taps: int) -> torch.Tensor:
    """(rows, frames + taps - 1) -> (rows * frames, taps): every row's sliding windows."""
    return padded_rows.unfold(-1, taps, 1).reshape(-1, taps)


class _ContextMLP(torch.autograd.Function):
    @staticmethod
    def forward(ctx, band, w1, b1, w2, b2, rows_per_chunk):
        batch, n_rows, n_frames = band.shape
        taps = w1.shape[1]
        context = taps // 2
        padded = F.pad(band.reshape(batch * n_rows, n_frames), (context, context))
        out = band.new_empty(batch * n_rows, n_frames)
        # in the weights' dtype under autocast too, as the backward (never autocast) recomputes it
        with torch.autocast(band.device.type, enabled=False):
            for r in range(0, batch * n_rows, rows_per_chunk):
                hidden = torch.addmm(b1, _windows(padded[r:r + rows_per_chunk], taps),
                                     w1.T).sigmoid_()
                out[r:r + rows_per_chunk] = torch.addmv(b2, hidden, w2).view(-1, n_frames)
        ctx.save_for_backward(band, w1, b1, w2)
        ctx.rows_per_chunk = rows_per_chunk
        return out.view(batch, n_rows, n_frames)

    @staticmethod
    def backward(ctx, grad_out):
        band, w1, b1, w2 = ctx.saved_tensors
        batch, n_rows, n_frames = band.shape
        taps = w1.shape[1]
        context = taps // 2
        padded = F.pad(band.reshape(batch * n_rows, n_frames), (context, context))
        grad_out = grad_out.reshape(batch * n_rows, n_frames)
        grad_padded = torch.zeros_like(padded) if ctx.needs_input_grad[0] else None
        grad_w1, grad_b1, grad_w2 = torch.zeros_like(w1), torch.zeros_like(b1), torch.zeros_like(w2)
        step = ctx.rows_per_chunk
        for r in range(0, batch * n_rows, step):
            windows = _windows(padded[r:r + step], taps)
            hidden = torch.addmm(b1, windows, w1.T).sigmoid_()
            g = grad_out[r:r + step].reshape(-1)
            grad_w2 += hidden.T @ g
            # gradient at the sigmoid's input, g * w2 * h * (1 - h), in one pass over h
            grad_pre = torch.ops.aten.sigmoid_backward(torch.outer(g, w2), hidden)
            grad_w1 += grad_pre.T @ windows
            grad_b1 += grad_pre.sum(0)
            if grad_padded is not None:
                grad_windows = (grad_pre @ w1).view(-1, n_frames, taps)
                rows = grad_padded[r:r + step]
                for j in range(taps):  # each window overlaps the row at offset j
                    rows[:, j:j + n_frames] += grad_windows[:, :, j]
        grad_band = None
        if grad_padded is not None:
            grad_band = grad_padded[:, context:context + n_frames].reshape(batch, n_rows, n_frames)
        return grad_band, grad_w1, grad_b1, grad_w2, grad_out.sum().reshape(1), None


def context_mlp(band: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
                b2: torch.Tensor, *, chunk_bins: int = CHUNK_BINS) -> torch.Tensor:
    """Per-bin MLP ``(2c + 1) -> hidden -> 1`` over each row's context window.

    Parameters
    ----------
    band : Tensor of shape (batch, rows, frames)
        Rows are filters, zero-padded by ``c`` frames at both ends.
    w1 : Tensor of shape (hidden, 2c + 1)
    b1 : Tensor of shape (hidden,)
    w2 : Tensor of shape (hidden,)
    b2 : Tensor of shape (1,)
    chunk_bins : int, default=16384
        Bins per chunk; the result does not depend on it.

    Returns
    -------
    logits : Tensor of shape (batch, rows, frames)
        Before the head's output activation.
    """
    if w1.shape[1] % 2 != 1:
        raise ValueError(f"the context window must have an odd number of taps, got {w1.shape[1]}")
    rows_per_chunk = max(1, chunk_bins // max(1, band.shape[-1]))
    # in the weights' dtype: under autocast the band may come in a lower one
    return _ContextMLP.apply(band.to(w1.dtype), w1, b1, w2, b2, rows_per_chunk)
