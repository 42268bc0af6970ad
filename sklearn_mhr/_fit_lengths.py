"""What the training clips' lengths do to a fit: settings longer than the clips, and batches.

Settings that only make sense against the clips are checked here, when
``fit`` sees them: a ``random_crop`` longer than every training clip (each
clip would be tiled up to it), and a ``time_mask_width`` wider than every
training clip (the masks cover at most a fifth of a clip's frames anyway).

A training batch is as long as its longest clip (shorter clips are tiled to
it), so one ten-minute clip among one-second clips makes its batch hundreds
of times larger than the others. The estimate counts the activations that
dominate per frame (the frames, their spectra, the filterbank map, the
relevance heads and the back end) with the gradients autograd keeps; it
measured within a factor of two of the resident memory on the CPU at the
default parameters.
"""

from __future__ import annotations

import warnings

import numpy as np

from sklearn_mhr._lengths import sample_lengths

__all__ = ["FitMemoryWarning", "batch_bytes", "check_lengths", "warn_if_long_clips"]

#: a batch estimated above this many bytes, and this many times a typical batch, is warned of
_WARN_BYTES = 2**30
_WARN_RATIO = 4.0


class FitMemoryWarning(UserWarning):
    """A fit's largest batch would take far more memory than a typical one (long clips)."""


def batch_bytes(est, n_samples: int) -> int:
    """Estimated bytes one training batch of clips ``n_samples`` long takes at its peak."""
    win, hop, kernel = sample_lengths(est.sample_rate, est.window_duration, est.hop_duration,
                                      est.kernel_duration)
    n_fft = 1 << int(np.ceil(np.log2(max(2, win + kernel - 1))))
    frames = n_samples // hop + 1
    heads = 2 * est.head_hidden if est.n_heads else 0
    per_frame = win + 3 * (n_fft // 2 + 1) + est.n_filters * (8 + heads + 6 * est.back_end_width)
    return int(est.batch_size * frames * per_frame * 4)


def _lengths(clips) -> np.ndarray | None:
    """Clip lengths in samples where known without decoding anything, else None."""
    if isinstance(clips, np.ndarray) and clips.ndim == 2:
        return np.full(clips.shape[0], clips.shape[1])
    if isinstance(clips, list | tuple) or (isinstance(clips, np.ndarray) and clips.ndim == 1):
        return np.array([np.shape(c)[-1] if np.ndim(c) else 0 for c in clips])
    return None


def warn_if_long_clips(est, clips, indices) -> None:
    """Warn, with the estimated peak, when the longest training clips make a batch much larger
    than a typical one; crops (``random_crop``) bound training batches, so they are exempt."""
    if est.random_crop is not None:
        return
    lengths = _lengths(clips)
    if lengths is None or not len(indices):
        return
    lengths = lengths[np.asarray(indices)]
    longest, typical = int(lengths.max()), float(np.median(lengths))
    peak, usual = batch_bytes(est, longest), batch_bytes(est, max(1, int(typical)))
    if peak >= _WARN_BYTES and peak >= _WARN_RATIO * usual:
        rate = est.sample_rate
        warnings.warn(
            f"the longest training clip ({longest / rate:.1f} s, the typical one "
            f"{typical / rate:.1f} s) makes its batch take about {peak / 2**30:.1f} GiB "
            f"(estimated; a typical batch {usual / 2**30:.2f} GiB), because shorter clips are "
            f"tiled to the longest of their batch. Cut long recordings into clips, set "
            f"random_crop (seconds), or lower batch_size", FitMemoryWarning, stacklevel=3)


def check_lengths(est, clips, indices) -> None:
    """Refuse a ``random_crop`` or ``time_mask_width`` that makes no sense for these clips.

    Lazy clips whose lengths are unknown until decoded are not checked.
    """
    lengths = _lengths(clips)
    if lengths is None or not len(indices):
        return
    rate = est.sample_rate
    longest = int(lengths[np.asarray(indices)].max())
    problems = []
    if est.random_crop is not None and round(est.random_crop * rate) > longest:
        problems.append(
            f"random_crop={est.random_crop} s is longer than the longest training clip "
            f"({longest / rate:.3g} s): every clip would be repeated up to it, which costs time "
            "and teaches nothing; use a crop shorter than the clips, or None")
    hop = sample_lengths(rate, est.window_duration, est.hop_duration, est.kernel_duration)[1]
    samples = min(longest, round(est.random_crop * rate)) if est.random_crop else longest
    frames = samples // hop + 1
    if est.time_mask_width > frames:
        what = "crop" if est.random_crop else "clip"
        problems.append(
            f"time_mask_width={est.time_mask_width} frames exceeds the {frames} frames of the "
            f"longest training {what} ({samples / rate:.3g} s); a mask covers at most a fifth "
            f"of a clip's frames, so use at most {frames // 5}")
    if problems:
        raise ValueError(f"Invalid parameters for {type(est).__name__} on these clips: "
                         + "; ".join(problems))
