"""The ``sklearn-mhr`` command line, run as a user runs it: in a subprocess.

Corpora are written once per module, each trained once with a tiny model, and
the commands that need a trained model share it. Independent commands run two
at a time (the test machines have two cores): `cli_jobs` starts every command
of the module when the first test asks for one, and each test reads the result
of its own.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from corpus_fixtures import (
    class_tone_hz,
    truncate_row,
    write_audio_folder,
    write_clip,
    write_corrupt_wav,
    write_dcase2020,
    write_urbansound8k,
)

from sklearn_mhr.io import read_audio
from sklearn_mhr.persistence import FILES, load, read_metadata

TINY = ["--sample-rate", "8000", "--n-filters", "8", "--epochs", "2",
        "--param", "context=2", "--param", "head_hidden=8", "--param", "back_end_width=4",
        "--param", "kernel_duration=0.004"]
US8K_CLASSES = ["air_conditioner", "car_horn", "dog_bark"]
FOLDER_CLASSES = ["bird", "engine", "rain"]
PREDICT_FILES = ["folder/bird/clip_0.wav", "folder/engine/clip_1.flac", "folder/rain/clip_2.wav"]
DEMO = ["demo", "--n-clips", "24", "--n-classes", "2", "--epochs", "1", "--duration", "0.5",
        "--sample-rate", "8000", "--out", "demo_model"]


def run_cli(cwd, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two commands at a time on two cores
    return subprocess.run([sys.executable, "-m", "sklearn_mhr", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def error_line(result: subprocess.CompletedProcess, command: str) -> str:
    """Check that `result` failed as the CLI promises; return its one error line."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    # the decoding progress bar may precede the error on stderr; nothing else may
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not line.startswith("Decoding audio:")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sklearn-mhr {command}: error: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- corpora
@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The working directory of every command, holding the corpora (relative paths)."""
    root = tmp_path_factory.mktemp("cli")
    write_urbansound8k(root / "us8k")  # folds 1-3, 4 clips each, 3 classes
    write_dcase2020(root / "dcase")
    write_audio_folder(root / "folder", classes=tuple(FOLDER_CLASSES))
    write_audio_folder(root / "other_labels", classes=("cat", "dog"), n_per_class=2)
    for c, label in enumerate(FOLDER_CLASSES):  # groups: the speaker before the underscore
        for speaker in ("ann", "bob", "bob", "cy"):
            take = len(list((root / "grouped" / label).glob(f"{speaker}_*")))
            write_clip(root / "grouped" / label / f"{speaker}_{take}.wav",
                       freq=class_tone_hz(c), sample_rate=8000, duration=0.25)

    for c, label in enumerate(FOLDER_CLASSES):  # a format outside the default extensions
        for take in range(2):
            write_clip(root / "aiff" / label / f"clip_{take}.aiff", freq=class_tone_hz(c),
                       sample_rate=8000, duration=0.25)

    write_audio_folder(root / "corrupt_folder", classes=tuple(FOLDER_CLASSES))
    write_corrupt_wav(root / "corrupt_folder" / "engine" / "clip_9.wav")
    write_urbansound8k(root / "corrupt_us8k")
    with open(root / "corrupt_us8k" / "metadata" / "UrbanSound8K.csv") as f:
        fold, name = next((row["fold"], row["slice_file_name"]) for row in csv.DictReader(f)
                          if row["fold"] == "2")
    write_corrupt_wav(root / "corrupt_us8k" / "audio" / f"fold{fold}" / name)
    (root / "corrupt_us8k_file").write_text(f"audio/fold{fold}/{name}")

    write_urbansound8k(root / "truncated_us8k")
    truncate_row(root / "truncated_us8k" / "metadata" / "UrbanSound8K.csv", 4)
    write_dcase2020(root / "truncated_dcase")
    truncate_row(root / "truncated_dcase" / "evaluation_setup" / "fold1_train.csv", 3,
                 keep_fields=1, delimiter="\t")

    (root / "not_a_model").mkdir()
    (root / "not_a_model" / "notes.txt").write_text("keep me")
    return root


# ------------------------------------------------------------- the commands
def _jobs() -> dict[str, tuple[str | None, list]]:
    """Name -> (the job it must wait for, arguments). Trainings first, so that
    the jobs that need a model find it ready (or nearly) when they start."""
    return {
        # trainings and the demo
        "train us8k": (None, ["train", "--dataset", "urbansound8k", "--root", "us8k",
                              "--out", "model_us8k", "--test-fold", "3", *TINY]),
        "train dcase": (None, ["train", "--dataset", "dcase2020", "--root", "dcase",
                               "--out", "model_dcase", "--lazy", "--workers", "1", *TINY]),
        "train folder": (None, ["train", "--dataset", "folder", "--root", "folder",
                                "--out", "model_folder", *TINY]),
        "demo": (None, DEMO),
        "train dcase preset": (None, ["train", "--dataset", "dcase2020", "--root", "dcase",
                                      "--out", "model_dcase_preset", "--preset", "paper", *TINY,
                                      "--param", "time_mask_width=4"]),
        "unknown front end": (None, ["train", "--dataset", "folder", "--root", "folder",
                                     "--out", "m", "--front-end", "stft", *TINY]),
        "preset for a folder": (None, ["train", "--dataset", "folder", "--root", "folder",
                                       "--out", "m", "--preset", "paper", *TINY]),
        # errors that need no model
        "missing root": (None, ["train", "--dataset", "folder", "--root", "nowhere",
                                "--out", "m", *TINY]),
        "tiny duration": (None, ["train", "--dataset", "folder", "--root", "folder",
                                 "--out", "m", *TINY, "--duration", "1e-9"]),
        "corrupt us8k": (None, ["train", "--dataset", "urbansound8k", "--root", "corrupt_us8k",
                                "--out", "model_corrupt_us8k", "--test-fold", "3", *TINY]),
        "corrupt lazy folder": (None, ["train", "--dataset", "folder", "--root",
                                       "corrupt_folder", "--out", "model_corrupt_folder",
                                       "--lazy", "--workers", "1", *TINY]),
        "truncated us8k": (None, ["train", "--dataset", "urbansound8k", "--root",
                                  "truncated_us8k", "--out", "m", *TINY]),
        "truncated dcase": (None, ["train", "--dataset", "dcase2020", "--root",
                                   "truncated_dcase", "--out", "m", *TINY]),
        "unknown param": (None, ["train", "--dataset", "folder", "--root", "folder",
                                 "--out", "m", *TINY, "--param", "n_widgets=3"]),
        "conflicting param": (None, ["train", "--dataset", "folder", "--root", "folder",
                                     "--out", "m", *TINY, "--param", "max_epochs=3"]),
        "out not a model": (None, ["train", "--dataset", "folder", "--root", "folder",
                                   "--out", "not_a_model", *TINY]),
        "missing model": (None, ["evaluate", "--model", "no_model", "--dataset", "folder",
                                 "--root", "folder"]),
        "not a model": (None, ["predict", "--model", "not_a_model", PREDICT_FILES[0]]),
        # commands on the trained models
        "train grouped": (None, ["train", "--dataset", "folder", "--root", "grouped",
                                 "--out", "model_grouped", "--test-groups", "bob", *TINY]),
        "train taught": ("train folder", ["train", "--dataset", "folder", "--root", "folder",
                                          "--out", "model_taught", "--teacher", "model_folder",
                                          "--teacher", "model_folder", *TINY]),
        "teacher of other classes": ("train us8k", [
            "train", "--dataset", "folder", "--root", "folder", "--out", "m",
            "--teacher", "model_us8k", *TINY]),
        "evaluate grouped": ("train grouped", ["evaluate", "--model", "model_grouped", "--json",
                                               "--dataset", "folder", "--root", "grouped"]),
        "evaluate grouped on another folder": ("train grouped", [
            "evaluate", "--model", "model_grouped", "--dataset", "folder", "--root", "folder"]),
        "evaluate grouped on every clip": ("train grouped", [
            "evaluate", "--model", "model_grouped", "--json", "--dataset", "folder",
            "--root", "folder", "--all-groups"]),
        "evaluate grouped on every group": ("train grouped", [
            "evaluate", "--model", "model_grouped", "--dataset", "folder", "--root", "grouped",
            "--test-groups", "ann,bob,cy"]),
        "plot grouped on every clip": ("train grouped", [
            "plot", "--model", "model_grouped", "--dataset", "folder", "--root", "folder",
            "--all-groups", "--kind", "confusion", "--out", "grouped_confusion.png",
            "--dpi", "40"]),
        "train aiff": (None, ["train", "--dataset", "folder", "--root", "aiff",
                              "--out", "model_aiff", "--extensions", ".AIFF,.aif", *TINY]),
        "evaluate aiff": ("train aiff", ["evaluate", "--model", "model_aiff", "--json",
                                         "--dataset", "folder", "--root", "aiff"]),
        "aiff without extensions": (None, ["train", "--dataset", "folder", "--root", "aiff",
                                           "--out", "m", *TINY]),
        "evaluate us8k": ("train us8k", ["evaluate", "--model", "model_us8k",
                                         "--dataset", "urbansound8k", "--root", "us8k"]),
        "evaluate us8k json": ("train us8k", ["evaluate", "--model", "model_us8k", "--json",
                                              "--dataset", "urbansound8k", "--root", "us8k"]),
        "evaluate dcase json": ("train dcase", ["evaluate", "--model", "model_dcase", "--json",
                                                "--dataset", "dcase2020", "--root", "dcase"]),
        "predict": ("train folder", ["predict", "--model", "model_folder", *PREDICT_FILES]),
        "predict json": ("train folder", ["predict", "--model", "model_folder", "--json",
                                          *PREDICT_FILES]),
        "predict missing file": ("train folder", ["predict", "--model", "model_folder",
                                                  PREDICT_FILES[0], "folder/bird/missing.wav"]),
        "evaluate other labels": ("train folder", ["evaluate", "--model", "model_folder",
                                                   "--dataset", "folder",
                                                   "--root", "other_labels"]),
        "evaluate absent fold": ("train us8k", ["evaluate", "--model", "model_us8k",
                                                "--dataset", "urbansound8k", "--root", "us8k",
                                                "--test-fold", "7"]),
        "plot demo": ("demo", ["plot", "--model", "demo_model", "--out", "demo_plots",
                               "--dpi", "40"]),
        "plot dcase": ("train dcase", ["plot", "--model", "model_dcase", "--dataset",
                                       "dcase2020", "--root", "dcase", "--kind", "confusion",
                                       "--kind", "clip", "--kind", "groups", "--max-clips", "2",
                                       "--format", "svg",
                                       "--out", "dcase_plots", "--dpi", "40"]),
        "plot files": ("train folder", ["plot", "--model", "model_folder", "--kind", "clip",
                                        PREDICT_FILES[1], "--out", "one_clip.pdf"]),
        "plot confusion of files": ("train folder", ["plot", "--model", "model_folder",
                                                     "--kind", "confusion", PREDICT_FILES[0]]),
        "plot no clips": ("train folder", ["plot", "--model", "model_folder", "--kind",
                                           "relevance"]),
        "plot many into one file": ("train folder", ["plot", "--model", "model_folder",
                                                     "--out", "all.png"]),
        "export onnx": ("train folder", ["export", "--model", "model_folder",
                                         "--out", "folder_model.onnx"]),
    }


@pytest.fixture(scope="module")
def cli_jobs(work):
    """Every command of this module, run two at a time; name -> future CompletedProcess."""
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {}

    def job(after, args):
        if after is not None:
            futures[after].result()  # submitted earlier: running or done already
        return run_cli(work, *args)

    for name, (after, args) in _jobs().items():
        futures[name] = pool.submit(job, after, args)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def done(cli_jobs):
    """``done(name)``: the finished run of the job `name`."""
    return lambda name: cli_jobs[name].result()


# ---------------------------------------------------------------- help
@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["evaluate"], ["predict"],
                                     ["plot"], ["export"]],
                         ids=["main", "demo", "train", "evaluate", "predict", "plot", "export"])
def test_help(tmp_path, command):
    result = run_cli(tmp_path, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: sklearn-mhr {' '.join(command)}".rstrip())
    assert result.stderr == ""
    if command == []:
        for name in ("demo", "train", "evaluate", "predict", "plot", "export"):
            assert name in result.stdout
    if command == ["train"]:
        assert "--param NAME=VALUE" in result.stdout
        _assert_lists_the_model_parameters(result.stdout)
    if command == ["evaluate"]:  # its corpus options are worded for evaluating, not training
        assert "--extensions" in result.stdout
        assert "while training" not in result.stdout and "during training" not in result.stdout


def _assert_lists_the_model_parameters(help_text: str) -> None:
    """Every parameter --param takes, with its default and valid values, from the estimator."""
    import inspect

    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr._commands.params import COMMAND_LINE_DEFAULTS, NOT_PARAMS
    from sklearn_mhr._params import CHOICES

    listed = help_text.split("model parameters (--param NAME=VALUE", 1)[1]
    rows = {name for name, _, _ in re.findall(r"^  (\w+)=(\S+)\s+(.*)$", listed, re.M)}
    signature = inspect.signature(MHRAudioClassifier.__init__).parameters
    expected = {n: p.default for n, p in signature.items() if n != "self" and n not in NOT_PARAMS}
    assert set(rows) == set(expected)  # callbacks, checkpoint_dir, sample_rate: not JSON params
    for line in listed.splitlines():
        match = re.match(r"^  (\w+)=(\S+)\s+(.*)$", line)
        if match:
            name, default, values = match.groups()
            assert json.loads(default) == COMMAND_LINE_DEFAULTS.get(name, expected[name]), name
            if name in CHOICES:
                assert values.split(" | ") == [json.dumps(c) for c in CHOICES[name]], name


def test_tune_help_lists_the_model_parameters(tmp_path):
    result = run_cli(tmp_path, "tune", "--help")
    assert result.returncode == 0, result.stderr
    _assert_lists_the_model_parameters(result.stdout)


@pytest.mark.parametrize("name", ["callbacks", "checkpoint_dir", "sample_rate"])
def test_param_refuses_names_json_cannot_give(name):
    import argparse

    from sklearn_mhr._commands.params import build_estimator

    args = argparse.Namespace(params=[(name, None)])
    with pytest.raises(ValueError, match=f"--param {name}=... is not accepted: "):
        build_estimator(args, sample_rate=8000)


def test_each_command_declares_its_own_options(capsys):
    import importlib

    from sklearn_mhr.cli import COMMANDS, build_parser

    parser = build_parser()
    for name in COMMANDS:
        module = importlib.import_module(f"sklearn_mhr._commands.{name}")
        assert callable(module.add_arguments) and callable(module.run)
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        shown = "".join(capsys.readouterr().out.split())  # argparse wraps the lines
        assert "".join(module.DESCRIPTION.split()) in shown


def test_usage_errors_exit_2(tmp_path):
    for args in (["train"], [], ["train", "--dataset", "folder", "--root", "r", "--out", "o",
                                 "--param", "no_equals_sign"], ["predict", "--model", "m"]):
        result = run_cli(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "usage: sklearn-mhr" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------- UrbanSound8K
def test_train_urbansound8k(done, work):
    result = done("train us8k")
    assert result.returncode == 0, result.stderr
    assert "8 clips" in result.stdout and "fold 3 held out" in result.stdout
    assert sorted(p.name for p in (work / "model_us8k").iterdir()) == sorted(FILES)
    trained = read_metadata(work / "model_us8k")["metadata"]
    assert trained["command"] == "train" and trained["dataset"] == "urbansound8k"
    assert trained["test_fold"] == 3 and trained["n_clips"] == 8
    assert trained["sample_rate"] == 8000 and trained["duration"] == 4.0
    assert trained["epochs"] == 2
    # stdout is a pipe here: one plain line per epoch, no table
    epochs = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert "train loss" in epochs[0] and epochs[0].endswith(" left")  # the time left
    assert "train loss" in epochs[1] and epochs[1].endswith(" s")  # the last: none left
    assert "\x1b[" not in result.stdout
    assert "Trained 2 epochs in " in result.stdout
    model = load(work / "model_us8k")
    assert model.callbacks is None
    assert list(model.classes_) == US8K_CLASSES
    assert model.n_filters == 8 and model.context == 2 and model.kernel_duration == 0.004
    assert model.random_state == 0  # reproducible by default


def test_evaluate_urbansound8k_report(done):
    result = done("evaluate us8k")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "test fold 3: 4 clips" in out  # the fold the model was trained without
    for word in ("accuracy", "macro F1", "log loss", "Confusion matrix", *US8K_CLASSES):
        assert word in out


def test_evaluate_urbansound8k_json(done, work):
    result = done("evaluate us8k json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["n_clips"] == 4
    assert scores["labels"] == US8K_CLASSES
    matrix = np.array(scores["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum() == scores["n_clips"]
    assert matrix.sum(axis=1).tolist() == [2, 1, 1]  # fold 3's clips: classes cycle
    assert scores["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    assert 0 <= scores["macro_f1"] <= 1 and 0 < scores["log_loss"] < 10

    # the same scores from the saved model, in this process
    from sklearn_mhr.datasets import load_urbansound8k

    bunch = load_urbansound8k(work / "us8k", folds=3, sample_rate=8000, duration=4.0)
    predicted = load(work / "model_us8k").predict(bunch.data)
    expected = [[int(np.sum((bunch.target == t) & (predicted == p))) for p in US8K_CLASSES]
                for t in US8K_CLASSES]
    assert scores["confusion_matrix"] == expected


def test_folder_groups_held_out_in_train_and_evaluate(done, work):
    result = done("train grouped")
    assert result.returncode == 0, result.stderr
    assert "6 clips" in result.stdout and "group(s) bob held out" in result.stdout
    meta = read_metadata(work / "model_grouped")["metadata"]
    assert meta["test_groups"] == ["bob"] and meta["n_clips"] == 6
    result = done("evaluate grouped")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_clips"] == 6  # bob's clips: the held-out group


def test_evaluate_and_plot_a_grouped_model_on_another_folder(done, work):
    # the groups saved with the model are a default: the error names the way out
    line = error_line(done("evaluate grouped on another folder"), "evaluate")
    assert "no clip is in test group(s) ['bob']" in line and "--all-groups" in line
    assert "train" not in line.split("error: ", 1)[1]
    result = done("evaluate grouped on every clip")
    assert result.returncode == 0, result.stderr
    n_folder_clips = sum(1 for f in (work / "folder").glob("*/*") if f.is_file())
    assert json.loads(result.stdout)["n_clips"] == n_folder_clips
    result = done("plot grouped on every clip")
    assert result.returncode == 0, result.stderr
    assert (work / "grouped_confusion.png").stat().st_size > 0


def test_evaluate_on_every_group_of_a_folder_speaks_of_testing_only(done):
    result = done("evaluate grouped on every group")
    assert result.returncode == 0, result.stderr
    assert "12 clips" in result.stdout and "test group(s) ann, bob, cy" in result.stdout
    assert "train" not in (result.stdout + result.stderr).lower()


def test_evaluate_fold_not_in_corpus(done):
    result = done("evaluate absent fold")
    assert "fold 7" in error_line(result, "evaluate")


# ------------------------------------------------------------ DCASE2020
def test_train_dcase_lazily(done, work):
    result = done("train dcase")
    assert result.returncode == 0, result.stderr
    assert "read lazily" in result.stdout
    meta = read_metadata(work / "model_dcase")["metadata"]
    assert meta["dataset"] == "dcase2020" and meta["test_fold"] is None
    assert meta["n_clips"] == 36  # location 0 of 3 scenes x 2 cities x 6 devices


def test_evaluate_dcase_per_device(done, work):
    result = done("evaluate dcase json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    with open(work / "dcase" / "evaluation_setup" / "fold1_evaluate.csv") as f:
        listed = [row["filename"] for row in csv.DictReader(f, delimiter="\t")]
    devices = [Path(name).stem.split("-")[-1] for name in listed]
    assert scores["n_clips"] == len(listed) == 34
    assert sorted(scores["per_device"]) == sorted(set(devices)) == ["a", "b", "c", "s1", "s2",
                                                                      "s3"]
    for device, entry in scores["per_device"].items():
        assert entry["n_clips"] == devices.count(device)
        assert 0 <= entry["accuracy"] <= 1
    assert np.array(scores["confusion_matrix"]).sum() == 34
    assert scores["labels"] == ["airport", "metro", "park"]
    overall = sum(e["accuracy"] * e["n_clips"] for e in scores["per_device"].values()) / 34
    assert scores["accuracy"] == pytest.approx(overall)
    accuracies = [e["accuracy"] for e in scores["per_device"].values()]
    spread = scores["device_spread"]
    assert spread["mean"] == pytest.approx(np.mean(accuracies))
    assert spread["range"] == pytest.approx(max(accuracies) - min(accuracies))
    assert scores["per_device"][spread["worst"]]["accuracy"] == min(accuracies)


# --------------------------------------------------------------- folder
def test_train_folder(done, work):
    result = done("train folder")
    assert result.returncode == 0, result.stderr
    assert "9 clips" in result.stdout
    assert read_metadata(work / "model_folder")["metadata"]["duration"] is None


def test_train_with_teachers(done, work):
    result = done("train taught")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Teacher 'model_folder'") == 2
    meta = read_metadata(work / "model_taught")["metadata"]
    assert meta["teachers"] == ["model_folder", "model_folder"]
    assert read_metadata(work / "model_folder")["metadata"]["teachers"] == []


def test_teacher_of_other_classes(done):
    line = error_line(done("teacher of other classes"), "train")
    assert "--teacher 'model_us8k' knows the classes" in line
    assert "['bird', 'engine', 'rain']" in line


def test_predict_prints_one_line_per_file(done, work):
    result = done("predict")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(PREDICT_FILES)
    labels = []
    for line, path in zip(lines, PREDICT_FILES, strict=True):
        printed_path, label, probability = line.split("\t")
        assert printed_path == path
        assert label in FOLDER_CLASSES
        assert 0.3333 <= float(probability) <= 1  # the largest of 3, to 4 decimals
        labels.append(label)

    # the saved model, loaded here, predicts the same
    from sklearn_mhr.io import read_audio

    model = load(work / "model_folder")
    waves = [read_audio(work / path, sample_rate=8000) for path in PREDICT_FILES]
    assert model.predict(waves).tolist() == labels
    np.testing.assert_allclose(model.predict_proba(waves).max(axis=1),
                               [float(line.split("\t")[2]) for line in lines], atol=5e-5)


def test_predict_json(done, work):
    result = done("predict json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["path"] for row in rows] == PREDICT_FILES
    for row in rows:
        assert sorted(row["probabilities"]) == FOLDER_CLASSES
        assert sum(row["probabilities"].values()) == pytest.approx(1.0)
        assert row["label"] == max(row["probabilities"], key=row["probabilities"].get)
        assert row["probability"] == row["probabilities"][row["label"]]
        assert 0 <= row["probability"] <= 1


# ----------------------------------------------------------------- demo
def test_demo(done, work):
    result = done("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Held-out accuracy on 8 clips" in out
    rows = [line for line in out.splitlines()
            if line.startswith(("MHR (learned filters", "mel baseline"))]
    assert len(rows) == 2
    for row in rows:
        accuracy, fit_time = map(float, row.split()[-2:])
        assert 0 <= accuracy <= 1 and fit_time >= 0

    out_dir = work / "demo_model"
    with open(out_dir / "filters.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["index", "initial_hz", "learned_hz", "moved_hz", "bandwidth_hz"]
    assert len(table) == 1 + 80
    assert [int(r[0]) for r in table[1:]] == list(range(80))
    initial = np.array([float(r[1]) for r in table[1:]])
    learned = np.array([float(r[2]) for r in table[1:]])
    np.testing.assert_allclose([float(r[3]) for r in table[1:]], learned - initial, atol=2e-3)
    assert all(float(r[4]) > 0 for r in table[1:])
    assert np.all(np.diff(initial) > 0) and initial[0] > 0 and initial[-1] < 4000

    model = load(out_dir)
    assert model.n_filters == 80 and len(model.classes_) == 2
    np.testing.assert_allclose(model.initial_centre_frequencies_, initial, atol=5e-4)
    np.testing.assert_allclose(model.centre_frequencies_, learned, atol=5e-4)
    meta = read_metadata(out_dir)["metadata"]
    assert meta["command"] == "demo" and meta["n_clips"] == 24
    accuracy = float(rows[0].split()[-2])
    assert meta["held_out_accuracy"] == pytest.approx(accuracy, abs=1e-3)
    # progress while training (the output is a pipe here, as in a log), then a verdict in words
    assert out.count("  epoch 1/1: train loss ") == 2
    from sklearn_mhr._commands.demo import verdict

    mel_accuracy = float(rows[1].split()[-2])
    assert " ".join(verdict(accuracy, mel_accuracy, 8).split()) in " ".join(out.split())
    assert "times the mel baseline's fit time" in out


@pytest.mark.parametrize("mhr, mel, says", [
    (133 / 144, 133 / 144, "A tie: both models classify the same number"),
    (134 / 144, 135 / 144, "The mel baseline is ahead by 0.007 (1 clip of 144), less than the "),
    (138 / 144, 133 / 144, "MHR is ahead by 0.035 (5 clips of 144), more than the spread"),
])
def test_demo_verdict_is_true_for_the_numbers(mhr, mel, says):
    from sklearn_mhr._commands.demo import SEED_SPREAD, verdict

    text = verdict(mhr, mel, 144)
    assert text.startswith(says)
    assert f"{SEED_SPREAD:.2f}" in text or mhr == mel
    assert "docs/benchmarks.md" in text
    assert ("another --seed may reverse" in text) == (0 < abs(mhr - mel) <= SEED_SPREAD)


# ----------------------------------------------------------------- plot
def _image_size(path: Path) -> tuple[int, int]:
    import matplotlib.image

    return matplotlib.image.imread(path).shape[:2]


def test_plot_demo_draws_every_kind_on_the_demo_clips(done, work):
    result = done("plot demo")
    assert result.returncode == 0, result.stderr
    assert "Drawing on the demo's 8 held-out clips" in result.stdout
    pictures = sorted(p.name for p in (work / "demo_plots").iterdir())
    clips = [name for name in pictures if name.startswith("clip-")]
    assert len(clips) == 2  # one per label of the 2-class demo
    assert {"filters.png", "history.png", "relevance.png", "confusion.png"} <= set(pictures)
    assert len(pictures) == 6
    for name in pictures:
        assert f"wrote demo_plots/{name}" in result.stdout
        height, width = _image_size(work / "demo_plots" / name)
        assert height > 100 and width > 100
    assert _image_size(work / "demo_plots" / "filters.png") == (4 * 40, 11 * 40)


def test_plot_dcase_writes_svg_confusion_per_device(done, work):
    result = done("plot dcase")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (work / "dcase_plots").iterdir())
    assert names[0] == "accuracy-per-device.svg" and names[-1] == "confusion.svg"
    assert names[1].startswith("clip-") and names[2].startswith("clip-")
    assert len(names) == 4 and all(n.endswith(".svg") for n in names)
    svg = (work / "dcase_plots" / "confusion.svg").read_text()
    assert "<svg" in svg
    # the fixture's evaluation clips come from six devices: seven panels with "all clips"
    assert svg.count('id="axes_') == 7
    bars = (work / "dcase_plots" / "accuracy-per-device.svg").read_text()
    assert "Accuracy per device" in bars or "accuracy" in bars


def test_plot_one_file_in_the_format_of_its_extension(done, work):
    result = done("plot files")
    assert result.returncode == 0, result.stderr
    assert (work / "one_clip.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("job, message", [
    ("plot confusion of files", "--kind confusion needs true labels"),
    ("plot no clips", "these kinds need clips: pass audio files, or --dataset and --root"),
    ("plot many into one file", "names one file, but these kinds draw several figures"),
])
def test_plot_errors(done, job, message):
    assert message in error_line(done(job), "plot")


# --------------------------------------------------------------- export
def test_export_writes_an_onnx_file_onnxruntime_runs(done, work):
    ort = pytest.importorskip("onnxruntime")
    result = done("export onnx")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the exporters' notes about themselves are filtered out
    assert "float32 waveforms (batch, n_samples) at 8000 Hz" in result.stdout
    assert "to probabilities of [bird, engine, rain]" in result.stdout
    model = load(work / "model_folder")
    X = np.stack([read_audio(work / p, sample_rate=8000, duration=0.5) for p in PREDICT_FILES])
    session = ort.InferenceSession(str(work / "folder_model.onnx"))
    (proba,) = session.run(None, {"waveforms": X})
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-5)


# ------------------------------------------------------------ bad input
def test_duration_shorter_than_a_window(done):
    line = error_line(done("tiny duration"), "train")
    assert "--duration 1e-09 s is shorter than one analysis window of the model" in line


def test_missing_root(done):
    result = done("missing root")
    assert "'nowhere'" in error_line(result, "train")


def test_corrupt_audio_file(done, work):
    result = done("corrupt us8k")
    line = error_line(result, "train")
    assert (work / "corrupt_us8k_file").read_text() in line
    assert not (work / "model_corrupt_us8k").exists()


def test_corrupt_audio_file_read_by_a_worker(done, work):
    result = done("corrupt lazy folder")
    line = error_line(result, "train")
    assert "corrupt_folder/engine/clip_9.wav" in line
    assert "DataLoader worker" not in line
    assert not (work / "model_corrupt_folder").exists()


def test_truncated_urbansound8k_metadata_row(done):
    result = done("truncated us8k")
    line = error_line(result, "train")
    assert "truncated_us8k/metadata/UrbanSound8K.csv, line 4" in line


def test_truncated_dcase_metadata_row(done):
    result = done("truncated dcase")
    assert "fold1_train.csv, line 3" in error_line(result, "train")


def test_missing_model_directory(done):
    result = done("missing model")
    assert "'no_model' does not exist" in error_line(result, "evaluate")


def test_directory_that_is_not_a_model(done):
    result = done("not a model")
    assert "'not_a_model' is not a saved sklearn_mhr model" in error_line(result, "predict")


def test_predict_missing_audio_file(done):
    result = done("predict missing file")
    assert "folder/bird/missing.wav" in error_line(result, "predict")
    assert result.stdout == ""  # no line for the files before it either


def test_unknown_param(done):
    result = done("unknown param")
    line = error_line(result, "train")
    assert "unknown parameter 'n_widgets'" in line and "max_epochs" in line  # lists valid ones


def test_param_conflicting_with_a_shortcut(done):
    result = done("conflicting param")
    line = error_line(result, "train")
    assert "max_epochs is set twice" in line
    assert "--epochs" in line and "--param max_epochs" in line


def test_out_is_a_directory_of_other_files(done, work):
    result = done("out not a model")
    assert "'not_a_model' is a non-empty directory" in error_line(result, "train")
    assert "Training on" not in result.stdout  # refused before training
    assert [p.name for p in (work / "not_a_model").iterdir()] == ["notes.txt"]
    assert (work / "not_a_model" / "notes.txt").read_text() == "keep me"


def test_evaluate_on_labels_the_model_does_not_know(done):
    result = done("evaluate other labels")
    line = error_line(result, "evaluate")
    assert "labels the model was not trained on" in line and "'cat'" in line


def test_train_with_the_paper_preset(done, work):
    result = done("train dcase preset")
    assert result.returncode == 0, result.stderr
    params = json.loads((work / "model_dcase_preset" / "params.json").read_text())
    # the preset's choices, with the command line's options on top
    assert params["back_end"] == "fcnn" and params["mixup_alpha"] == 0.4
    assert params["optimizer"] == "sgd" and params["lr_schedule"] == "warm_restarts"
    assert params["sample_rate"] == 8000 and params["n_filters"] == 8 and params["max_epochs"] == 2


def test_unknown_front_end_lists_the_valid_names(done):
    line = error_line(done("unknown front end"), "train")
    assert "front_end must be one of ['cosgauss', 'mel'], got 'stft'" in line


def test_preset_for_a_corpus_without_one(done):
    line = error_line(done("preset for a folder"), "train")
    assert "--preset paper" in line and "folder" in line


def ctrl_c_cli(args, after) -> subprocess.CompletedProcess:
    """Run the CLI with `args` and send it SIGINT once it prints a line for which `after` is true.

    The child starts with SIGINT at its default action, whatever this process inherited: a
    shell starts background jobs with SIGINT ignored, an ignored signal stays ignored in
    children, and Python would then never raise KeyboardInterrupt for the Ctrl-C under test.
    """
    def default_sigint():
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "sklearn_mhr", *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=default_sigint)
    try:
        for line in proc.stdout:
            if after(line):
                break
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def test_ctrl_c_during_train_exits_130_and_saves_nothing(work, tmp_path):
    out = tmp_path / "interrupted"
    args = ["train", "--dataset", "folder", "--root", str(work / "folder"), "--out", str(out),
            *TINY, "--epochs", "100000", "--verbose"]
    # the first epoch of the table: training is under way
    result = ctrl_c_cli(args, after=lambda line: line.strip()[:1].isdigit())
    assert result.returncode == 130, result.stderr
    assert "interrupted" in result.stderr and "Traceback" not in result.stderr
    assert not (out / "meta.json").exists()


def test_train_stopped_with_ctrl_c_resumes_to_the_uninterrupted_model(work, tmp_path):
    common = ["train", "--dataset", "folder", "--root", str(work / "folder"), *TINY,
              "--epochs", "6", "--threads", "1"]
    checkpoints = tmp_path / "checkpoints"
    args = [*common, "--out", str(tmp_path / "resumed"), "--checkpoint-dir", str(checkpoints)]
    # a log: one line per epoch, written after its checkpoint
    result = ctrl_c_cli(args, after=lambda line: line.startswith("epoch 2/6"))
    assert result.returncode == 130, result.stderr
    assert not (tmp_path / "resumed" / "meta.json").exists()
    assert (checkpoints / "checkpoint.pt").is_file()

    again = run_cli(work, *args)  # without --resume: the checkpoint is not overwritten
    assert "holds the checkpoint of an earlier fit" in error_line(again, "train")
    resumed = run_cli(work, *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming from the checkpoint" in resumed.stdout
    whole = run_cli(work, *common, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    X = [read_audio(work / path, sample_rate=8000) for path in PREDICT_FILES]
    a, b = load(tmp_path / "whole"), load(tmp_path / "resumed")
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert len(b.net_.history) == 6


def test_resume_needs_a_checkpoint_folder(work):
    args = ["train", "--dataset", "folder", "--root", "folder", "--out", "m", *TINY, "--resume"]
    assert "--resume needs --checkpoint-dir" in error_line(run_cli(work, *args), "train")


def test_train_checks_that_it_can_save_before_training(done, work, tmp_path):
    """A folder another save holds is refused before the epochs, not after them."""
    assert done("train folder").returncode == 0
    out = tmp_path / "held"
    shutil.copytree(work / "model_folder", out)
    (out / ".saving.lock").write_text(f"{os.getpid()} {socket.gethostname()}\n")  # live: us
    args = ["train", "--dataset", "folder", "--root", str(work / "folder"), "--out", str(out),
            *TINY]
    result = run_cli(work, *args)
    assert "another process is saving a model to" in error_line(result, "train")
    assert "Training on" not in result.stdout
    (out / ".saving.lock").write_text("")  # never completed: broken, not held
    result = run_cli(work, *args)
    assert result.returncode == 0, result.stderr
    assert not (out / ".saving.lock").exists()
    load(out)


def test_demo_overwrites_only_its_own_filters_table(done, work, tmp_path):
    assert done("demo").returncode == 0
    foreign = tmp_path / "model_with_notes"
    shutil.copytree(work / "demo_model", foreign)
    meta = json.loads((foreign / "meta.json").read_text())
    meta["metadata"]["command"] = "train"  # a model of someone else's, beside their own table
    (foreign / "meta.json").write_text(json.dumps(meta))
    manifest = json.loads((foreign / "manifest.json").read_text())
    meta_bytes = (foreign / "meta.json").read_bytes()
    manifest["files"]["meta.json"] = hashlib.sha256(meta_bytes).hexdigest()
    (foreign / "manifest.json").write_text(json.dumps(manifest))
    (foreign / "filters.csv").write_text("my own filters\n")
    args = [*DEMO[:-1], str(foreign)]
    line = error_line(run_cli(work, *args), "demo")
    assert "filters.csv' exists and was not written by sklearn-mhr demo" in line
    assert (foreign / "filters.csv").read_text() == "my own filters\n"
    again = run_cli(work, *DEMO[:-1], str(tmp_path / "demo_again"))
    assert again.returncode == 0, again.stderr
    rerun = run_cli(work, *DEMO[:-1], str(tmp_path / "demo_again"))  # over its own output
    assert rerun.returncode == 0, rerun.stderr


# ------------------------------------------------------ folder extensions
def test_folder_extensions_in_train_and_evaluate(done, work):
    result = done("train aiff")
    assert result.returncode == 0, result.stderr
    assert "6 clips" in result.stdout
    assert read_metadata(work / "model_aiff")["metadata"]["extensions"] == [".AIFF", ".aif"]
    result = done("evaluate aiff")  # the model's extensions, not the defaults
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_clips"] == 6


def test_folder_without_files_of_the_extensions_names_the_option(done):
    line = error_line(done("aiff without extensions"), "train")
    assert "holds no audio files with suffixes" in line
    assert "extensions=" in line and "--extensions .wav,.aiff" in line


# ---------------------------------------------------- progress and memory
def test_epoch_line_formats_the_fields_a_history_record_has():
    from sklearn_mhr._commands.progress import epoch_line

    record = {"epoch": 3, "train_loss": 1.2341, "valid_loss": 1.1109, "valid_acc": 0.65,
              "dur": 4.24, "batches": [], "train_loss_best": True}
    assert epoch_line(record, 20) == ("epoch 3/20: train loss 1.234, valid loss 1.111, "
                                      "valid acc 0.650, 4.2 s")
    assert epoch_line({"epoch": 1, "train_loss": np.float64(0.5), "dur": 0.04}, 2) == (
        "epoch 1/2: train loss 0.500, 0.0 s")
    assert epoch_line({"epoch": 2, "valid_loss": float("nan")}, 5) == "epoch 2/5"
    assert epoch_line({"epoch": 2, "dur": 1.0}, 5, seconds_left=184.6) == (
        "epoch 2/5: 1.0 s, about 3 min 05 s left")
    assert epoch_line({"epoch": 5, "dur": 1.0}, 5, seconds_left=0.0) == "epoch 5/5: 1.0 s"


def test_duration_text_reads_as_a_person_would():
    from sklearn_mhr._commands.progress import duration_text

    assert [duration_text(s) for s in (0.4, 42, 59.6, 185, 3600, 7654)] == [
        "0 s", "42 s", "1 min 00 s", "3 min 05 s", "1 h 00 min", "2 h 07 min"]


def test_epoch_line_reads_a_real_history():
    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr._commands.progress import epoch_line
    from sklearn_mhr.datasets import make_sound_scenes

    X, y = make_sound_scenes(24, n_classes=2, duration=0.25, sample_rate=8000, random_state=0)
    clf = MHRAudioClassifier(sample_rate=8000, n_filters=8, context=2, head_hidden=8,
                             back_end_width=4, kernel_duration=0.004, max_epochs=2,
                             validation_fraction=0.25, n_threads=1, random_state=0).fit(X, y)
    line = epoch_line(clf.net_.history[-1], 2)
    assert line.startswith("epoch 2/2: train loss ") and line.endswith(" s")
    assert "valid loss" in line and "valid acc" in line


def test_trial_line_names_state_score_and_parameters():
    import datetime

    import optuna

    from sklearn_mhr._commands.progress import trial_line

    start = datetime.datetime(2024, 1, 1)
    complete = optuna.trial.create_trial(
        state=optuna.trial.TrialState.COMPLETE, value=0.65,
        params={"lr": 0.0031234, "n_heads": 2},
        distributions={"lr": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True),
                       "n_heads": optuna.distributions.IntDistribution(0, 4)})
    complete.number = 3
    complete.datetime_start, complete.datetime_complete = (
        start, start + datetime.timedelta(seconds=12.34))
    assert trial_line(complete, 4, 10) == (
        "trial 3 complete (4/10): mean accuracy 0.6500; lr=0.00312, n_heads=2; 12.3 s")
    pruned = optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED,
                                       intermediate_values={0: 0.5, 1: 0.25})
    pruned.number = 4
    assert trial_line(pruned).startswith("trial 4 pruned: last score 0.2500; ")


def test_available_memory_is_a_positive_int_or_none(monkeypatch):
    import builtins

    from sklearn_mhr._commands.corpus import available_memory

    here = available_memory()
    assert here is None or (isinstance(here, int) and here > 0)
    real_open = builtins.open

    def no_meminfo(path, *args, **kwargs):
        if str(path) == "/proc/meminfo":
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_meminfo)  # as on a system without /proc
    fallback = available_memory()
    assert fallback is None or (isinstance(fallback, int) and fallback > 0)
    if hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        assert fallback is not None


def test_epoch_printer_prints_every_epoch_even_the_one_early_stopping_ends(capsys):
    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr._commands.progress import epoch_printer
    from sklearn_mhr.datasets import make_sound_scenes

    X, y = make_sound_scenes(24, n_classes=2, duration=0.25, sample_rate=8000, random_state=0)
    clf = MHRAudioClassifier(sample_rate=8000, n_filters=8, context=2, head_hidden=8,
                             back_end_width=4, kernel_duration=0.004, max_epochs=30, lr=0.05,
                             validation_fraction=0.25, patience=1, n_threads=1, random_state=0,
                             callbacks=[("lines", epoch_printer())]).fit(X, y)
    epochs = len(clf.net_.history)
    assert epochs < 30  # stopped early
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == [f"epoch {k}/30" for k in
                                                      range(1, epochs + 1)]
    # the time left: the mean epoch so far times the epochs still to run
    history = clf.net_.history
    mean_dur = np.mean([r["dur"] for r in history[:2]])
    from sklearn_mhr._commands.progress import duration_text

    assert lines[1].endswith(f"about {duration_text(mean_dur * 28)} left")


def test_warnings_print_as_one_line_naming_the_command(monkeypatch, capsys):
    import warnings

    import sklearn_mhr._commands.export as export_command
    from sklearn_mhr.cli import main
    from sklearn_mhr.io import TruncatedAudioWarning

    def run(args):
        warnings.warn("Audio file 'cut.wav' is truncated:\n its header declares 8001 frames",
                      TruncatedAudioWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(export_command, "run", run)
    assert main(["export", "--model", "m", "--out", "m.onnx"]) == 0
    err = capsys.readouterr().err
    assert err == ("sklearn-mhr export: warning: Audio file 'cut.wav' is truncated: its header "
                   "declares 8001 frames (TruncatedAudioWarning)\n")


def test_the_demo_filters_table_replaces_a_link_instead_of_writing_through_it(tmp_path):
    from tasks import TINY_PARAMS, tone_task

    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr._commands.demo import FILTER_COLUMNS, write_filters

    model = MHRAudioClassifier(**{**TINY_PARAMS, "max_epochs": 1}).fit(*tone_task(6))
    outside = tmp_path / "outside.csv"
    outside.write_text("mine\n")
    (tmp_path / "filters.csv").symlink_to(outside)
    write_filters(model, tmp_path / "filters.csv")
    assert outside.read_text() == "mine\n"
    assert not (tmp_path / "filters.csv").is_symlink()
    rows = list(csv.reader((tmp_path / "filters.csv").open()))
    assert tuple(rows[0]) == FILTER_COLUMNS and len(rows) == 1 + TINY_PARAMS["n_filters"]
