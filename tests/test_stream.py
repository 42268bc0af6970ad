"""WindowStream: chunks of any size give the offline windows."""

import numpy as np
import pytest
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.windows import TIME_KEYS


@pytest.fixture(scope="module")
def model():
    return MHRAudioClassifier(**TINY_PARAMS).fit(*noise_task())


@pytest.fixture(scope="module")
def recording():
    return np.random.default_rng(5).standard_normal(9001).astype(np.float32)


def _chunks(wave, sizes):
    i, k = 0, 0
    while i < wave.shape[0]:
        yield wave[i:i + sizes[k % len(sizes)]]
        i += sizes[k % len(sizes)]
        k += 1


def _streamed(model, wave, sizes, **kwargs):
    stream = model.stream(**kwargs)
    parts = [stream.push(chunk) for chunk in _chunks(wave, sizes)] + [stream.finish()]
    out = {key: np.concatenate([p[key] for p in parts]) for key in TIME_KEYS + ("label",)}
    out["proba"] = np.concatenate([p.proba for p in parts])
    return out


@pytest.mark.parametrize("sizes", [[1], [2, 3, 5, 7, 11, 13], [997], [4999], [9001], [100000],
                                   list(np.random.default_rng(0).integers(0, 3000, 40))],
                         ids=["one-sample", "small-primes", "prime-997", "prime-4999", "whole",
                              "larger", "random"])
@pytest.mark.parametrize("tail", ["end", "pad", "drop"])
def test_any_chunking_gives_the_offline_windows(model, recording, sizes, tail):
    offline = model.predict_windows([recording], window=0.5, hop=0.3, tail=tail)
    streamed = _streamed(model, recording, sizes, window=0.5, hop=0.3, tail=tail)
    for key in TIME_KEYS + ("label",):
        np.testing.assert_array_equal(streamed[key], offline[key], err_msg=key)
    np.testing.assert_allclose(streamed["proba"], offline.proba, rtol=0, atol=1e-5)


def test_windows_come_back_as_soon_as_they_are_complete(model, recording):
    stream = model.stream(window=0.5, hop=0.25)
    assert len(stream.push(recording[:3999]).start) == 0
    assert stream.push(recording[3999:4000]).end_sample.tolist() == [4000]
    assert stream.push(recording[4000:8000]).start_sample.tolist() == [2000, 4000]
    assert stream.n_samples == 8000
    assert stream.push(np.zeros(0)).proba.shape == (0, 3)


def test_a_stream_shorter_than_a_window_gives_it_at_the_end(model, recording):
    stream = model.stream(window=0.5)
    assert len(stream.push(recording[:1000]).start) == 0
    last = stream.finish()
    assert last.end_sample.tolist() == [1000]
    np.testing.assert_allclose(last.proba, model.predict_proba([recording[:1000]]), atol=1e-5)


def test_integer_pcm_chunks_are_scaled_as_clips_are(model):
    pcm = (np.random.default_rng(1).standard_normal(6000) * 3000).astype(np.int16)
    streamed = _streamed(model, pcm, [777], window=0.5, hop=0.5)
    np.testing.assert_allclose(streamed["proba"],
                               model.predict_windows([pcm], window=0.5, hop=0.5).proba, atol=1e-5)


def test_the_stream_keeps_at_most_a_window_and_a_chunk(model, recording):
    stream = model.stream(window=0.5, hop=0.3)
    for chunk in _chunks(np.tile(recording, 5), [1234]):
        stream.push(chunk)
        assert stream._buffer.shape[0] <= 4000 + 1234


@pytest.mark.parametrize("chunk, error, match", [
    (np.zeros((2, 10)), ValueError, r"a chunk has shape \(2, 10\); chunks must be 1-D"),
    (np.array([0.0, np.nan]), ValueError, "a chunk contains NaN or infinite samples"),
    (np.array(["a"]), TypeError, "chunks must hold numeric samples"),
])
def test_bad_chunks(model, chunk, error, match):
    with pytest.raises(error, match=match):
        model.stream(window=0.5).push(chunk)


def test_a_finished_stream_takes_nothing_more(model):
    stream = model.stream(window=0.5)
    stream.push(np.zeros(100))
    stream.finish()
    with pytest.raises(ValueError, match="this stream is finished"):
        stream.push(np.zeros(10))
    with pytest.raises(ValueError, match="already finished"):
        stream.finish()
