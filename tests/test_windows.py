"""Windows of recordings: exact times, tails, probabilities equal to predict_proba of the cuts."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.io import read_audio
from sklearn_mhr.stream import predict_file
from sklearn_mhr.windows import WindowGrid, predict_windows, window_grid


def _fit(sample_rate=8000, n_samples=4000):
    X, y = noise_task(n_samples=n_samples)
    return MHRAudioClassifier(**{**TINY_PARAMS, "sample_rate": sample_rate}).fit(X, y)


@pytest.fixture(scope="module")
def model():
    return _fit()


@pytest.fixture(scope="module")
def recordings():
    rng = np.random.default_rng(3)
    return [rng.standard_normal(n).astype(np.float32) for n in (12345, 8000, 3001, 999, 4000)]


def _cut(wave, start, stop):
    cut = wave[start:stop]
    return np.pad(cut, (0, stop - start - cut.shape[0]))


@pytest.mark.parametrize("sample_rate, hop, n_hop", [
    (22050, 0.3, 6615), (44100, 1 / 3, 14700), (16000, 0.5, 8000), (8000, 0.0232, 185.6),
])
def test_exact_starts_at_any_hop_over_24_hours(sample_rate, hop, n_hop):
    grid = window_grid(_fit(sample_rate), window=1.0, hop=hop)
    assert grid.hop == Fraction(n_hop).limit_denominator(1000)
    starts, stops = grid.bounds(24 * 3600 * sample_rate)
    k = np.arange(starts.shape[0] - 1)  # the last is the tail's window
    exact = [int(Fraction(int(i)) * grid.hop + Fraction(1, 2)) for i in k[-5:]]
    assert starts[k[-5:]].tolist() == exact
    # no drift: every start within half a sample of k * hop
    assert np.abs(starts[k] - k * float(grid.hop)).max() <= 0.5 + 1e-6
    if float(n_hop).is_integer():
        np.testing.assert_array_equal(starts[k], k * int(n_hop))
    np.testing.assert_array_equal(stops - starts, sample_rate)


def test_times_of_a_hop_of_a_third_of_a_second(model):
    grid = window_grid(_fit(44100), window=1.0, hop=1 / 3)
    starts, _ = grid.bounds(44100 * 3600)
    assert starts[3 * 3599] == 3599 * 44100  # hour 0:59:59, exactly


@pytest.mark.parametrize("n, tail, expected", [
    (12, "end", [(0, 4), (3, 7), (6, 10), (8, 12)]),
    (12, "pad", [(0, 4), (3, 7), (6, 10), (9, 13)]),
    (12, "drop", [(0, 4), (3, 7), (6, 10)]),
    (10, "end", [(0, 4), (3, 7), (6, 10)]),  # the last whole window ends at the end
    (10, "pad", [(0, 4), (3, 7), (6, 10)]),
    (4, "end", [(0, 4)]),
    (3, "end", [(0, 3)]),
    (3, "pad", [(0, 4)]),
    (3, "drop", []),
])
def test_tails(n, tail, expected):
    starts, stops = WindowGrid(4, Fraction(3), tail, 8000).bounds(n)
    assert list(zip(starts.tolist(), stops.tolist())) == expected


def test_a_hop_longer_than_the_window_leaves_gaps():
    # the samples after the last window are a gap, as between windows, until the next start
    starts, stops = WindowGrid(2, Fraction(5), "end", 8000).bounds(13)
    assert list(zip(starts.tolist(), stops.tolist())) == [(0, 2), (5, 7), (10, 12)]
    starts, stops = WindowGrid(2, Fraction(5), "end", 8000).bounds(16)
    assert list(zip(starts.tolist(), stops.tolist())) == [(0, 2), (5, 7), (10, 12), (14, 16)]
    starts, stops = WindowGrid(2, Fraction(5), "pad", 8000).bounds(16)
    assert list(zip(starts.tolist(), stops.tolist())) == [(0, 2), (5, 7), (10, 12), (15, 17)]


@pytest.mark.parametrize("tail", ["end", "pad", "drop"])
def test_each_window_is_predict_proba_of_its_cut(model, recordings, tail):
    w = model.predict_windows(recordings, window=0.5, hop=0.3, tail=tail)
    assert w.proba.shape == (len(w.start), 3) and w.proba.dtype == np.float64
    cuts = [_cut(recordings[c], s, e) for c, s, e in
            zip(w.clip, w.start_sample, w.start_sample + 4000)]
    if tail == "end":  # the short clip's window is the clip itself
        cuts = [recordings[c][s:e] for c, s, e in zip(w.clip, w.start_sample, w.end_sample)]
    expected = np.concatenate([model.predict_proba([cut]) for cut in cuts])
    np.testing.assert_allclose(w.proba, expected, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(w.label, model.classes_[w.proba.argmax(1)])
    np.testing.assert_array_equal(w.start, w.start_sample / 8000)
    np.testing.assert_array_equal(w.end, w.end_sample / 8000)
    assert np.all(w.end_sample <= np.array([len(recordings[c]) for c in w.clip]))
    assert np.all(np.diff(w.clip) >= 0)


def test_windows_of_the_first_clip(model, recordings):
    w = model.predict_windows(recordings[:1], window=0.5, hop=0.3)
    # 12345 samples: whole windows at 0, 2400, 4800, 7200; the tail's at 8345
    assert w.start_sample.tolist() == [0, 2400, 4800, 7200, 8345]
    assert w.end_sample.tolist() == [4000, 6400, 8800, 11200, 12345]
    np.testing.assert_allclose(w.start, [0, 0.3, 0.6, 0.9, 8345 / 8000], rtol=0, atol=0)


def test_a_window_equal_to_the_clip_is_predict_proba(model, recordings):
    clip = recordings[1]
    w = model.predict_windows([clip], window=1.0, hop=0.25)
    assert w.start_sample.tolist() == [0] and w.end_sample.tolist() == [8000]
    np.testing.assert_allclose(w.proba, model.predict_proba([clip]), rtol=0, atol=1e-5)


@pytest.mark.parametrize("tail, n_windows", [("end", 1), ("pad", 1), ("drop", 0)])
def test_a_clip_shorter_than_a_window(model, recordings, tail, n_windows):
    clip = recordings[3]  # 999 samples
    w = model.predict_windows([clip], window=0.5, tail=tail)
    assert len(w.start) == n_windows and w.proba.shape == (n_windows, 3)
    if n_windows:
        assert w.end_sample.tolist() == [999]
        cut = clip if tail == "end" else np.pad(clip, (0, 3001))
        np.testing.assert_allclose(w.proba, model.predict_proba([cut]), rtol=0, atol=1e-5)


def test_transform_windows_are_transform_of_the_cuts(model, recordings):
    w = model.transform_windows(recordings[:2], window=0.5, hop=0.25)
    cuts = [recordings[c][s:e] for c, s, e in zip(w.clip, w.start_sample, w.end_sample)]
    np.testing.assert_allclose(w.features, model.transform(cuts), rtol=1e-4, atol=1e-5)
    assert w.features.dtype == np.float32


def test_the_default_window_is_the_training_clips_length(model, recordings):
    assert model.clip_samples_ == 4000
    w = model.predict_windows(recordings[:1])
    np.testing.assert_array_equal(w.start_sample[:3], [0, 2000, 4000])
    assert set((w.end_sample - w.start_sample).tolist()) == {4000}


def test_a_model_without_its_clip_length_falls_back_to_one_second(model, recordings):
    est = _fit()
    del est.clip_samples_
    with pytest.warns(UserWarning, match="windows of 1 s are used; pass window="):
        w = est.predict_windows(recordings[:1])
    assert w.start_sample[:2].tolist() == [0, 4000] and w.end_sample[0] == 8000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.predict_windows(recordings[:1], window=0.5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tail="wrap"), r"tail must be one of \['end', 'pad', 'drop'\], got 'wrap'"),
    (dict(window=0.0), "window must be a positive number of seconds, got 0.0"),
    (dict(window="1"), "window must be a positive number"),
    (dict(hop=float("nan")), "hop must be a positive number"),
    (dict(hop=1e-5), "hop=1e-05 s is under one sample at 8000 Hz"),
    (dict(window=1e-5), "window=1e-05 s is under one sample"),
])
def test_bad_arguments(model, recordings, kwargs, match):
    with pytest.raises(ValueError, match=match):
        model.predict_windows(recordings[:1], **kwargs)


def test_unfitted_model_is_refused(recordings):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        predict_windows(MHRAudioClassifier(), recordings)


@pytest.mark.parametrize("file_rate, channels, subtype", [
    (8000, 1, "PCM_16"), (44100, 2, "PCM_16"), (22050, 2, "FLOAT"), (11025, 3, "PCM_24"),
])
def test_files_of_any_rate_and_channels(model, tmp_path, file_rate, channels, subtype):
    rng = np.random.default_rng(file_rate)
    data = 0.3 * rng.standard_normal((round(2.3 * file_rate), channels))
    path = tmp_path / "rec.wav"
    sf.write(path, data, file_rate, subtype=subtype)
    seen = []
    w = predict_file(model, path, window=0.5, hop=0.3, block_duration=0.37,
                     progress=lambda done, total: seen.append((done, total)))
    ref = model.predict_windows([read_audio(path, sample_rate=8000)], window=0.5, hop=0.3)
    for key in ("clip", "start_sample", "end_sample", "start", "end", "label"):
        np.testing.assert_array_equal(w[key], ref[key], err_msg=key)
    np.testing.assert_allclose(w.proba, ref.proba, rtol=0, atol=1e-5)
    assert w.end[-1] == pytest.approx(2.3, abs=1 / 8000)
    assert seen[-1] == (pytest.approx(w.end[-1]), pytest.approx(w.end[-1]))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_starts_are_exact_when_the_products_pass_int64():
    hop = Fraction(2**61 + 1, 2**20)  # about 2**41 samples: 2 * k * numerator passes 2**63
    grid = WindowGrid(1, hop, "drop", 8000)
    starts, _ = grid.bounds(int(hop * 5) + 2)
    assert starts.tolist() == [int(k * hop + Fraction(1, 2)) for k in range(6)]
