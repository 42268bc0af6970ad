"""sklearn_mhr.plotting: every picture draws headless into a file of the expected size."""

import sys

import matplotlib
import numpy as np
import pytest
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier, analysis, plotting

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def task():
    return tone_task(18, seconds=0.3)


@pytest.fixture(scope="module")
def mhr(task):
    params = {**TINY_PARAMS, "max_epochs": 3, "validation_fraction": 0.34, "patience": 5}
    return MHRAudioClassifier(**params).fit(*task)


@pytest.fixture(scope="module")
def mel(task):
    return MHRAudioClassifier(**{**TINY_PARAMS, "front_end": "mel", "n_heads": 0}).fit(*task)


def _written(fig, path, dpi=50):
    """Save ``fig``, read the PNG back and check its pixels match the figure's size."""
    fig.savefig(path, dpi=dpi)
    image = matplotlib.image.imread(path)
    width, height = fig.get_size_inches() * dpi
    assert image.shape[:2] == (round(height), round(width))
    assert image[..., :3].std() > 0.01  # something is drawn on the white
    return image


def test_filters(mhr, mel, tmp_path):
    from sklearn_mhr.analysis import filter_table

    fig = plotting.plot_filters(mhr)
    moves, responses, share, key = fig.axes  # the moves' twin axis, the responses' colour key
    table = filter_table(mhr)
    np.testing.assert_allclose(moves.lines[1].get_ydata(), table.moved_hz)
    np.testing.assert_allclose(share.lines[0].get_ydata(),
                               100 * table.moved_hz / table.bandwidth_hz)
    assert "Hz" in moves.get_ylabel() and "bandwidth" in share.get_ylabel()
    assert len(responses.lines) == mhr.n_filters
    assert key.get_ylabel() == "filter centre (Hz)"
    _written(fig, tmp_path / "filters.png")
    _written(plotting.plot_filters(mel), tmp_path / "mel.png")


def test_clip(mhr, mel, task, tmp_path):
    X, y = task
    fig = plotting.plot_clip(mhr, X[0], label=y[0])
    # waveform, map, two heads, weighted map, and a colour bar beside each of the four maps
    assert len(fig.axes) == 5 + 4
    title = fig._suptitle.get_text()
    proba = mhr.predict_proba(X[:1])[0]
    assert f"predicted {mhr.classes_[proba.argmax()]} (p = {proba.max():.2f})" in title
    assert f"true {y[0]}" in title
    head = fig.axes[2].images[0].get_array()
    assert head.shape[0] == 4 and head.min() >= 0 and head.max() <= 1
    # every colour bar says what its colours measure
    bars = [ax for ax in fig.axes if not ax.get_title() and ax.get_ylabel() != "waveform"]
    labels = [ax.get_ylabel() for ax in bars]
    assert labels == ["log energy", "weight (0 to 1)", "weight (0 to 1)", "log energy"], labels
    _written(fig, tmp_path / "clip.png")
    no_heads = plotting.plot_clip(mel, X[1])
    assert len(no_heads.axes) == 3 + 2
    _written(no_heads, tmp_path / "clip-mel.png")


def test_clip_refuses_a_batch(mhr, task):
    with pytest.raises(ValueError, match="one clip, a 1-D waveform; got shape"):
        plotting.plot_clip(mhr, task[0][:2])


def test_class_relevance(mhr, mel, task, tmp_path):
    X, y = task
    fig, ax = plt.subplots()
    assert plotting.plot_class_relevance(mhr, X, y, ax=ax) is fig
    image = ax.images[0].get_array()
    assert image.shape == (3, mhr.n_filters)
    assert len(ax.lines) == 1  # one boundary between the two heads' bands
    # each class against the mean over classes, on a scale centred on zero
    from sklearn_mhr.analysis import class_relevance

    rel = class_relevance(mhr, X, y)
    np.testing.assert_allclose(image, rel.per_filter - rel.per_filter.mean(0), atol=1e-12)
    vmin, vmax = ax.images[0].get_clim()
    assert vmin == -vmax and vmax >= np.abs(image).max()
    fig = plotting.plot_class_relevance(mhr, X, y)
    level, heat, key = fig.axes
    np.testing.assert_allclose(level.lines[0].get_ydata(), rel.map_level)
    assert key.get_ylabel() == "weight minus mean over classes"
    _written(fig, tmp_path / "relevance.png")


def test_class_relevance_shades_filters_with_little_energy(mhr, task, monkeypatch):
    from sklearn_mhr import analysis

    X, y = task
    real = analysis.class_relevance(mhr, X, y)
    # filters 6 and 7 about 35 dB below the loudest (the map is in nats of energy), 5 at 20 dB
    real.map_level = np.array([12.0, 12.0, 11.5, 11.0, 10.0, 7.4, 4.0, 3.9])
    monkeypatch.setattr(plotting.analysis, "class_relevance", lambda *args, **kwargs: real)
    fig = plotting.plot_class_relevance(mhr, X, y)
    level, heat = fig.axes[:2]
    for ax in (level, heat):
        assert sorted(round(p.get_x() + 0.5) for p in ax.patches) == [6, 7]
    assert "30 dB below the loudest filter" in level.get_title()


def test_history(mhr, mel, tmp_path):
    fig = plotting.plot_history(mhr)
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(),
                               mhr.net_.history[:, "valid_acc"])
    _written(fig, tmp_path / "history.png")
    assert len(plotting.plot_history(mel).axes) == 1  # no validation: loss only


def test_confusion_with_groups(mhr, task, tmp_path):
    X, y = task
    groups = np.array(["a", "b", "c"] * 6)
    fig = plotting.plot_confusion(mhr, X, y, groups=groups)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert len(visible) == 4
    assert visible[0].get_title().startswith("all clips: accuracy")
    title = visible[1].get_title()
    assert title.startswith("a: accuracy") and "(6 clips)" in title
    _written(fig, tmp_path / "confusion.png")
    with pytest.raises(ValueError, match="groups has 2 entries"):
        plotting.plot_confusion(mhr, X, y, groups=groups[:2])


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_vector_formats(mhr, tmp_path, suffix):
    path = tmp_path / f"filters{suffix}"
    plotting.plot_filters(mhr).savefig(path)
    assert path.stat().st_size > 1000


def test_missing_matplotlib_names_the_extra(monkeypatch, mhr):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "\.\[plot\]"'):
        plotting.plot_history(mhr)


def test_group_accuracy_bars_and_lines(mhr, task, tmp_path):
    X, y = task
    groups = np.array(["a", "b", "c"])[np.arange(len(y)) % 3]
    fig = plotting.plot_group_accuracy(mhr, X, y, groups, what="device")
    _written(fig, tmp_path / "groups.png")
    ax = fig.axes[0]
    scores = analysis.accuracy_by_group(mhr, X, y, groups)
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, scores.accuracy)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "device" and ax.get_ylabel() == "accuracy"
    assert f"best - worst {scores.spread:.3f}" in ax.get_title()
