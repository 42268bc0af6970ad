"""The full network: shapes for any number of frames, registries, gradients."""

import pytest
import torch

from sklearn_mhr.nn import MHRNet


@pytest.mark.parametrize("front_end", ["cosgauss", "mel"])
@pytest.mark.parametrize("n_heads", [0, 1, 3])
@pytest.mark.parametrize("back_end", ["light", "fcnn", "cnn_lstm"])
def test_network_shapes_and_representation(front_end, n_heads, back_end):
    net = MHRNet(4, 16000, 400, 160, 129, front_end=front_end, n_filters=10, n_heads=n_heads,
                 context=3, head_hidden=6, back_end=back_end, back_end_width=4).eval()
    for n in (1, 399, 1601):
        x = torch.randn(2, n)
        assert net(x).shape == (2, 4)
        rep, w = net.representation(x)
        assert rep.shape == (2, 10, 1 + max(n - 400, 0) // 160)
        assert (w is None) == (n_heads == 0)


def test_without_heads_the_representation_is_the_front_end_map():
    net = MHRNet(3, 16000, 400, 160, 129, n_filters=10, n_heads=0).eval()  # no augmentation
    x = torch.randn(2, 3000)
    torch.testing.assert_close(net.representation(x)[0], net.front_end(x))


@pytest.mark.parametrize("name, value", [("front_end", "stft"), ("back_end", "resnet")])
def test_registries_list_valid_names(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be one of \[.*\], got '{value}'"):
        MHRNet(3, 16000, 400, 160, 129, **{name: value})


def test_gradients_reach_every_part():
    net = MHRNet(3, 16000, 400, 160, 129, n_filters=10, n_heads=2, back_end_width=4)
    torch.nn.functional.cross_entropy(net(torch.randn(4, 4000)),
                                      torch.tensor([0, 1, 2, 0])).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
