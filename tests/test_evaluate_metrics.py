"""sklearn-mhr evaluate's scores per device, fold and group (sklearn_mhr._commands.evaluate)."""

import numpy as np
import pytest

from sklearn_mhr._commands.evaluate import format_report, metrics

CLASSES = np.array(["dog", "rain"])


def _proba(predicted):
    return np.array([[0.9, 0.1] if p == "dog" else [0.2, 0.8] for p in predicted])


def test_accuracy_per_group_with_its_spread_in_json_and_text():
    y_true = np.array(["dog", "rain", "dog", "rain", "dog", "rain"])
    y_pred = np.array(["dog", "rain", "rain", "rain", "rain", "dog"])
    groups = np.array(["awb", "awb", "slt", "slt", "rms", "rms"])
    result = metrics(y_true, _proba(y_pred), CLASSES, groups=groups)
    assert result["per_group"] == {"awb": {"accuracy": 1.0, "n_clips": 2},
                                   "rms": {"accuracy": 0.0, "n_clips": 2},
                                   "slt": {"accuracy": 0.5, "n_clips": 2}}
    assert result["group_spread"] == pytest.approx(
        {"mean": 0.5, "std": np.std([1.0, 0.0, 0.5]), "range": 1.0, "worst": "rms"})
    assert "per_device" not in result and "per_fold" not in result
    text = format_report(result, "title")
    assert "Per-group accuracy" in text and "rms      0.0000      2" in text
    assert "over 3 groups: mean 0.5000, std 0.4082, best - worst 1.0000 (worst: rms)" in text


def test_devices_and_folds_are_reported_alike():
    y_true = np.array(["dog", "rain", "dog", "rain"])
    y_pred = np.array(["dog", "dog", "dog", "rain"])
    result = metrics(y_true, _proba(y_pred), CLASSES, device=np.array(["a", "a", "b", "b"]),
                     fold=np.array([3, 3, 3, 3]))
    assert result["per_device"] == {"a": {"accuracy": 0.5, "n_clips": 2},
                                    "b": {"accuracy": 1.0, "n_clips": 2}}
    assert result["device_spread"]["worst"] == "a"
    assert result["per_fold"] == {"3": {"accuracy": 0.75, "n_clips": 4}}
    assert result["fold_spread"]["range"] == 0.0
    text = format_report(result, "title")
    assert text.index("Per-device accuracy") < text.index("Per-fold accuracy")
