"""Training under autocast (``precision``): refused on the CPU, the step's path exercised there."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch import ClipDataset, seeded_rng, start_net
from sklearn_mhr.datasets import make_sound_scenes

TINY = dict(sample_rate=8000, n_filters=8, context=2, head_hidden=8, back_end_width=4,
            kernel_duration=0.004, device="cpu", random_state=0)


def test_reduced_precision_is_refused_on_the_cpu():
    X, y = make_sound_scenes(8, n_classes=2, duration=0.25, sample_rate=8000, random_state=0)
    with pytest.raises(ValueError, match="precision='bfloat16' is for GPUs, but the device is "
                                         "'cpu'"):
        MHRAudioClassifier(**TINY, precision="bfloat16").fit(X, y)
    with pytest.raises(ValueError, match="precision must be one of"):
        MHRAudioClassifier(**TINY, precision="float16").fit(X, y)


def test_a_bfloat16_step_computes_in_bfloat16_and_keeps_float32_weights():
    # the estimator refuses bfloat16 on the CPU; the net's autocast path is device-agnostic,
    # so it is exercised here on the CPU's bfloat16 autocast
    X, y = make_sound_scenes(16, n_classes=2, duration=0.25, sample_rate=8000, random_state=0)
    est = MHRAudioClassifier(**TINY, precision="bfloat16", batch_size=8, spectra_cache_mb=0)
    with seeded_rng(0, "cpu"):
        start_net(est, np.unique(y), "cpu")
        seen = []
        est.net_.module_.back_end.register_forward_hook(
            lambda module, inputs, output: seen.append(output.dtype))
        est.net_.partial_fit(ClipDataset(X, y), None, epochs=1)
    assert seen and set(seen) == {torch.bfloat16}
    assert {p.dtype for p in est.net_.module_.parameters()} == {torch.float32}
    assert np.isfinite(est.net_.history[-1, "train_loss"])
    proba = est.net_.module_.eval()(torch.from_numpy(X[:2]))
    assert proba.dtype == torch.float32  # outside training, float32
