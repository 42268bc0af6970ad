"""Save a fitted MHRAudioClassifier to a directory, and load it back without pickle.

A saved model is a directory of four files:

- ``params.json``: the constructor parameters (``get_params(deep=False)``);
- ``classes.json``: the class labels and their numpy dtype;
- ``state.pt``: the network's ``state_dict``, a dict of tensors written by
  ``torch.save``;
- ``meta.json``: the format, the versions that wrote it, the fitted attributes
  that describe the network, free-form metadata (what the command line
  trained on, say), the training history per epoch and the SHA-256 of the
  other three files. It is written
  last: its presence marks a complete model.

Saving writes the four files into a fresh hidden folder inside the model
directory, then moves each into place with one rename (``meta.json`` last),
under a lock file that keeps a second writer out. A save that fails before the
moves (a parameter without a JSON form, a full disk) leaves the model that was
there as it was; readers who meet a folder holding files of two saves (a save
killed during its renames) or an edited file are refused by the hashes. The
renames replace links in the folder instead of following them.

Loading reads the weights with ``torch.load(..., weights_only=True)``, which
unpickles tensors and plain containers only, so a tampered ``state.pt`` cannot
run code; everything else is JSON.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from sklearn_mhr._lock import folder_lock, lock_is_stale
from sklearn_mhr._numbers import is_int, is_number
from sklearn_mhr._torch_files import load_tensors

__all__ = [
    "InterruptedSaveWarning", "ModelVersionWarning", "check_save_path", "load", "read_metadata",
    "read_params", "save",
]

FORMAT = "sklearn_mhr.model"
FORMAT_VERSION = 2  # 2: meta.json holds the SHA-256 of the other files
FILES = ("params.json", "classes.json", "state.pt", "meta.json")
_SIGNED = FILES[:3]
_LOCK = ".saving.lock"
_STAGING = ".saving-"  # prefix of the folders a save writes into
_HINT = "Pass a directory written by sklearn_mhr.persistence.save or `sklearn-mhr train --out`."


class ModelVersionWarning(UserWarning):
    """A model was saved by another version of sklearn_mhr than the one loading it."""


class InterruptedSaveWarning(UserWarning):
    """A save killed part-way was finished (or its unused files removed) before reading."""


# ------------------------------------------------------------------ helpers
def _json_value(name: str, value: Any) -> Any:
    """Return `value` as a JSON scalar, or raise naming the parameter."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real) and np.isfinite(value):
        return float(value)
    raise ValueError(
        f"parameter {name}={value!r} cannot be saved as JSON; set it to a number, string, "
        "bool or None before saving"
    )


def _params_to_json(estimator) -> dict:
    params = estimator.get_params(deep=False)
    out = {}
    for name, value in params.items():
        if (name == "random_state" and not is_int(value)) or name in ("callbacks",
                                                                        "checkpoint_dir"):
            # a RandomState instance has no faithful JSON form; callbacks are code; the
            # checkpoints belong to the fit, not to the model
            out[name] = None
            continue
        out[name] = _json_value(name, value)
    return out


def _classes_to_json(classes: np.ndarray) -> dict:
    values = [c.item() if isinstance(c, np.generic) else c for c in classes.tolist()]
    for c in values:
        if not isinstance(c, (str, bool, int, float)):
            raise ValueError(
                f"class label {c!r} ({type(c).__name__}) cannot be saved as JSON; "
                "use string or integer labels"
            )
    dtype = "object" if classes.dtype == object else classes.dtype.str
    return {"dtype": dtype, "classes": values}


def _history_to_json(history) -> list[dict]:
    """The per-epoch entries of a skorch history that have a JSON form; batches left out."""
    return [{key: value for key, value in record.items()
             if isinstance(value, bool | str) or is_number(value, finite=True)}
            for record in history]


def _history_from_json(meta: dict, path: Path):
    """The skorch History saved in ``meta.json`` (empty for models saved without one)."""
    from skorch.history import History

    records = meta.get("history", [])
    if not (isinstance(records, list) and all(isinstance(r, dict) for r in records)):
        raise ValueError(f"'{path}': 'history' must be a list of per-epoch objects")
    return History([{**record, "batches": []} for record in records])


def _fitted_to_json(attributes: dict) -> dict:
    """The fitted attributes that describe the network, as JSON values (``meta.json``)."""
    fitted = {name: int(attributes[name])
              for name in ("win_length_", "hop_length_", "kernel_size_", "clip_samples_")
              if name in attributes}
    fitted["head_bands_"] = [[int(a), int(b)] for a, b in attributes["head_bands_"]]
    for name in ("centre_frequencies_", "initial_centre_frequencies_"):
        fitted[name] = np.asarray(attributes[name], float).tolist()
    return fitted


def _clip_samples_from_json(fitted: dict, path: Path) -> int | None:
    """The saved length of the training clips; None for a model saved before it was kept."""
    value = fitted.get("clip_samples_")
    if value is not None and not (is_int(value) and value >= 1):
        raise ValueError(f"'{path}': fitted clip_samples_ must be a positive integer, got "
                         f"{value!r}; save the model again")
    return value


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _save_lock(root: Path):
    """Hold the lock file of `root`: one writer at a time."""
    lock = root / _LOCK
    return folder_lock(lock, f"another process is saving a model to '{root}' (lock file "
                             f"'{lock}'); save again when it has finished, or remove the lock "
                             "file if no save is running")


def _finish_interrupted_save(root: Path) -> None:
    """Complete a save that was killed during its renames, or drop one killed before them.

    A killed save leaves its staging folder and a lock whose process is gone.
    If the staging folder holds ``meta.json``, the renames had begun: every
    signed file is either still staged or already moved, and the model is
    whole once the rest is moved (what the save would have done). Without
    ``meta.json`` nothing was moved, and the staged files are dropped. A
    folder whose lock a live save holds is left alone.
    """
    stagings = sorted(p for p in root.glob(f"{_STAGING}*") if p.is_dir())
    lock = root / _LOCK
    if not stagings or (lock.exists() and not lock_is_stale(lock)):
        return
    try:
        with _save_lock(root):
            for staging in stagings:
                _finish_staging(root, staging)
    except (ValueError, OSError):  # a save started meanwhile, or a read-only folder
        return


def _finish_staging(root: Path, staging: Path) -> None:
    meta_path = staging / "meta.json"
    if not meta_path.is_file():
        shutil.rmtree(staging, ignore_errors=True)
        warnings.warn(f"'{root}': removed the files of a save killed before it replaced any "
                      "file; the model there is the one saved before", InterruptedSaveWarning,
                      stacklevel=4)
        return
    files = json.loads(meta_path.read_text(encoding="utf-8")).get("files", {})
    source = {name: staging / name if (staging / name).is_file() else root / name
              for name in _SIGNED}
    if set(files) != set(_SIGNED) or any(
            not source[name].is_file() or _sha256(source[name]) != files[name]
            for name in _SIGNED):
        return  # not the files of one save: load refuses them as it would
    for name in FILES:  # meta.json last, as the save does
        if (staging / name).is_file():
            os.replace(staging / name, root / name)
    shutil.rmtree(staging, ignore_errors=True)
    warnings.warn(f"'{root}': finished a save that was killed while it replaced the model's "
                  "files; the model there is the one that save wrote", InterruptedSaveWarning,
                  stacklevel=4)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise FileNotFoundError(
            f"'{path}' is missing: the model directory is incomplete. Save the model again."
        ) from None


def _read_json(path: Path, data: bytes | None = None) -> dict:
    """The JSON object in ``path``, or in ``data`` (the bytes read from it) when given."""
    if data is None:
        data = _read_bytes(path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"'{path}' is not valid JSON ({exc}); the model file is damaged") from None
    if not isinstance(obj, dict):
        raise ValueError(f"'{path}' holds {type(obj).__name__}, expected a JSON object")
    return obj


def _check_manifest(root: Path, meta: dict, contents: dict[str, bytes]) -> None:
    """Refuse files that are not the ones ``meta.json`` was saved with (format 2 on).

    ``contents`` holds the bytes that were read and parsed, not the files on
    disk, which another save may have replaced since.
    """
    if meta.get("format_version", 1) < 2:
        return
    files = meta.get("files")
    if not isinstance(files, dict) or set(files) != set(_SIGNED):
        raise ValueError(f"'{root / 'meta.json'}' lacks the hashes of {', '.join(_SIGNED)}; "
                         "the model file is damaged. Save the model again")
    changed = [name for name in _SIGNED
               if hashlib.sha256(contents[name]).hexdigest() != files[name]]
    if changed:
        raise ValueError(
            f"'{root}': {', '.join(changed)} {'is' if len(changed) == 1 else 'are'} not the "
            "file(s) this model was saved with (edited, or left by another save that was "
            "interrupted); refusing to load a model whose files do not belong together. "
            "Save the model again")


def _model_dir(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__} ({path!r})")
    return Path(path)


# --------------------------------------------------------------------- save
def check_save_path(path) -> Path:
    """Check that a model can be saved at `path`, before spending time on training.

    Parameters
    ----------
    path : str or os.PathLike
        A directory that does not exist, is empty, holds a saved model (which
        saving replaces; other files in it are left alone), or holds nothing but
        the model files of an interrupted save.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ValueError
        If `path` is a file, or a non-empty directory that holds no model.
    """
    root = _model_dir(path)
    if root.exists() and not root.is_dir():
        raise ValueError(f"'{root}' is a file; pass a directory path to save the model in")
    if root.is_dir() and not (root / "meta.json").is_file():
        # only the files of an interrupted save (meta.json is written last): replaceable
        others = sorted(p.name for p in root.iterdir()
                        if p.name not in FILES and not p.name.startswith(".saving"))
        if others:
            raise ValueError(
                f"'{root}' is a non-empty directory that holds no saved model "
                f"({', '.join(others[:5])}); pass a new or empty directory, so that no file "
                "of yours is overwritten"
            )
    return root


def save(estimator, path, *, metadata: dict | None = None) -> Path:
    """Save a fitted classifier to a directory.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        A fitted classifier.
    path : str or os.PathLike
        Directory to write; created if needed. An existing directory must be
        empty or hold a saved model, whose files are replaced (other files in it,
        such as ``filters.csv`` from ``sklearn-mhr demo``, are left alone).
    metadata : dict, optional
        JSON-serialisable information stored in ``meta.json`` under
        ``"metadata"`` (what the model was trained on, say); read it back with
        :func:`read_metadata`.

    Returns
    -------
    path : pathlib.Path
        The model directory.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If `estimator` is not fitted.
    ValueError
        If `path` is a file or a non-empty directory that holds no model, or a
        parameter or label has no JSON form.
    """
    import torch
    from sklearn.utils.validation import check_is_fitted

    from sklearn_mhr import __version__
    from sklearn_mhr._skorch import fitted_attributes
    from sklearn_mhr.estimator import MHRAudioClassifier

    if not isinstance(estimator, MHRAudioClassifier):
        raise TypeError(f"save expects a fitted MHRAudioClassifier, got {type(estimator).__name__}")
    check_is_fitted(estimator)
    root = check_save_path(path)
    try:
        json.dumps(metadata or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable: {exc}") from None

    params = _params_to_json(estimator)
    classes = _classes_to_json(np.asarray(estimator.classes_))
    fitted = _fitted_to_json(fitted_attributes(
        estimator, estimator.net_, estimator.classes_, getattr(estimator, "clip_samples_", None)))
    if hasattr(estimator, "n_features_in_"):
        fitted["n_features_in_"] = int(estimator.n_features_in_)
    state = {k: v.detach().cpu().clone() for k, v in estimator.net_.module_.state_dict().items()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "sklearn_mhr_version": __version__,
        "torch_version": torch.__version__,
        "fitted": fitted,
        "metadata": metadata or {},
        "history": _history_to_json(estimator.net_.history),
    }
    root.mkdir(parents=True, exist_ok=True)
    with _save_lock(root):
        staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=root))
        try:
            _write_json(staging / "params.json", params)
            _write_json(staging / "classes.json", classes)
            torch.save(state, staging / "state.pt")
            meta["files"] = {name: _sha256(staging / name) for name in _SIGNED}
            _write_json(staging / "meta.json", meta)
            for name in FILES:  # meta.json last: the old model stands until then
                os.replace(staging / name, root / name)
            for left in root.glob(f"{_STAGING}*"):  # of saves killed earlier: now stale
                shutil.rmtree(left, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return root


# --------------------------------------------------------------------- load
def read_metadata(path) -> dict:
    """Return the contents of a saved model's ``meta.json``, checked.

    Parameters
    ----------
    path : str or os.PathLike
        Model directory.

    Returns
    -------
    meta : dict
        ``format``, ``format_version``, ``sklearn_mhr_version``,
        ``torch_version``, ``fitted`` (attributes), ``metadata`` (what
        :func:`save` was given) and ``history`` (one object per training
        epoch: losses, validation scores, seconds).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist or the model is incomplete.
    ValueError
        If `path` is not a saved model, or one written by a newer format.
    """
    root = _model_dir(path)
    if not root.exists():
        raise FileNotFoundError(f"Model directory '{root}' does not exist. {_HINT}")
    if not root.is_dir():
        raise ValueError(f"'{root}' is a file, not a model directory. {_HINT}")
    _finish_interrupted_save(root)
    present = [name for name in FILES if (root / name).is_file()]
    if not present:
        raise ValueError(
            f"'{root}' is not a saved sklearn_mhr model: it holds none of "
            f"{', '.join(FILES)}. {_HINT}"
        )
    missing = [name for name in FILES if name not in present]
    if missing:
        raise FileNotFoundError(
            f"'{root}' is an incomplete model: {', '.join(missing)} missing. Save the model again."
        )
    meta = _read_json(root / "meta.json")
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"'{root / 'meta.json'}' does not describe an sklearn_mhr model "
            f"(format {meta.get('format')!r}, expected {FORMAT!r}). {_HINT}"
        )
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"'{root}' uses model format version {version!r}, but this sklearn_mhr reads "
            f"versions up to {FORMAT_VERSION}; upgrade sklearn_mhr (the model was written by "
            f"version {meta.get('sklearn_mhr_version')!r})"
        )
    return meta


def read_params(path) -> dict:
    """Return a saved model's constructor parameters (``params.json``), without loading it.

    Parameters
    ----------
    path : str or os.PathLike
        Model directory.

    Returns
    -------
    params : dict
    """
    root = _model_dir(path)
    read_metadata(root)
    return _read_json(root / "params.json")


def _classes_from_json(obj: dict, path: Path) -> np.ndarray:
    values, dtype = obj.get("classes"), obj.get("dtype")
    if not isinstance(values, list) or not isinstance(dtype, str):
        raise ValueError(f"'{path}' must hold 'classes' (a list) and 'dtype' (a string)")
    try:
        return np.array(values, dtype=object if dtype == "object" else np.dtype(dtype))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"'{path}': cannot rebuild the classes as dtype {dtype!r}: {exc}") from None


def _load_state(path: Path, data: bytes) -> dict:
    """The state dict in ``data``, the bytes read from ``path``."""
    import torch

    if not data:
        raise ValueError(f"'{path}' is empty; the model file is damaged. Save the model again")
    state = load_tensors(io.BytesIO(data), path, what="the weights",
                         again="save the model again with sklearn_mhr.persistence.save")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"'{path}' does not hold a state dict (a dict of name -> tensor)")
    return state


def load(path, *, device: str | None = None):
    """Load a classifier saved with :func:`save`; no training, no pickle.

    Parameters
    ----------
    path : str or os.PathLike
        Model directory.
    device : str, optional
        Device to load the network on ("cpu", "cuda", "cuda:N", "auto"); it
        replaces the saved ``device`` parameter. By default the saved device is
        used, or the CPU (with a warning) when it names CUDA and CUDA is not
        available.

    Returns
    -------
    estimator : MHRAudioClassifier
        Fitted: predictions equal those of the saved estimator.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist or a model file is missing.
    ValueError
        If `path` is not a model, a file is damaged, or ``state.pt`` holds
        anything but tensors.

    Warns
    -----
    ModelVersionWarning
        When the model was saved by another version of sklearn_mhr.
    """
    import torch

    from sklearn_mhr import __version__
    from sklearn_mhr._params import check_params
    from sklearn_mhr._skorch import fitted_attributes, resolve_device, start_net
    from sklearn_mhr.estimator import MHRAudioClassifier

    root = _model_dir(path)
    meta = read_metadata(root)
    saved_version = meta.get("sklearn_mhr_version")
    if saved_version != __version__:
        warnings.warn(
            f"'{root}' was saved by sklearn_mhr {saved_version} and is loaded by {__version__}; "
            "check its predictions, or train and save it again with this version",
            ModelVersionWarning, stacklevel=2,
        )
    # every file is read once: what is checked against the hashes is what is used
    contents = {name: _read_bytes(root / name) for name in _SIGNED}
    params = _read_json(root / "params.json", contents["params.json"])
    valid = MHRAudioClassifier().get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"'{root / 'params.json'}' has parameters {unknown} that MHRAudioClassifier does not "
            f"take (valid: {', '.join(sorted(valid))}); it was written by another version"
        )
    if device is not None:
        params["device"] = device
    elif str(params.get("device", "")).startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(f"'{root}' was saved with device={params['device']!r} but CUDA is not "
                      "available; loading it on the CPU", UserWarning, stacklevel=2)
        params["device"] = "cpu"
    estimator = MHRAudioClassifier(**params)
    classes = _classes_from_json(_read_json(root / "classes.json", contents["classes.json"]),
                                 root / "classes.json")
    try:
        check_params(estimator)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(
                f"classes must be a 1-D sequence of at least 2 labels, got {classes!r}")
        with torch.random.fork_rng(devices=[]):  # leave the caller's generator as it was
            start_net(estimator, classes, resolve_device(estimator.device))
    except ValueError as exc:
        raise ValueError(f"'{root}': {exc}") from None

    fitted = meta.get("fitted", {})
    for name in ("win_length_", "hop_length_", "kernel_size_"):
        if name in fitted and fitted[name] != getattr(estimator, name):
            raise ValueError(
                f"'{root}' was saved with {name}={fitted[name]}, but its parameters give "
                f"{getattr(estimator, name)} in sklearn_mhr {__version__}; train it again"
            )
    state = _load_state(root / "state.pt", contents["state.pt"])
    module = estimator.net_.module_
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise ValueError(
            f"The weights in '{root / 'state.pt'}' do not fit the network described by "
            f"'{root / 'params.json'}' ({' '.join(first[:2])})"
        ) from None
    module.eval()
    _check_manifest(root, meta, contents)
    if "n_features_in_" in fitted:
        estimator.n_features_in_ = int(fitted["n_features_in_"])
    vars(estimator).update(fitted_attributes(
        estimator, estimator.net_, classes,
        _clip_samples_from_json(fitted, root / "meta.json")))
    estimator.net_.history = _history_from_json(meta, root / "meta.json")
    return estimator
