"""Frame power spectra computed once per fit instead of in every epoch.

The learnable front end's map is ``compress(power_spectra(x) @ gain)``: the
frames' power spectra depend on the clip alone, the gains on the filters
alone (``nn/frontend.py``). When nothing changes the waveforms between epochs,
a fit computes the spectra of its clips once and trains on them; the network
then starts at the matrix product. The mel baseline's map is the same product
with fixed mel weights.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from skorch.helper import predefined_split
from torch.utils.data import Dataset

from sklearn_mhr._inputs import check_clip
from sklearn_mhr._skorch.clips import item_target
from sklearn_mhr.nn.framing import n_frames

__all__ = ["SpectraDataset", "precompute_spectra", "spectra_bytes", "use_spectra",
           "why_not_precomputed"]

_MIB = 2**20


class SpectraDataset(Dataset):
    """Precomputed frame power spectra with their targets.

    Items are ``({"spectra": Tensor of shape (n_frames, n_bins)}, target)``;
    skorch passes a dict batch to the network as keyword arguments.

    Parameters
    ----------
    spectra : Tensor of shape (n_clips, n_frames, n_bins)
    targets : ndarray of int of shape (n_clips,)
    teacher : ndarray of float32 of shape (n_clips, n_classes), optional
        A teacher's class probabilities, carried with the targets.
    """

    def __init__(self, spectra: torch.Tensor, targets: np.ndarray, teacher=None):
        self.spectra = spectra
        self.targets = np.asarray(targets)
        self.teacher = teacher

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        return {"spectra": self.spectra[i]}, item_target(self.targets, self.teacher, i)


def why_not_precomputed(est, module, clips=None) -> str | None:
    """Why a fit of ``est`` on ``clips`` must compute spectra in every epoch; None if it need not.

    Only clips already in memory (an array, or the list the estimator makes of
    a list of arrays) qualify: a lazy corpus is read batch by batch so that
    memory stays bounded by the batch, and its spectra would not be.
    """
    if est.spectra_cache_mb == 0:
        return "spectra_cache_mb=0"
    if clips is not None and not isinstance(clips, np.ndarray | list):
        return "the clips are read lazily, batch by batch"
    if not module.spectral:
        return "the time path convolves frames with kernels"
    if est.mixup_alpha:
        return "mixup mixes waveforms"
    if est.random_crop is not None:
        return "random crops change the frames in every epoch"
    return None


def spectra_bytes(module, n_clips: int, n_samples: int) -> int:
    """Bytes that the float32 spectra of ``n_clips`` clips of ``n_samples`` take."""
    front = module.front_end
    return (4 * n_clips * n_frames(n_samples, front.win_length, front.hop_length)
            * (front.n_fft // 2 + 1))


def precompute_spectra(module, dataset, budget_bytes: int, batch_size: int):
    """A :class:`SpectraDataset` of a ``ClipDataset``'s clips, or None when they cannot share one.

    None when the clips differ in length (training tiles a shorter clip to its
    batch's longest, so its frames depend on the batch) or when their spectra
    would take more than ``budget_bytes`` (known from the first clip's length,
    before any spectrum is computed). Computed on the module's device, kept
    on the CPU.
    """
    clips, positions = dataset.clips, dataset.indices
    if len(positions) == 0:
        return None
    length = check_clip(clips[int(positions[0])], int(positions[0])).shape[0]
    if spectra_bytes(module, len(positions), length) > budget_bytes:
        return None
    device = next(module.parameters()).device
    parts = []
    with torch.no_grad():
        for start in range(0, len(positions), batch_size):
            waves = [check_clip(clips[int(i)], int(i)) for i in positions[start:start + batch_size]]
            if any(w.shape[0] != length for w in waves):
                return None
            power = module.front_end.power_spectra(torch.from_numpy(np.stack(waves)).to(device))
            parts.append(power.cpu())
    teacher = None if dataset.teacher is None else dataset.teacher[positions]
    return SpectraDataset(torch.cat(parts), dataset.targets[positions], teacher)


def use_spectra(est, train_set, valid_set, verbose=None):
    """The set to train ``est.net_`` on: spectra computed once if allowed, else ``train_set``.

    The validation clips get spectra too, under the same budget
    (``est.spectra_cache_mb``), and become the net's validation split. With
    ``verbose`` (default: ``est.verbose``), one line says what was done and
    why. In a distributed fit every rank computes the spectra of all the
    clips (it holds their waveforms already): each epoch's shard is drawn
    from all of them, and ``spectra_cache_mb`` is a budget per process.
    """
    verbose = est.verbose if verbose is None else verbose
    module = est.net_.module_
    reason = why_not_precomputed(est, module, train_set.clips)
    if reason is None:
        started = time.perf_counter()
        budget = int(est.spectra_cache_mb * _MIB)
        sets = [train_set] + ([valid_set] if valid_set is not None else [])
        done = []
        for dataset in sets:
            spectra = precompute_spectra(module, dataset, budget, est.batch_size)
            if spectra is None:
                reason = (f"the clips differ in length or their spectra need over "
                          f"spectra_cache_mb={est.spectra_cache_mb:g} MiB")
                break
            budget -= spectra.spectra.numel() * 4
            done.append(spectra)
        else:
            if valid_set is not None:
                est.net_.train_split = predefined_split(done[1])
            if verbose:
                size = sum(d.spectra.numel() for d in done) * 4 / _MIB
                print(f"Frame spectra of {sum(map(len, done))} clips computed once "
                      f"({size:.0f} MiB, {time.perf_counter() - started:.1f} s)", flush=True)
            return done[0]
    if verbose:
        print(f"Frame spectra computed in every epoch: {reason}", flush=True)
    return train_set
