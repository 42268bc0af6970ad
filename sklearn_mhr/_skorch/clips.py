"""Feeding clips of any length to the network, in training and at inference."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.data import Dataset

from sklearn_mhr._inputs import check_clip
from sklearn_mhr._skorch.threads import torch_threads

__all__ = ["ClipDataset", "apply_in_batches", "collate_cropped", "collate_targets",
           "collate_tiled", "inference_batches", "item_target"]


def item_target(targets, teacher, index: int):
    """The target of clip ``index``: its class index, with the teacher's probabilities if any."""
    if teacher is None:
        return int(targets[index])
    return {"label": int(targets[index]), "teacher": torch.from_numpy(teacher[index])}


def collate_targets(targets):
    """Stack the targets of a batch: class indices, or a dict of indices and teacher rows."""
    if isinstance(targets[0], Mapping):
        return {"label": torch.as_tensor([t["label"] for t in targets], dtype=torch.long),
                "teacher": torch.stack([t["teacher"] for t in targets])}
    return torch.as_tensor(targets, dtype=torch.long)


class ClipDataset(Dataset):
    """Clips (and integer targets) selected by position from any indexable source.

    Parameters
    ----------
    clips : sequence
        ``clips[i]`` is a 1-D array of samples; lazy sequences are decoded here,
        so in DataLoader workers when there are any.
    targets : ndarray of int
        Class index of every clip of ``clips``.
    indices : ndarray of int, optional
        Positions in ``clips`` that make up this dataset (all by default);
        errors name the position in ``clips``.
    teacher : ndarray of float32 of shape (len(clips), n_classes), optional
        A teacher's class probabilities for every clip of ``clips``; items
        then carry them with the class index (:func:`item_target`).
    """

    def __init__(self, clips, targets, indices=None, teacher=None):
        self.clips = clips
        self.targets = targets
        self.indices = np.arange(len(clips)) if indices is None else np.asarray(indices)
        self.teacher = teacher

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        index = int(self.indices[i])
        wave = torch.from_numpy(check_clip(self.clips[index], index))
        return wave, item_target(self.targets, self.teacher, index)


def collate_tiled(batch):
    """Stack clips of unequal length by repeating each shorter clip.

    Repetition, unlike zeros, leaves a clip's statistics (its min-max range,
    its batch-norm moments, what pooling sees) nearly unchanged. Used in
    training only: inference never fills (:func:`inference_batches`).
    Precomputed spectra (:class:`~sklearn_mhr._skorch.spectra.SpectraDataset`)
    all have one length and are stacked as they are.
    """
    waves, targets = zip(*batch)
    targets = collate_targets(targets)
    if isinstance(waves[0], Mapping):
        return {key: torch.stack([w[key] for w in waves]) for key in waves[0]}, targets
    n = max(w.shape[0] for w in waves)
    waves = [w if w.shape[0] == n else w.repeat(-(-n // w.shape[0]))[:n] for w in waves]
    return torch.stack(waves), targets


def collate_cropped(batch, n_samples: int):
    """Cut a random ``n_samples`` segment from every clip, then stack (training only).

    A clip shorter than ``n_samples`` is first repeated to that length, as in
    :func:`collate_tiled`. Offsets come from torch's generator (seeded per
    DataLoader worker by torch), so a seeded fit is reproducible.
    """
    waves, targets = zip(*batch)
    out = []
    for w in waves:
        if w.shape[0] < n_samples:
            w = w.repeat(-(-n_samples // w.shape[0]))
        start = int(torch.randint(0, w.shape[0] - n_samples + 1, ()))
        out.append(w[start:start + n_samples])
    return torch.stack(out), collate_targets(targets)


#: samples in one CPU inference batch: short clips are batched, long ones go alone
CPU_BATCH_SAMPLES = 2**19


def inference_batches(clips, batch_size: int, chunk_batches: int = 8, max_samples=None):
    """Yield ``(positions, waveforms)`` batches whose clips all have one length.

    Clips are read in order, ``batch_size * chunk_batches`` at a time, and
    grouped by length inside each chunk, so no clip is ever padded and memory
    is bounded by the chunk. ``max_samples`` caps a batch's samples (at least
    one clip each). With ``batch_size=1`` a clip's output cannot depend on any
    other clip, to the last bit.
    """
    n = len(clips)
    chunk = batch_size * chunk_batches
    for start in range(0, n, chunk):
        by_length = defaultdict(list)
        for i in range(start, min(start + chunk, n)):
            wave = check_clip(clips[i], i)
            by_length[wave.shape[0]].append((i, wave))
        for length, group in by_length.items():
            size = batch_size if max_samples is None else max(
                1, min(batch_size, max_samples // max(length, 1)))
            for b in range(0, len(group), size):
                part = group[b:b + size]
                waves = torch.from_numpy(np.stack([w for _, w in part]))
                yield np.array([i for i, _ in part]), waves


def apply_in_batches(module, clips, fn, batch_size: int, n_threads=None) -> list:
    """``fn(module, waveforms)`` for every clip, in evaluation mode and without gradients.

    Returns one output per clip, in input order. Clips are batched with others
    of the same length only, so nothing is padded. On the CPU a batch holds at
    most :data:`CPU_BATCH_SAMPLES` samples: batches make short clips several
    times faster there, and long clips slower. BLAS picks kernels by matrix
    size, so a clip's outputs in one batch and in another agree to float32
    rounding (1e-5 is tested), not to the last bit.
    """
    device = next(module.parameters()).device
    module.eval()
    outputs = [None] * len(clips)
    max_samples = None if device.type == "cuda" else CPU_BATCH_SAMPLES
    with torch_threads(n_threads), torch.no_grad():
        for positions, waves in inference_batches(clips, batch_size, max_samples=max_samples):
            result = fn(module, waves.to(device))
            for j, i in enumerate(positions):
                outputs[i] = result[j]
    return outputs
