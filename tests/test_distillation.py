"""Knowledge distillation: fit(..., teacher_proba=...) and its loss."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.model_selection import GridSearchCV
from tasks import TINY_PARAMS as TINY
from tasks import noise_task, tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch.clips import ClipDataset, collate_tiled
from sklearn_mhr._skorch.distill import DistillationLoss
from sklearn_mhr._skorch.spectra import precompute_spectra


def _batch(seed=0, n=6, k=4):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float64)
    teacher = torch.softmax(2 * torch.randn(n, k, generator=g, dtype=torch.float64), dim=1)
    labels = torch.randint(0, k, (n,), generator=g)
    return logits, labels, teacher


def test_loss_without_a_teacher_is_cross_entropy():
    logits, labels, _ = _batch()
    loss = DistillationLoss(0.7, 3.0)
    assert torch.equal(loss(logits, labels), F.cross_entropy(logits, labels))


def test_loss_matches_its_formula():
    logits, labels, teacher = _batch(1)
    w, t = 0.3, 2.5
    got = DistillationLoss(w, t)(logits, {"label": labels, "teacher": teacher})
    # by hand: the teacher's probabilities sharpened or softened by 1/T, renormalised
    q = teacher ** (1 / t)
    q = q / q.sum(1, keepdim=True)
    p = torch.softmax(logits / t, dim=1)
    kl = (q * (q.log() - p.log())).sum(1).mean()
    want = (1 - w) * F.cross_entropy(logits, labels) + w * t * t * kl
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_loss_gradient_at_temperature_one_is_student_minus_teacher():
    logits, labels, teacher = _batch(2)
    logits.requires_grad_(True)
    DistillationLoss(1.0, 1.0)(logits, {"label": labels, "teacher": teacher}).backward()
    want = (torch.softmax(logits.detach(), 1) - teacher) / len(logits)
    torch.testing.assert_close(logits.grad, want, rtol=1e-9, atol=1e-12)


def test_items_carry_the_teacher_rows_of_their_clips():
    X, y = noise_task(12)
    teacher = np.random.default_rng(0).dirichlet(np.ones(3), 12).astype(np.float32)
    idx = np.array([7, 2, 9])
    items = ClipDataset(X, np.arange(12) % 3, idx, teacher)
    waves, targets = collate_tiled([items[i] for i in range(3)])
    assert torch.equal(targets["label"], torch.tensor([1, 2, 0]))
    assert torch.equal(targets["teacher"], torch.from_numpy(teacher[idx]))
    clf = MHRAudioClassifier(**TINY).fit(X, y)
    spectra = precompute_spectra(clf.net_.module_, items, 2**30, batch_size=2)
    _, again = collate_tiled([spectra[i] for i in range(3)])
    assert torch.equal(again["teacher"], targets["teacher"])
    assert torch.equal(again["label"], targets["label"])


@pytest.mark.parametrize("extra", [{}, {"spectra_cache_mb": 0}, {"mixup_alpha": 0.4},
                                   {"validation_fraction": 0.25}])
def test_zero_weight_trains_as_without_a_teacher(extra):
    X, y = noise_task(24)
    teacher = np.random.default_rng(1).dirichlet(np.ones(3), 24)
    alone = MHRAudioClassifier(**TINY, **extra).fit(X, y)
    zero = MHRAudioClassifier(**TINY, **extra, distill_weight=0.0).fit(X, y, teacher_proba=teacher)
    assert np.array_equal(alone.predict_proba(X), zero.predict_proba(X))
    taught = MHRAudioClassifier(**TINY, **extra).fit(X, y, teacher_proba=teacher)
    assert not np.allclose(alone.predict_proba(X), taught.predict_proba(X))


def test_the_student_follows_the_teacher_against_the_labels():
    X, y = tone_task(48)
    classes, y_idx = np.unique(y, return_inverse=True)
    told = (y_idx + 1) % 3  # a teacher that names another class for every clip
    teacher = np.eye(3)[told]
    params = {**TINY, "max_epochs": 12, "lr": 3e-3}
    student = MHRAudioClassifier(**params, distill_weight=1.0, distill_temperature=1.0)
    student.fit(X, y, teacher_proba=teacher)
    alone = MHRAudioClassifier(**params).fit(X, y)
    assert np.mean(student.predict(X) == classes[told]) > 0.8
    assert np.mean(alone.predict(X) == y) > 0.8


def test_searches_split_the_teacher_with_the_clips():
    X, y = noise_task(24)
    teacher = np.full((24, 3), 1 / 3)
    search = GridSearchCV(MHRAudioClassifier(**{**TINY, "max_epochs": 1}),
                          {"distill_weight": [0.0, 0.5]}, cv=2)
    search.fit(X, y, teacher_proba=teacher)
    assert len(search.cv_results_["mean_test_score"]) == 2


@pytest.mark.parametrize(("teacher", "match"), [
    (np.full((24, 2), 0.5), r"shape \(n_clips, n_classes\) = \(24, 3\).*got shape \(24, 2\)"),
    (np.full((23, 3), 1 / 3), r"got shape \(23, 3\)"),
    (np.full((24, 3), 0.5), r"24 row\(s\) do not, the first is row 0"),
    (np.vstack([np.full((5, 3), 1 / 3), [[np.nan, 0.5, 0.5]], np.full((18, 3), 1 / 3)]),
     r"1 row\(s\) do not, the first is row 5"),
    (np.vstack([[[1.2, -0.2, 0.0]], np.full((23, 3), 1 / 3)]), r"the first is row 0"),
    ("uniform", r"must be an array of class probabilities, got str"),
])
def test_bad_teachers_are_refused_by_name(teacher, match):
    X, y = noise_task(24)
    with pytest.raises(ValueError, match=r"teacher_proba.*" + match):
        MHRAudioClassifier(**TINY).fit(X, y, teacher_proba=teacher)


@pytest.mark.parametrize(("name", "value"), [("distill_weight", 1.5), ("distill_weight", -0.1),
                                             ("distill_temperature", 0),
                                             ("distill_temperature", float("inf"))])
def test_bad_distillation_parameters_are_refused(name, value):
    X, y = noise_task(24)
    with pytest.raises(ValueError, match=name):
        MHRAudioClassifier(**TINY, **{name: value}).fit(X, y)


def test_a_resume_with_another_teacher_is_refused(tmp_path):
    X, y = noise_task(24)
    first = np.full((24, 3), 1 / 3)
    MHRAudioClassifier(**TINY, checkpoint_dir=tmp_path).fit(X, y, teacher_proba=first)
    other = np.eye(3)[np.arange(24) % 3]
    with pytest.raises(ValueError, match="the teacher's probabilities differ"):
        MHRAudioClassifier(**TINY, checkpoint_dir=tmp_path).fit(
            X, y, teacher_proba=other, resume=True)
    MHRAudioClassifier(**TINY, checkpoint_dir=tmp_path).fit(X, y, teacher_proba=first,
                                                           resume=True)


def test_a_warm_start_takes_the_new_distillation_weights():
    X, y = noise_task(24)
    clf = MHRAudioClassifier(**TINY, warm_start=True).fit(X, y)
    clf.set_params(distill_weight=0.9, distill_temperature=4.0).fit(
        X, y, teacher_proba=np.full((24, 3), 1 / 3))
    assert (clf.net_.criterion_.weight, clf.net_.criterion_.temperature) == (0.9, 4.0)
