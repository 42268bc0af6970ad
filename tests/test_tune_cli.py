"""``sklearn-mhr tune`` run as users run it: two workers on one machine share the study.

Each worker is ``python -c RUNNER``: it records the torch thread count in every
forward pass of the process (fits, predictions and the final fit), waits for
the other worker, then calls the command line's ``main``.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from corpus_fixtures import write_audio_folder

from sklearn_mhr.datasets import load_audio_folder
from sklearn_mhr.persistence import load, read_metadata

RUNNER = textwrap.dedent("""
    import os, sys, time
    import torch
    record, barrier, n_workers, no_matplotlib = sys.argv[1:5]
    if no_matplotlib == "1":
        sys.modules["matplotlib"] = None  # as if it were not installed
    seen = set()
    torch.nn.modules.module.register_module_forward_pre_hook(
        lambda module, inputs: seen.add(torch.get_num_threads()))
    if barrier != "-":
        open(os.path.join(barrier, str(os.getpid())), "w").close()
        while len(os.listdir(barrier)) < int(n_workers):
            time.sleep(0.05)
    from sklearn_mhr.cli import main
    code = main(sys.argv[5:])
    with open(os.path.join(record, f"{os.getpid()}.threads"), "w") as f:
        f.write(",".join(map(str, sorted(seen))))
    sys.exit(code)
""")
TINY = ["--sample-rate", "8000", "--n-filters", "8", "--epochs", "2", "--threads", "1",
        "--param", "context=2", "--param", "head_hidden=8", "--param", "back_end_width=4",
        "--param", "kernel_duration=0.004", "--param", "batch_size=8"]
CLASSES = ("bird", "engine", "rain")


def start(cwd, args, *, barrier=None, n_workers=1, no_matplotlib=False):
    record = Path(cwd) / "threads"
    record.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(record), str(barrier) if barrier else "-",
         str(n_workers), "1" if no_matplotlib else "0", *map(str, args)],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"})


def finish(process):
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err
    return out, err


def tune_args(*extra):
    return ["tune", "--dataset", "folder", "--root", "clips", "--n-trials", "8", "--cv", "2",
            "--out", "search", *TINY, *extra]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """Two workers run the same command at once; return the folder and their outputs."""
    cwd = tmp_path_factory.mktemp("tune")
    write_audio_folder(cwd / "clips", classes=CLASSES, n_per_class=4, sample_rate=8000,
                       duration=0.25)
    (cwd / "barrier").mkdir()
    workers = [start(cwd, tune_args(), barrier=cwd / "barrier", n_workers=2)
               for _ in range(2)]
    outputs = [finish(w) for w in workers]
    return cwd, [w.pid for w in workers], outputs


def read_trials(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_two_workers_share_the_study(searched):
    cwd, pids, outputs = searched
    rows = read_trials(cwd / "search" / "trials.csv")
    finished = [r for r in rows if r["state"] in ("COMPLETE", "PRUNED")]
    # the study's total, not 8 per worker; two workers deciding at the same moment may each
    # start the last trial (Optuna has no atomic "create if fewer than N")
    assert 8 <= len(finished) <= 8 + 1
    assert {int(r["pid"]) for r in rows} == set(pids)
    assert (cwd / "search" / "study.journal").is_file()  # the default storage
    for out, err in outputs:
        assert "Best trial" in out and "Torch threads per trial: 1" in out
        assert "Traceback" not in err


def test_a_worker_in_a_log_prints_a_line_per_trial_it_ends(searched):
    cwd, _, outputs = searched
    rows = read_trials(cwd / "search" / "trials.csv")
    pattern = re.compile(r"trial (\d+) (complete|pruned|fail) \((\d+)/8\)(: .*)?$")
    ended = [pattern.match(line) for out, _ in outputs for line in out.splitlines()
             if line.startswith("trial ")]
    assert ended and all(ended)  # stdout is a pipe: one line per trial, no bar
    assert sorted((int(m[1]), m[2].upper()) for m in ended) == sorted(
        (int(r["number"]), r["state"]) for r in rows if r["state"] != "RUNNING")
    complete = [m[0] for m in ended if m[2] == "complete"]
    assert complete and all(re.search(r": mean accuracy \d\.\d{4}; .*n_heads=\d.*; \d+\.\d s$",
                                      line) for line in complete)


def test_each_worker_ran_with_its_thread_count(searched):
    cwd, pids, _ = searched
    rows = read_trials(cwd / "search" / "trials.csv")
    assert {r["n_threads"] for r in rows} == {"1"}
    for pid in pids:  # read inside every forward pass of the worker
        assert (cwd / "threads" / f"{pid}.threads").read_text() == "1"


def test_best_model_plots_and_table(searched):
    cwd, _, outputs = searched
    rows = read_trials(cwd / "search" / "trials.csv")
    best = max((r for r in rows if r["state"] == "COMPLETE"), key=lambda r: float(r["value"]))
    model = load(cwd / "search" / "model")
    meta = read_metadata(cwd / "search" / "model")["metadata"]
    assert meta["command"] == "tune" and meta["cv_accuracy"] == pytest.approx(float(best["value"]))
    assert model.n_heads == int(best["n_heads"]) and model.n_filters == 8  # fixed by --n-filters
    assert meta["epochs"] == int(best["epochs"]) == 2  # a loaded model has no history
    bunch = load_audio_folder(cwd / "clips", sample_rate=8000)
    assert set(model.predict(bunch.data)) <= set(CLASSES)
    for name in ("optimization_history.png", "param_importances.png"):
        assert (cwd / "search" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(f"Best trial {best['number']}:" in out for out, _ in outputs)


def test_joining_a_finished_study_runs_nothing_and_plots_are_optional(searched):
    cwd, _, _ = searched
    before = read_trials(cwd / "search" / "trials.csv")
    out, err = finish(start(cwd, tune_args("--no-refit"), no_matplotlib=True))
    assert read_trials(cwd / "search" / "trials.csv") == before
    assert out.count("No plots: plots need matplotlib") == 1


@pytest.mark.parametrize("args, message", [
    (["--storage", "no/such/folder/s.journal"], "storage='no/such/folder/s.journal': folder"),
    (["--cv", "1"], "--cv must be at least 2, got 1"),
])
def test_errors_are_one_line(tmp_path, args, message):
    write_audio_folder(tmp_path / "clips", classes=CLASSES, n_per_class=2, sample_rate=8000,
                       duration=0.25)
    result = subprocess.run([sys.executable, "-m", "sklearn_mhr", *tune_args(*args)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sklearn-mhr tune: error: "), result.stderr
    assert message in lines[0]
    assert np.all([not (tmp_path / "search" / "model").exists()])


def test_a_folder_tune_did_not_create_is_refused_untouched(tmp_path):
    write_audio_folder(tmp_path / "clips", classes=CLASSES, n_per_class=2, sample_rate=8000,
                       duration=0.25)
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "trials.csv").write_text("my own table\n")
    result = subprocess.run([sys.executable, "-m", "sklearn_mhr", *tune_args()],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "is a non-empty directory that sklearn-mhr tune did not create" in result.stderr
    assert sorted(p.name for p in (tmp_path / "search").iterdir()) == ["trials.csv"]
    assert (tmp_path / "search" / "trials.csv").read_text() == "my own table\n"
