"""The documentation's gallery is what docs/make_gallery.py draws, and the script works."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _gallery_script():
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gallery_record() -> dict:
    import json

    return json.loads((DOCS / "gallery" / "gallery.json").read_text())


def test_gallery_page_shows_exactly_the_committed_pictures():
    pictures = sorted(p.name for p in (DOCS / "gallery").glob("*.png"))
    page = (DOCS / "gallery.md").read_text()
    assert page == _gallery_script().gallery_page(pictures, "gallery", _gallery_record())
    shown = re.findall(r"\]\(gallery/([^)]+)\)", page)
    assert sorted(shown) == pictures
    assert {"filters.png", "history.png", "relevance.png", "confusion.png"} <= set(pictures)


def test_gallery_was_drawn_from_the_model_todays_demo_trains():
    """The gallery's model has the parameters and settings the demo gives today.

    A change of any default (the estimator's or the demo's) fails this test until
    ``python docs/make_gallery.py`` draws the gallery again. Comparing parameters
    rather than retraining keeps the test fast and exact: a retrained model's accuracy
    is reproducible for one torch build and thread count, not across them.
    """
    import json

    from sklearn_mhr._commands.demo import demo_models
    from sklearn_mhr.cli import build_parser

    record = _gallery_record()
    args = build_parser().parse_args(["demo"])
    mhr = demo_models(args)[0][1]
    runtime = _gallery_script().RUNTIME_PARAMS
    today = {k: v for k, v in mhr.get_params(deep=False).items() if k not in runtime}
    assert record["params"] == json.loads(json.dumps(today))
    assert record["demo"] == {k: getattr(args, k) for k in record["demo"]}
    assert 0 < record["held_out_accuracy"] <= 1 and record["mean_move_hz"] >= 0


def test_user_guide_pictures_exist():
    guide = (DOCS / "user-guide.md").read_text()
    shown = re.findall(r"\]\(gallery/([^)]+)\)", guide)
    assert len(shown) >= 5
    for name in shown:
        assert (DOCS / "gallery" / name).is_file(), name


@pytest.mark.slow
def test_make_gallery_draws_every_picture(tmp_path):
    import matplotlib.image

    out = _gallery_script().main(["--quick", "--out", str(tmp_path / "gallery"), "--dpi", "40"])
    pictures = sorted(p.name for p in out.glob("*.png"))
    assert {"filters.png", "history.png", "relevance.png", "confusion.png"} <= set(pictures)
    assert sum(name.startswith("clip-") for name in pictures) == 3  # one per class, 3 classes
    for name in pictures:
        assert matplotlib.image.imread(out / name).shape[0] > 100
    page = (tmp_path / "gallery.md").read_text()
    assert all(f"](gallery/{name})" in page for name in pictures)
    import json

    record = json.loads((out / "gallery.json").read_text())
    assert record["demo"]["n_clips"] == 48 and record["params"]["max_epochs"] == 2
    assert f"scored {record['held_out_accuracy']:.3f}" in page


def test_user_guide_states_the_default_frames():
    from sklearn_mhr import MHRAudioClassifier

    guide = (DOCS / "user-guide.md").read_text()
    window, hop = map(float, re.search(r"windows \((\S+) ms every (\S+) ms by", guide).groups())
    defaults = MHRAudioClassifier()
    assert window == pytest.approx(1000 * defaults.window_duration)
    assert hop == pytest.approx(1000 * defaults.hop_duration)


def test_cli_page_lists_the_columns_demo_writes_to_filters_csv():
    from sklearn_mhr._commands.demo import FILTER_COLUMNS

    page = " ".join((DOCS / "cli.md").read_text().split())
    listed = re.search(r"one row per filter, with the columns `([^`]+)`", page).group(1)
    assert listed.split(",") == list(FILTER_COLUMNS)


@pytest.mark.slow
def test_built_site_has_no_literal_sphinx_roles_and_works_from_disk(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    import subprocess
    import sys

    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(site)], cwd=DOCS.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    role = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|obj|exc|const):")
    literal = {p.relative_to(site).as_posix(): role.findall(p.read_text()) for p in pages}
    assert {name: found for name, found in literal.items() if found} == {}
    # the roles became links where the name is documented
    estimator = (site / "api" / "estimator.html").read_text()
    assert 'href="nn.html#sklearn_mhr.nn.MHRNet"' in estimator
    # opened from disk: links name files, not folders that a browser would list
    index = (site / "index.html").read_text()
    assert 'href="getting-started.html"' in index and 'href="getting-started/"' not in index
    assert 'href="css/tables.css"' in index


def test_demo_spread_is_the_one_measured_in_benchmarks():
    import numpy as np

    from sklearn_mhr._commands.demo import SEED_SPREAD

    text = (DOCS / "benchmarks.md").read_text()
    section = text.split("## The demo's spread over seeds", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) \| ([\d.]+) \| [\d.]+ \|$", section, re.M)
    assert len(rows) >= 3
    mhr, mel = (np.array([float(r[i]) for r in rows]) for i in (1, 2))
    pooled = np.sqrt((mhr.std(ddof=1) ** 2 + mel.std(ddof=1) ** 2) / 2)
    assert round(pooled, 2) == SEED_SPREAD
