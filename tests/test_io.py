"""Tests for sklearn_mhr.io: read_audio and AudioLoader."""

from __future__ import annotations

import os
import re
import select
import shutil
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from corpus_fixtures import class_tone_hz, write_audio_folder, write_corrupt_wav
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags

import sklearn_mhr.io.read as read_module
from sklearn_mhr.io import AudioLoader, AudioReadError, read_audio


def tone(freq, sr, duration, amp=0.5):
    t = np.arange(round(duration * sr)) / sr
    return amp * np.sin(2 * np.pi * freq * t)


def peak_hz(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    return np.fft.rfftfreq(y.size, 1 / sr)[np.argmax(spec)]


def named(path):
    """A pytest `match` pattern for a message that names `path`."""
    return re.escape(str(path))


FORMATS = [
    ("WAV", "PCM_U8", 8000, 1, 0.02),
    ("WAV", "PCM_16", 22050, 2, 1e-3),
    ("WAV", "PCM_24", 44100, 1, 1e-3),
    ("WAV", "PCM_32", 48000, 2, 1e-3),
    ("WAV", "FLOAT", 16000, 1, 1e-3),
    ("FLAC", "PCM_16", 44100, 1, 1e-3),
    ("FLAC", "PCM_24", 96000, 2, 1e-3),
]


@pytest.mark.parametrize("fmt, subtype, sr, channels, tol", FORMATS)
def test_round_trip_every_subtype(tmp_path, fmt, subtype, sr, channels, tol):
    y = tone(1000.0, sr, 0.5)
    path = tmp_path / f"tone.{fmt.lower()}"
    sf.write(
        path, np.repeat(y[:, None], channels, axis=1), sr, subtype=subtype, format=fmt
    )

    native = read_audio(path)
    assert native.dtype == np.float32 and native.ndim == 1
    assert native.shape == y.shape
    np.testing.assert_allclose(native, y, atol=tol)

    out = read_audio(path, sample_rate=16000)
    assert out.dtype == np.float32
    assert abs(out.size - y.size * 16000 / sr) <= 1
    assert abs(peak_hz(out, 16000) - 1000.0) <= 2.0  # one FFT bin at 0.5 s
    core = out[out.size // 4 : -out.size // 4]  # away from filter edges
    assert abs(np.sqrt(2 * np.mean(core**2)) - 0.5) < 0.02


def test_stereo_is_mixed_down_by_mean(tmp_path):
    left, right = tone(440, 16000, 0.2, 0.6), tone(1320, 16000, 0.2, 0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    np.testing.assert_allclose(read_audio(path), (left + right) / 2, atol=1e-6)


@pytest.mark.parametrize(
    "src, dst", [(44100, 22050), (8000, 22050), (96000, 16000), (16000, 16000)]
)
def test_resampled_length_and_frequency(tmp_path, src, dst):
    path = tmp_path / "x.wav"
    sf.write(path, tone(700, src, 1.0), src, subtype="PCM_16")
    out = read_audio(path, sample_rate=dst)
    assert out.size == dst
    assert abs(peak_hz(out, dst) - 700) <= 1.0


def test_duration_pads_and_crops_exactly(tmp_path):
    path = tmp_path / "x.wav"
    y = tone(500, 8000, 0.5)
    sf.write(path, y, 8000, subtype="FLOAT")
    padded = read_audio(path, duration=0.75)
    assert padded.size == 6000
    np.testing.assert_allclose(padded[:4000], y, atol=1e-6)
    assert not padded[4000:].any()
    cropped = read_audio(path, duration=0.1)
    np.testing.assert_allclose(cropped, y[:800], atol=1e-6)
    # with resampling the length is round(duration * sample_rate)
    assert read_audio(path, sample_rate=22050, duration=0.33).size == round(
        0.33 * 22050
    )
    assert read_audio(path, sample_rate=22050, duration=1.0).size == 22050


def test_offset_reads_from_the_given_time(tmp_path):
    path = tmp_path / "x.wav"
    y = np.linspace(-0.5, 0.5, 8000)
    sf.write(path, y, 8000, subtype="FLOAT")
    np.testing.assert_allclose(read_audio(path, offset=0.25), y[2000:], atol=1e-6)
    np.testing.assert_allclose(
        read_audio(path, offset=0.25, duration=0.5), y[2000:6000], atol=1e-6
    )
    tail = read_audio(path, offset=0.9, duration=0.5)
    assert tail.size == 4000 and not tail[800:].any()


def test_dtype_float64(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(path, tone(300, 16000, 0.1), 16000)
    assert read_audio(path, dtype=np.float64).dtype == np.float64


def test_missing_file(tmp_path):
    path = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match=named(path)):
        read_audio(path)


def test_corrupt_file(tmp_path):
    path = write_corrupt_wav(tmp_path / "broken.wav")
    with pytest.raises(AudioReadError, match=rf"{named(path)}.*Format not recognised"):
        read_audio(path)
    assert issubclass(AudioReadError, ValueError)


def test_zero_byte_and_zero_frame_files(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioReadError, match=rf"{named(empty)}.*0 bytes"):
        read_audio(empty)
    silent = tmp_path / "no_frames.wav"
    sf.write(silent, np.zeros(0), 16000)
    with pytest.raises(AudioReadError, match=rf"{named(silent)}.*no samples"):
        read_audio(silent)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples(tmp_path, bad):
    y = tone(300, 8000, 0.1).astype(np.float32)
    y[123] = bad
    path = tmp_path / "nan.wav"
    sf.write(path, y, 8000, subtype="FLOAT")
    with pytest.raises(
        AudioReadError, match=rf"{named(path)}.*NaN or infinite.*frame 123"
    ):
        read_audio(path)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"sample_rate": 0}, "sample_rate must be a positive"),
        ({"sample_rate": -8000}, "sample_rate must be a positive"),
        ({"sample_rate": 16000.5}, "sample_rate must be a positive"),
        ({"sample_rate": True}, "sample_rate must be a positive"),
        ({"duration": -1.0}, "duration must be a positive"),
        ({"duration": 0}, "duration must be a positive"),
        ({"offset": -0.1}, "offset must be a non-negative"),
        ({"dtype": np.int16}, "dtype must be np.float32 or np.float64"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, pattern):
    path = tmp_path / "x.wav"
    sf.write(path, tone(300, 8000, 0.1), 8000)
    with pytest.raises(ValueError, match=pattern):
        read_audio(path, **kwargs)


def test_offset_past_end_and_bad_path_type(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, tone(300, 8000, 0.1), 8000)
    with pytest.raises(
        ValueError, match=rf"offset=0.5 s is past the end.*{named(path)}"
    ):
        read_audio(path, offset=0.5)
    with pytest.raises(TypeError, match="path must be a str"):
        read_audio(42)


# AudioLoader ---------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = write_audio_folder(
        tmp_path_factory.mktemp("folder"), n_per_class=4, duration=0.3
    )
    paths = sorted(str(p) for p in root.rglob("clip_*"))
    labels = np.array([os.path.basename(os.path.dirname(p)) for p in paths])
    return paths, labels


def band_log_energy(X, sample_rate=8000):
    """Log energy around each fixture class tone: a deliberately simple feature."""
    spec = np.abs(np.fft.rfft(X, axis=1)) ** 2
    f = np.fft.rfftfreq(X.shape[1], 1 / sample_rate)
    centres = [class_tone_hz(c) for c in range(3)]
    return np.log(
        np.stack([spec[:, np.abs(f - c) < 50].sum(1) for c in centres], axis=1) + 1e-9
    )


def test_loader_shapes_and_params(folder):
    paths, _ = folder
    loader = AudioLoader(sample_rate=8000, duration=0.5)
    assert loader.fit(paths) is loader
    X = loader.transform(paths)
    assert X.shape == (len(paths), 4000) and X.dtype == np.float32
    ragged = AudioLoader(sample_rate=8000).transform(np.array(paths, dtype=object))
    assert isinstance(ragged, list) and all(x.shape == (2400,) for x in ragged)
    assert clone(loader).get_params() == loader.get_params()
    tags = get_tags(loader)
    assert tags.requires_fit is False and tags.input_tags.string
    assert not tags.input_tags.two_d_array


def test_loader_input_errors(folder, tmp_path):
    paths, _ = folder
    with pytest.raises(TypeError, match="single path"):
        AudioLoader().transform(paths[0])
    with pytest.raises(TypeError, match=r"X\[1\] must be a file path"):
        AudioLoader().transform([paths[0], 3])
    with pytest.raises(ValueError, match="Found 0 file paths"):
        AudioLoader().transform([])
    with pytest.raises(ValueError, match="sample_rate must be a positive"):
        AudioLoader(sample_rate=0).fit(paths)
    with pytest.raises(ValueError, match="n_jobs must be None or a non-zero int"):
        AudioLoader(n_jobs=0).fit(paths)
    missing = str(tmp_path / "gone.wav")
    with pytest.raises(FileNotFoundError, match=named(missing)):
        AudioLoader().transform([paths[0], missing])


def test_loader_in_pipeline_learns(folder):
    paths, labels = folder
    pipe = make_pipeline(
        AudioLoader(sample_rate=8000, duration=0.5, n_jobs=2),
        FunctionTransformer(band_log_energy),
        LogisticRegression(),
    )
    pipe.fit(paths, labels)
    assert pipe.score(paths, labels) == 1.0
    assert list(pipe.predict(paths[:2])) == list(labels[:2])


def test_parallel_equals_sequential_and_propagates_errors(folder, tmp_path):
    paths, _ = folder
    one = AudioLoader(sample_rate=11025, n_jobs=1).transform(paths)
    two = AudioLoader(sample_rate=11025, n_jobs=2).transform(paths)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    bad = write_corrupt_wav(tmp_path / "bad.wav")
    with pytest.raises(AudioReadError, match=named(bad)):
        AudioLoader(n_jobs=2).transform([*paths[:3], str(bad)])


def test_memory_cache_skips_decoding(folder, tmp_path, monkeypatch):
    paths, _ = folder
    calls = []
    real = read_module.read_audio

    def counting(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(read_module, "read_audio", counting)
    loader = AudioLoader(sample_rate=8000, duration=0.5, memory=tmp_path / "cache")
    first = loader.transform(paths)
    assert len(calls) == len(paths)
    second = loader.transform(paths)
    assert len(calls) == len(paths)  # all served from the cache
    np.testing.assert_array_equal(first, second)
    # a file that changes on disk is decoded again, the others are not
    changed = tmp_path / "changed.wav"
    sf.write(changed, tone(300, 8000, 0.2), 8000)
    loader.transform([str(changed), *paths])
    assert len(calls) == len(paths) + 1
    sf.write(changed, tone(300, 8000, 0.3), 8000)
    out = loader.transform([str(changed)])
    assert len(calls) == len(paths) + 2 and out.shape == (1, 4000)


def test_loader_rejects_audio_sequence(folder):
    from sklearn_mhr.datasets import AudioSequence

    seq = AudioSequence(folder[0], sample_rate=8000)
    with pytest.raises(TypeError, match="got an AudioSequence"):
        AudioLoader().transform(seq)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_U8", "FLOAT"])
def test_truncated_wav_is_read_with_a_warning_naming_it(tmp_path, subtype):
    import warnings

    from sklearn_mhr.io import TruncatedAudioWarning
    from sklearn_mhr.io.read import declared_wav_frames

    whole = tmp_path / "whole.wav"
    sf.write(whole, np.linspace(-0.5, 0.5, 8001), 8000, subtype=subtype)
    assert declared_wav_frames(whole) == 8001
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an intact file warns of nothing
        assert read_audio(whole).shape == (8001,)
    cut = tmp_path / "cut.wav"
    data = whole.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    with pytest.warns(TruncatedAudioWarning, match=r"'.*cut\.wav' is truncated: its header "
                                                   r"declares 8001 frames \(1\.000 s\)"):
        clip = read_audio(cut)
    assert 0 < clip.shape[0] < 8001


def test_declared_frames_of_other_formats_are_unknown(tmp_path):
    from sklearn_mhr.io.read import declared_wav_frames

    sf.write(tmp_path / "a.flac", np.zeros(100), 8000)
    (tmp_path / "b.wav").write_bytes(b"RIFF")
    assert declared_wav_frames(tmp_path / "a.flac") is None
    assert declared_wav_frames(tmp_path / "b.wav") is None
    assert declared_wav_frames(tmp_path / "missing.wav") is None


def test_duration_under_one_sample_is_refused(tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(800), 8000)
    with pytest.raises(ValueError, match=r"duration=1e-09 s is under one sample at 8000 Hz"):
        read_audio(tmp_path / "a.wav", duration=1e-9)


def test_cache_files_are_arrays_read_without_pickle(folder, tmp_path, monkeypatch):
    import pickle

    import joblib

    paths, _ = folder
    loader = AudioLoader(sample_rate=8000, duration=0.5, memory=joblib.Memory(tmp_path / "c"))
    first = loader.transform(paths[:2])
    files = sorted((tmp_path / "c" / "sklearn_mhr_clips").rglob("*.npy"))
    assert len(files) == 2
    for file in files:
        assert np.load(file, allow_pickle=False).dtype == np.float32

    class Payload:  # what a tampered pickle cache would hold
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    files[0].write_bytes(pickle.dumps(Payload()))  # tampered
    files[1].write_bytes(b"\x93NUMPY broken")  # damaged
    calls = []
    real = read_module.read_audio
    monkeypatch.setattr(read_module, "read_audio",
                        lambda path, **kw: calls.append(path) or real(path, **kw))
    again = loader.transform(paths[:2])
    assert not (tmp_path / "ran").exists()
    assert len(calls) == 2  # both decoded again, and their cache files replaced
    np.testing.assert_array_equal(again, first)
    assert all(np.load(f, allow_pickle=False).shape == (4000,) for f in files)


def test_memory_of_another_kind_is_refused(folder):
    with pytest.raises(ValueError, match="memory must be None, a directory path or a "
                                         "joblib.Memory, got 3"):
        AudioLoader(memory=3).transform(folder[0][:1])


def test_decoding_bar_shows_on_a_terminal_that_reports_no_width(monkeypatch):
    import pty

    from sklearn_mhr.io.read import map_clips

    master, slave = pty.openpty()  # a new pseudo-terminal reports 0 columns
    try:
        with os.fdopen(slave, "w", closefd=False) as terminal:
            monkeypatch.setattr(sys, "stderr", terminal)
            monkeypatch.delenv("COLUMNS", raising=False)
            monkeypatch.delenv("LINES", raising=False)
            map_clips(abs, [(-1.0,), (2.0,)], verbose=True)
            terminal.flush()
        # the terminal hands written bytes to the reading side in its own time: read until the
        # bar's last state and its closing newline arrive (the deadline only stops a failure)
        shown, deadline = "", time.monotonic() + 60
        while not ("2/2" in shown and shown.endswith("\n")) and time.monotonic() < deadline:
            if select.select([master], [], [], 1.0)[0]:
                shown += os.read(master, 65536).decode()
    finally:
        os.close(master)
        os.close(slave)
    assert "Decoding audio: 100%" in shown and "2/2" in shown


# ----------------------------------------------- what a crafted file can force
def _with_header_rate(path, rate):
    """Write `rate` into a PCM WAV file's header (sample rate and byte rate), as a crafted file
    would."""
    import struct

    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt "
    block_align = struct.unpack("<H", data[32:34])[0]
    data[24:28] = struct.pack("<I", rate)
    data[28:32] = struct.pack("<I", rate * block_align)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rate", [1, 999])
def test_a_header_rate_under_the_minimum_is_refused(tmp_path, rate):
    import tracemalloc

    path = tmp_path / "crafted.wav"
    sf.write(path, np.zeros(100_000, np.int16), 8000, subtype="PCM_16")  # 200 kB
    _with_header_rate(path, rate)
    tracemalloc.start()
    try:
        with pytest.raises(AudioReadError, match=rf"'{re.escape(str(path))}' gives a sample rate "
                                                 rf"of {rate} Hz in its header, under the 1000"):
            read_audio(path, sample_rate=16000)
        assert tracemalloc.get_traced_memory()[1] < 10 * 2**20
    finally:
        tracemalloc.stop()


def test_a_read_past_the_bound_is_refused_before_allocating(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(8000, np.int16), 8000, subtype="PCM_16")
    monkeypatch.setattr(read_module, "MAX_DECODED_SAMPLES", 40_000)
    assert read_audio(path, sample_rate=40_000).shape == (40_000,)  # at the bound
    with pytest.raises(AudioReadError, match=rf"'{re.escape(str(path))}' would decode to 48000 "
                                             r"samples .* more than the 40000"):
        read_audio(path, sample_rate=48_000)
    # a part of it, within the bound, is read
    assert read_audio(path, sample_rate=48_000, duration=0.5).shape == (24_000,)


def test_a_crafted_fmt_chunk_size_allocates_nothing(tmp_path):
    import struct
    import tracemalloc

    from sklearn_mhr.io.read import declared_wav_frames

    path = tmp_path / "crafted.wav"
    sf.write(path, np.zeros(100, np.int16), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[16:20] = struct.pack("<I", 0xFFFFFF00)  # the fmt chunk claims 4 GiB
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        assert declared_wav_frames(path) is None
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()


def _cache_files(folder):
    return sorted((folder / "sklearn_mhr_clips").rglob("*.npy"))


@pytest.mark.parametrize("damage", ["huge header", "zeros", "1e30", "nan", "truncated",
                                    "fortran 2-D", "link"])
def test_an_altered_cache_file_is_decoded_again(folder, tmp_path, monkeypatch, damage):
    paths, _ = folder
    loader = AudioLoader(sample_rate=8000, duration=0.5, memory=tmp_path / "c")
    first = loader.transform(paths[:1])
    (file,) = _cache_files(tmp_path / "c")
    if damage == "huge header":  # 1e11 samples claimed by a 16 kB file
        data = file.read_bytes().replace(b"(4000,)", b"(100000000000,)")
        file.write_bytes(data)
    elif damage == "link":
        outside = tmp_path / "outside.npy"
        np.save(outside, np.full(4000, 0.5, np.float32))
        file.unlink()
        file.symlink_to(outside)
    else:
        values = {"zeros": 0.0, "1e30": 1e30, "nan": np.nan}.get(damage)
        if values is not None:
            np.save(file, np.full(4000, values, np.float32))
        elif damage == "truncated":
            file.write_bytes(file.read_bytes()[:1000])
        else:
            np.save(file, np.zeros((2, 2000), np.float32, order="F"))
    calls = []
    real = read_module.read_audio
    monkeypatch.setattr(read_module, "read_audio",
                        lambda path, **kw: calls.append(path) or real(path, **kw))
    again = loader.transform(paths[:1])
    assert len(calls) == 1
    np.testing.assert_array_equal(again, first)
    assert not file.is_symlink()
    if damage == "link":
        np.testing.assert_array_equal(np.load(tmp_path / "outside.npy"), np.full(4000, 0.5))
    loader.transform(paths[:1])
    assert len(calls) == 1  # replaced by a good one


def test_the_cache_never_writes_through_a_planted_link(folder, tmp_path):
    paths, _ = folder
    cache = tmp_path / "c"
    loader = AudioLoader(sample_rate=8000, duration=0.5, memory=cache)
    loader.transform(paths[:1])
    (file,) = _cache_files(cache)
    file.unlink()
    outside = tmp_path / "outside"
    outside.write_text("mine")
    for pid in range(os.getpid() - 2, os.getpid() + 3):  # the old writer's temporary names
        (file.parent / f".{file.stem}.{pid}.tmp.npy").symlink_to(outside)
    loader.transform(paths[:1])
    assert outside.read_text() == "mine" and file.is_file() and not file.is_symlink()
    # a shard folder that is a link is not written into
    shard = file.parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for entry in shard.iterdir():
        entry.unlink()
    shard.rmdir()
    shard.symlink_to(elsewhere, target_is_directory=True)
    loader.transform(paths[:1])
    assert list(elsewhere.iterdir()) == []
    shard.unlink()  # and so is a cache folder that is a link
    clips = cache / "sklearn_mhr_clips"
    shutil.rmtree(clips)
    clips.symlink_to(elsewhere, target_is_directory=True)
    loader.transform(paths[:1])
    assert list(elsewhere.iterdir()) == []


def test_memory_that_is_a_file_is_refused_naming_it(folder, tmp_path):
    (tmp_path / "cache").write_text("mine")
    with pytest.raises(ValueError, match=r"memory='.*cache' is a file, not a folder"):
        AudioLoader(memory=str(tmp_path / "cache")).transform(folder[0][:1])
    assert (tmp_path / "cache").read_text() == "mine"


def test_resampling_filters_past_the_bound_are_refused(tmp_path):
    path = tmp_path / "odd.wav"
    sf.write(path, np.zeros(800, np.int16), 8000, subtype="PCM_16")
    _with_header_rate(path, 79_167)  # coprime with 16 kHz: a filter of 1.6 million taps
    with pytest.raises(AudioReadError, match=rf"Resampling audio file '{re.escape(str(path))}' "
                                             r"from 79167 Hz to 16000 Hz takes a filter of"):
        read_audio(path, sample_rate=16000)
    assert read_audio(path).shape == (800,)  # at its own rate, nothing to design
    _with_header_rate(path, 4_000_000)
    with pytest.raises(AudioReadError, match=r"gives a sample rate of 4000000 Hz in its header, "
                                             r"over the 768000 Hz"):
        read_audio(path)
