"""``sklearn-mhr predict --window/--hop`` and ``plot --kind timeline``, output parsed back."""

import csv
import io
import json

import numpy as np
import pytest
import soundfile as sf
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier, persistence
from sklearn_mhr.cli import main
from sklearn_mhr.io import read_audio


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("windows")
    model = persistence.save(MHRAudioClassifier(**TINY_PARAMS).fit(*noise_task()),
                             root / "model")
    rng = np.random.default_rng(0)
    sf.write(root / "stereo.wav", 0.2 * rng.standard_normal((round(2.05 * 22050), 2)), 22050)
    sf.write(root / "mono.flac", 0.2 * rng.standard_normal(9000), 8000)
    return root, model


def _predict(capsys, *args):
    code = main(["predict", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def test_csv_has_a_row_per_window_and_a_column_per_class(work, capsys):
    root, model = work
    files = [str(root / "stereo.wav"), str(root / "mono.flac")]
    out, err = _predict(capsys, "--model", str(model), "--window", "0.5", "--hop", "0.3", *files)
    table = list(csv.DictReader(io.StringIO(out)))
    est = persistence.load(model)
    assert list(table[0]) == ["file", "start", "end", "label", "a", "b", "c"]
    for i, path in enumerate(files):
        rows = [r for r in table if r["file"] == path]
        expected = est.predict_windows([read_audio(path, sample_rate=8000)], window=0.5, hop=0.3)
        np.testing.assert_array_equal([float(r["start"]) for r in rows], expected.start)
        np.testing.assert_array_equal([float(r["end"]) for r in rows], expected.end)
        assert [r["label"] for r in rows] == expected.label.tolist()
        proba = np.array([[float(r[c]) for c in "abc"] for r in rows])
        np.testing.assert_allclose(proba, expected.proba, rtol=0, atol=1e-5)
        assert f"{path}: {len(rows)} windows, " in err.splitlines()[i]
    assert [float(r["start"]) for r in table[:4]] == [0.0, 0.3, 0.6, 0.9]
    assert float(table[[r["file"] for r in table].index(files[1]) - 1]["end"]) == \
        pytest.approx(2.05, abs=1 / 8000)


def test_json_lines_with_the_top_classes(work, capsys):
    root, model = work
    out, _ = _predict(capsys, "--model", str(model), "--hop", "0.25", "--format", "json",
                      "--top", "2", str(root / "mono.flac"))
    rows = [json.loads(line) for line in out.splitlines()]
    est = persistence.load(model)
    expected = est.predict_windows([read_audio(root / "mono.flac")], hop=0.25)  # window 0.5 s
    assert len(rows) == len(expected.start) == 4
    for row, proba, label in zip(rows, expected.proba, expected.label):
        assert list(row) == ["file", "start", "end", "label", "class_1", "probability_1",
                             "class_2", "probability_2"]
        order = np.argsort(proba)[::-1]
        assert [row["class_1"], row["class_2"]] == est.classes_[order[:2]].tolist()
        assert row["class_1"] == row["label"] == label
        assert row["probability_1"] == pytest.approx(proba[order[0]], abs=1e-5)
    assert [r["start"] for r in rows] == expected.start.tolist()


@pytest.mark.parametrize("args, match", [
    (["--window", "0.5", "--duration", "1"], "--duration pads or crops whole files"),
    (["--window", "0.5", "--json"], "with --window/--hop use --format json"),
    (["--window", "0.5", "--top", "4"], "--top 4 is more than the model's 3 classes"),
    (["--top", "2"], "--format, --top and --tail apply to windows: pass --window"),
    (["--window", "0.5", "missing.wav"], "missing.wav' does not exist"),
])
def test_errors(work, capsys, args, match):
    root, model = work
    files = [] if "missing.wav" in args else [str(root / "mono.flac")]
    assert main(["predict", "--model", str(model), *args, *files]) == 1
    assert match in capsys.readouterr().err


def test_plot_timeline(work, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    root, model = work
    code = main(["plot", "--model", str(model), "--kind", "timeline", "--hop", "0.1", "--out",
                 str(tmp_path), str(root / "stereo.wav"), str(root / "mono.flac")])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timeline-mono.png",
                                                          "timeline-stereo.png"]
    assert main(["plot", "--model", str(model), "--kind", "timeline"]) == 1
    assert "--kind timeline draws audio files" in capsys.readouterr().err


def test_the_parser_with_the_window_options_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; from sklearn_mhr.cli import build_parser; "
            "args = build_parser().parse_args(['predict', '--model', 'm', '--window', '1', "
            "'--tail', 'pad', 'a.wav']); print(args.tail, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["pad", "False"]
