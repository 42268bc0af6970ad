"""Checkpoints and resume: a fit stopped part-way and resumed equals the uninterrupted fit."""

import os
import pickle
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from tasks import TINY_PARAMS, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch.checkpoint import CHECKPOINT_FILE, LOCK_FILE, read_checkpoint

PARAMS = {**TINY_PARAMS, "max_epochs": 5, "n_threads": 1}
VARIANTS = {
    "defaults": {},
    "early stopping": {"validation_fraction": 0.25, "patience": 2},
    "warm restarts": {"lr_schedule": "warm_restarts", "restart_period": 2, "optimizer": "sgd",
                      "lr": 0.01},
    "mixup and crops": {"mixup_alpha": 0.4, "random_crop": 0.2},
}


class StopAfter(Callback):
    """Ctrl-C at the end of an epoch: skorch sees the KeyboardInterrupt a SIGINT raises."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epochs:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def task():
    return tone_task(24, seconds=0.3)


def _same_model(a, b, X):
    state_a, state_b = a.net_.module_.state_dict(), b.net_.module_.state_dict()
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name]), name
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.net_.history[:, "train_loss"] == b.net_.history[:, "train_loss"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_interrupted_and_resumed_fit_equals_the_uninterrupted_one(task, tmp_path, variant):
    params = {**PARAMS, **VARIANTS[variant]}
    whole = MHRAudioClassifier(**params).fit(*task)
    stopped = MHRAudioClassifier(**params, checkpoint_dir=tmp_path, callbacks=[StopAfter(2)])
    with pytest.raises(KeyboardInterrupt, match="interrupted after 2 epoch"):
        stopped.fit(*task)
    saved = read_checkpoint(tmp_path)
    assert saved["run_epochs"] == 2 and not saved["complete"]
    resumed = MHRAudioClassifier(**params, checkpoint_dir=tmp_path).fit(*task, resume=True)
    _same_model(whole, resumed, task[0])
    assert read_checkpoint(tmp_path)["complete"]
    assert not (tmp_path / LOCK_FILE).exists()


def test_early_stopped_fit_resumes_to_the_same_stop(task, tmp_path):
    params = {**PARAMS, "max_epochs": 12, "validation_fraction": 0.25, "patience": 1,
              "lr": 0.05}
    whole = MHRAudioClassifier(**params).fit(*task)
    assert len(whole.net_.history) < 12  # stopped early, so the counters matter
    with pytest.raises(KeyboardInterrupt):
        MHRAudioClassifier(**params, checkpoint_dir=tmp_path,
                           callbacks=[StopAfter(1)]).fit(*task)
    resumed = MHRAudioClassifier(**params, checkpoint_dir=tmp_path).fit(*task, resume=True)
    _same_model(whole, resumed, task[0])


def test_a_complete_checkpoint_resumes_without_training(task, tmp_path):
    first = MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(*task)
    again = MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path,
                               callbacks=[StopAfter(1)])  # would stop any epoch it ran
    again.fit(*task, resume=True)
    _same_model(first, again, task[0])


_KILLED_FIT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from skorch.callbacks import Callback
from tasks import tone_task
from sklearn_mhr import MHRAudioClassifier

class KillAfter(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 3:
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind

MHRAudioClassifier(**{params!r}, checkpoint_dir={folder!r},
                   callbacks=[KillAfter()]).fit(*tone_task(24, seconds=0.3))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_fit_killed_in_a_subprocess_resumes_to_the_uninterrupted_fit(task, tmp_path):
    folder = tmp_path / "checkpoints"
    script = _KILLED_FIT.format(tests=str(Path(__file__).parent), params=PARAMS,
                                folder=str(folder))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert read_checkpoint(folder)["run_epochs"] == 3
    assert (folder / LOCK_FILE).exists()  # left by the killed process: stale, replaced
    resumed = MHRAudioClassifier(**PARAMS, checkpoint_dir=folder).fit(*task, resume=True)
    _same_model(MHRAudioClassifier(**PARAMS).fit(*task), resumed, task[0])
    assert not list(folder.glob("*.tmp"))


def test_resume_refuses_another_fit(task, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path,
                           callbacks=[StopAfter(1)]).fit(*task)
    changed = MHRAudioClassifier(**{**PARAMS, "lr": 0.003, "random_state": 1},
                                 checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"is of another fit \(lr=0.001 in the checkpoint, "
                                         r"0.003 now; random_state differs\)"):
        changed.fit(*task, resume=True)
    with pytest.raises(ValueError, match="the labels differ"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(task[0], task[1][::-1],
                                                                  resume=True)


def test_a_checkpoint_older_than_a_parameter_resumes_at_its_default(task, tmp_path):
    """A checkpoint written before a parameter existed matches a fit that leaves it at default."""
    with pytest.raises(KeyboardInterrupt):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path,
                           callbacks=[StopAfter(2)]).fit(*task)
    path = tmp_path / CHECKPOINT_FILE
    state = torch.load(path, weights_only=True)
    for name in ("distill_weight", "residual_norm"):  # as a checkpoint written before them
        del state["fingerprint"]["params"][name]
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"distill_weight=None in the checkpoint, 0.9 now"):
        MHRAudioClassifier(**PARAMS, distill_weight=0.9, checkpoint_dir=tmp_path).fit(
            *task, resume=True)
    resumed = MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(*task, resume=True)
    assert len(resumed.net_.history) == PARAMS["max_epochs"]


def test_checkpoint_folder_refusals(task, tmp_path):
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        MHRAudioClassifier(**PARAMS).fit(*task, resume=True)
    with pytest.raises(FileNotFoundError, match="no checkpoint to resume from"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path / "empty").fit(*task, resume=True)
    MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path / "run").fit(*task)
    with pytest.raises(ValueError, match="holds the checkpoint of an earlier fit"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path / "run").fit(*task)
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="is a file"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path / "file").fit(*task)
    with pytest.raises(ValueError, match="checkpoint_dir must be None or a folder path"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=3).fit(*task)


def test_a_second_fit_on_one_folder_is_refused(task, tmp_path):
    (tmp_path / LOCK_FILE).write_text(f"{os.getpid()} {socket.gethostname()}\n")  # live: us
    with pytest.raises(ValueError, match="another fit is writing checkpoints"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(*task)


def test_a_checkpoint_holding_code_is_refused(task, tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))

    torch.save({"format": "sklearn_mhr.checkpoint", "payload": Payload()},
               tmp_path / CHECKPOINT_FILE)
    with pytest.raises(ValueError, match="Refusing to load .*could run code when unpickled"):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(*task, resume=True)
    assert not (tmp_path / "ran").exists()


def test_fitted_model_forgets_its_checkpoints(task, tmp_path):
    from sklearn_mhr import persistence

    est = MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path / "run").fit(*task)
    assert "checkpoint" not in dict(est.net_.callbacks_)
    est.partial_fit(*task)  # writes nothing to the fit's folder
    assert read_checkpoint(tmp_path / "run")["run_epochs"] == PARAMS["max_epochs"]
    assert pickle.loads(pickle.dumps(est)).checkpoint_dir == tmp_path / "run"
    assert persistence.load(persistence.save(est, tmp_path / "model")).checkpoint_dir is None


def _stopped_after_one_epoch(task, folder):
    with pytest.raises(KeyboardInterrupt):
        MHRAudioClassifier(**PARAMS, checkpoint_dir=folder, callbacks=[StopAfter(1)]).fit(*task)


def test_resume_refuses_other_clips_with_the_same_labels(task, tmp_path):
    """Other audio, or other lengths, under the same labels: another fit, not a resumed one."""
    X, y = task
    _stopped_after_one_epoch(task, tmp_path)
    resumed = MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"is of another fit \(the clips' audio differs\)"):
        resumed.fit(X * 0.5, y, resume=True)
    with pytest.raises(ValueError, match=r"the clips' audio differs; the clips' lengths differ"):
        resumed.fit(X[:, : X.shape[1] // 2], y, resume=True)
    resumed.fit(list(X), y, resume=True)  # the same clips as a list: the same data


def test_resume_refuses_other_files_and_durations(task, tmp_path):
    import soundfile as sf

    from sklearn_mhr.io import AudioSequence

    X, y = task
    paths = []
    for i, clip in enumerate(X):
        paths.append(str(tmp_path / f"{i}.wav"))
        sf.write(paths[-1], clip, PARAMS["sample_rate"], subtype="FLOAT")
    seq = AudioSequence(paths, sample_rate=PARAMS["sample_rate"])
    folder = tmp_path / "run"
    _stopped_after_one_epoch((seq, y), folder)
    resumed = MHRAudioClassifier(**PARAMS, checkpoint_dir=folder)
    with pytest.raises(ValueError, match=r"the clips' durations differ"):
        resumed.fit(AudioSequence(paths, sample_rate=PARAMS["sample_rate"], duration=0.2), y,
                    resume=True)
    sf.write(paths[0], X[1], PARAMS["sample_rate"], subtype="FLOAT")  # same name, other audio
    os.utime(paths[0], ns=(1, 1))
    with pytest.raises(ValueError, match=r"the audio files changed"):
        resumed.fit(seq, y, resume=True)
    with pytest.raises(ValueError, match=r"read from files in one fit, given as arrays"):
        resumed.fit(X, y, resume=True)


def test_an_empty_training_lock_is_broken(task, tmp_path):
    (tmp_path / LOCK_FILE).write_text("")  # a fit killed while it created its lock
    MHRAudioClassifier(**PARAMS, checkpoint_dir=tmp_path).fit(*task)
    assert read_checkpoint(tmp_path)["complete"] and not (tmp_path / LOCK_FILE).exists()


def test_checkpoints_never_write_or_read_through_links(task, tmp_path):
    folder, outside = tmp_path / "run", tmp_path / "outside"
    folder.mkdir()
    outside.write_text("mine")
    # the temporary names of the old writer, and any pid near ours
    for pid in range(os.getpid() - 2, os.getpid() + 3):
        (folder / f".{CHECKPOINT_FILE}.{pid}.tmp").symlink_to(outside)
    MHRAudioClassifier(**PARAMS, checkpoint_dir=folder).fit(*task)
    assert outside.read_text() == "mine"
    assert read_checkpoint(folder)["complete"]
    (folder / CHECKPOINT_FILE).rename(tmp_path / "real.pt")
    (folder / CHECKPOINT_FILE).symlink_to(tmp_path / "real.pt")
    with pytest.raises(ValueError, match=r"checkpoint\.pt' is a symbolic link"):
        read_checkpoint(folder)
