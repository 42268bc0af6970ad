"""Frame, hop and kernel lengths in samples, from durations in seconds."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SampleLengths", "sample_lengths"]


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
