"""Frame, hop and kernel lengths in samples, from durations in seconds."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["SampleLengths", "clip_samples", "sample_lengths"]


class SampleLengths(NamedTuple):
    """Lengths in samples that the network is built with."""

    win_length: int
    hop_length: int
    kernel_size: int


def sample_lengths(sample_rate, window_duration, hop_duration, kernel_duration) -> SampleLengths:
    """Durations in seconds as sample counts: the one formula for validation and fitting.

    The window is rounded, the hop rounded and at least one sample, and the
    kernel rounded up to an odd number of taps so that it has a centre tap.

    Examples
    --------
    >>> sample_lengths(16000, 0.0464, 0.0232, 0.016)
    SampleLengths(win_length=742, hop_length=371, kernel_size=257)
    """
    return SampleLengths(round(window_duration * sample_rate),
                         max(1, round(hop_duration * sample_rate)),
                         round(kernel_duration * sample_rate) | 1)


def clip_samples(clips, sample_rate, random_crop=None) -> int:
    """Length in samples of the clips a model trains on: the default window of a recording.

    Parameters
    ----------
    clips : sequence
        The training clips: a 2-D array, a list of 1-D arrays, or a lazy
        sequence (an ``AudioSequence`` or any indexable).
    sample_rate : float
        The estimator's rate, in Hz.
    random_crop : float or None
        The estimator's ``random_crop``: when set, the network trains on
        segments of this many seconds, whatever the clips' length.

    Returns
    -------
    int
        ``random_crop`` in samples when set; otherwise the median clip length
        (a lazy sequence's common ``duration`` when it has one, else the
        median of ``durations``, else the length of its first clip, decoded
        once).
    """
    if random_crop is not None:
        return max(1, round(random_crop * sample_rate))
    if isinstance(clips, np.ndarray) and clips.ndim == 2:
        return int(clips.shape[1])
    if isinstance(clips, (list, tuple)):
        return int(np.median([len(clip) for clip in clips]))
    durations = getattr(clips, "durations", None)
    if durations is not None and len(durations):
        return max(1, round(float(np.median(durations)) * sample_rate))
    return len(clips[0])
