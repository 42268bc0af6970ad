"""Exported graphs (ONNX, torch.export) give the estimator's probabilities at any length."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.export import min_samples

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

VARIANTS = {"defaults": {}, "mel baseline": {"front_end": "mel", "n_heads": 0},
            "fcnn, softmax heads, fft path": {"back_end": "fcnn", "n_heads": 4,
                                               "head_activation": "softmax",
                                               "front_end_path": "fft"}}


@pytest.fixture(scope="module", params=VARIANTS)
def fitted(request):
    X, y = tone_task(12, seconds=0.3)
    return MHRAudioClassifier(**{**TINY_PARAMS, **VARIANTS[request.param]}).fit(X, y)


def _clips(est):
    rng = np.random.default_rng(0)
    n = min_samples(est)
    return [rng.standard_normal((b, length)).astype(np.float32)
            for b, length in [(1, n), (3, n + 7), (2, 3 * n + 11), (4, 20000)]]


def test_onnx_runs_with_onnxruntime_to_the_estimators_probabilities(fitted, tmp_path):
    path = fitted.export(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == ["waveforms"]
    for X in _clips(fitted):
        (proba,) = session.run(None, {"waveforms": X})
        assert proba.shape == (len(X), len(fitted.classes_))
        np.testing.assert_allclose(proba, fitted.predict_proba(X), rtol=0, atol=1e-5)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    info = json.loads(meta["sklearn_mhr"])
    assert info["classes"] == fitted.classes_.tolist()
    assert info["sample_rate"] == fitted.sample_rate
    assert info["min_samples"] == min_samples(fitted)


def test_torch_export_archive_gives_the_estimators_probabilities(fitted, tmp_path):
    path = fitted.export(tmp_path / "model.pt2", format="torch")
    extra = {"sklearn_mhr.json": ""}
    module = torch.export.load(path, extra_files=extra).module()
    assert json.loads(extra["sklearn_mhr.json"])["classes"] == fitted.classes_.tolist()
    for X in _clips(fitted):
        with torch.no_grad():
            proba = module(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(proba, fitted.predict_proba(X), rtol=0, atol=1e-5)


def test_export_refusals(tmp_path):
    X, y = tone_task(12, seconds=0.3)
    est = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    with pytest.raises(ValueError, match=r"format must be one of \['onnx', 'torch'\]"):
        est.export(tmp_path / "m", format="tflite")
    with pytest.raises(ValueError, match="does not exist"):
        est.export(tmp_path / "no" / "m.onnx")
    lstm = MHRAudioClassifier(**{**TINY_PARAMS, "back_end": "cnn_lstm", "max_epochs": 1})
    with pytest.raises(ValueError, match="export does not support back_end='cnn_lstm' yet"):
        lstm.fit(X, y).export(tmp_path / "m.onnx")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MHRAudioClassifier().export(tmp_path / "m.onnx")
