"""Tests for the corpus loaders in sklearn_mhr.datasets."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import soundfile as sf
from corpus_fixtures import (
    truncate_row,
    write_audio_folder,
    write_clip,
    write_corrupt_wav,
    write_dcase2020,
    write_urbansound8k,
)
from sklearn.model_selection import PredefinedSplit

import sklearn_mhr.io.read as read_module
from sklearn_mhr.datasets import (
    AudioSequence,
    load_audio_folder,
    load_dcase2020_task1a,
    load_urbansound8k,
)
from sklearn_mhr.io import AudioReadError


def named(path):
    return re.escape(str(path))


@pytest.fixture(scope="module")
def us8k(tmp_path_factory):
    return write_urbansound8k(
        tmp_path_factory.mktemp("us8k"), folds=(1, 2, 3, 5), n_per_fold=4
    )


@pytest.fixture(scope="module")
def dcase(tmp_path_factory):
    return write_dcase2020(tmp_path_factory.mktemp("dcase"), duration=0.2)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_audio_folder(tmp_path_factory.mktemp("folder"), duration=0.2)


@pytest.fixture
def copy_of(tmp_path):
    """A writable copy of a module-scoped corpus, for tests that break it."""

    def _copy(root):
        return shutil.copytree(root, tmp_path / "corpus")

    return _copy


@pytest.fixture
def reads(monkeypatch):
    calls = []
    real = read_module.read_audio

    def counting(path, **kwargs):
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(read_module, "read_audio", counting)
    return calls


# UrbanSound8K --------------------------------------------------------------


def test_urbansound8k_eager(us8k):
    b = load_urbansound8k(us8k, sample_rate=16000, duration=0.5)
    assert b.data.shape == (16, 8000) and b.data.dtype == np.float32
    assert b.target_names == ["air_conditioner", "car_horn", "dog_bark"]
    assert set(b.target) == set(b.target_names)
    np.testing.assert_array_equal(b.fold, np.repeat([1, 2, 3, 5], 4))
    assert b.filenames[0].endswith("audio/fold1/100000-0-0-0.wav")
    assert b.fsID[1] == 100037 and set(b.salience) == {1, 2}
    assert np.all(b.end > b.start)
    assert "UrbanSound8K" in b.DESCR and b.sample_rate == 16000
    # the class tone survives every format and rate: check the FFT peak
    spec = np.abs(np.fft.rfft(b.data, axis=1))
    peaks = np.fft.rfftfreq(8000, 1 / 16000)[spec.argmax(1)]
    expected = {"air_conditioner": 300.0, "car_horn": 435.0, "dog_bark": 915.375}
    for peak, label in zip(peaks, b.target, strict=True):
        assert abs(peak - expected[label]) < 4


def test_urbansound8k_predefined_split_is_the_fold_protocol(us8k):
    b = load_urbansound8k(us8k, folds=[5, 2], duration=None)
    assert isinstance(b.data, list) and len(b.data) == 8
    assert isinstance(b.cv, PredefinedSplit) and b.cv.get_n_splits() == 2
    splits = list(b.cv.split())
    for (train, test), fold in zip(splits, [2, 5], strict=True):
        assert set(b.fold[test]) == {fold}
        assert fold not in set(b.fold[train])
        assert len(train) + len(test) == 8
    lengths = {x.size for x in b.data}
    assert len(lengths) > 1  # clips keep their own lengths


def test_urbansound8k_lazy_decodes_nothing(us8k, reads):
    b = load_urbansound8k(us8k, lazy=True, folds=1)
    assert isinstance(b.data, AudioSequence) and len(b.data) == 4
    assert reads == []
    assert b.data[0].shape == (88200,) and len(reads) == 1


@pytest.mark.parametrize(
    "folds, error",
    [
        (0, ValueError),
        (11, ValueError),
        ([1, "2"], ValueError),
        ([], ValueError),
        ("1", TypeError),
        (2.5, TypeError),
    ],
)
def test_urbansound8k_bad_folds(us8k, folds, error):
    with pytest.raises(error, match="folds must be"):
        load_urbansound8k(us8k, folds=folds)


def test_urbansound8k_fold_absent_from_metadata(us8k):
    with pytest.raises(ValueError, match=r"folds \[4\] have no clips"):
        load_urbansound8k(us8k, folds=[1, 4])


def test_urbansound8k_metadata_errors(us8k, copy_of):
    root = copy_of(us8k)
    meta = root / "metadata" / "UrbanSound8K.csv"
    text = meta.read_text()

    meta.write_text(text.replace(",salience,", ",saliency,", 1))
    with pytest.raises(ValueError, match=rf"{named(meta)}.*no column 'salience'"):
        load_urbansound8k(root)

    meta.write_text(text)
    truncate_row(meta, 4)
    with pytest.raises(ValueError, match=rf"{named(meta)}, line 4: expected 8 fields"):
        load_urbansound8k(root)

    lines = text.splitlines()
    fields = lines[2].split(",")
    fields[5] = "x"  # the fold column
    lines[2] = ",".join(fields)
    meta.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 3, column 'fold': expected an integer"):
        load_urbansound8k(root)

    lines = text.splitlines()
    lines[5] = ",".join(["", *lines[5].split(",")[1:]])
    meta.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 6, column 'slice_file_name'.*empty"):
        load_urbansound8k(root)

    meta.unlink()
    with pytest.raises(FileNotFoundError, match=named(meta)):
        load_urbansound8k(root)


def test_urbansound8k_missing_and_corrupt_audio(us8k, copy_of):
    root = copy_of(us8k)
    gone = sorted((root / "audio" / "fold2").iterdir())[:2]
    for p in gone:
        p.unlink()
    with pytest.raises(
        FileNotFoundError, match=rf"2 of 16 audio files.*{named(gone[0])}"
    ):
        load_urbansound8k(root)
    # loading other folds still works, lazily nothing is read
    assert len(load_urbansound8k(root, folds=[1, 3]).data) == 8
    bad = min((root / "audio" / "fold3").iterdir())
    write_corrupt_wav(bad)
    seq = load_urbansound8k(root, folds=3, lazy=True).data
    with pytest.raises(AudioReadError, match=named(bad)):
        seq[0]


def test_loader_argument_errors(us8k, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist or is not a directory"):
        load_urbansound8k(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="sample_rate must be a positive"):
        load_urbansound8k(us8k, sample_rate=-1)
    with pytest.raises(TypeError, match="lazy must be True or False"):
        load_urbansound8k(us8k, lazy="yes")


# DCASE2020 Task 1A -----------------------------------------------------------


def test_dcase_all_subsets(dcase):
    b = load_dcase2020_task1a(dcase, lazy=True)
    assert len(b.data) == 70  # 72 clips in meta.csv, 2 in no list
    assert b.target_names == ["airport", "metro", "park"]
    assert set(b.device) == {"a", "b", "c", "s1", "s2", "s3"}
    assert set(b.subset) == {"train", "evaluate"}
    assert all(
        f.split("/")[-1].startswith(t)
        for f, t in zip(b.filenames, b.target, strict=True)
    )
    assert all(
        d == f[-len(d) - 4 : -4] for d, f in zip(b.device, b.filenames, strict=True)
    )
    ((train, test),) = list(b.cv.split())
    assert set(b.subset[train]) == {"train"} and set(b.subset[test]) == {"evaluate"}
    assert not set(b.identifier[train]) & set(b.identifier[test])

    tr = load_dcase2020_task1a(dcase, subset="train", sample_rate=16000, duration=0.25)
    ev = load_dcase2020_task1a(dcase, subset="evaluate")
    assert tr.data.shape == (36, 4000) and tr.cv is None and tr.sample_rate == 16000
    assert isinstance(ev.data, list) and len(ev.data) == 34
    assert ev.data[0].shape == (8820,)  # 0.2 s at 44.1 kHz
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(70))
    np.testing.assert_array_equal(tr.filenames, b.filenames[train])


def test_dcase_errors(dcase, copy_of):
    with pytest.raises(ValueError, match="subset must be one of 'all', 'train'"):
        load_dcase2020_task1a(dcase, subset="test")
    root = copy_of(dcase)
    setup = root / "evaluation_setup" / "fold1_evaluate.csv"
    text = setup.read_text()
    setup.write_text(text.replace("\t", ",", 1))  # a CSV header, not TSV
    with pytest.raises(ValueError, match=rf"{named(setup)}.*no column 'filename'.*TAB"):
        load_dcase2020_task1a(root)
    lines = text.splitlines()
    lines[3] = lines[3].replace("airport", "bus", 1)
    setup.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"{named(setup)}, line 4: 'audio/bus-"):
        load_dcase2020_task1a(root)
    lines = text.splitlines()
    lines[3] = lines[3].split("\t")[0] + "\tpark"
    setup.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"line 4: .* has scene_label 'park' here"):
        load_dcase2020_task1a(root)
    setup.write_text(text)
    truncate_row(root / "meta.csv", 7, keep_fields=2, delimiter="\t")
    with pytest.raises(ValueError, match=r"meta.csv, line 7: expected 4 fields"):
        load_dcase2020_task1a(root)


# Audio folder ------------------------------------------------------------------


def test_audio_folder(folder):
    b = load_audio_folder(folder, sample_rate=8000, duration=0.25)
    assert b.data.shape == (9, 2000) and b.sample_rate == 8000
    assert b.target_names == ["bird", "engine", "rain"]
    np.testing.assert_array_equal(b.target, np.repeat(b.target_names, 3))
    assert [f.rsplit("/", 1)[-1] for f in b.filenames[:3]] == [
        "clip_0.wav",
        "clip_1.flac",
        "clip_2.wav",
    ]
    only_flac = load_audio_folder(folder, extensions="FLAC", lazy=True)
    assert len(only_flac.data) == 3 and only_flac.data[0].shape == (3200,)


def test_audio_folder_errors(folder, tmp_path):
    with pytest.raises(ValueError, match=r"bird' holds no audio files.*'\.ogg'"):
        load_audio_folder(folder, extensions=(".ogg",))
    loose = tmp_path / "loose"
    loose.mkdir()
    with pytest.raises(ValueError, match=r"no label sub-folders"):
        load_audio_folder(loose)
    (loose / "x.wav").write_bytes(b"")
    with pytest.raises(ValueError, match=r"holds 1 audio files directly"):
        load_audio_folder(loose)
    with pytest.raises(ValueError, match="extensions must be a non-empty"):
        load_audio_folder(folder, extensions=())



def test_audio_folder_error_names_both_ways_to_pass_extensions(tmp_path):
    write_clip(tmp_path / "bird" / "a.aiff", freq=440.0, sample_rate=8000, duration=0.1)
    with pytest.raises(ValueError, match=r"extensions=\(.*\) in Python, --extensions .* on the "
                                         r"command line"):
        load_audio_folder(tmp_path)
    b = load_audio_folder(tmp_path, extensions=[".aiff"], sample_rate=8000)
    assert len(b.data) == 1 and b.target.tolist() == ["bird"]


def test_audio_folder_reads_only_files_directly_in_label_folders(tmp_path):
    write_clip(tmp_path / "bird" / "a.wav", freq=440.0, sample_rate=8000, duration=0.1)
    write_clip(tmp_path / "bird" / "deeper" / "b.wav", freq=440.0, sample_rate=8000,
               duration=0.1)
    b = load_audio_folder(tmp_path, sample_rate=8000)
    assert [f.rsplit("/", 1)[-1] for f in b.filenames] == ["a.wav"]
    (tmp_path / "bird" / "a.wav").unlink()
    with pytest.raises(ValueError, match=r"Its 1 sub-folder\(s\) are not searched"):
        load_audio_folder(tmp_path, sample_rate=8000)


@pytest.mark.skipif("MP3" not in sf.available_formats(),
                    reason="this libsndfile reads no MP3 (it needs 1.1 or later)")
def test_audio_folder_reads_mp3_by_default(tmp_path):
    tones = {"high": 1000.0, "low": 250.0}
    for label, freq in tones.items():
        write_clip(tmp_path / label / "clip.mp3", freq=freq, sample_rate=16000, duration=0.5,
                   format="MP3", subtype="MPEG_LAYER_III")
    b = load_audio_folder(tmp_path, sample_rate=16000)
    assert b.target.tolist() == ["high", "low"]
    for wave, label in zip(b.data, b.target, strict=True):
        assert abs(len(wave) - 8000) <= 2000  # MP3 frames may pad the end
        spectrum = np.abs(np.fft.rfft(wave))
        assert np.argmax(spectrum) * 16000 / len(wave) == pytest.approx(tones[label], rel=0.05)


def test_metadata_naming_files_outside_the_corpus_is_refused(us8k, dcase, copy_of, tmp_path):
    root = copy_of(us8k)
    secret = tmp_path / "secret.wav"
    shutil.copy(next((root / "audio" / "fold1").iterdir()), secret)  # exists, readable audio
    meta = root / "metadata" / "UrbanSound8K.csv"
    lines = meta.read_text().splitlines()
    fields = lines[1].split(",")
    fields[0] = "../../../secret.wav"
    lines[1] = ",".join(fields)
    meta.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"1 audio file name\(s\) listed in .*UrbanSound8K.csv' "
                                         r"point outside the corpus folder"):
        load_urbansound8k(root)

    dcase_root = shutil.copytree(dcase, tmp_path / "dcase")
    meta = dcase_root / "meta.csv"
    text = meta.read_text()
    first = text.splitlines()[1].split("\t")[0]  # audio/<name>.wav
    for path in (meta, *sorted((dcase_root / "evaluation_setup").iterdir())):
        path.write_text(path.read_text().replace(first, "audio/../../" + first.split("/")[-1]))
    with pytest.raises(ValueError, match="point outside the corpus folder"):
        load_dcase2020_task1a(dcase_root, subset="all")


def test_a_corpus_of_links_to_files_elsewhere_still_loads(us8k, tmp_path):
    linked = tmp_path / "linked"
    (linked / "metadata").mkdir(parents=True)
    shutil.copy(us8k / "metadata" / "UrbanSound8K.csv", linked / "metadata")
    (linked / "audio").symlink_to(us8k / "audio")
    assert len(load_urbansound8k(linked).target) == 16
