"""Relevance heads: band cutting, the per-bin network as a convolution, weights, skip connection."""

import pytest
import torch

from sklearn_mhr.nn import MultiHeadRelevance, RelevanceHead, band_edges


@pytest.mark.parametrize("n_filters, n_heads, sizes", [
    (80, 2, [40, 40]), (10, 3, [4, 3, 3]), (7, 7, [1] * 7), (5, 1, [5]), (11, 4, [3, 3, 3, 2]),
])
def test_band_edges(n_filters, n_heads, sizes):
    edges = band_edges(n_filters, n_heads)
    assert [b - a for a, b in edges] == sizes
    assert edges[0][0] == 0 and edges[-1][1] == n_filters
    assert all(edges[i][1] == edges[i + 1][0] for i in range(n_heads - 1))


@pytest.mark.parametrize("n_heads", [0, 9])
def test_band_edges_rejects_bad_head_counts(n_heads):
    with pytest.raises(ValueError,
                       match=f"n_heads must be between 1 and n_filters=8, got {n_heads}"):
        band_edges(8, n_heads)


def test_head_equals_per_bin_mlp_over_context():
    """The convolution computes, for every bin, MLP(row[t - c .. t + c]) with zero padding."""
    context, hidden = 3, 5
    head = RelevanceHead(context, hidden).double()
    band = torch.randn(2, 4, 9, dtype=torch.float64)
    got = head(band)
    w1 = head.hidden.weight[:, 0, 0]  # (hidden, 2c+1)
    b1 = head.hidden.bias
    w2 = head.out.weight[0, :, 0, 0]
    b2 = head.out.bias
    padded = torch.nn.functional.pad(band, (context, context))
    for b in range(2):
        for f in range(4):
            for t in range(9):
                window = padded[b, f, t:t + 2 * context + 1]
                expected = torch.sigmoid(w2 @ torch.sigmoid(w1 @ window + b1) + b2[0])
                torch.testing.assert_close(got[b, f, t], expected)


def test_softmax_head_normalises_over_the_band_filters():
    head = RelevanceHead(2, 6, activation="softmax")
    w = head(torch.randn(3, 5, 11))
    torch.testing.assert_close(w.sum(dim=1), torch.ones(3, 11))
    assert (w > 0).all()


def test_sigmoid_weights_in_unit_interval():
    w = RelevanceHead(2, 6)(torch.randn(3, 5, 11) * 10)
    assert ((w > 0) & (w < 1)).all()


@pytest.mark.parametrize("n_filters, n_heads", [(10, 3), (8, 2), (5, 5)])
def test_multi_head_output_is_weighted_map_plus_skip(n_filters, n_heads):
    mhr = MultiHeadRelevance(n_filters, n_heads, context=2, hidden=4)
    x = torch.rand(2, n_filters, 13) * 5
    out, w = mhr(x)
    assert out.shape == w.shape == x.shape
    for (a, b), head in zip(mhr.edges, mhr.heads):
        torch.testing.assert_close(w[:, a:b], head(x[:, a:b]))
    torch.testing.assert_close(out, w * x + x)  # levels across bands kept


@pytest.mark.parametrize("n_filters, n_heads", [(10, 3), (8, 2), (5, 5)])
def test_multi_head_output_is_weighted_map_plus_skip_scaled_per_band(n_filters, n_heads):
    mhr = MultiHeadRelevance(n_filters, n_heads, context=2, hidden=4, scaling="band")
    x = torch.randn(2, n_filters, 13)
    out, w = mhr(x)
    assert out.shape == w.shape == x.shape
    for (a, b), head in zip(mhr.edges, mhr.heads):
        torch.testing.assert_close(w[:, a:b], head(x[:, a:b]))
        y = w[:, a:b] * x[:, a:b] + x[:, a:b]
        lo = y.amin(dim=(1, 2), keepdim=True)
        hi = y.amax(dim=(1, 2), keepdim=True)
        torch.testing.assert_close(out[:, a:b], (y - lo) / (hi - lo + 1e-6))


def test_heads_are_independent_networks():
    mhr = MultiHeadRelevance(8, 2)
    p0, p1 = (list(h.parameters()) for h in mhr.heads)
    assert all(a.data_ptr() != b.data_ptr() for a, b in zip(p0, p1))


def test_head_layers_are_a_context_convolution_and_a_pointwise_one():
    head = RelevanceHead(10, 50)
    assert isinstance(head.hidden, torch.nn.Conv2d) and head.hidden.kernel_size == (1, 21)
    assert isinstance(head.out, torch.nn.Conv2d) and head.out.kernel_size == (1, 1)


def test_the_cpu_path_unfolds_one_chunk_of_rows_at_a_time(monkeypatch):
    """No unfolded copy of the whole band: forward and backward window a chunk at a time."""
    from sklearn_mhr.nn import context_mlp as module

    rows_seen = []
    real = module._windows
    monkeypatch.setattr(module, "_windows",
                        lambda rows, taps: (rows_seen.append(rows.shape[0]), real(rows, taps))[1])
    band = torch.randn(4, 20, 400, requires_grad=True)  # 80 rows of 400 frames
    RelevanceHead(10, 50)(band).sum().backward()
    rows_per_chunk = module.CHUNK_BINS // 400
    assert rows_per_chunk < 80
    assert len(rows_seen) == 2 * -(-80 // rows_per_chunk)  # every chunk, forward and backward
    assert max(rows_seen) <= rows_per_chunk


def test_bad_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        RelevanceHead(activation="relu")


def test_bad_scaling():
    with pytest.raises(ValueError, match=r"scaling must be one of \('none', 'band'\), got 'max'"):
        MultiHeadRelevance(8, 2, scaling="max")
