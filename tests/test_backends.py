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


@pytest.mark.parametrize("back_end", [LightCNN, FCNN, CNNLSTM])
def test_channels_last_weights_give_the_default_layout_values_and_gradients(back_end):
    from sklearn_mhr.nn.backends import channels_last

    torch.manual_seed(0)
    # no dropout: FCNN's masks (on a 4-D map) are drawn in memory order, which the layout changes
    fast = back_end(40, 5, width=8, dropout=0.0)
    convs = [m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    assert not all(w.is_contiguous() for w in convs)  # one input channel: both layouts at once
    plain = back_end(40, 5, width=8, dropout=0.0)
    plain.load_state_dict(fast.state_dict())
    plain.to(memory_format=torch.contiguous_format)
    assert all(m.weight.is_contiguous() for m in plain.modules()
               if isinstance(m, torch.nn.Conv2d))
    x = torch.randn(6, 40, 33, dtype=torch.float64)
    fast, plain = fast.double(), plain.double()  # float64: the layouts agree to its rounding
    for model in (fast, plain):
        model(x).pow(2).sum().backward()
    for (name, a), b in zip(fast.named_parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12, msg=name)
    fast.eval(), plain.eval()
    torch.testing.assert_close(fast(x), plain(x), rtol=1e-10, atol=1e-12)
    # a state saved from either layout loads into the other
    assert channels_last(back_end(40, 5, width=8)).double().load_state_dict(plain.state_dict())
