"""Classifier back ends: from a (batch, n_filters, n_frames) map to logits.

All take any number of frames, one included.
"""

from __future__ import annotations

import torch
from torch import nn

from sklearn_mhr.nn.ops import deltas, minmax_scale, standardize

__all__ = ["LightCNN", "FCNN", "CNNLSTM", "channels_last"]


def channels_last(module: nn.Module) -> nn.Module:
    """Store ``module``'s convolution weights channels-last (NHWC), in place; return it.

    Convolutions then run in that layout (oneDNN on CPUs, cuDNN on GPUs), which
    makes a training step of these back ends 1.2 to 1.5 times faster on a CPU
    (``benchmarks.fit_speed``). Values agree with the default layout to float32
    rounding (tests/test_backends.py); a saved model's weights load into either.
    Dropout on a 4-D map (FCNN's) draws its mask in memory order, so its masks
    differ from the default layout's, as another seed's would.
    """
    return module.to(memory_format=torch.channels_last)


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class CeilMaxPool2d(nn.Module):
    """2x2 max pooling that keeps a last odd row or column (``ceil_mode=True``).

    A map of one frame (or one filter) so stays alive. In an exported graph
    the input is padded with ``-inf`` to even sizes instead, which gives the
    same values without the branch on the input's size that keeps
    ``ceil_mode`` from being exported for inputs of any length (and costs a
    copy, so training keeps ``ceil_mode``).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.compiler.is_exporting():
            pad = (0, x.shape[-1] % 2, 0, x.shape[-2] % 2)
            return nn.functional.max_pool2d(nn.functional.pad(x, pad, value=float("-inf")), 2)
        return nn.functional.max_pool2d(x, 2, ceil_mode=True)


def _pool() -> nn.Module:
    return CeilMaxPool2d()


class LightCNN(nn.Module):
    """A small 2-D CNN that trains in reasonable time on a CPU (the default).

    Per-example standardisation of the map (no running statistics, so a
    briefly trained model behaves the same in evaluation), three blocks of
    conv 3x3 - batch norm - ReLU - max pool 2x2 with ``width``, ``2 width`` and
    ``4 width`` channels, mean and max over frequency, mean and max over
    time of both, dropout and a linear layer. The maximum over frequency keeps
    a pattern that only a few bands hold (a drum's or an instrument's
    spectral peak), which the mean dilutes; the mean keeps what spreads over
    the band (a voice's formants); docs/benchmarks.md measures each alone.

    Parameters
    ----------
    n_filters : int
        Size of the filter axis of the input map.
    n_classes : int
        Number of outputs.
    width : int, default=16
        Channels of the first block.
    dropout : float, default=0.2
        Dropout before the linear layer.
    """

    def __init__(self, n_filters, n_classes, *, width=16, dropout=0.2):
        super().__init__()
        self.blocks = nn.Sequential(
            *_conv_bn_relu(1, width), _pool(),
            *_conv_bn_relu(width, 2 * width), _pool(),
            *_conv_bn_relu(2 * width, 4 * width), _pool(),
        )
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(16 * width, n_classes)
        channels_last(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(standardize(x).unsqueeze(1))  # (batch, channels, filters, frames)
        h = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        h = torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=1)
        return self.linear(self.dropout(h))


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation: rescale channels from their global means."""

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.gate = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(),
                                  nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x.mean(dim=(2, 3)))[:, :, None, None]


class FCNN(nn.Module):
    """The paper's fully convolutional acoustic-scene back end, scaled by ``width``.

    Per-example min-max scaling; the map, its deltas and delta-deltas as three
    channels; three stages of two conv 3x3 - batch norm - ReLU with channel
    attention and max pooling (``width``, ``2 width``, ``4 width`` channels);
    a 1x1 convolution to the classes, batch norm and global average pooling.

    Parameters
    ----------
    n_filters : int
        Size of the filter axis (unused: the network is fully convolutional).
    n_classes : int
        Number of outputs.
    width : int, default=16
        Channels of the first stage (the paper's network is much wider).
    dropout : float, default=0.2
        Dropout before the 1x1 convolution.
    """

    def __init__(self, n_filters, n_classes, *, width=16, dropout=0.2):
        super().__init__()
        layers, c_in = [nn.BatchNorm2d(3)], 3
        for c_out in (width, 2 * width, 4 * width):
            layers += [*_conv_bn_relu(c_in, c_out), *_conv_bn_relu(c_out, c_out),
                       ChannelAttention(c_out), _pool()]
            c_in = c_out
        self.stages = nn.Sequential(*layers)
        self.classify = nn.Sequential(nn.Dropout(dropout),
                                      nn.Conv2d(c_in, n_classes, 1, bias=False),
                                      nn.BatchNorm2d(n_classes))
        channels_last(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = minmax_scale(x)
        d1 = deltas(x)
        x = torch.stack([x, d1, deltas(d1)], dim=1)
        return self.classify(self.stages(x)).mean(dim=(2, 3))


class CNNLSTM(nn.Module):
    """The paper's urban-sound back end: convolutions, then a bidirectional LSTM.

    Per-example min-max scaling, two blocks of conv 3x3 - batch norm - ReLU -
    max pool 2x2 (``width`` and ``2 width`` channels), a bidirectional LSTM
    over time on the flattened frequency-channel axis, mean over time, dropout
    and a linear layer.

    Parameters
    ----------
    n_filters : int
        Size of the filter axis of the input map.
    n_classes : int
        Number of outputs.
    width : int, default=16
        Channels of the first block; the LSTM has ``4 width`` units each way.
    dropout : float, default=0.2
        Dropout before the linear layer.
    """

    def __init__(self, n_filters, n_classes, *, width=16, dropout=0.2):
        super().__init__()
        self.blocks = nn.Sequential(*_conv_bn_relu(1, width), _pool(),
                                    *_conv_bn_relu(width, 2 * width), _pool())
        half = -(-n_filters // 2)  # rows after each of the two poolings, rounded up
        pooled_filters = -(-half // 2)
        self.lstm = nn.LSTM(2 * width * pooled_filters, 4 * width, batch_first=True,
                            bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(8 * width, n_classes)
        channels_last(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(minmax_scale(x).unsqueeze(1))  # (batch, channels, filters, frames)
        h = h.flatten(1, 2).transpose(1, 2)  # (batch, frames, channels * filters)
        h, _ = self.lstm(h)
        return self.linear(self.dropout(h.mean(dim=1)))
