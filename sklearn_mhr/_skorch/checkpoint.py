"""Checkpoints of a fit in progress, and resuming a fit from one bit for bit.

A checkpoint is one file, ``checkpoint.pt`` in the estimator's
``checkpoint_dir``, replaced in one rename after every epoch: the network's
weights, the optimizer's state, the training history, torch's random state
and the state of the callbacks that have one (the cosine schedule, early
stopping), with a fingerprint of the fit (parameters, seed, labels and the
clips: their audio, or for clips read from files the files' paths, sizes,
modification times, durations, offsets and sample rate) that a resumed fit
must match. It is written through a temporary file with an unpredictable
name and read with ``torch.load(weights_only=True)``: tensors and plain
containers only, never through a link. In a distributed fit rank 0 writes
it and every rank reads it to resume (on any number of ranks), so the
folder must be one that all ranks see.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import json
import os
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping
from skorch.history import History

from sklearn_mhr._lock import folder_lock
from sklearn_mhr._safe_folder import read_regular, write_file
from sklearn_mhr._skorch.distributed import barrier, current_world
from sklearn_mhr._torch_files import load_tensors

__all__ = ["CHECKPOINT_FILE", "FitCheckpoints", "ResumableEarlyStopping", "TrainingCheckpoint",
           "checkpoints", "data_fingerprint", "fingerprint", "read_checkpoint", "resume_net"]

FORMAT = "sklearn_mhr.checkpoint"
FORMAT_VERSION = 2  # 2: the fingerprint covers the clips ("data")
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = ".training.lock"

# parameters that may change between a fit and its resumption: they change no result
_NOT_COMPARED = ("checkpoint_dir", "n_threads", "verbose", "callbacks", "random_state")


def _plain(obj):
    """``obj`` with NumPy scalars turned into Python ones (JSON round trip)."""
    return json.loads(json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def _digest(items) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(item if isinstance(item, bytes) else repr(item).encode())
    return digest.hexdigest()


def data_fingerprint(clips) -> dict:
    """What the clips are, so that a resumed fit can tell other data from the same.

    Clips read lazily from files (an ``AudioSequence``) are described by
    their files (absolute paths, sizes and modification times), durations,
    offsets and sample rate, without decoding them; any other clips by the
    SHA-256 of their samples and their lengths.
    """
    paths = getattr(clips, "paths", None)
    if paths is not None and hasattr(clips, "sample_rate") and hasattr(clips, "offsets"):
        stamps = []
        for path in paths:
            try:
                st = os.stat(path)
                stamps.append((st.st_size, st.st_mtime_ns))
            except OSError:
                stamps.append(None)
        durations = getattr(clips, "durations", None)
        return {"files": _digest(os.path.abspath(os.fspath(p)) for p in paths),
                "file_stamps": _digest(stamps),
                "durations": _digest([] if durations is None else np.asarray(durations).tolist()),
                "offsets": _digest(np.asarray(clips.offsets).tolist()),
                "sample_rate": int(clips.sample_rate)}
    lengths, audio = [], hashlib.sha256()
    for i in range(len(clips)):
        clip = np.ascontiguousarray(clips[i])
        lengths.append(int(clip.shape[-1]) if clip.ndim else 0)
        audio.update(clip.dtype.str.encode())
        audio.update(clip.tobytes())
    return {"lengths": _digest(lengths), "audio": audio.hexdigest()}


def fingerprint(est, seed: int, classes: np.ndarray, y_idx: np.ndarray, clips=None,
                teacher=None) -> dict:
    """What a fit is: its parameters, seed, labels, clips and teacher; a resume must match it."""
    params = {name: value for name, value in est.get_params(deep=False).items()
              if name not in _NOT_COMPARED}
    targets = hashlib.sha256(np.asarray(y_idx, dtype=np.int64).tobytes()).hexdigest()
    out = {"params": params, "seed": int(seed), "classes": classes.tolist(),
           "n_clips": int(len(y_idx)), "targets_sha256": targets,
           "data": None if clips is None else data_fingerprint(clips)}
    if teacher is not None:  # absent otherwise, so that earlier checkpoints still match
        out["teacher_sha256"] = hashlib.sha256(
            np.ascontiguousarray(teacher, dtype=np.float32).tobytes()).hexdigest()
    return _plain(out)


class ResumableEarlyStopping(EarlyStopping):
    """skorch's EarlyStopping whose counters and best weights a checkpoint keeps."""

    def checkpoint_state(self) -> dict:
        return {"misses": self.misses_, "threshold": float(self.dynamic_threshold_),
                "best_epoch": self.best_epoch_, "best_weights": self.best_model_weights_}

    def restore_state(self, state: dict) -> None:
        self.pending_state_ = state

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        state = self.__dict__.pop("pending_state_", None)
        if state is not None:
            self.misses_, self.dynamic_threshold_ = state["misses"], state["threshold"]
            self.best_epoch_, self.best_model_weights_ = state["best_epoch"], state["best_weights"]


class TrainingCheckpoint(Callback):
    """Write a checkpoint after every epoch, and a complete one when training ends.

    Parameters
    ----------
    folder : str or os.PathLike
        Where ``checkpoint.pt`` goes (created if needed).
    fit_fingerprint : dict
        :func:`fingerprint` of the fit, stored with every checkpoint.

    Notes
    -----
    It must come after the callbacks whose state it keeps, so that an
    epoch's checkpoint holds their state at the end of that epoch. Training
    stopped by Ctrl-C, or by an error, keeps the last epoch's checkpoint; one
    that ran to the end (or was stopped early by early stopping) writes a
    checkpoint marked complete, holding the final weights.
    """

    def __init__(self, folder, fit_fingerprint: dict):
        self.folder = folder
        self.fit_fingerprint = fit_fingerprint

    def on_train_begin(self, net, **kwargs):
        # epochs of this fit so far: those of a resumed checkpoint, or none
        done = self.__dict__.pop("resumed_epochs_", 0)
        self.run_start_ = len(net.history) - done

    def on_epoch_end(self, net, **kwargs):
        self._write(net, complete=False)

    def on_train_end(self, net, **kwargs):
        if not getattr(net, "interrupted_", False):
            self._write(net, complete=True)

    def _write(self, net, *, complete: bool) -> None:
        world = current_world()
        if world is None or world.main:
            self._write_file(net, complete=complete)
        barrier()  # no rank trains on before the epoch's checkpoint is written

    def _write_file(self, net, *, complete: bool) -> None:
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        states = {name: cb.checkpoint_state() for name, cb in net.callbacks_
                  if hasattr(cb, "checkpoint_state")}
        state = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "complete": complete,
            "fingerprint": self.fit_fingerprint,
            "run_epochs": len(net.history) - self.run_start_,
            "history": _plain(net.history.to_list()),
            "module": {k: v.detach().cpu().clone() for k, v in net.module_.state_dict().items()},
            "optimizer": net.optimizer_.state_dict(),
            "callbacks": states,
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        }
        # the last checkpoint stands until the rename
        write_file(folder, CHECKPOINT_FILE, lambda f: torch.save(state, f))


def read_checkpoint(folder) -> dict:
    """The checkpoint in ``folder``, checked to be one; tensors and containers only."""
    path = Path(folder) / CHECKPOINT_FILE
    try:
        data = read_regular(path, what="checkpoint")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"there is no checkpoint to resume from in '{folder}' ({CHECKPOINT_FILE} is missing); "
            "fit without resume to start one") from None
    if not data:
        raise ValueError(f"'{path}' is empty; the checkpoint is damaged. Remove it and fit again "
                         "without resume")
    state = load_tensors(io.BytesIO(data), path, what="the checkpoint",
                         again="remove it and fit again without resume")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"'{path}' is not an sklearn_mhr checkpoint")
    if state.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"'{path}' has checkpoint format {state.get('format_version')!r}; this "
                         f"sklearn_mhr reads format {FORMAT_VERSION}")
    return state


_DATA = {"audio": "the clips' audio differs", "lengths": "the clips' lengths differ",
         "files": "the audio files differ (other paths or root)",
         "file_stamps": "the audio files changed (sizes or modification times)",
         "durations": "the clips' durations differ", "offsets": "the clips' offsets differ",
         "sample_rate": "the clips' sample rate differs"}


def _data_differences(saved, current) -> list[str]:
    if saved == current:
        return []
    if not isinstance(saved, dict) or not isinstance(current, dict) or set(saved) != set(current):
        return ["the clips differ (read from files in one fit, given as arrays in the other)"]
    return [_DATA.get(key, f"{key} differs") for key in sorted(saved)
            if saved[key] != current[key]]


def _differences(saved: dict, current: dict, defaults: dict | None = None) -> list[str]:
    """What differs between two fingerprints, in words.

    A parameter that the saved fingerprint lacks (one added since it was
    written) and that ``current`` leaves at its value in ``defaults`` is no
    difference: the fit trains as the checkpoint's did.
    """
    defaults = {} if defaults is None else _plain(defaults)
    out = []
    for key in sorted(set(saved) | set(current)):
        if key == "data":
            out += _data_differences(saved.get(key), current.get(key))
        elif key == "params":
            out += [f"{name}={saved['params'].get(name)!r} in the checkpoint, "
                    f"{current['params'].get(name)!r} now"
                    for name in sorted(set(saved["params"]) | set(current["params"]))
                    if saved["params"].get(name) != current["params"].get(name)
                    and not (name not in saved["params"] and name in defaults
                             and defaults[name] == current["params"].get(name))]
        elif saved.get(key) != current.get(key):
            what = {"seed": "random_state", "targets_sha256": "the labels",
                    "teacher_sha256": "the teacher's probabilities",
                    "n_clips": "the number of clips", "classes": "the classes"}.get(key, key)
            out.append(f"{what} differ{'s' if key != 'classes' else ''}")
    return out


def resume_net(net, checkpoint: dict, fit_fingerprint: dict, folder, defaults=None) -> int:
    """Put an initialised net in the state ``checkpoint`` holds; return the epochs still to run.

    Raises ValueError, listing the differences, if the checkpoint belongs to
    a fit with other parameters, seed, labels or clips. ``defaults`` maps the
    estimator's parameters to their default values (see `_differences`).
    """
    differences = _differences(checkpoint["fingerprint"], fit_fingerprint, defaults)
    if differences:
        raise ValueError(
            f"the checkpoint in '{folder}' is of another fit ({'; '.join(differences[:8])}); "
            "resume with the parameters and clips it was started with, or remove it to start "
            "afresh")
    net.module_.load_state_dict(checkpoint["module"])
    net.optimizer_.load_state_dict(checkpoint["optimizer"])
    net.history = History(checkpoint["history"])
    callbacks = dict(net.callbacks_)
    for name, state in checkpoint["callbacks"].items():
        callbacks[name].restore_state(state)
    callbacks["checkpoint"].resumed_epochs_ = checkpoint["run_epochs"]
    torch.set_rng_state(checkpoint["rng"])
    if checkpoint["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    if checkpoint["complete"]:
        return 0
    return max(0, checkpoint["fingerprint"]["params"]["max_epochs"] - checkpoint["run_epochs"])


class FitCheckpoints:
    """The checkpoints of one fit: the callback that writes them, the folder's lock, the resume.

    Parameters
    ----------
    folder : str, os.PathLike or None
        The estimator's ``checkpoint_dir``; None: no checkpoints (every
        method is then a no-op).
    fit_fingerprint : dict or None
        :func:`fingerprint` of the fit.
    resume : bool
        Go on from the checkpoint in ``folder``. Without it, a folder that
        holds a checkpoint is refused, so that no earlier run is overwritten.
    defaults : dict, optional
        The estimator's parameters' default values: one that a checkpoint
        predates, left at its default, is no difference on resume.
    """

    def __init__(self, folder, fit_fingerprint, resume: bool, defaults=None):
        self.folder = None if folder is None else Path(folder)
        self.fingerprint = fit_fingerprint
        self.defaults = defaults
        self.callback = None
        self.saved = None
        if self.folder is None:
            return
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"checkpoint_dir '{folder}' is a file; pass a folder")
        if resume:
            self.saved = read_checkpoint(self.folder)  # before anything is built
        elif (self.folder / CHECKPOINT_FILE).exists():
            raise ValueError(
                f"checkpoint_dir '{folder}' holds the checkpoint of an earlier fit; pass "
                "resume=True to go on with it (sklearn-mhr train --resume), or choose another "
                "folder")
        self.callback = TrainingCheckpoint(str(self.folder), fit_fingerprint)

    def lock(self):
        """Hold the folder's lock while training: one fit writes to a folder at a time.

        In a distributed fit, rank 0 (the writer) holds it.
        """
        world = current_world()
        if self.folder is None or (world is not None and not world.main):
            return contextlib.nullcontext()
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self.folder / LOCK_FILE
        return folder_lock(lock, f"another fit is writing checkpoints to '{self.folder}' (lock "
                                 f"file '{lock}'); give each fit its own checkpoint_dir")

    def restore(self, net) -> int:
        """Resume ``net`` from the checkpoint; return the epochs still to run."""
        return resume_net(net, self.saved, self.fingerprint, self.folder, self.defaults)


def checkpoints(est, seed: int, classes, y_idx, resume: bool, clips=None,
                teacher=None) -> FitCheckpoints:
    """The :class:`FitCheckpoints` of a fit of ``est`` on ``clips`` (none when
    ``checkpoint_dir`` is None)."""
    if est.checkpoint_dir is None:
        return FitCheckpoints(None, None, False)
    defaults = {name: p.default for name, p in inspect.signature(type(est)).parameters.items()}
    return FitCheckpoints(est.checkpoint_dir,
                          fingerprint(est, seed, classes, y_idx, clips, teacher), resume, defaults)
