"""sklearn_mhr.persistence: exact round trips, no unpickling of code, and clear errors."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pathlib
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from tasks import tone_task

from sklearn_mhr import MHRAudioClassifier, __version__
from sklearn_mhr.persistence import (
    FILES,
    FORMAT_VERSION,
    MANIFEST,
    ModelVersionWarning,
    check_save_path,
    load,
    read_metadata,
    read_params,
    save,
)

TINY = dict(n_filters=8, window_duration=0.032, hop_duration=0.016, kernel_duration=0.004,
            context=2, head_hidden=8, back_end_width=4, max_epochs=2, batch_size=4,
            sample_rate=8000, random_state=0)
VARIANTS = [("cosgauss", 2), ("cosgauss", 0), ("mel", 2), ("mel", 0)]


@pytest.fixture(scope="module")
def data():
    return tone_task(12, seed=0)


@pytest.fixture(scope="module")
def unseen():
    return tone_task(9, seed=1)[0]


@pytest.fixture(scope="module", params=VARIANTS, ids=[f"{f}-{h}heads" for f, h in VARIANTS])
def fitted(request, data):
    front_end, n_heads = request.param
    return MHRAudioClassifier(front_end=front_end, n_heads=n_heads, **TINY).fit(*data)


@pytest.fixture(scope="module")
def model(data):
    """One fitted cosgauss model with heads, for the error cases."""
    return MHRAudioClassifier(**TINY).fit(*data)


@pytest.fixture(scope="module")
def saved_once(model, tmp_path_factory):
    return save(model, tmp_path_factory.mktemp("saved") / "model", metadata={"note": "original"})


@pytest.fixture
def saved(saved_once, tmp_path):
    """A private copy of a saved model, free to damage."""
    return pathlib.Path(shutil.copytree(saved_once, tmp_path / "model"))


def _sign(root):
    """Write the hashes of the model's files as they are now into its manifest, so that the
    checks behind the manifest's meet an edit."""
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"] = {name: hashlib.sha256((root / name).read_bytes()).hexdigest()
                         for name in manifest["files"]}
    (root / "manifest.json").write_text(json.dumps(manifest))


def _edit_json(path, *, sign=True, **changes):
    """Edit a model's JSON file; with `sign`, update the manifest's hashes so that the deeper
    checks (not the manifest's) meet the edit."""
    obj = json.loads(path.read_text())
    obj.update(changes)
    path.write_text(json.dumps(obj))
    if sign and path.name != "manifest.json":
        _sign(path.parent)


def _load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when nothing is wrong
        return load(path, **kwargs)


def _assert_same_model(loaded, original, X):
    assert type(loaded) is MHRAudioClassifier and loaded is not original
    assert loaded.get_params() == original.get_params()
    np.testing.assert_array_equal(loaded.classes_, original.classes_)
    assert loaded.classes_.dtype == original.classes_.dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(loaded.transform(X), original.transform(X))
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    np.testing.assert_array_equal(loaded.centre_frequencies_, original.centre_frequencies_)
    np.testing.assert_array_equal(loaded.initial_centre_frequencies_,
                                  original.initial_centre_frequencies_)
    assert loaded.head_bands_ == original.head_bands_
    for name in ("win_length_", "hop_length_", "kernel_size_"):
        assert getattr(loaded, name) == getattr(original, name)
    assert hasattr(loaded, "n_features_in_") == hasattr(original, "n_features_in_")
    if hasattr(original, "n_features_in_"):
        assert loaded.n_features_in_ == original.n_features_in_


# ------------------------------------------------------------- round trips
def test_round_trip_is_bit_identical(fitted, data, unseen, tmp_path):
    X, _ = data
    path = save(fitted, tmp_path / "model")
    assert path == tmp_path / "model"
    assert sorted(p.name for p in path.iterdir()) == sorted(FILES)
    loaded = _load_quietly(path)
    assert not loaded.net_.module_.training  # loaded in eval mode
    _assert_same_model(loaded, fitted, X)
    _assert_same_model(loaded, fitted, unseen)
    assert list(loaded.classes_) == ["high", "low", "mid"]
    if fitted.front_end == "cosgauss":  # learned filters moved; the saved ones are kept
        assert not np.allclose(loaded.centre_frequencies_, loaded.initial_centre_frequencies_)
    assert len(loaded.head_bands_) == fitted.n_heads


def test_integer_labels_and_ragged_clips_round_trip(data, tmp_path):
    X, y = data
    codes = {"low": 3, "mid": 7, "high": 11}
    y_int = np.array([codes[label] for label in y])
    clips = [x[: 1000 + 100 * i] for i, x in enumerate(X)]  # ragged: no n_features_in_
    fitted = MHRAudioClassifier(**TINY).fit(clips, y_int)
    assert not hasattr(fitted, "n_features_in_")
    loaded = _load_quietly(save(fitted, tmp_path / "model"))
    _assert_same_model(loaded, fitted, clips)
    assert loaded.classes_.dtype.kind == "i"
    assert list(loaded.classes_) == [3, 7, 11]
    assert set(loaded.predict(clips)) <= {3, 7, 11}


def test_boolean_labels_round_trip(data, tmp_path):
    X, y = data
    fitted = MHRAudioClassifier(**TINY).fit(X, y == "low")
    loaded = _load_quietly(save(fitted, tmp_path / "model"))
    _assert_same_model(loaded, fitted, X)
    assert loaded.classes_.dtype == bool and list(loaded.classes_) == [False, True]


def test_a_loaded_model_saves_and_loads_again(model, data, tmp_path):
    X, _ = data
    once = _load_quietly(save(model, tmp_path / "a"))
    twice = _load_quietly(save(once, tmp_path / "b"))
    _assert_same_model(twice, model, X)


def test_random_state_instance_is_saved_as_none(model, data, tmp_path):
    X, _ = data
    estimator = copy.deepcopy(model)
    estimator.random_state = np.random.RandomState(0)
    loaded = _load_quietly(save(estimator, tmp_path / "model"))
    assert loaded.random_state is None
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_device_argument_replaces_the_saved_device(saved):
    assert read_params(saved)["device"] == "auto"
    assert _load_quietly(saved, device="cpu").device == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_model_loads_on_cpu_with_a_warning(saved, data):
    _edit_json(saved / "params.json", device="cuda")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        loaded = load(saved)
    assert loaded.device == "cpu"
    loaded.predict(data[0][:2])


def test_metadata_and_params_read_back(model, tmp_path):
    metadata = {"command": "train", "n_clips": 12, "duration": None, "folds": [1, 2],
                "nested": {"accuracy": 0.75, "ok": True}}
    path = save(model, tmp_path / "model", metadata=metadata)
    meta = read_metadata(path)
    assert meta["metadata"] == metadata
    assert meta["format"] == "sklearn_mhr.model" and meta["format_version"] == FORMAT_VERSION == 3
    assert meta["sklearn_mhr_version"] == __version__
    assert meta["torch_version"] == torch.__version__
    assert meta["fitted"]["kernel_size_"] == model.kernel_size_
    np.testing.assert_array_equal(meta["fitted"]["centre_frequencies_"],
                                  model.centre_frequencies_)
    assert read_params(path) == model.get_params(deep=False)
    # without metadata, an empty dict
    assert read_metadata(save(model, tmp_path / "bare"))["metadata"] == {}


# ------------------------------------------------- no code runs when loading
class _TouchOnUnpickle:
    """Unpickling this object creates a file: the payload of a tampered checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_loading_never_unpickles_arbitrary_objects(saved, tmp_path, writer):
    # the payload works: plain unpickling does create the marker
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_TouchOnUnpickle(control)))
    assert control.exists()

    marker = tmp_path / "marker"
    state = torch.load(saved / "state.pt", weights_only=True)
    state["evil"] = _TouchOnUnpickle(marker)
    if writer == "torch.save":
        torch.save(state, saved / "state.pt")
    else:
        with open(saved / "state.pt", "wb") as f:
            pickle.dump(state, f, protocol=2)
    _sign(saved)
    assert not marker.exists()
    with pytest.raises(ValueError, match=r"state\.pt") as info:
        load(saved)
    message = str(info.value)
    assert "Refusing to load" in message and "could run code when unpickled" in message
    assert "weights_only" not in message  # torch's advice to load it unsafely is not passed on
    assert not marker.exists()


# --------------------------------------------------------------- load errors
def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist"):
        load(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_metadata(tmp_path / "nowhere")


def test_path_must_be_a_path(tmp_path):
    with pytest.raises(TypeError, match="str or os.PathLike"):
        load(42)


def test_a_file_is_not_a_model(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="model.pt.*is a file"):
        load(path)


@pytest.mark.parametrize("contents", [[], ["notes.txt", "data.csv"]])
def test_directory_without_model_files(tmp_path, contents):
    for name in contents:
        (tmp_path / name).write_text("mine")
    with pytest.raises(ValueError, match="not a saved sklearn_mhr model"):
        load(tmp_path)


@pytest.mark.parametrize("name", FILES[:4])
def test_missing_file_means_incomplete(saved, name):
    (saved / name).unlink()
    with pytest.raises(FileNotFoundError, match=rf"incomplete model: {name} missing"):
        load(saved)


def test_a_model_without_manifest_is_refused(saved):
    (saved / "manifest.json").unlink()
    with pytest.raises(ValueError, match=r"has no manifest\.json: it was saved in an earlier "):
        load(saved)


def _hold_lock(root):
    from sklearn_mhr._lock import _start_time

    (root / ".saving.lock").write_text(
        f"{os.getpid()} {socket.gethostname()} {_start_time(os.getpid())}\n")


@pytest.mark.parametrize("moved", [0, 2, 4])
def test_a_first_save_caught_before_its_manifest_is_named_as_such(saved, tmp_path, moved):
    """A reader who meets a folder whose first save is still moving its files in is told a
    save is running, not that the model is of an earlier format or no model at all."""
    target = tmp_path / "being-saved"
    target.mkdir()
    for name in FILES[:moved]:
        shutil.copy(saved / name, target / name)
    _hold_lock(target)
    with pytest.raises(FileNotFoundError, match="another process is saving it now"):
        load(target)


def test_a_first_save_that_finishes_while_load_waits_is_loaded(
        model, data, saved, tmp_path, monkeypatch):
    import sklearn_mhr.persistence as persistence

    target = tmp_path / "being-saved"
    target.mkdir()
    for name in FILES[:4]:
        shutil.copy(saved / name, target / name)
    _hold_lock(target)
    waits = []

    def finish_the_save(seconds):  # the save completes while the reader waits
        waits.append(seconds)
        shutil.copy(saved / MANIFEST, target / MANIFEST)
        (target / ".saving.lock").unlink()

    monkeypatch.setattr(persistence.time, "sleep", finish_the_save)
    loaded = load(target)
    assert len(waits) == 1
    _assert_same_model(loaded, model, data[0][:3])


@pytest.mark.parametrize("name", ["params.json", "classes.json", "meta.json", "manifest.json"])
@pytest.mark.parametrize("content", [b'{"format": ', b"[1, 2]", b"\xff\xfe\x00{"],
                         ids=["cut", "list", "not-utf8"])
def test_damaged_json(saved, name, content):
    (saved / name).write_bytes(content)
    if name != "manifest.json":
        _sign(saved)
    with pytest.raises(ValueError, match=rf"{name}"):
        load(saved)


def test_json_nested_too_deep_names_the_file(saved):
    (saved / "meta.json").write_text("[" * 100_000 + "]" * 100_000)
    _sign(saved)
    with pytest.raises(ValueError, match=r"meta\.json' nests its JSON deeper"):
        load(saved)
    (saved / "meta.json").write_text('{"a": ' + "[" * 200 + "]" * 200 + "}")
    _sign(saved)
    with pytest.raises(ValueError, match=r"meta\.json' nests its JSON deeper"):
        read_metadata(saved)


def test_meta_json_of_another_format(saved):
    _edit_json(saved / "manifest.json", format="some.other.model")
    with pytest.raises(ValueError,
                       match=r"manifest\.json.*does not describe an sklearn_mhr model"):
        load(saved)
    _edit_json(saved / "manifest.json", format="sklearn_mhr.model")
    _edit_json(saved / "meta.json", format="some.other.model")
    with pytest.raises(ValueError, match=r"meta\.json' gives format 'some.other.model'"):
        load(saved)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, "1", None, 1, 2, -5, True, 3.0])
@pytest.mark.parametrize("where", ["manifest.json", "meta.json"])
def test_no_format_version_turns_the_checks_off(saved, version, where):
    """A downgraded, newer or invalid version is refused; none skips the hashes."""
    _edit_json(saved / where, sign=True, format_version=version)
    classes = json.loads((saved / "classes.json").read_text())
    _edit_json(saved / "classes.json", sign=False, classes=classes["classes"][::-1])
    with pytest.raises(ValueError, match="format version|not the file") as info:
        load(saved)
    assert str(saved) in str(info.value)
    _sign(saved)  # even with every hash right, the version must be this format's
    with pytest.raises(ValueError, match="format version|gives format") as info:
        load(saved)


def test_an_edited_meta_json_is_refused(saved):
    _edit_json(saved / "meta.json", sign=False, metadata={"note": "edited"})
    with pytest.raises(ValueError, match=r"meta\.json is not the file"):
        read_metadata(saved)
    with pytest.raises(ValueError, match=r"meta\.json is not the file"):
        load(saved)


@pytest.mark.parametrize("fitted", [{"win_length_": "x"}, {"kernel_size_": -1}, [1, 2]])
def test_bad_values_in_meta_json_name_the_file(saved, fitted):
    _edit_json(saved / "meta.json", fitted=fitted)
    with pytest.raises(ValueError, match=r"meta\.json'"):
        load(saved)


@pytest.mark.parametrize("labels", [[{"a": 1}, "b"], ["high", "high", "low"], ["low"],
                                    ["low", 2, "high"], [None, "low"]],
                         ids=["object", "duplicates", "one", "mixed", "null"])
def test_labels_save_refuses_are_refused_on_load(saved, labels):
    _edit_json(saved / "classes.json", classes=labels, dtype="object")
    with pytest.raises(ValueError, match=r"classes\.json"):
        load(saved)


def test_unknown_parameter_in_params_json(saved):
    _edit_json(saved / "params.json", n_widgets=3)
    with pytest.raises(ValueError, match=r"params\.json.*n_widgets"):
        load(saved)


def test_invalid_parameter_value_in_params_json(saved):
    _edit_json(saved / "params.json", n_filters=0)
    with pytest.raises(ValueError, match=str(saved)):
        load(saved)


def test_weights_that_do_not_fit_the_params(saved):
    _edit_json(saved / "params.json", n_filters=16)
    with pytest.raises(ValueError, match=r"state\.pt.*do not fit.*params\.json"):
        load(saved)


def test_weights_that_do_not_fit_the_classes(saved):
    _edit_json(saved / "classes.json", classes=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"classes\.json' holds 4 class labels but the weights "
                                         r"in .*state\.pt' have 3 outputs"):
        load(saved)


def test_saved_lengths_that_the_params_do_not_give(saved):
    _edit_json(saved / "params.json", kernel_duration=0.002)
    with pytest.raises(ValueError, match="kernel_size_"):
        load(saved)


@pytest.mark.parametrize("change", ["drop", "add"])
def test_weights_with_a_missing_or_extra_tensor(saved, change):
    state = torch.load(saved / "state.pt", weights_only=True)
    if change == "drop":
        state.pop(sorted(state)[-1])
    else:
        state["extra.weight"] = torch.zeros(2)
    torch.save(state, saved / "state.pt")
    _sign(saved)
    with pytest.raises(ValueError, match=r"state\.pt.*do not fit"):
        load(saved)


@pytest.mark.parametrize("payload", [b"", b"not a checkpoint at all" * 10, b"\x80\x02junk" * 20,
                                     "truncated", "list"])
def test_damaged_weights(saved, payload):
    path = saved / "state.pt"
    if payload == "list":
        torch.save([torch.zeros(3)], path)
    elif payload == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.write_bytes(payload)
    _sign(saved)
    with pytest.raises(ValueError, match=r"state\.pt") as info:
        load(saved)
    message = str(info.value)
    # damage is not reported as a security refusal, and carries no terminal codes
    assert "Refusing" not in message and "\x1b" not in message
    if payload != "list":
        assert "damaged" in message


def test_version_mismatch_warns(saved, data):
    _edit_json(saved / "meta.json", sklearn_mhr_version="0.0.1")
    with pytest.warns(ModelVersionWarning, match=r"0\.0\.1.*" + __version__.replace(".", r"\.")):
        loaded = load(saved)
    assert issubclass(ModelVersionWarning, UserWarning)
    loaded.predict(data[0][:2])  # still usable


def test_same_version_does_not_warn(saved):
    _load_quietly(saved)


# --------------------------------------------------------------- save errors
def test_saving_an_unfitted_estimator(tmp_path):
    with pytest.raises(NotFittedError):
        save(MHRAudioClassifier(**TINY), tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_saving_something_else(tmp_path):
    with pytest.raises(TypeError, match="MHRAudioClassifier"):
        save(object(), tmp_path / "model")


@pytest.mark.parametrize("also", [[], ["params.json"]], ids=["others", "others-and-params"])
def test_saving_into_a_directory_of_other_files(model, tmp_path, also):
    for name in also:
        (tmp_path / name).write_text('{"mine": true}')
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.bin").write_bytes(b"\x00\x01")
    with pytest.raises(ValueError, match="non-empty directory that holds no saved model"):
        save(model, tmp_path)
    with pytest.raises(ValueError, match="non-empty directory"):
        check_save_path(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["notes.txt", "sub", *also])
    for name in also:
        assert (tmp_path / name).read_text() == '{"mine": true}'
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "sub" / "data.bin").read_bytes() == b"\x00\x01"


def test_saving_onto_a_file(model, tmp_path):
    (tmp_path / "model").write_text("mine")
    with pytest.raises(ValueError, match="is a file"):
        save(model, tmp_path / "model")
    assert (tmp_path / "model").read_text() == "mine"


def test_saving_into_an_empty_or_new_directory(model, tmp_path):
    (tmp_path / "empty").mkdir()
    assert check_save_path(tmp_path / "empty") == tmp_path / "empty"
    save(model, tmp_path / "empty")
    save(model, tmp_path / "new" / "nested")
    for path in (tmp_path / "empty", tmp_path / "new" / "nested"):
        assert sorted(p.name for p in path.iterdir()) == sorted(FILES)


def test_saving_over_a_model_replaces_it(model, data, saved):
    X, y = data
    (saved / "filters.csv").write_text("index,initial_hz,learned_hz\n")
    other = MHRAudioClassifier(**{**TINY, "front_end": "mel", "n_heads": 0}).fit(
        X, np.where(y == "low", "quiet", "loud"))
    assert check_save_path(saved) == saved
    save(other, saved, metadata={"note": "replacement"})
    assert sorted(p.name for p in saved.iterdir()) == sorted([*FILES, "filters.csv"])
    assert (saved / "filters.csv").read_text() == "index,initial_hz,learned_hz\n"
    loaded = _load_quietly(saved)
    _assert_same_model(loaded, other, X)
    assert list(loaded.classes_) == ["loud", "quiet"]
    assert read_metadata(saved)["metadata"] == {"note": "replacement"}


def test_a_failed_save_over_a_model_keeps_the_model(model, data, saved, monkeypatch):
    X, y = data
    other = MHRAudioClassifier(**{**TINY, "front_end": "mel", "n_heads": 0}).fit(X, y)
    before = {name: (saved / name).read_bytes() for name in FILES}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        save(other, saved)
    monkeypatch.undo()
    assert sorted(p.name for p in saved.iterdir()) == sorted(FILES)  # no staging, no lock left
    assert {name: (saved / name).read_bytes() for name in FILES} == before
    _assert_same_model(_load_quietly(saved), model, X)
    with pytest.raises(ValueError, match="cannot be saved as JSON"):
        save(clone_with(other, lr=float("nan")), saved)
    assert {name: (saved / name).read_bytes() for name in FILES} == before
    save(other, saved)  # and saving again replaces it
    _assert_same_model(_load_quietly(saved), other, X)


def clone_with(estimator, **params):
    """A fitted copy of `estimator` with parameters changed (fitted attributes kept)."""
    twin = copy.deepcopy(estimator)
    return twin.set_params(**params)


@pytest.mark.parametrize("name", ["classes.json", "params.json", "state.pt"])
def test_a_file_from_another_save_or_edited_is_refused(model, data, saved, tmp_path, name):
    X, y = data
    renamed = np.array([{"low": "c", "mid": "b", "high": "a"}[label] for label in y])
    other = save(MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(X, renamed),
                 tmp_path / "other")
    shutil.copy(other / name, saved / name)  # what a save killed between its renames leaves
    with pytest.raises(ValueError, match=rf"{name} is not the file\(s\) this model was saved"):
        load(saved)


def test_swapped_labels_are_refused(saved):
    classes = json.loads((saved / "classes.json").read_text())
    _edit_json(saved / "classes.json", sign=False, classes=classes["classes"][::-1])
    with pytest.raises(ValueError, match="classes.json is not the file"):
        load(saved)


def test_a_save_in_progress_keeps_a_second_writer_out(model, saved):
    lock = saved / ".saving.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}\n")  # a live writer: this process
    before = (saved / "state.pt").read_bytes()
    with pytest.raises(ValueError, match="another process is saving a model to"):
        save(model, saved)
    assert (saved / "state.pt").read_bytes() == before and lock.exists()
    # the lock of a writer that was killed does not block forever
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    lock.write_text(f"{dead} {socket.gethostname()}\n")
    save(model, saved)
    assert not lock.exists()
    _load_quietly(saved)


@pytest.mark.parametrize("content", ["", "12", "garbage here and more", "x y"],
                         ids=["empty", "pid-only", "garbled", "not-a-pid"])
def test_a_lock_that_was_never_completed_is_broken(model, data, saved, content):
    """A save killed between creating its lock and filling it wedged the folder for good."""
    lock = saved / ".saving.lock"
    lock.write_text(content)
    assert check_save_path(saved) == saved
    save(model, saved)
    assert not lock.exists()
    _assert_same_model(_load_quietly(saved), model, data[0][:3])


def test_a_lock_whose_process_id_was_reused_is_broken(model, saved):
    from sklearn_mhr._lock import _start_time

    if _start_time(os.getpid()) == "-":
        pytest.skip("process start times are not known on this system")
    lock = saved / ".saving.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()} 1\n")  # alive, but started later
    save(model, saved)
    lock.write_text(f"{os.getpid()} {socket.gethostname()} {_start_time(os.getpid())}\n")
    with pytest.raises(ValueError, match="another process is saving"):
        save(model, saved)


def test_check_save_path_refuses_a_folder_being_saved_to(saved):
    (saved / ".saving.lock").write_text(f"{os.getpid()} {socket.gethostname()}\n")
    with pytest.raises(ValueError, match="another process is saving a model to"):
        check_save_path(saved)
    (saved / ".saving.lock").write_text(f"{os.getpid()} another-host\n")  # never broken
    with pytest.raises(ValueError, match="another process is saving a model to"):
        check_save_path(saved)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs file permissions that bind this user")
def test_check_save_path_refuses_a_folder_it_cannot_write(tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="cannot write in"):
            check_save_path(tmp_path / "ro" / "model")
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_a_staging_entry_that_is_a_link_is_ignored_and_named(model, data, saved, tmp_path):
    from sklearn_mhr.persistence import InterruptedSaveWarning

    X, y = data
    other = save(MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(X, y[::-1]),
                 tmp_path / "other")
    before = {p.name: p.read_bytes() for p in other.iterdir()}
    (saved / ".saving-planted").symlink_to(other, target_is_directory=True)
    with pytest.warns(InterruptedSaveWarning, match=r"'\.saving-planted' is named like a save's "
                                                    r"staging folder but is a link"):
        loaded = load(saved)
    _assert_same_model(loaded, model, X[:3])  # the model of the folder, not the link's
    assert {p.name: p.read_bytes() for p in other.iterdir()} == before
    assert (saved / ".saving-planted").is_symlink()


@pytest.mark.parametrize("name", ["params.json", "classes.json", "state.pt", "meta.json",
                                  "manifest.json"])
def test_model_files_that_are_links_are_not_read(saved, tmp_path, name):
    outside = tmp_path / name
    shutil.copy(saved / name, outside)  # same bytes: only the link is wrong
    (saved / name).unlink()
    (saved / name).symlink_to(outside)
    with pytest.raises(ValueError, match=rf"{name}' is a symbolic link"):
        load(saved)


def test_a_load_that_meets_a_save_in_progress_reads_again(model, data, saved, tmp_path,
                                                          monkeypatch):
    """Files read while another save renames its own are read again, not refused."""
    import sklearn_mhr.persistence as persistence

    other = save(MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(*data), tmp_path / "o")
    lock = saved / ".saving.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}\n")  # the save in progress
    read, reads = persistence._read_bytes, []

    def caught_between_renames(path):
        reads.append(path.name)
        if path.name == "state.pt" and reads.count("state.pt") == 1:
            return read(other / "state.pt")  # that save's, renamed before its manifest
        if path.name == "manifest.json" and reads.count("manifest.json") == 2:
            lock.unlink()  # that save has ended by the time the files are read again
        return read(path)

    monkeypatch.setattr(persistence, "_read_bytes", caught_between_renames)
    loaded = load(saved)
    assert reads.count("state.pt") == 2
    _assert_same_model(loaded, model, data[0][:3])


def test_links_in_the_folder_are_replaced_not_followed(model, saved, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text("mine")
    (saved / "params.json").unlink()
    (saved / "params.json").symlink_to(outside)
    save(model, saved)
    assert outside.read_text() == "mine"
    assert not (saved / "params.json").is_symlink()
    _load_quietly(saved)
    _load_quietly(saved)


def test_metadata_must_be_json(model, tmp_path):
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        save(model, tmp_path / "model", metadata={"when": object()})
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        save(model, tmp_path / "model", metadata={"score": float("nan")})
    assert not (tmp_path / "model").exists()


def test_parameter_without_json_form(model, tmp_path):
    estimator = copy.deepcopy(model)
    estimator.lr = float("inf")
    with pytest.raises(ValueError, match="parameter lr=inf"):
        save(estimator, tmp_path / "model")


_WRITER = """
import sys, warnings
from sklearn_mhr.persistence import load, save
source, target, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = load(source)
saved = refused = 0
for _ in range(rounds):
    try:
        save(model, target)
        saved += 1
    except ValueError as exc:
        assert "another process is saving" in str(exc), exc
        refused += 1
print(saved, refused)
"""


def test_two_processes_saving_to_one_folder_never_leave_a_mix(model, data, tmp_path):
    X, y = data
    renamed = np.array([{"low": "c", "mid": "b", "high": "a"}[label] for label in y])
    models = {"first": model,
              "second": MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(X, renamed)}
    for name, estimator in models.items():
        save(estimator, tmp_path / name)
    target = tmp_path / "shared"
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / name),
                                 str(target), "100"], stdout=subprocess.PIPE, text=True)
               for name in models]
    try:
        expected = {tuple(m.classes_): m.predict_proba(X[:3]) for m in models.values()}
        while any(w.poll() is None for w in writers):
            try:
                loaded = load(target)
            except (FileNotFoundError, ValueError) as exc:
                # not yet written, or caught between two saves' renames: refused, never mixed
                assert any(text in str(exc) for text in (
                    "does not exist", "incomplete model", "not a saved", "not the file",
                    "do not fit")), exc
                continue
            key = tuple(loaded.classes_)
            np.testing.assert_array_equal(loaded.predict_proba(X[:3]), expected[key])
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    counts = [tuple(map(int, w.communicate()[0].split())) for w in writers]
    assert all(w.returncode == 0 for w in writers)
    # every round either saved or met the other writer's lock
    assert all(saved + refused == 100 for saved, refused in counts)
    assert sum(saved for saved, _ in counts) > 0
    final = load(target)
    np.testing.assert_array_equal(final.predict_proba(X[:3]), expected[tuple(final.classes_)])
    assert not list(target.glob(".saving*"))


def test_history_survives_saving(tmp_path, data):
    from sklearn_mhr.analysis import training_history

    est = MHRAudioClassifier(**{**TINY, "max_epochs": 3, "validation_fraction": 0.25,
                                "patience": 5}).fit(*data)
    loaded = load(save(est, tmp_path / "m"))
    saved, reloaded = training_history(est), training_history(loaded)
    assert set(saved) == set(reloaded)
    for key in saved:
        np.testing.assert_array_equal(reloaded[key], saved[key])
    assert np.isfinite(reloaded.valid_acc).all()
    # the reloaded history goes on: one more epoch is the fourth
    loaded.partial_fit(*data)
    assert len(loaded.net_.history) == 4


def test_malformed_history_is_refused(tmp_path, model):
    root = save(model, tmp_path / "m")
    meta = json.loads((root / "meta.json").read_text())
    meta["history"] = {"epoch": 1}
    (root / "meta.json").write_text(json.dumps(meta))
    _sign(root)
    with pytest.raises(ValueError, match="'history' must be a list"):
        load(root)


def test_weights_replaced_while_loading_are_refused(model, data, tmp_path, monkeypatch):
    """What is checked against the hashes is what is used, not the files on disk afterwards."""
    import sklearn_mhr.persistence as persistence

    mine = save(model, tmp_path / "mine")
    other = save(MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(*data), tmp_path / "other")
    read = persistence._read_bytes

    def another_save_in_between(path):
        # the weights of another save at the moment they are read; the disk is as it was after
        return read(other / path.name if path.name == "state.pt" else path)

    monkeypatch.setattr(persistence, "_read_bytes", another_save_in_between)
    with pytest.raises(ValueError, match="state.pt is not the file"):
        load(mine)


def test_weights_calling_os_system_are_refused_as_code(saved, tmp_path):
    class Shell:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    state = torch.load(saved / "state.pt", weights_only=True)
    torch.save({**state, "evil": Shell()}, saved / "state.pt")
    _sign(saved)
    with pytest.raises(ValueError, match=r"Refusing to load .*state\.pt': it holds objects other "
                                         r"than tensors, which could run code"):
        load(saved)
    assert not (tmp_path / "ran").exists()


_KILLED_SAVE = """
import os, signal, sys
import sklearn_mhr.persistence as persistence
model = persistence.load(sys.argv[1])
moves, stop_after = [], int(sys.argv[3])
real_replace, real_write = os.replace, persistence._write_json

def replace_then_die(src, dst):
    if len(moves) == stop_after:
        os.kill(os.getpid(), signal.SIGKILL)  # no finally, no clean-up
    moves.append(dst)
    real_replace(src, dst)

def write_then_die(path, obj):
    if stop_after < 0 and path.name == "meta.json":
        os.kill(os.getpid(), signal.SIGKILL)
    real_write(path, obj)

persistence.os.replace = replace_then_die
persistence._write_json = write_then_die
persistence.save(model, sys.argv[2])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("renames_done", [-1, 0, 2, 3], ids=["while writing", "before the renames",
                                                             "after 2 renames", "after 3"])
def test_a_save_killed_part_way_leaves_one_whole_model(model, data, tmp_path, renames_done):
    from sklearn_mhr.persistence import InterruptedSaveWarning

    X, y = data
    renamed = np.array([{"low": "c", "mid": "b", "high": "a"}[label] for label in y])
    new = MHRAudioClassifier(**{**TINY, "random_state": 1}).fit(X, renamed)
    target = save(model, tmp_path / "target")
    save(new, tmp_path / "new")
    result = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(tmp_path / "new"),
                             str(target), str(renames_done)], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert list(target.glob(".saving-*")) and (target / ".saving.lock").exists()
    with pytest.warns(InterruptedSaveWarning):
        loaded = load(target)
    # killed while writing its files: the old model stands; once they are all written, the
    # save is finished (its files are whole, some of them already in place)
    expected = model if renames_done < 0 else new
    np.testing.assert_array_equal(loaded.classes_, expected.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(X[:3]), expected.predict_proba(X[:3]))
    assert not list(target.glob(".saving*"))
