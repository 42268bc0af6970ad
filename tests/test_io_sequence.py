"""Tests for sklearn_mhr.io.sequence.AudioSequence."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from corpus_fixtures import write_audio_folder
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.utils import _safe_indexing, check_consistent_length, indexable

import sklearn_mhr.io.read as read_module
from sklearn_mhr.datasets import AudioSequence
from sklearn_mhr.io import read_audio


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = write_audio_folder(
        tmp_path_factory.mktemp("clips"), n_per_class=4, duration=0.25
    )
    paths = sorted(str(p) for p in root.rglob("clip_*"))
    labels = np.array([p.split("/")[-2] for p in paths])
    return paths, labels


@pytest.fixture
def reads(monkeypatch):
    """Record every decode done through AudioSequence."""
    calls = []

    def counting(path, **kwargs):
        calls.append(path)
        return read_audio(path, **kwargs)

    monkeypatch.setattr(read_module, "read_audio", counting)
    return calls


class LazyAware(ClassifierMixin, BaseEstimator):
    """Records the type of X it was given; decodes nothing."""

    def fit(self, X, y):
        self.seen_ = type(X)
        self.n_ = len(X)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        assert isinstance(X, AudioSequence)
        return np.full(len(X), self.classes_[0])


def test_basic_protocol(corpus, reads):
    paths, _ = corpus
    seq = AudioSequence(paths, sample_rate=8000, duration=0.25)
    assert len(seq) == 12 and seq.shape == (12,) and seq.ndim == 1
    assert repr(seq) == "AudioSequence(n_clips=12, sample_rate=8000, duration=0.25)"
    assert repr(AudioSequence(paths, sample_rate=8000)) == (
        "AudioSequence(n_clips=12, sample_rate=8000)"
    )
    assert reads == []
    clip = seq[3]
    assert reads == [paths[3]]
    assert clip.dtype == np.float32 and clip.shape == (2000,)
    np.testing.assert_array_equal(
        clip, read_audio(paths[3], sample_rate=8000, duration=0.25)
    )
    np.testing.assert_array_equal(seq[np.int64(-1)], seq[11])
    with pytest.raises(IndexError, match="index 12 is out of range"):
        seq[12]


@pytest.mark.parametrize(
    "key, expected",
    [
        (slice(2, 5), [2, 3, 4]),
        (slice(None, None, -4), [11, 7, 3]),
        ([0, 5, 5], [0, 5, 5]),
        (np.array([7, -1]), [7, 11]),
        (np.arange(12) % 5 == 0, [0, 5, 10]),
        ([], []),
    ],
)
def test_selection_returns_a_sequence_without_decoding(corpus, reads, key, expected):
    paths, _ = corpus
    seq = AudioSequence(paths, sample_rate=8000, offset=np.arange(12) * 0.01)
    sub = seq[key]
    assert isinstance(sub, AudioSequence) and reads == []
    assert list(sub.paths) == [paths[i] for i in expected]
    np.testing.assert_allclose(sub.offsets, np.array(expected) * 0.01)
    assert sub.sample_rate == 8000


def test_bad_keys(corpus):
    seq = AudioSequence(corpus[0], sample_rate=8000)
    with pytest.raises(IndexError, match="boolean index of shape"):
        seq[np.ones(3, dtype=bool)]
    with pytest.raises(IndexError, match="must be an int, a slice"):
        seq[np.array([0.5])]
    with pytest.raises(IndexError, match="out of range"):
        seq[[0, 40]]
    with pytest.raises(IndexError, match="is 1-D"):
        seq[0, 1]


def test_iteration_decodes_one_clip_at_a_time(corpus, reads):
    seq = AudioSequence(corpus[0][:3], sample_rate=8000)
    it = iter(seq)
    next(it)
    assert len(reads) == 1
    assert len(list(it)) == 2 and len(reads) == 3


def test_asarray_refuses_to_decode_everything(corpus, reads):
    seq = AudioSequence(corpus[0], sample_rate=8000)
    with pytest.raises(TypeError, match=r"lazy.*seq\.decode"):
        np.asarray(seq)
    assert reads == []


def test_sklearn_splitters_decode_nothing(corpus, reads):
    paths, labels = corpus
    seq = AudioSequence(paths, sample_rate=8000, duration=0.25)
    check_consistent_length(seq, labels)
    assert indexable(seq, labels)[0] is seq
    for cv in (KFold(3, shuffle=True, random_state=0), StratifiedKFold(4)):
        for train, test in cv.split(seq, labels):
            assert isinstance(_safe_indexing(seq, train), AudioSequence)
            assert len(_safe_indexing(seq, test)) == len(test)
    a, b, _ya, _yb = train_test_split(
        seq, labels, test_size=0.25, stratify=labels, random_state=0
    )
    assert isinstance(a, AudioSequence) and isinstance(b, AudioSequence)
    assert (len(a), len(b)) == (9, 3)
    assert sorted(list(a.paths) + list(b.paths)) == sorted(paths)
    assert reads == []
    assert _safe_indexing(seq, 2).shape == (2000,) and len(reads) == 1


def test_cross_validation_passes_sequences_through(corpus, reads):
    paths, labels = corpus
    seq = AudioSequence(paths, sample_rate=8000)
    scores = cross_val_score(LazyAware(), seq, labels, cv=StratifiedKFold(3))
    assert scores.shape == (3,)
    search = GridSearchCV(LazyAware(), {}, cv=KFold(3)).fit(seq, labels)
    assert search.best_estimator_.seen_ is AudioSequence
    assert reads == []


def test_pickle_round_trip(corpus, tmp_path):
    seq = AudioSequence(
        corpus[0], sample_rate=8000, duration=[0.1] * 12, memory=tmp_path
    )
    seq[0]  # builds the cached reader, which is not pickled
    blob = pickle.dumps(seq)
    assert len(blob) < 4000
    back = pickle.loads(blob)
    assert list(back.paths) == list(seq.paths) and back.duration == 0.1
    np.testing.assert_array_equal(back[5], seq[5])


def test_per_clip_durations_and_decode(corpus):
    paths = corpus[0][:4]
    seq = AudioSequence(paths, sample_rate=8000, duration=[0.1, 0.2, 0.1, 0.2])
    assert seq.duration is None
    ragged = seq.decode()
    assert [x.shape[0] for x in ragged] == [800, 1600, 800, 1600]
    same = seq[[0, 2]]
    assert same.duration == 0.1
    assert same.decode().shape == (2, 800)
    assert seq[[]].decode() == []
    assert AudioSequence([], sample_rate=8000, duration=0.1).decode().shape == (0, 800)
    with pytest.raises(ValueError, match=r"one value per clip \(4\), got 2"):
        AudioSequence(paths, sample_rate=8000, offset=[0.0, 0.1])
    with pytest.raises(ValueError, match=r"duration\[1\] must be a positive"):
        AudioSequence(paths, sample_rate=8000, duration=[0.1, -1, 0.1, 0.1])
    with pytest.raises(ValueError, match="sample_rate must be a positive"):
        AudioSequence(paths, sample_rate=None)
    with pytest.raises(TypeError, match="single path"):
        AudioSequence(paths[0], sample_rate=8000)


def test_memory_cache(corpus, reads, tmp_path):
    paths = corpus[0][:4]
    first = AudioSequence(paths, sample_rate=8000, memory=str(tmp_path)).decode()
    assert len(reads) == 4
    again = AudioSequence(paths, sample_rate=8000, memory=str(tmp_path))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(reads) == 4
    AudioSequence(paths, sample_rate=16000, memory=str(tmp_path))[0]
    assert len(reads) == 5  # another rate is another cache entry
