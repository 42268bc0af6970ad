"""Training one model on two processes over gloo on loopback, as torchrun launches it.

Each launch runs two ranks of one thread each (tests/distributed_worker.py
or ``-m sklearn_mhr train``) on a port bound at run time.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.base import clone

from sklearn_mhr import MHRAudioClassifier, persistence
from sklearn_mhr._skorch.build import module_params
from sklearn_mhr._skorch.checkpoint import read_checkpoint
from sklearn_mhr._skorch.distributed import current_world, process_group
from sklearn_mhr.datasets import make_sound_scenes
from sklearn_mhr.nn import MHRNet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from distributed_worker import TINY, fit_data, grads_data  # noqa: E402

LAUNCH_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(*args, cwd, extra_env=None) -> subprocess.CompletedProcess:
    """``torchrun --nproc-per-node 2`` on a free loopback port; one thread per rank."""
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_ENV}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(HERE.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]), **(extra_env or {}))
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
               "--master-addr", "127.0.0.1", "--master-port", str(free_port()), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def killed_launch(tmp_path_factory):
    """One launch of tests/distributed_worker.py: a gradient step, then a fit that rank 1 leaves."""
    out = tmp_path_factory.mktemp("launch")
    result = launch(HERE / "distributed_worker.py", out, cwd=out,
                    extra_env={"EXIT_AT_EPOCH": "2"})
    return out, result


def test_two_ranks_average_the_gradients_of_the_global_batch(killed_launch):
    out, result = killed_launch
    assert (out / "grads" / "grads.pt").exists(), result.stdout + result.stderr
    out = out / "grads"
    X, y = grads_data()
    est = MHRAudioClassifier(**TINY, dropout=0.0, device_augment=0,
                             freq_mixstyle=0)  # no random draws
    module = MHRNet(**module_params(est, 2))
    module.load_state_dict(torch.load(out / "initial.pt"))
    module.train()
    batches = [torch.load(out / f"batch_{rank}.pt") for rank in (0, 1)]
    # the two ranks' batches are the 8 clips, each once
    seen = np.sort(np.concatenate([b[0].numpy() for b in batches]), axis=0)
    assert np.array_equal(seen, np.sort(X.astype(np.float32), axis=0))
    # one process accumulating the two half batches: batch norm sees each half on its own,
    # as each rank does, so the gradients agree to float rounding
    for waves, targets in batches:
        loss = torch.nn.functional.cross_entropy(module(waves), targets) / 2
        loss.backward()
    averaged = torch.load(out / "grads.pt")
    assert set(averaged) == {name for name, _ in module.named_parameters()}
    for name, p in module.named_parameters():
        torch.testing.assert_close(averaged[name], p.grad, rtol=1e-5, atol=1e-5, msg=name)


def _write_folder(root: Path, X, y, sample_rate: int) -> None:
    for i, (wave, label) in enumerate(zip(X, y, strict=True)):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        sf.write(root / str(label) / f"clip_{i}.wav", wave, sample_rate, subtype="FLOAT")


def test_torchrun_train_gives_a_model_that_loads_clones_and_scores_as_one_rank(tmp_path):
    X, y = make_sound_scenes(64, n_classes=2, duration=0.5, sample_rate=8000, random_state=3)
    X_test, y_test = make_sound_scenes(40, n_classes=2, duration=0.5, sample_rate=8000,
                                       random_state=4)
    y, y_test = y.astype(str), y_test.astype(str)  # the folder names are the labels
    _write_folder(tmp_path / "clips", X, y, 8000)
    settings = dict(n_filters=8, context=2, head_hidden=8, back_end_width=4,
                    kernel_duration=0.004, max_epochs=6)
    params = [a for k, v in settings.items() for a in ("--param", f"{k}={v}")]
    # 4 clips per rank: the global batch of a one-process fit with batch_size=8; --lazy: each
    # rank decodes the files of its shard in every epoch (the other launch trains on arrays)
    result = launch("-m", "sklearn_mhr", "train", "--dataset", "folder", "--root", "clips",
                    "--sample-rate", "8000", "--out", "model", "--device", "cpu", "--lazy",
                    "--param", "batch_size=4", *params, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Training on 64 clips") == 1  # rank 0 alone prints
    assert "read lazily, on 2 processes" in result.stdout
    model = persistence.load(tmp_path / "model")
    assert persistence.read_metadata(tmp_path / "model")["metadata"]["processes"] == 2
    assert len(model.net_.history) == 6
    assert not hasattr(model.net_, "parallel_module_")
    assert clone(model).get_params() == model.get_params()
    two_ranks = model.score(X_test, y_test)
    one_rank = [MHRAudioClassifier(**settings, sample_rate=8000, batch_size=8, device="cpu",
                                   n_threads=1, random_state=seed).fit(X, y).score(X_test, y_test)
                for seed in (0, 1, 2)]
    spread = max(one_rank) - min(one_rank)
    assert min(one_rank) - max(spread, 0.1) <= two_ranks <= max(one_rank) + max(spread, 0.1), (
        two_ranks, one_rank)


def test_the_ranks_take_one_set_of_scores(killed_launch):
    out, result = killed_launch
    scores = [json.loads((out / f"scores_{rank}.json").read_text()) for rank in (0, 1)]
    assert scores[0] == scores[1], result.stdout + result.stderr
    assert len(scores[0]) >= 2 and all(len(epoch) == 3 for epoch in scores[0])


def test_a_killed_rank_stops_the_fit_without_a_model(killed_launch):
    out, result = killed_launch
    assert result.returncode == 1, result.stdout + result.stderr  # torchrun's failed launch
    assert "exitcode  : 3" in result.stdout + result.stderr  # it names the rank that died
    assert (out / "full").is_dir()  # the uninterrupted fit before it
    assert not (out / "model").exists()
    saved = read_checkpoint(out / "checkpoints")
    assert (saved["run_epochs"], saved["complete"]) == (2, False)


def test_the_checkpoint_resumes_on_two_ranks_to_the_uninterrupted_model(killed_launch):
    out, _ = killed_launch
    shutil.copytree(out / "checkpoints", out / "resumed")
    result = launch(HERE / "distributed_worker.py", out, "--resume", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    resumed = persistence.load(out / "resumed" / "model").net_.module_.state_dict()
    full = persistence.load(out / "full").net_.module_.state_dict()
    assert resumed.keys() == full.keys()
    for name in full:
        assert torch.equal(resumed[name], full[name]), name


def test_the_checkpoint_resumes_on_one_process(killed_launch, tmp_path):
    out, _ = killed_launch
    shutil.copytree(out / "checkpoints", tmp_path / "checkpoints")
    X, y = fit_data()
    clf = MHRAudioClassifier(**TINY, max_epochs=4, batch_size=8, validation_fraction=0.25,
                             patience=2, checkpoint_dir=tmp_path / "checkpoints")
    clf.fit(X, y, resume=True)
    assert len(clf.net_.history) > 2
    assert read_checkpoint(tmp_path / "checkpoints")["complete"]


def test_a_single_process_is_no_distributed_fit(monkeypatch):
    for name in LAUNCH_ENV:
        monkeypatch.delenv(name, raising=False)
    assert current_world() is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    with process_group("cpu") as (world, device):
        assert (world, device) == (None, "cpu")


@pytest.mark.parametrize("env, message", [
    ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' must be an integer"),
    ({"WORLD_SIZE": "2"}, "WORLD_SIZE=2 but RANK=None"),
    ({"WORLD_SIZE": "2", "RANK": "2"}, "RANK to 0 .. WORLD_SIZE - 1"),
])
def test_a_malformed_launch_environment_is_named(monkeypatch, env, message):
    for name in LAUNCH_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        current_world()


def test_a_launch_without_a_rendezvous_address_is_refused(monkeypatch):
    for name in LAUNCH_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    X, y = grads_data()
    with pytest.raises(ValueError, match="MASTER_ADDR and MASTER_PORT is not set"):
        MHRAudioClassifier(**TINY, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="partial_fit trains in one process, but this is rank 1"):
        MHRAudioClassifier(**TINY).partial_fit(X, y, classes=np.unique(y))
