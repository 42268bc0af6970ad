"""sklearn_mhr.analysis: the arrays that show what a model learned."""

import numpy as np
import pytest
import torch
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier, analysis
from sklearn_mhr.analysis import half_power_bandwidths
from sklearn_mhr.nn.melscale import mel_filter_matrix, mel_frequencies


@pytest.fixture(scope="module")
def task():
    return tone_task(24, seconds=0.3)


@pytest.fixture(scope="module")
def mhr(task):
    return MHRAudioClassifier(**{**TINY_PARAMS, "n_heads": 2}).fit(*task)


@pytest.fixture(scope="module")
def mel(task):
    return MHRAudioClassifier(**{**TINY_PARAMS, "front_end": "mel", "n_heads": 0}).fit(*task)


def test_half_power_bandwidth_of_a_gaussian():
    freqs = np.linspace(0, 4000, 40001)
    sigma = 100.0  # std of |H|, so |H|^2 has std sigma / sqrt(2)
    mag = np.exp(-((freqs - 1000) ** 2) / (2 * sigma**2))[None]
    expected = 2 * np.sqrt(2 * np.log(2)) * sigma / np.sqrt(2)
    np.testing.assert_allclose(half_power_bandwidths(freqs, mag), [expected], rtol=1e-4)


def test_half_power_bandwidth_of_a_mel_triangle_is_half_its_base():
    n_fft = 1 << 15
    weights = mel_filter_matrix(10, n_fft, 16000)
    edges = mel_frequencies(12, 0.0, 8000.0)
    widths = half_power_bandwidths(np.fft.rfftfreq(n_fft, 1 / 16000), np.sqrt(weights))
    np.testing.assert_allclose(widths, (edges[2:] - edges[:-2]) / 2, rtol=0.01)


def test_filter_table_of_the_learnable_front_end(mhr):
    table = analysis.filter_table(mhr)
    n = mhr.n_filters
    assert set(table) == {"index", "initial_hz", "learned_hz", "moved_hz", "bandwidth_hz"}
    assert all(v.shape == (n,) for v in table.values())
    np.testing.assert_array_equal(table.index, np.arange(n))
    np.testing.assert_allclose(table.learned_hz, mhr.centre_frequencies_)
    np.testing.assert_allclose(table.initial_hz, mhr.initial_centre_frequencies_)
    np.testing.assert_allclose(table.moved_hz, table.learned_hz - table.initial_hz)
    assert np.any(table.moved_hz != 0)
    assert np.all(table.bandwidth_hz > 0) and np.all(table.bandwidth_hz <= mhr.sample_rate / 2)
    # the paper's width rule: the Gaussian narrows in time, so widens in Hz, with the centre
    assert table.bandwidth_hz[-2] > table.bandwidth_hz[1]


def test_filter_table_of_the_mel_baseline_moves_nothing(mel):
    table = analysis.filter_table(mel)
    np.testing.assert_array_equal(table.moved_hz, 0.0)
    assert np.all(np.diff(table.bandwidth_hz) > 0)  # mel bands widen with frequency


@pytest.mark.parametrize("model", ["mhr", "mel"])
def test_frequency_responses_peak_at_the_centres(model, request):
    est = request.getfixturevalue(model)
    freqs, mag = est.frequency_response(n_fft=4096)
    assert freqs.shape == (2049,) and mag.shape == (est.n_filters, 2049)
    assert np.all(mag >= 0)
    peaks = freqs[mag.argmax(1)]
    step = freqs[1]
    inner = slice(2, -1)  # the lowest filters' images at negative frequencies shift their peaks
    np.testing.assert_allclose(peaks[inner], est.centre_frequencies_[inner], atol=2 * step + 30)


def test_clip_maps_stages(mhr, task):
    X, _ = task
    clips = analysis.clip_maps(mhr, X[:3])
    assert len(clips) == 3
    n_frames = clips[0].map.shape[1]
    for clip in clips:
        assert clip.map.shape == clip.weights.shape == clip.weighted.shape == (8, n_frames)
        assert clip.weights.min() >= 0 and clip.weights.max() <= 1
        np.testing.assert_allclose(clip.weighted, clip.weights * clip.map + clip.map, rtol=1e-5,
                                   atol=1e-6)
        assert clip.proba.shape == (3,) and abs(clip.proba.sum() - 1) < 1e-9
        assert clip.head_bands == [(0, 4), (4, 8)]
    np.testing.assert_allclose(np.stack([c.proba for c in clips]), mhr.predict_proba(X[:3]),
                               atol=1e-6)
    maps, weights = mhr.relevance_maps(X[:3])
    np.testing.assert_array_equal(maps[1], clips[1].weighted)
    np.testing.assert_array_equal(weights[2], clips[2].weights)


def test_softmax_heads_sum_to_one_per_band(task):
    est = MHRAudioClassifier(**{**TINY_PARAMS, "head_activation": "softmax", "max_epochs": 1})
    est.fit(*task)
    clip = analysis.clip_maps(est, task[0][:1])[0]
    for lo, hi in clip.head_bands:
        np.testing.assert_allclose(clip.weights[lo:hi].sum(0), 1.0, rtol=1e-5)


def test_clip_maps_without_heads(mel, task):
    clip = analysis.clip_maps(mel, task[0][:1])[0]
    assert clip.weights is None and clip.head_bands == []
    np.testing.assert_array_equal(clip.weighted, clip.map)


def test_class_relevance_averages_the_clips_of_each_class(mhr, task):
    X, y = task
    rel = analysis.class_relevance(mhr, X, y, n_time_bins=7)
    assert list(rel.classes) == list(mhr.classes_)
    assert rel.per_filter.shape == (3, 8) and rel.per_head.shape == (3, 2)
    assert rel.over_time.shape == (3, 2, 7) and rel.time.shape == (7,)
    np.testing.assert_array_equal(rel.n_clips, [8, 8, 8])
    for values in (rel.per_filter, rel.per_head, rel.over_time):
        assert np.all((values >= 0) & (values <= 1))
    # against a direct average over the clips of one class
    _, weights = mhr.relevance_maps(X)
    label = mhr.classes_[1]
    direct = np.mean([w.mean(1) for w, t in zip(weights, y) if t == label], axis=0)
    np.testing.assert_allclose(rel.per_filter[1], direct, rtol=1e-5)
    np.testing.assert_allclose(rel.per_head[1], [direct[:4].mean(), direct[4:].mean()], rtol=1e-5)
    # a constant-in-time profile of each clip's band mean averages to the same level
    np.testing.assert_allclose(rel.over_time[1].mean(1), rel.per_head[1], rtol=0.2)
    # the map's level per filter: the mean over every clip and frame of the unweighted map
    maps = [clip.map for clip in analysis.clip_maps(mhr, X)]
    np.testing.assert_allclose(rel.map_level, np.mean([m.mean(1) for m in maps], axis=0),
                               rtol=1e-5)


def test_class_relevance_of_an_absent_class_is_nan(mhr, task):
    X, y = task
    keep = y != mhr.classes_[0]
    rel = analysis.class_relevance(mhr, X[keep], y[keep])
    assert rel.n_clips[0] == 0 and np.isnan(rel.per_filter[0]).all()
    assert np.isfinite(rel.per_filter[1:]).all()


def test_class_relevance_refusals(mhr, mel, task):
    X, y = task
    with pytest.raises(ValueError, match="no relevance heads"):
        analysis.class_relevance(mel, X, y)
    with pytest.raises(ValueError, match=r"not trained on: \['nope'\]"):
        analysis.class_relevance(mhr, X[:2], np.array(["nope", "low"]))
    with pytest.raises(ValueError, match="X has 3 clips but y has 2 labels"):
        analysis.class_relevance(mhr, X[:3], y[:2])
    with pytest.raises(ValueError, match="n_time_bins"):
        analysis.class_relevance(mhr, X, y, n_time_bins=0)


def test_training_history_with_validation(task):
    est = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 3, "validation_fraction": 0.25,
                                "patience": 5}).fit(*task)
    hist = analysis.training_history(est)
    np.testing.assert_array_equal(hist.epoch, [1, 2, 3])
    assert np.isfinite(hist.train_loss).all() and np.isfinite(hist.valid_loss).all()
    assert np.all((hist.valid_acc >= 0) & (hist.valid_acc <= 1))
    assert np.all(hist.dur > 0)


def test_training_history_without_validation(mhr):
    hist = analysis.training_history(mhr)
    assert len(hist.epoch) == mhr.max_epochs
    assert np.isnan(hist.valid_loss).all() and np.isnan(hist.valid_acc).all()


def test_valid_acc_is_the_accuracy_on_the_validation_clips(task):
    X, y = task
    est = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 1, "validation_fraction": 0.5,
                                "patience": 5})
    est.fit(X, y)
    acc = est.net_.history[-1, "valid_acc"]
    # half the 24 clips, stratified: a multiple of 1/12
    assert abs(acc * 12 - round(acc * 12)) < 1e-9


def test_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    for fn in (analysis.filter_table, analysis.training_history):
        with pytest.raises(NotFittedError):
            fn(MHRAudioClassifier())
    assert torch.is_grad_enabled()


def test_group_scores_per_group_and_spread():
    from sklearn_mhr.analysis import group_scores

    y_true = np.array(["a", "b", "a", "b", "a", "b", "a", "b"])
    y_pred = np.array(["a", "b", "a", "a", "b", "b", "b", "a"])
    groups = np.array(["s1", "s1", "s1", "s1", "s2", "s2", "s3", "s3"])
    scores = group_scores(y_true, y_pred, groups)
    assert scores.groups.tolist() == ["s1", "s2", "s3"]
    np.testing.assert_allclose(scores.accuracy, [0.75, 0.5, 0.0])
    assert scores.n_clips.tolist() == [4, 2, 2]
    assert scores.overall == pytest.approx(4 / 8)
    assert scores.mean == pytest.approx(1.25 / 3)
    assert scores.std == pytest.approx(np.std([0.75, 0.5, 0.0]))
    assert scores.spread == pytest.approx(0.75) and scores.worst == "s3"
    with pytest.raises(ValueError, match="one entry per clip"):
        group_scores(y_true, y_pred, groups[:3])


def test_accuracy_by_group_scores_the_estimators_predictions(mhr, task):
    from sklearn_mhr.analysis import accuracy_by_group

    X, y = task
    groups = np.arange(len(y)) % 2
    scores = accuracy_by_group(mhr, X, y, groups)
    predicted = mhr.predict(X)
    assert scores.groups.tolist() == ["0", "1"]
    for g in (0, 1):
        assert scores.accuracy[g] == pytest.approx(np.mean(predicted[groups == g] ==
                                                           y[groups == g]))
