"""Clips into batches: random crops in training (sklearn_mhr._skorch.clips)."""

import pytest
import torch
from tasks import TINY_PARAMS as TINY
from tasks import noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch import MixupNet, collate_cropped


@pytest.fixture(scope="module")
def data():
    return noise_task()


def test_crops_are_contiguous_segments_of_the_right_length():
    torch.manual_seed(0)
    long_clip, short_clip = torch.arange(100.0), torch.arange(7.0)
    waves, targets = collate_cropped([(long_clip, 0), (short_clip, 1)], n_samples=30)
    assert waves.shape == (2, 30) and targets.tolist() == [0, 1]
    start = int(waves[0, 0])
    assert torch.equal(waves[0], torch.arange(start, start + 30.0))
    tiled = short_clip.repeat(5)
    assert any(torch.equal(waves[1], tiled[s:s + 30]) for s in range(len(tiled) - 29))


def test_random_crop_changes_training_only(data):
    X, y = data
    cropped = MHRAudioClassifier(random_crop=0.2, **TINY).fit(X, y)
    assert cropped.predict_proba(X).shape == (24, 3)  # inference on whole 0.5 s clips
    seen = []
    original = MixupNet.train_step_single

    def spy(self, batch, **kw):
        seen.append(batch[0].shape[1])
        return original(self, batch, **kw)

    MixupNet.train_step_single = spy
    try:
        MHRAudioClassifier(random_crop=0.2, **TINY).fit(X, y)
    finally:
        MixupNet.train_step_single = original
    assert set(seen) == {1600}
