"""One way in for inference and one function for fitted state (sklearn_mhr._skorch)."""

import json

import numpy as np
import pytest
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier, analysis, persistence
from sklearn_mhr._lengths import clip_samples
from sklearn_mhr._skorch import fitted_attributes, inference


@pytest.fixture(scope="module")
def fitted():
    return MHRAudioClassifier(**TINY_PARAMS).fit(*noise_task())


@pytest.fixture
def calls(monkeypatch):
    """Count the batches of clips that reach the network through inference.run_clips."""
    counted = []
    original = inference.run_clips

    def counting(estimator, clips, fn):
        counted.append(len(clips))
        return original(estimator, clips, fn)

    monkeypatch.setattr(inference, "run_clips", counting)
    return counted


@pytest.mark.parametrize("call", [
    lambda est, X: est.predict_proba(X),
    lambda est, X: est.predict(X),
    lambda est, X: est.transform(X),
    lambda est, X: analysis.clip_maps(est, X),
    lambda est, X: analysis.class_relevance(est, X, est.classes_[[0, 1, 2]]),
], ids=["predict_proba", "predict", "transform", "clip_maps", "class_relevance"])
def test_every_inference_goes_through_one_path(fitted, calls, call):
    X = noise_task(3, seed=1)[0]
    call(fitted, X)
    assert calls == [3]


def test_the_estimator_has_no_private_run():
    assert not hasattr(MHRAudioClassifier, "_run")


def test_probabilities_is_a_softmax_in_float64():
    logits = np.array([[0.0, 0.0], [1000.0, 0.0], [1.0, 2.0]], dtype=np.float32)
    proba = inference.probabilities(logits)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, [[0.5, 0.5], [1.0, 0.0],
                                       [1 / (1 + np.e), np.e / (1 + np.e)]], atol=1e-15)
    assert inference.probabilities(np.empty((0, 3))).shape == (0, 3)


def _attributes(est):
    return {name: getattr(est, name) for name in fitted_attributes(
        est, est.net_, est.classes_, getattr(est, "clip_samples_", None))}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        if name == "net_":
            continue
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]), err_msg=name)


def test_fitted_state_is_what_the_one_function_returns(fitted):
    expected = fitted_attributes(fitted, fitted.net_, fitted.classes_, fitted.clip_samples_)
    assert set(expected) == {"net_", "classes_", "win_length_", "hop_length_", "kernel_size_",
                             "head_bands_", "centre_frequencies_",
                             "initial_centre_frequencies_", "clip_samples_"}
    _assert_same(_attributes(fitted), expected)
    assert expected["net_"] is fitted.net_


def test_a_loaded_model_has_the_same_fitted_state(fitted, tmp_path):
    loaded = persistence.load(persistence.save(fitted, tmp_path / "m"))
    _assert_same(_attributes(loaded), _attributes(fitted))
    assert loaded.clip_samples_ == fitted.clip_samples_ == 4000


def _edit_meta(root, edit):
    """Edit a saved model's meta.json and sign it again, as a model written so would be."""
    import hashlib

    meta = json.loads((root / "meta.json").read_text())
    edit(meta)
    (root / "meta.json").write_text(json.dumps(meta))
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"]["meta.json"] = hashlib.sha256((root / "meta.json").read_bytes()).hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_a_model_saved_before_clip_samples_loads_without_it(fitted, tmp_path):
    root = persistence.save(fitted, tmp_path / "m")
    _edit_meta(root, lambda meta: meta["fitted"].pop("clip_samples_"))
    loaded = persistence.load(root)
    assert not hasattr(loaded, "clip_samples_")
    np.testing.assert_array_equal(loaded.predict_proba(noise_task(3)[0]),
                                  fitted.predict_proba(noise_task(3)[0]))


def test_a_damaged_clip_samples_is_refused(fitted, tmp_path):
    root = persistence.save(fitted, tmp_path / "m")
    _edit_meta(root, lambda meta: meta["fitted"].update(clip_samples_=-3))
    with pytest.raises(ValueError, match="clip_samples_ must be a positive integer"):
        persistence.load(root)


def test_clip_samples_of_each_kind_of_training_set():
    rng = np.random.default_rng(0)
    assert clip_samples(rng.standard_normal((3, 1234)), 8000) == 1234
    assert clip_samples([np.zeros(n) for n in (100, 300, 200)], 8000) == 200
    assert clip_samples([np.zeros(100)], 8000, random_crop=0.5) == 4000

    class Lazy:
        durations = np.array([1.0, 2.0, 3.0])

        def __len__(self):
            return 3

    assert clip_samples(Lazy(), 16000) == 32000


def test_partial_fit_records_the_first_calls_clips():
    X, y = noise_task()
    est = MHRAudioClassifier(**TINY_PARAMS).partial_fit(X, y, classes=np.unique(y))
    est.partial_fit(X[:, :3000], y)
    assert est.clip_samples_ == 4000
