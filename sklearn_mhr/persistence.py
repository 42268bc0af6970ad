"""Save a fitted MHRAudioClassifier to a directory, and load it back without pickle.

A saved model is a directory of five files:

- ``params.json``: the constructor parameters (``get_params(deep=False)``);
- ``classes.json``: the class labels and their numpy dtype;
- ``state.pt``: the network's ``state_dict``, a dict of tensors written by
  ``torch.save``;
- ``meta.json``: the format, the versions that wrote it, the fitted attributes
  that describe the network, free-form metadata (what the command line
  trained on, say) and the training history per epoch;
- ``manifest.json``: the format and the SHA-256 of the four other files. It
  is written last: its presence marks a complete model.

Saving writes the five files into a fresh hidden folder inside the model
directory, then moves each into place with one rename (``manifest.json``
last), under a lock file that keeps a second writer out
(:mod:`sklearn_mhr._safe_folder` does the folder's part). A save that fails
before the moves leaves the model that was there as it was; readers who meet
a folder holding files of two saves (a save killed during its renames) or an
edited file are refused by the hashes. The hashes detect damage and files of
different saves; they are no signature: whoever can write the folder can
write a model whose hashes match.

Loading reads the weights with ``torch.load(..., weights_only=True)``, which
unpickles tensors and plain containers only, so a tampered ``state.pt`` cannot
run code; everything else is JSON. No file is read through a link.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

from sklearn_mhr._numbers import is_int, is_number
from sklearn_mhr._safe_folder import SafeFolder, check_can_write, is_regular_file, read_regular
from sklearn_mhr._torch_files import load_tensors

__all__ = [
    "InterruptedSaveWarning", "ModelVersionWarning", "check_save_path", "load", "read_metadata",
    "read_params", "save",
]

FORMAT = "sklearn_mhr.model"
# 2: meta.json holds the SHA-256 of the other files; 3: manifest.json holds those of all four
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
FILES = ("params.json", "classes.json", "state.pt", "meta.json", MANIFEST)
_SIGNED = FILES[:4]
_MAX_JSON_DEPTH = 64  # deeper JSON is no file save wrote
_LOAD_TRIES = 50  # reads of a model that saves keep replacing meanwhile
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


def _folder(root: Path) -> SafeFolder:
    """The model folder, written by one save at a time."""
    lock = root / _LOCK
    return SafeFolder(root, lock_name=_LOCK, staging_prefix=_STAGING,
                      busy=f"another process is saving a model to '{root}' (lock file "
                           f"'{lock}'); save again when it has finished, or remove the lock "
                           "file if no save is running")


def _staged_save(root: Path, staging: Path) -> list[str] | None:
    """What to do with a staging folder a killed save left (see `SafeFolder.recover`).

    With ``manifest.json`` staged, the renames had begun: every file is either
    still staged or already moved, and the model is whole once the rest is
    moved (what the save would have done). Without it nothing was moved, and
    the staged files are dropped. Files that do not match the manifest are
    left for load to refuse.
    """
    if not is_regular_file(staging / MANIFEST):
        return []
    try:
        files = json.loads(read_regular(staging / MANIFEST)).get("files", {})
        sources = {name: staging / name if is_regular_file(staging / name) else root / name
                   for name in _SIGNED}
        if set(files) != set(_SIGNED) or any(
                hashlib.sha256(read_regular(sources[name])).hexdigest() != files[name]
                for name in _SIGNED):
            return None
    except (OSError, ValueError, AttributeError, RecursionError):
        return None
    return list(FILES)  # manifest.json last, as the save does


def _finish_interrupted_save(root: Path) -> None:
    """Complete a save that was killed during its renames, or drop one killed before them."""
    for action, entry in _folder(root).recover(lambda staging: _staged_save(root, staging)):
        text = {
            "finished": "finished a save that was killed while it replaced the model's files; "
                        "the model there is the one that save wrote",
            "dropped": "removed the files of a save killed before it replaced any file; the "
                       "model there is the one saved before",
            "ignored": f"'{entry.name}' is named like a save's staging folder but is a link or "
                       "a file; it was ignored (not followed, moved or removed)",
        }[action]
        warnings.warn(f"'{root}': {text}", InterruptedSaveWarning, stacklevel=4)


def _read_bytes(path: Path) -> bytes:
    try:
        return read_regular(path, what="model file")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"'{path}' is missing: the model directory is incomplete. Save the model again."
        ) from None


def _depth(obj, limit: int) -> int:
    """Nesting depth of a parsed JSON value, counted up to `limit` + 1."""
    depth, level = 0, [obj]
    while level and depth <= limit:
        depth += 1
        level = [v for o in level if isinstance(o, dict | list)
                 for v in (o.values() if isinstance(o, dict) else o)]
    return depth


def _read_json(path: Path, data: bytes | None = None) -> dict:
    """The JSON object in ``path``, or in ``data`` (the bytes read from it) when given."""
    if data is None:
        data = _read_bytes(path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError(f"'{path}' nests its JSON deeper than any model file; the model file "
                         "is damaged") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"'{path}' is not valid JSON ({exc}); the model file is damaged") from None
    if not isinstance(obj, dict):
        raise ValueError(f"'{path}' holds {type(obj).__name__}, expected a JSON object")
    if _depth(obj, _MAX_JSON_DEPTH) > _MAX_JSON_DEPTH:
        raise ValueError(f"'{path}' nests its JSON deeper than any model file; the model file "
                         "is damaged")
    return obj


def _check_manifest(root: Path, data: bytes) -> dict:
    """The manifest in ``data`` (read from ``root/manifest.json``), checked to be one of ours."""
    path = root / MANIFEST
    manifest = _read_json(path, data)
    if manifest.get("format") != FORMAT:
        raise ValueError(
            f"'{path}' does not describe an sklearn_mhr model "
            f"(format {manifest.get('format')!r}, expected {FORMAT!r}). {_HINT}")
    version = manifest.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        newer = type(version) is int and version > FORMAT_VERSION
        raise ValueError(
            f"'{path}' gives model format version {version!r}, but this sklearn_mhr reads "
            f"version {FORMAT_VERSION} only; "
            + ("upgrade sklearn_mhr" if newer else "the file is damaged, or the model was "
               "written by an earlier development version: save it again"))
    files = manifest.get("files")
    if not (isinstance(files, dict) and set(files) == set(_SIGNED)
            and all(isinstance(h, str) and len(h) == 64 for h in files.values())):
        raise ValueError(f"'{path}' lacks the hashes of {', '.join(_SIGNED)}; the model file is "
                         "damaged. Save the model again")
    return manifest


def _wait_for_save(attempt: int) -> None:
    """Sleep before read `attempt` + 1 of a model a save is replacing (about 2 s over all tries)."""
    time.sleep(0.01 * min(attempt + 1, 5))  # the renames of a save take far less


def _read_checked(root: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The bytes of ``names``, each read once and checked against ``manifest.json``.

    What is checked is what the caller parses, not the files on disk, which
    another save may replace afterwards. A save replacing the files while
    they are read makes them disagree for a moment: the read is then tried
    again once that save has finished.
    """
    for attempt in range(_LOAD_TRIES):
        data = _read_bytes(root / MANIFEST)
        files = _check_manifest(root, data)["files"]
        contents = {name: _read_bytes(root / name) for name in names}
        changed = [name for name in names
                   if hashlib.sha256(contents[name]).hexdigest() != files[name]]
        if not changed:
            return contents
        busy = _folder(root).holder() is not None or _read_bytes(root / MANIFEST) != data
        if not busy or attempt == _LOAD_TRIES - 1:
            break
        _wait_for_save(attempt)
    raise ValueError(
        f"'{root}': {', '.join(changed)} {'is' if len(changed) == 1 else 'are'} not the "
        f"file(s) this model was saved with ({MANIFEST} gives other hashes: edited, or left "
        "by another save that was interrupted); refusing to load a model whose files do not "
        "belong together. Save the model again")


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
        If `path` is a file, a non-empty directory that holds no model, or a
        directory another process is saving to now.
    PermissionError
        If no file can be written there.
    """
    root = _model_dir(path)
    if root.exists() and not root.is_dir():
        raise ValueError(f"'{root}' is a file; pass a directory path to save the model in")
    if root.is_dir() and not any((root / name).is_file() for name in (MANIFEST, "meta.json")):
        # only the files of an interrupted save (written before the manifest): replaceable
        others = sorted(p.name for p in root.iterdir()
                        if p.name not in FILES and not p.name.startswith(".saving"))
        if others:
            raise ValueError(
                f"'{root}' is a non-empty directory that holds no saved model "
                f"({', '.join(others[:5])}); pass a new or empty directory, so that no file "
                "of yours is overwritten"
            )
    if root.is_dir():
        _folder(root).check_free()
    check_can_write(root)
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
    folder = _folder(root)
    with folder.lock(), folder.staging() as staging:
        _write_json(staging / "params.json", params)
        _write_json(staging / "classes.json", classes)
        torch.save(state, staging / "state.pt")
        _write_json(staging / "meta.json", meta)
        _write_json(staging / MANIFEST, {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "files": {name: _sha256(staging / name) for name in _SIGNED}})
        folder.commit(staging, FILES)  # manifest.json last: the old model stands until then
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
    return _read_model(root, ("meta.json",))[0]


def _check_meta(root: Path, meta: dict) -> dict:
    """``meta.json``'s contents, checked to describe a model of this format."""
    path = root / "meta.json"
    version = meta.get("format_version")
    if meta.get("format") != FORMAT or type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(
            f"'{path}' gives format {meta.get('format')!r} version "
            f"{meta.get('format_version')!r}, but {MANIFEST} gives {FORMAT!r} version "
            f"{FORMAT_VERSION}; the model file is damaged. Save the model again")
    fitted, metadata = meta.get("fitted", {}), meta.get("metadata", {})
    if not isinstance(fitted, dict) or not isinstance(metadata, dict):
        raise ValueError(f"'{path}': 'fitted' and 'metadata' must be JSON objects; the model "
                         "file is damaged. Save the model again")
    for name, value in fitted.items():
        if name.endswith("length_") or name in ("kernel_size_", "n_features_in_"):
            if type(value) is not int or value < 1:
                raise ValueError(f"'{path}': fitted attribute {name} must be a positive "
                                 f"integer, got {value!r}; the model file is damaged")
    return meta


def _present_files(root: Path) -> list[str]:
    """The model files in `root`; while a save holds the lock and some are missing (the
    first save's renames), the files once that save has finished, if it finishes soon."""
    def listed():
        return [name for name in FILES if os.path.lexists(root / name)]

    for attempt in range(_LOAD_TRIES):
        present = listed()
        if len(present) in (0, len(FILES)):
            return present
        if _folder(root).holder() is None and listed() == present:
            return present  # no save running and nothing moved meanwhile: truly incomplete
        _wait_for_save(attempt)
    return present


def _read_model(root: Path, names: tuple[str, ...]) -> tuple[dict, dict[str, bytes]]:
    """``meta.json`` (checked) and the bytes of ``names``, all checked against the manifest."""
    if not root.exists():
        raise FileNotFoundError(f"Model directory '{root}' does not exist. {_HINT}")
    if not root.is_dir():
        raise ValueError(f"'{root}' is a file, not a model directory. {_HINT}")
    _finish_interrupted_save(root)
    present = _present_files(root)
    missing = [name for name in FILES if name not in present]
    if missing and _folder(root).holder() is not None:
        raise FileNotFoundError(
            f"'{root}' is an incomplete model: another process is saving it now "
            f"({', '.join(missing)} not yet written). Load it when that save has finished.")
    if not present:
        raise ValueError(
            f"'{root}' is not a saved sklearn_mhr model: it holds none of "
            f"{', '.join(FILES)}. {_HINT}"
        )
    if missing == [MANIFEST]:
        raise ValueError(
            f"'{root}' has no {MANIFEST}: it was saved in an earlier model format, which this "
            f"sklearn_mhr does not read, or the file was removed. Save the model again")
    if missing:
        raise FileNotFoundError(
            f"'{root}' is an incomplete model: {', '.join(missing)} missing. Save the model again."
        )
    wanted = tuple(dict.fromkeys(("meta.json", *names)))
    contents = _read_checked(root, wanted)
    meta = _check_meta(root, _read_json(root / "meta.json", contents["meta.json"]))
    return meta, contents


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
    contents = _read_model(root, ("params.json",))[1]
    return _read_json(root / "params.json", contents["params.json"])


def _classes_from_json(obj: dict, path: Path) -> np.ndarray:
    """The labels in ``classes.json``, checked as `save` checks them."""
    values, dtype = obj.get("classes"), obj.get("dtype")
    if not isinstance(values, list) or not isinstance(dtype, str):
        raise ValueError(f"'{path}' must hold 'classes' (a list) and 'dtype' (a string)")
    bad = [c for c in values if not isinstance(c, (str, bool, int, float))]
    if bad:
        raise ValueError(f"'{path}': class label {bad[0]!r} ({type(bad[0]).__name__}) is no "
                         "label save writes (strings, numbers and booleans only)")
    if len(values) < 2:
        raise ValueError(f"'{path}' must hold at least 2 class labels, got {values!r}")
    kinds = {str if isinstance(c, str) else bool if isinstance(c, bool) else "number"
             for c in values}
    if len(kinds) > 1:
        raise ValueError(f"'{path}': the class labels mix strings, numbers and booleans "
                         f"({values[:6]!r}); save never writes such labels")
    try:
        classes = np.array(values, dtype=object if dtype == "object" else np.dtype(dtype))
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"'{path}': cannot rebuild the classes as dtype {dtype!r}: {exc}") from None
    if classes.ndim != 1 or len(set(classes.tolist())) != len(classes) \
            or len(set(values)) != len(values):
        raise ValueError(f"'{path}' holds duplicate class labels ({values[:6]!r}); each label "
                         "must appear once, as save writes them")
    return classes


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


def _check_outputs(root: Path, state: dict, module, n_classes: int) -> None:
    """Refuse weights made for another number of classes than ``classes.json`` holds, naming it.

    The network's output layer is the one tensor whose first axis has one
    entry per class where the saved tensor of that name has another count.
    """
    expected = module.state_dict()
    for name, tensor in state.items():
        want = expected.get(name)
        if (want is not None and want.ndim == tensor.ndim >= 1 and want.shape[0] == n_classes
                and tensor.shape[0] != n_classes and want.shape[1:] == tensor.shape[1:]
                and name.rsplit(".", 1)[0] == _output_layer(expected)):
            raise ValueError(
                f"'{root / 'classes.json'}' holds {n_classes} class labels but the weights in "
                f"'{root / 'state.pt'}' have {tensor.shape[0]} outputs; the two files are of "
                "different models. Save the model again")


def _output_layer(state: dict) -> str:
    """Name of the last layer with parameters: the network's output layer."""
    return list(state)[-1].rsplit(".", 1)[0]


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
    # every file is read once: what is checked against the hashes is what is used
    meta, contents = _read_model(root, _SIGNED)
    saved_version = meta.get("sklearn_mhr_version")
    if saved_version != __version__:
        warnings.warn(
            f"'{root}' was saved by sklearn_mhr {saved_version} and is loaded by {__version__}; "
            "check its predictions, or train and save it again with this version",
            ModelVersionWarning, stacklevel=2,
        )
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
    _check_outputs(root, state, module, len(classes))
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise ValueError(
            f"The weights in '{root / 'state.pt'}' do not fit the network described by "
            f"'{root / 'params.json'}' ({' '.join(first[:2])})"
        ) from None
    module.eval()
    if "n_features_in_" in fitted:
        estimator.n_features_in_ = int(fitted["n_features_in_"])
    vars(estimator).update(fitted_attributes(
        estimator, estimator.net_, classes,
        _clip_samples_from_json(fitted, root / "meta.json")))
    estimator.net_.history = _history_from_json(meta, root / "meta.json")
    return estimator
