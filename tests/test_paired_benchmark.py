"""benchmarks.paired: two benchmarks.compare runs compared seed by seed."""

import json

import pytest

from benchmarks import paired


def _write(path, accuracies, devices=None, variant="2 heads"):
    runs = []
    for seed, acc in enumerate(accuracies):
        run = {"variant": variant, "seed": seed, "split": None, "accuracy": acc}
        if devices is not None:
            run["per_device"] = devices[seed]
        runs.append(run)
    path.write_text(json.dumps({"config": {}, "rows": [], "runs": runs}))
    return path


def test_paired_differences_and_the_device_gap(tmp_path, capsys):
    base = _write(tmp_path / "base.json", [0.5, 0.6, 0.7],
                  [{"a": 0.6, "c": 0.4}, {"a": 0.7, "c": 0.5}, {"a": 0.8, "c": 0.6}])
    other = _write(tmp_path / "other.json", [0.55, 0.58, 0.8],
                   [{"a": 0.6, "c": 0.5}, {"a": 0.6, "c": 0.56}, {"a": 0.8, "c": 0.8}])
    rows = {r["score"]: r for r in paired.paired_table(paired.load_runs(base),
                                                       paired.load_runs(other), ["c"])}
    overall = rows["overall"]
    assert overall["n"] == 3 and overall["base"] == pytest.approx(0.6)
    assert overall["diff"] == pytest.approx((0.05 - 0.02 + 0.1) / 3)
    assert overall["diff_std"] == pytest.approx(0.0602771, rel=1e-5)
    assert (overall["better"], overall["worse"]) == (2, 1)
    gap = rows["seen - unseen gap"]
    assert gap["base"] == pytest.approx(0.2) and gap["other"] == pytest.approx((0.1 + 0.04) / 3)
    assert paired.main([str(base), str(other), "--unseen", "c"]) == 0
    assert "| device c | 3 |" in capsys.readouterr().out


def test_runs_are_paired_by_seed_only_where_both_have_one(tmp_path):
    base = _write(tmp_path / "base.json", [0.5, 0.6, 0.7])
    other = _write(tmp_path / "other.json", [0.9])
    (row,) = paired.paired_table(paired.load_runs(base), paired.load_runs(other), [])
    assert row["n"] == 1 and row["diff"] == pytest.approx(0.4)


def test_a_file_with_several_variants_needs_one_named(tmp_path):
    path = tmp_path / "two.json"
    runs = [{"variant": v, "seed": 0, "split": None, "accuracy": 0.5} for v in ("mel", "2 heads")]
    path.write_text(json.dumps({"runs": runs}))
    with pytest.raises(SystemExit, match="choose one with --variant"):
        paired.load_runs(path)
    assert list(paired.load_runs(path, "mel")) == [(0, None)]
    with pytest.raises(SystemExit, match="no run of variant 'x'"):
        paired.load_runs(path, "x")


def test_each_side_can_read_its_own_variant(tmp_path, capsys):
    base = _write(tmp_path / "defaults.json", [0.7, 0.8])
    runs = [{"variant": v, "seed": seed, "split": None, "accuracy": acc}
            for v, accs in (("mel", [0.6, 0.9]), ("cnn", [0.5, 0.6]))
            for seed, acc in enumerate(accs)]
    other = tmp_path / "baselines.json"
    other.write_text(json.dumps({"runs": runs}))
    assert paired.main([str(base), str(other), "--other-variant", "cnn"]) == 0
    assert "| overall | 2 | 0.750 | 0.550 | -0.200 ± 0.000 | 0 / 2 |" in capsys.readouterr().out
    assert paired.main([str(base), str(other), "--other-variant", "mel"]) == 0
    assert "| overall | 2 | 0.750 | 0.750 | +0.000 ± 0.141 | 1 / 1 |" in capsys.readouterr().out
