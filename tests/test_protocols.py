"""The standard split and cross-validation of each corpus (sklearn_mhr.datasets.protocols)."""

import numpy as np
import pytest
from corpus_fixtures import write_clip, write_urbansound8k
from sklearn.model_selection import GroupKFold, PredefinedSplit, StratifiedKFold

from sklearn_mhr.datasets import load_audio_folder, load_dcase2020_task1a, load_urbansound8k
from sklearn_mhr.datasets.protocols import (
    DATASETS,
    clip_groups,
    cross_validation,
    default_duration,
    default_sample_rate,
    standard_split,
)


@pytest.fixture(scope="module")
def speakers(tmp_path_factory):
    """A folder corpus of 2 labels x 3 speakers x 2 takes; a file's group is its speaker."""
    root = tmp_path_factory.mktemp("speakers")
    for label, hz in (("no", 300.0), ("yes", 900.0)):
        for speaker in ("ann", "bob", "cy"):
            for take in range(2):
                write_clip(root / label / f"{speaker}_{label}_{take}.wav", freq=hz,
                           sample_rate=8000, duration=0.1)
    return root


@pytest.fixture(scope="module")
def us8k(tmp_path_factory):
    return write_urbansound8k(tmp_path_factory.mktemp("us8k"), folds=(1, 2, 3), n_per_fold=3)


def test_defaults_are_the_loaders():
    assert DATASETS == ("urbansound8k", "dcase2020", "folder")
    assert [default_sample_rate(d) for d in DATASETS] == [22050, 44100, 16000]
    assert [default_duration(d) for d in DATASETS] == [4.0, None, None]
    loaders = (load_urbansound8k, load_dcase2020_task1a, load_audio_folder)
    for dataset, loader in zip(DATASETS, loaders):
        assert loader.__kwdefaults__["sample_rate"] == default_sample_rate(dataset)
    with pytest.raises(ValueError, match=r"dataset must be one of \['urbansound8k'"):
        default_sample_rate("esc50")


def test_clip_groups_are_file_names_up_to_the_first_underscore():
    groups = clip_groups(["a/b/awb_yes_1.wav", "slt_no.flac", "plain.wav"])
    assert groups.tolist() == ["awb", "slt", "plain"]


def test_a_folder_without_groups_is_whole_on_either_side(speakers):
    train = standard_split("folder", speakers, side="train", sample_rate=8000)
    test = standard_split("folder", speakers, side="test", sample_rate=8000)
    assert list(train.data.paths) == list(test.data.paths) and len(train.target) == 12
    assert sorted(set(train.groups.tolist())) == ["ann", "bob", "cy"]


def test_held_out_groups_split_a_folder_into_disjoint_sides(speakers):
    kw = dict(sample_rate=8000, test_groups=["cy", "ann"])
    train = standard_split("folder", speakers, side="train", **kw)
    test = standard_split("folder", speakers, side="test", **kw)
    assert set(train.groups.tolist()) == {"bob"} and set(test.groups.tolist()) == {"ann", "cy"}
    assert len(train.target) == 4 and len(test.target) == 8
    assert not set(train.data.paths) & set(test.data.paths)
    assert sorted(np.unique(test.target)) == ["no", "yes"]
    assert "group(s) ann, cy held out" in train.description


@pytest.mark.parametrize("groups, message", [
    (["dee"], r"no clip is in test group\(s\) \['dee'\]; its groups are \['ann', 'bob', 'cy'\]"),
    (["ann", "bob", "cy"], "hold every clip, leaving none to train on"),
])
def test_bad_test_groups_name_the_groups_there_are(speakers, groups, message):
    with pytest.raises(ValueError, match=message):
        standard_split("folder", speakers, side="train", test_groups=groups, sample_rate=8000)


def test_the_test_side_may_hold_every_group(speakers):
    test = standard_split("folder", speakers, side="test", test_groups=["ann", "bob", "cy"],
                          sample_rate=8000)
    assert len(test.target) == 12 and "train" not in test.description
    with pytest.raises(ValueError, match=r"no clip is in test group\(s\) \['dee'\]"):
        standard_split("folder", speakers, side="test", test_groups=["dee"], sample_rate=8000)


def test_folder_extensions_reach_the_loader_and_other_layouts_refuse_them(speakers, us8k):
    only_wav = standard_split("folder", speakers, side="train", sample_rate=8000,
                              extensions=[".WAV"])
    assert len(only_wav.target) == 12
    with pytest.raises(ValueError, match=r"holds no audio files with suffixes \('\.flac',\)"):
        standard_split("folder", speakers, side="train", sample_rate=8000, extensions=[".flac"])
    with pytest.raises(ValueError, match="extensions .* are for the folder layout"):
        standard_split("urbansound8k", us8k, side="train", extensions=[".wav"])


def test_urbansound8k_holds_out_the_test_fold(us8k):
    train = standard_split("urbansound8k", us8k, side="train", test_fold=2, sample_rate=8000)
    test = standard_split("urbansound8k", us8k, side="test", test_fold=2, sample_rate=8000)
    assert set(train.fold.tolist()) == {1, 3} and set(test.fold.tolist()) == {2}
    assert train.duration == 4.0  # the loader's default length
    with pytest.raises(ValueError, match="lists no clip in fold 7"):
        standard_split("urbansound8k", us8k, side="test", test_fold=7)


def test_cross_validation_follows_the_corpus(us8k, speakers):
    part = standard_split("urbansound8k", us8k, side="train", test_fold=3, sample_rate=8000)
    cv, groups, text = cross_validation("urbansound8k", part)
    assert isinstance(cv, PredefinedSplit) and groups is None and text.endswith("folds 1, 2")
    assert {tuple(np.unique(part.fold[te])) for _, te in cv.split()} == {(1,), (2,)}
    cv, groups, _ = cross_validation("urbansound8k", part, n_splits=2)
    assert isinstance(cv, GroupKFold) and np.array_equal(groups, part.fold)
    with pytest.raises(ValueError, match="needs at least 3 UrbanSound8K folds"):
        cross_validation("urbansound8k", part, n_splits=3)
    folder = standard_split("folder", speakers, side="train", sample_rate=8000)
    cv, groups, text = cross_validation("folder", folder, seed=0)
    assert isinstance(cv, StratifiedKFold) and cv.n_splits == 3 and groups is None
    assert text == "stratified 3-fold"
