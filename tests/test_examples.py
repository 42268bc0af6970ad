"""The scripts in examples/ run, on small settings, and do what they say."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested():
    tested = {"pipeline_and_features", "inspect_filters_and_heads", "search_heads",
              "files_to_predictions", "plot_what_the_model_learned"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.slow
def test_pipeline_and_features(capsys):
    mhr, pipeline = _load("pipeline_and_features").main(n_clips=48, n_classes=2, max_epochs=2,
                                                        sample_rate=8000)
    out = capsys.readouterr().out
    assert "MHR network" in out and "logistic regression" in out
    assert pipeline.steps[-1][1].coef_.shape[1] == 2 * mhr.n_filters


@pytest.mark.slow
def test_inspect_filters_and_heads(capsys):
    clf = _load("inspect_filters_and_heads").main(n_clips=32, n_classes=2, max_epochs=2,
                                                  sample_rate=8000)
    out = capsys.readouterr().out
    assert out.count("class ") == 2 and "filters that moved most" in out
    assert len(clf.head_bands_) == 2


@pytest.mark.slow
def test_search_heads(capsys):
    search = _load("search_heads").main(n_clips=36, n_classes=2, max_epochs=1, sample_rate=8000,
                                        n_heads=(0, 2))
    assert sorted(search.cv_results_["param_n_heads"]) == [0, 2]
    assert "best:" in capsys.readouterr().out


@pytest.mark.slow
def test_files_to_predictions(capsys):
    accuracy = _load("files_to_predictions").main(n_clips=32, n_classes=2, max_epochs=2)
    out = capsys.readouterr().out
    assert "held-out accuracy" in out and out.count(" -> ") == 3
    assert 0.0 <= accuracy <= 1.0 and np.isfinite(accuracy)


@pytest.mark.slow
def test_plot_what_the_model_learned(capsys, tmp_path):
    import matplotlib.image

    written = _load("plot_what_the_model_learned").main(
        n_clips=32, n_classes=2, max_epochs=2, sample_rate=8000, out=tmp_path / "plots")
    assert [p.name for p in written] == ["filters.png", "clip.png", "relevance.png",
                                         "history.png", "confusion.png"]
    out = capsys.readouterr().out
    for path in written:
        assert matplotlib.image.imread(path).shape[0] > 100
        assert f"wrote {path}" in out
