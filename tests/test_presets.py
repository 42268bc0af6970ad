"""The paper's set-ups (sklearn_mhr.presets)."""

import pytest
from tasks import TINY_PARAMS as TINY
from tasks import noise_task

from sklearn_mhr._lengths import sample_lengths
from sklearn_mhr.presets import paper_dcase2020, paper_urbansound8k


@pytest.fixture(scope="module")
def data():
    return noise_task()


def test_dcase2020_preset_is_the_paper_setting():
    clf = paper_dcase2020()
    lengths = sample_lengths(clf.sample_rate, clf.window_duration, clf.hop_duration,
                             clf.kernel_duration)
    assert lengths == (2048, 1024, 705)
    p = clf.get_params()
    assert p["sample_rate"] == 44100 and p["n_filters"] == 80 and p["n_heads"] == 2
    assert p["context"] == 10 and p["head_hidden"] == 50 and p["head_activation"] == "sigmoid"
    assert p["back_end"] == "fcnn" and p["mixup_alpha"] == 0.4
    assert p["optimizer"] == "sgd" and p["lr_schedule"] == "warm_restarts"
    assert p["freq_mask_width"] > 0 and p["time_mask_width"] > 0


def test_urbansound8k_preset_uses_softmax_heads_and_the_cnn_lstm():
    p = paper_urbansound8k().get_params()
    assert p["head_activation"] == "softmax" and p["back_end"] == "cnn_lstm"
    assert p["sample_rate"] == 22050


def test_presets_take_overrides_and_reject_unknown_names(data):
    X, y = data
    small = dict(TINY, window_duration=0.032, hop_duration=0.016)
    for preset in (paper_dcase2020, paper_urbansound8k):
        clf = preset(**small, random_crop=None, time_mask_width=4)  # 0.5 s clips: 32 frames
        assert clf.get_params()["sample_rate"] == 8000
        assert clf.fit(X, y).predict(X[:3]).shape == (3,)
        with pytest.raises(TypeError, match="unknown MHRAudioClassifier parameters"):
            preset(n_head=4)
