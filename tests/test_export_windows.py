"""The exported ONNX graph classifies the windows of a recording as the estimator does."""

from __future__ import annotations

import numpy as np
import pytest
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.export import min_samples

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")


def test_onnx_gives_the_probabilities_of_every_window(tmp_path):
    X, y = tone_task(24, seconds=0.5)
    est = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    recording = np.concatenate(tone_task(9, seconds=0.7, seed=4)[0])  # 6.3 s, tones change
    windows = est.predict_windows([recording], window=0.5, hop=0.3)
    assert min_samples(est) <= 4000 and len(windows.start) == 21
    # what a user of the ONNX file does: cut the windows by their sample offsets, one batch
    batch = np.stack([recording[s:e] for s, e in zip(windows.start_sample, windows.end_sample)])
    session = ort.InferenceSession(str(est.export(tmp_path / "model.onnx")))
    (proba,) = session.run(None, {"waveforms": batch.astype(np.float32)})
    np.testing.assert_allclose(proba, windows.proba, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(est.classes_[proba.argmax(1)], windows.label)
