"""benchmarks.distill: an ensemble over seeds as the teacher, end to end on a tiny corpus."""

import json

import numpy as np
import pytest
from corpus_fixtures import write_dcase2020

from benchmarks import distill, paired

TINY = ["--sample-rate", "8000", "--duration", "0.5", "--set", "n_filters=8",
        "--set", "max_epochs=1", "--set", "context=2", "--set", "head_hidden=8",
        "--set", "back_end_width=4", "--set", "kernel_duration=0.004"]


def test_teachers_students_and_their_paired_table(tmp_path, capsys):
    root = write_dcase2020(tmp_path / "corpus")
    out = tmp_path / "out"
    args = ["--dataset", "dcase2020", "--root", str(root), "--seeds", "2", "--out", str(out),
            "--unseen", "s2,s3", "--student-set", "distill_weight=0.9", *TINY]
    assert distill.main(args) == 0
    printed = capsys.readouterr().out
    assert "teacher (ensemble of 2)" in printed and "| seen - unseen gap |" in printed
    alone, student = paired.load_runs(out / "alone.json"), paired.load_runs(out / "student.json")
    assert sorted(alone) == sorted(student) == [(0, None), (1, None)]
    assert student[(0, None)]["params"]["distill_weight"] == 0.9
    assert "distill_weight" not in alone[(0, None)]["params"]
    saved = np.load(out / "teacher_seed0.npz")
    assert saved["train"].shape == (36, 3) and np.allclose(saved["train"].sum(1), 1, atol=1e-5)
    # a second run finds every fit done and fits nothing
    before = (out / "student.json").stat().st_mtime_ns
    assert distill.main(args) == 0
    assert (out / "student.json").stat().st_mtime_ns == before
    assert json.loads((out / "alone.json").read_text())["runs"][1]["seed"] == 1


def test_an_out_of_fold_teacher_predicts_each_training_clip_unseen(tmp_path, capsys, monkeypatch):
    from sklearn_mhr import MHRAudioClassifier

    root = write_dcase2020(tmp_path / "corpus")
    out = tmp_path / "out"
    seen = []  # the training clips of every fit, to check what each fold's fit never saw
    fit = MHRAudioClassifier.fit

    def recording_fit(self, X, y, **kwargs):
        seen.append({x.tobytes() for x in X})
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(MHRAudioClassifier, "fit", recording_fit)
    args = ["--dataset", "dcase2020", "--root", str(root), "--seeds", "1", "--out", str(out),
            "--out-of-fold", "3", *TINY]
    assert distill.main(args) == 0
    assert "out-of-fold teacher (3 folds)" in capsys.readouterr().out
    assert len(seen) == 1 + 3 + 1  # alone, three folds, the student
    folds = seen[1:4]
    assert all(len(f) == 24 for f in folds) and not set.intersection(*folds)
    oof = np.load(out / "teacher_seed0_oof3.npy")
    assert oof.shape == (36, 3) and np.allclose(oof.sum(1), 1, atol=1e-5)
    assert not np.allclose(oof, np.load(out / "teacher_seed0.npz")["train"])
    assert sorted(paired.load_runs(out / "student_oof3.json")) == [(0, None)]
    assert not (out / "student.json").exists()


def test_the_held_out_fold_and_groups_are_the_ones_named(tmp_path):
    from argparse import Namespace

    from corpus_fixtures import write_audio_folder, write_urbansound8k

    us8k = write_urbansound8k(tmp_path / "us8k", n_per_fold=3)
    split = distill.load_split(Namespace(dataset="urbansound8k", root=str(us8k), sample_rate=8000,
                                         duration=0.5, test_fold=2, split_file=None))
    assert (len(split.y_train), len(split.y_test)) == (6, 3)
    folder = tmp_path / "folder"
    for group in ("ann", "bob"):  # a clip's group is its file name up to the first underscore
        write_audio_folder(tmp_path / group, n_per_class=2)
        for clip in (tmp_path / group).rglob("clip_*"):
            target = folder / clip.parent.name / f"{group}_{clip.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            clip.rename(target)
    (tmp_path / "split.json").write_text(json.dumps({"test_groups": ["bob"]}))
    split = distill.load_split(Namespace(dataset="folder", root=str(folder), sample_rate=8000,
                                         duration=0.5, test_fold=None,
                                         split_file=str(tmp_path / "split.json")))
    assert (len(split.y_train), len(split.y_test)) == (6, 6)


def test_clips_of_different_lengths_are_taken_by_row():
    from benchmarks.compare.data import Split

    rng = np.random.default_rng(0)
    lengths = [3000 + 400 * (i % 5) for i in range(12)]  # a folder corpus' ragged clips
    ragged = [rng.standard_normal(n).astype(np.float32) for n in lengths]
    y = np.array(["a", "b", "c"] * 4)
    split = Split(ragged, y, ragged[:3], y[:3], None, {})
    params = {"sample_rate": 8000, "n_filters": 8, "max_epochs": 1, "context": 2,
              "head_hidden": 8, "back_end_width": 4, "kernel_duration": 0.004}
    proba = distill.out_of_fold_proba(params, 0, split, 2)
    assert proba.shape == (12, 3) and np.allclose(proba.sum(1), 1, atol=1e-5)


def test_one_fold_is_refused_before_any_clip_is_read(tmp_path, capsys):
    args = ["--dataset", "dcase2020", "--root", str(tmp_path / "absent"), "--out",
            str(tmp_path / "out"), "--out-of-fold", "1"]
    with pytest.raises(SystemExit):
        distill.main(args)
    assert "--out-of-fold needs at least 2 folds" in capsys.readouterr().err
