"""Back ends: logits for any number of frames and filters (sklearn_mhr.nn.backends)."""

import pytest
import torch

from sklearn_mhr.nn import CNNLSTM, FCNN, LightCNN


@pytest.mark.parametrize("back_end", [LightCNN, FCNN, CNNLSTM])
@pytest.mark.parametrize("n_filters", [1, 7, 40])
@pytest.mark.parametrize("n_frames", [1, 2, 5, 33])
@pytest.mark.parametrize("batch", [1, 3])
def test_back_end_shapes(back_end, n_filters, n_frames, batch):
    net = back_end(n_filters, 5, width=4).eval()
    out = net(torch.randn(batch, n_filters, n_frames))
    assert out.shape == (batch, 5) and torch.isfinite(out).all()


@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (2, 3, 8, 10), (1, 1, 1, 1), (1, 2, 1, 5)])
def test_exported_pooling_equals_ceil_mode(shape, monkeypatch):
    from sklearn_mhr.nn.backends import CeilMaxPool2d

    x = torch.randn(shape)
    training = CeilMaxPool2d()(x)
    monkeypatch.setattr(torch.compiler, "is_exporting", lambda: True)
    exported = CeilMaxPool2d()(x)
    assert torch.equal(training, exported)
    assert training.shape[-2:] == tuple(-(-n // 2) for n in shape[-2:])
