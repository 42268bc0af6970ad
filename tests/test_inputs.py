"""Checks and conversions of the waveforms given to the estimator (sklearn_mhr._inputs)."""

import numpy as np
import pytest
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._inputs import PCM_FULL_SCALE, as_clip_sequence, check_clip, pcm_as_float


@pytest.mark.parametrize("dtype, samples, expected", [
    ("int8", [-128, 0, 64], [-1.0, 0.0, 0.5]),
    ("uint8", [0, 128, 192], [-1.0, 0.0, 0.5]),
    ("int16", [-32768, 16384, 32767], [-1.0, 0.5, 32767 / 32768]),
    ("int32", [-(2**31), 2**30, 0], [-1.0, 0.5, 0.0]),
])
def test_integer_pcm_is_scaled_to_full_scale(dtype, samples, expected):
    assert dtype in PCM_FULL_SCALE
    arr = np.array(samples, dtype=dtype)
    np.testing.assert_array_equal(pcm_as_float(arr, "x"), expected)
    np.testing.assert_array_equal(check_clip(arr, 0), np.float32(expected))
    clips, dtype_out = as_clip_sequence(np.stack([arr, arr]))
    np.testing.assert_array_equal(clips, [expected, expected])
    assert dtype_out == np.float64


def test_other_numbers_are_sample_values():
    np.testing.assert_array_equal(check_clip(np.array([1, 2], dtype=np.int64), 0), [1.0, 2.0])
    np.testing.assert_array_equal(check_clip([0.25, -0.5], 0), [0.25, -0.5])


@pytest.mark.parametrize("X", [np.array([[True, False]]), [np.array([True, False])]],
                         ids=["2-D array", "list of clips"])
def test_booleans_are_refused(X):
    with pytest.raises(TypeError, match="holds booleans; clips must hold audio samples"):
        as_clip_sequence(X)


def test_a_model_hears_int16_pcm_as_the_float_clip():
    X, y = tone_task(12, seed=0)
    clf = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    pcm = np.round(X * 32767).astype(np.int16)
    floats = pcm.astype(np.float32) / 32768
    np.testing.assert_allclose(clf.predict_proba(pcm), clf.predict_proba(floats), rtol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(list(pcm)), clf.predict_proba(floats),
                               rtol=1e-6)


def test_labels_of_mixed_types_are_refused_by_name():
    X, _ = tone_task(4, seed=0)
    with pytest.raises(ValueError, match="y mixes labels of types int, str; use labels of one"):
        MHRAudioClassifier(**TINY_PARAMS).fit(X, np.array([1, "a", 2, "b"], dtype=object))
