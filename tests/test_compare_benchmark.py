"""``python -m benchmarks.compare`` runs end to end and reports what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from benchmarks.compare.summary import summarise
from sklearn_mhr.datasets import make_sound_scenes

REPO = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "benchmarks.compare"]
BASELINES = ["logmel_lr", "mfcc_svc", "transform_lr", "cnn"]


def _compare(*args: str) -> subprocess.CompletedProcess:
    # the limit only catches a hang: a quick run takes 1 to 2 minutes on an idle 2-core machine
    # and several times that on a busy one
    run = subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=1800,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr
    return run


def _progress(run: subprocess.CompletedProcess) -> list[str]:
    """The ``[k/total] name, seed s: ...`` lines, one per finished fit."""
    return [line for line in run.stdout.splitlines() if line.startswith("[")]


@pytest.mark.slow  # runs python -m benchmarks.compare end to end
def test_compare_quick_run_writes_table_and_json(tmp_path):
    out = tmp_path / "results.json"
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## Other section\n\nkept\n")
    _compare("--quick", "--seeds", "1", "--jobs", "2", "--json", str(out), "--docs-path", str(docs))
    result = json.loads(out.read_text())
    variants = [row["variant"] for row in result["rows"]]
    assert variants == ["mel", "filters", "1 head", "2 heads", "4 heads", "2 heads, softmax",
                        "2 heads, fft path", "2 heads, time path", *BASELINES]
    for row in result["rows"]:
        assert 0.0 <= row["accuracy"] <= 1.0
        assert row["fit_seconds"] > 0 and row["inference_clips_per_second"] > 0
        assert row["peak_rss_mib"] > 50
        assert (row["epoch_seconds"] is not None) == (row["kind"] == "variant"
                                                      or row["variant"] == "cnn")
    runs = {r["variant"]: r for r in result["runs"]}
    assert runs["mel"]["params"]["front_end"] == "mel" and runs["mel"]["params"]["n_heads"] == 0
    assert runs["4 heads"]["params"]["n_heads"] == 4
    assert runs["2 heads, softmax"]["params"]["head_activation"] == "softmax"
    assert runs["2 heads, time path"]["params"]["front_end_path"] == "time"
    assert runs["transform_lr"]["reused_features"] and runs["cnn"]["params"]["epochs"] == 2
    text = docs.read_text()
    assert "## Ablation on generated data" in text and "| 2 heads, time path |" in text
    assert "| cnn |" in text and "| fit (s) |" in text
    assert "## Other section\n\nkept" in text


def _write_folder_corpus(root: Path) -> None:
    """3 classes x 3 groups x 4 clips, named ``<group>_<label>_<n>.wav``."""
    bunch = make_sound_scenes(36, n_classes=3, duration=0.5, sample_rate=8000, shuffle=False,
                              random_state=0, return_bunch=True)
    for i, (clip, label) in enumerate(zip(bunch.data, bunch.target)):
        name = bunch.target_names[label]
        (root / name).mkdir(parents=True, exist_ok=True)
        sf.write(root / name / f"g{i % 3}_{name}_{i:02d}.wav", clip, 8000)


@pytest.mark.slow  # runs python -m benchmarks.compare end to end
def test_compare_folder_split_baselines_and_resume(tmp_path):
    corpus, split, out = tmp_path / "corpus", tmp_path / "split.json", tmp_path / "results.json"
    _write_folder_corpus(corpus)
    split.write_text(json.dumps({"test_groups": ["g2"]}))
    command = ["--dataset", "folder", "--root", str(corpus), "--split-file", str(split),
               "--quick", "--seeds", "1", "--variants", "mel,2 heads",
               "--baselines", ",".join(BASELINES), "--set", "dropout=0.1", "--jobs", "2",
               "--json", str(out), "--no-docs"]
    first = _compare(*command)
    assert len(_progress(first)) == 6 and "| fit (s) |" in first.stdout
    result = json.loads(out.read_text())
    assert [row["variant"] for row in result["rows"]] == ["mel", "2 heads", *BASELINES]
    assert len(result["runs"]) == 6
    for run in result["runs"]:
        assert run["test_groups"] == ["g2"] and run["train_groups"] == ["g0", "g1"]
        assert (run["n_train"], run["n_test"]) == (24, 12)
        assert run["n_threads"] >= 1
    for row in result["rows"]:
        assert 0.0 <= row["accuracy"] <= 1.0
    runs = {r["variant"]: r for r in result["runs"]}
    assert runs["2 heads"]["params"]["dropout"] == 0.1 and runs["mel"]["params"]["dropout"] == 0.1
    assert runs["transform_lr"]["params"]["dropout"] == 0.1
    assert "dropout" not in runs["logmel_lr"]["params"]

    # an interrupted run: resume does only the fits missing from the file
    result["runs"] = [r for r in result["runs"] if r["variant"] != "cnn"]
    out.write_text(json.dumps(result))
    second = _compare(*command, "--resume")
    assert "5 of 6 fits already done" in second.stdout
    assert [line.split(":")[0] for line in _progress(second)] == ["[6/6] cnn, seed 0"]
    assert len(json.loads(out.read_text())["runs"]) == 6
    third = _compare(*command, "--resume")
    assert "6 of 6 fits already done" in third.stdout and not _progress(third)


@pytest.mark.slow  # runs python -m benchmarks.compare end to end
def test_compare_folder_each_group_held_out_in_turn(tmp_path):
    corpus, split = tmp_path / "corpus", tmp_path / "split.json"
    out, docs = tmp_path / "results.json", tmp_path / "benchmarks.md"
    _write_folder_corpus(corpus)
    split.write_text(json.dumps({"test_groups": ["g2", "g1"]}))
    run = _compare("--dataset", "folder", "--root", str(corpus), "--split-file", str(split),
                   "--each-group", "--quick", "--seeds", "1", "--variants", "mel",
                   "--baselines", "none", "--jobs", "2", "--json", str(out),
                   "--docs-path", str(docs), "--docs-heading", "## Groups")
    # two fits at once: either may finish first
    assert sorted(line.split(":")[0].split("] ")[1] for line in _progress(run)) == [
        "mel, seed 0, group g1", "mel, seed 0, group g2"]
    result = json.loads(out.read_text())
    runs = sorted(result["runs"], key=lambda r: r["split"])
    assert [r["split"] for r in runs] == ["g1", "g2"]
    assert runs[0]["test_groups"] == ["g1"] and runs[0]["train_groups"] == ["g0", "g2"]
    assert runs[1]["test_groups"] == ["g2"] and runs[1]["train_groups"] == ["g0", "g1"]
    assert all((r["n_train"], r["n_test"]) == (24, 12) for r in runs)
    (row,) = result["rows"]
    assert row["splits"] == ["g1", "g2"]
    mean = (runs[0]["accuracy"] + runs[1]["accuracy"]) / 2
    assert abs(row["accuracy"] - mean) < 1e-9
    text = docs.read_text()
    assert "groups g1, g2 each held out in turn" in text
    assert "Accuracy per held-out group (mean over seeds)" in text


def test_compare_each_group_needs_a_split_file(tmp_path):
    run = subprocess.run([*COMMAND, "--dataset", "folder", "--root", str(tmp_path),
                          "--each-group", "--no-docs"],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert run.returncode == 2
    assert "--each-group needs --split-file" in run.stderr


def test_summary_orders_splits_by_seed_and_split_not_by_finish():
    finished = [(1, "g2", 0.1), (0, "g2", 0.2), (0, "g1", 0.3), (1, "g1", 0.4)]
    runs = [{"variant": "mel", "kind": "variant", "seed": seed, "split": split,
             "accuracy": accuracy, "params": {"sample_rate": 8000}, "fit_seconds": 1.0,
             "epoch_seconds": None, "inference_clips_per_second": 1.0, "peak_rss_mib": 1.0}
            for seed, split, accuracy in finished]
    (row,) = summarise(runs, ["mel"])
    assert row["splits"] == ["g1", "g2"]
    assert list(row["accuracy_per_split"]) == ["g1", "g2"]
    assert row["accuracy_per_split"]["g1"] == 0.35
    # each seed's mean over splits (0.25 and 0.25), then their mean and std
    assert abs(row["accuracy"] - 0.25) < 1e-12 and abs(row["accuracy_std"]) < 1e-12
