"""Knowledge distillation: training against a teacher's class probabilities as well as the labels.

A fit given ``teacher_proba`` trains on

    (1 - w) * CE(z, y) + w * T**2 * KL(softmax(log q / T) || softmax(z / T))

with ``z`` the student's logits, ``y`` the label, ``q`` the teacher's
probabilities, ``w = distill_weight`` and ``T = distill_temperature``
(Hinton et al. 2015; the ``T**2`` keeps the soft term's gradients at the
scale of the hard one's). Batches without a teacher (validation, fits
without one) get plain cross-entropy.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["DistillationLoss", "check_teacher_proba"]

#: smallest teacher probability taken as is; zeros would give log 0
_TINY = 1e-8


class DistillationLoss(torch.nn.Module):
    """Cross-entropy, plus the distillation term when a batch's targets carry a teacher.

    Parameters
    ----------
    weight : float, default=0.5
        Share ``w`` of the distillation term, in [0, 1].
    temperature : float, default=2.0
        Temperature ``T`` that softens both distributions of the term.
    """

    def __init__(self, weight: float = 0.5, temperature: float = 2.0):
        super().__init__()
        self.weight = weight
        self.temperature = temperature

    def forward(self, logits: torch.Tensor, target) -> torch.Tensor:
        """The loss of ``logits`` against ``target``.

        Parameters
        ----------
        logits : Tensor of shape (batch, n_classes)
        target : Tensor or dict
            Class indices (or class probabilities, as mixup makes); or a dict
            with those as ``"label"`` and the teacher's probabilities of shape
            (batch, n_classes) as ``"teacher"``.
        """
        if not isinstance(target, dict):
            return F.cross_entropy(logits, target)
        hard = F.cross_entropy(logits, target["label"])
        t = self.temperature
        teacher = F.log_softmax(torch.log(target["teacher"].clamp_min(_TINY)) / t, dim=1)
        student = F.log_softmax(logits / t, dim=1)
        soft = F.kl_div(student, teacher, reduction="batchmean", log_target=True)
        return (1.0 - self.weight) * hard + self.weight * t * t * soft


def check_teacher_proba(teacher_proba, n_clips: int, n_classes: int, owner: str) -> np.ndarray:
    """``teacher_proba`` as float32 rows of probabilities, or a ValueError that says what is wrong.

    Parameters
    ----------
    teacher_proba : array-like of shape (n_clips, n_classes)
        One row per training clip, its columns in the order of the sorted
        labels (``classes_``), as ``predict_proba`` gives them.
    n_clips, n_classes : int
        What the shape must be.
    owner : str
        The estimator's name, for the messages.
    """
    try:
        q = np.asarray(teacher_proba, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.fit: teacher_proba must be an array of class probabilities, "
                         f"got {type(teacher_proba).__name__}") from None
    if q.shape != (n_clips, n_classes):
        raise ValueError(
            f"{owner}.fit: teacher_proba must have shape (n_clips, n_classes) = ({n_clips}, "
            f"{n_classes}), one row per clip and one column per class in sorted order, "
            f"got shape {q.shape}")
    bad = ~np.isfinite(q).all(axis=1) | (q < 0).any(axis=1) | (np.abs(q.sum(axis=1) - 1) > 1e-3)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{owner}.fit: teacher_proba must hold probabilities (finite, >= 0, each row "
            f"summing to 1); {int(bad.sum())} row(s) do not, the first is row {row}: "
            f"{np.array2string(q[row], precision=4, threshold=8)}")
    return q.astype(np.float32)
