"""Crafted and damaged files (hypothesis): a clear error naming the file, or a correct result.

Never a traceback of another kind, and never an allocation past the readers'
bound: each read runs under tracemalloc with the bound lowered, so that a
header able to force a large allocation would show here at once.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tasks import TINY_PARAMS, tone_task

import sklearn_mhr.io.read as read_module
from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.io import AudioReadError, read_audio
from sklearn_mhr.io.cache import ClipCache
from sklearn_mhr.persistence import FILES, load, save

SETTINGS = dict(deadline=None, derandomize=True, database=None, max_examples=40,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
BOUND = 2**18  # samples one read may produce, lowered from the library's for these tests
PEAK = 64 * 2**20  # bytes: the bound's float64 copies and resampling, with room to spare


@pytest.fixture(autouse=True)
def lower_bound(monkeypatch):
    monkeypatch.setattr(read_module, "MAX_DECODED_SAMPLES", BOUND)
    monkeypatch.setattr(read_module, "MAX_RESAMPLING_TAPS", 2**18)


def _wav(channels: int, rate: int, subtype: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.wav"
        sf.write(path, np.sin(np.arange(800 * channels)).reshape(800, channels) * 0.5, rate,
                 subtype=subtype)
        return path.read_bytes()


WAVS = {(c, s): _wav(c, 8000, s) for c in (1, 2) for s in ("PCM_16", "PCM_24", "FLOAT")}
HEADER_FIELDS = {  # offset, struct format: the fmt chunk of a canonical WAV file
    "riff size": (4, "<I"), "fmt size": (16, "<I"), "format tag": (20, "<H"),
    "channels": (22, "<H"), "sample rate": (24, "<I"), "byte rate": (28, "<I"),
    "block align": (32, "<H"), "bits": (34, "<H"), "data size": (40, "<I"),
}


def _read_within_bound(path: Path, **kwargs):
    """read_audio's result, or the error it raised; with the peak of traced memory."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", read_module.TruncatedAudioWarning)
            try:
                result = read_audio(path, **kwargs)
            except (AudioReadError, ValueError) as exc:
                result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _check_read(path: Path, result, peak: int, sample_rate) -> None:
    assert peak < PEAK, f"{peak} bytes traced"
    if isinstance(result, Exception):
        assert str(path) in str(result), result
    else:
        assert result.dtype == np.float32 and result.ndim == 1 and 0 < result.size <= BOUND
        assert np.isfinite(result).all()


@settings(**SETTINGS)
@given(wav=st.sampled_from(sorted(WAVS)), fields=st.dictionaries(
    st.sampled_from(sorted(HEADER_FIELDS)), st.integers(0, 2**32 - 1), min_size=1, max_size=4),
    sample_rate=st.sampled_from([None, 8000, 16000, 48000]))
def test_random_wav_headers_give_a_clip_or_an_error_naming_the_file(wav, fields, sample_rate):
    data = bytearray(WAVS[wav])
    for name, value in fields.items():
        offset, fmt = HEADER_FIELDS[name]
        data[offset:offset + struct.calcsize(fmt)] = struct.pack(
            fmt, value % (1 << (8 * struct.calcsize(fmt))))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crafted.wav"
        path.write_bytes(bytes(data))
        result, peak = _read_within_bound(path, sample_rate=sample_rate)
        _check_read(path, result, peak, sample_rate)


@settings(**SETTINGS)
@given(wav=st.sampled_from(sorted(WAVS)), flips=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)))
def test_random_byte_flips_in_audio_give_a_clip_or_an_error_naming_the_file(wav, flips, cut):
    data = bytearray(WAVS[wav])
    for where, xor in flips:
        data[int(where * len(data))] ^= xor
    if cut is not None:
        data = data[:int(cut * len(data))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.wav"
        path.write_bytes(bytes(data))
        result, peak = _read_within_bound(path, sample_rate=16000)
        _check_read(path, result, peak, 16000)


@settings(**SETTINGS)
@given(shape=st.integers(0, 10**12), flips=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), max_size=4))
def test_damaged_cache_files_are_decoded_again(shape, flips):
    with tempfile.TemporaryDirectory() as folder:
        audio = Path(folder) / "a.wav"
        sf.write(audio, np.sin(np.arange(4000)) * 0.5, 8000)
        cache = ClipCache(Path(folder) / "cache")
        args = (str(audio), 8000, None, 0.0, None)
        clip = cache(*args)
        (file,) = (Path(folder) / "cache").rglob("*.npy")
        data = bytearray(file.read_bytes().replace(b"(4000,)", f"({shape},)".encode()))
        for where, xor in flips:
            data[int(where * len(data))] ^= xor
        file.write_bytes(bytes(data))
        tracemalloc.start()
        try:
            again = cache(*args)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < PEAK
        np.testing.assert_array_equal(again, clip)  # decoded again, or the intact cached clip


# --------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    X, y = tone_task(12, seconds=0.3)
    model = MHRAudioClassifier(**TINY_PARAMS).fit(X, y)
    return save(model, tmp_path_factory.mktemp("model") / "m"), model, X[:3]


def _load_or_error(root: Path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load(root)
    except (ValueError, FileNotFoundError) as exc:
        assert str(root) in str(exc), exc
        return exc


@settings(**SETTINGS)
@given(name=st.sampled_from(FILES), flips=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3))
def test_byte_flips_in_a_model_give_an_error_naming_it_or_the_same_model(saved_model, name,
                                                                          flips):
    root, model, X = saved_model
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copytree(root, Path(folder) / "m"))
        data = bytearray((copy / name).read_bytes())
        for where, xor in flips:
            data[int(where * len(data))] ^= xor
        (copy / name).write_bytes(bytes(data))
        result = _load_or_error(copy)
        if not isinstance(result, Exception):  # a flip JSON reads the same (a blank, say)
            np.testing.assert_array_equal(result.predict_proba(X), model.predict_proba(X))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(**SETTINGS)
@given(name=st.sampled_from(["params.json", "classes.json", "meta.json", "manifest.json"]),
       key=st.sampled_from(["format", "format_version", "files", "classes", "dtype", "fitted",
                            "history", "metadata", "n_filters", "sample_rate", "device",
                            "win_length_", "kernel_size_"]),
       value=json_values, sign=st.booleans())
def test_random_json_values_in_a_model_give_an_error_naming_it_or_a_model(saved_model, name,
                                                                          key, value, sign):
    import hashlib

    root, _, X = saved_model
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copytree(root, Path(folder) / "m"))
        obj = json.loads((copy / name).read_text())
        target = obj["fitted"] if key.endswith("_") and name == "meta.json" else obj
        target[key] = value
        (copy / name).write_text(json.dumps(obj))
        if sign:  # hashes that match: the checks behind the manifest meet the value
            manifest = json.loads((copy / "manifest.json").read_text())
            if isinstance(manifest.get("files"), dict):
                manifest["files"] = {n: hashlib.sha256((copy / n).read_bytes()).hexdigest()
                                     for n in FILES[:4]}
                (copy / "manifest.json").write_text(json.dumps(manifest))
        result = _load_or_error(copy)
        if not isinstance(result, Exception):
            assert result.predict_proba(X).shape == (3, len(result.classes_))
