"""SpecAugment masking of the map in training (sklearn_mhr.nn.augment)."""

import torch

from sklearn_mhr.nn.augment import MapMasking


def test_masking_is_off_in_evaluation_and_with_zero_widths():
    x = torch.randn(3, 20, 50)
    masking = MapMasking(5, 10).eval()
    assert torch.equal(masking(x), x)
    assert torch.equal(MapMasking(0, 0).train()(x), x)


def test_masks_cover_whole_bands_and_spans_with_the_clip_mean():
    torch.manual_seed(0)
    x = torch.randn(64, 20, 100) + torch.arange(64.0)[:, None, None]  # distinct means
    out = MapMasking(freq_width=4, time_width=0, n_masks=1).train()(x)
    changed = out != x
    means = x.mean(dim=(1, 2))
    for b in range(64):
        rows = changed[b].any(dim=1)
        assert rows.sum() <= 4
        assert changed[b][rows].all()  # a masked filter is masked in every frame
        torch.testing.assert_close(out[b][rows], means[b].expand(int(rows.sum()), 100))
    assert changed.any(dim=(1, 2)).float().mean() > 0.5  # widths are drawn from 0..4
    out = MapMasking(freq_width=0, time_width=10, n_masks=2).train()(x)
    cols = (out != x).any(dim=1)  # (batch, frames)
    assert cols.sum(dim=1).max() <= 2 * 10
    assert ((out != x).any(dim=2) == cols.any(dim=1, keepdim=True)).all()  # all filters


def test_time_masks_spare_most_of_a_short_clip():
    x = torch.randn(16, 10, 12)
    out = MapMasking(freq_width=0, time_width=100, n_masks=1).train()(x)
    assert (out != x).any(dim=1).sum(dim=1).max() <= 12 // 5
