"""Cutting waveforms into overlapping frames, and transforming them a chunk at a time."""

from __future__ import annotations

import torch

__all__ = ["n_frames", "frame_signal", "frame_chunks", "map_windowed_chunks", "rfft_power",
           "CHUNK_SAMPLES"]

#: samples in flight per chunk of frames: spectra that fit in the processor's cache
CHUNK_SAMPLES = 2**20


def n_frames(n_samples: int, win_length: int, hop_length: int) -> int:
    """Number of frames a clip of ``n_samples`` gives.

    A clip shorter than one window is zero-padded to one window, so every
    clip has at least one frame.
    """
    return 1 + max(n_samples - win_length, 0) // hop_length


def frame_signal(x: torch.Tensor, win_length: int, hop_length: int) -> torch.Tensor:
    """Cut waveforms into overlapping frames without copying.

    Parameters
    ----------
    x : Tensor of shape (batch, n_samples)
        Waveforms.
    win_length, hop_length : int
        Frame length and hop, in samples.

    Returns
    -------
    frames : Tensor of shape (batch, n_frames, win_length)
        A strided view of ``x`` (of a zero-padded copy when a clip is
        shorter than one window). Samples after the last full frame are
        dropped.
    """
    # an exported graph has no branch on the length: it takes clips of one window or more
    if not torch.compiler.is_exporting() and x.shape[-1] < win_length:
        x = torch.nn.functional.pad(x, (0, win_length - x.shape[-1]))
    return x.unfold(-1, win_length, hop_length)


def frame_chunks(batch: int, n: int, length: int, chunk_samples: int = CHUNK_SAMPLES
                 ) -> tuple[int, range | list]:
    """Frames per chunk, and the chunks' first frames, for ``length`` samples in flight a frame.

    ``batch`` clips of ``n`` frames are processed ``step`` frames of each clip
    at a time, about ``chunk_samples`` samples in all; an exported graph
    takes one chunk (no loop over a length it varies).
    """
    if torch.compiler.is_exporting():
        return n, [0]
    step = max(1, int(chunk_samples) // (batch * length))
    return step, range(0, n, step)


def map_windowed_chunks(frames: torch.Tensor, window: torch.Tensor, length: int, fn,
                        chunk_samples: int = CHUNK_SAMPLES) -> torch.Tensor:
    """``fn`` of the windowed frames, a chunk of frames at a time, joined along the frame axis.

    Parameters
    ----------
    frames : Tensor of shape (batch, n_frames, win_length)
    window : Tensor of shape (win_length,)
    length : int
        Samples in flight per frame inside ``fn`` (a DFT's length), which sets
        the chunk (:func:`frame_chunks`).
    fn : callable
        (batch, frames of a chunk, win_length) -> (batch, the same frames, columns).
    chunk_samples : int, default=CHUNK_SAMPLES

    Returns
    -------
    Tensor of shape (batch, n_frames, columns)
    """
    step, starts = frame_chunks(*frames.shape[:2], length, chunk_samples)
    chunks = [fn(frames[:, s:s + step] * window) for s in starts]
    return chunks[0] if len(chunks) == 1 else torch.cat(chunks, dim=1)


def rfft_power(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    """Power spectrum ``|rfft(x, n_fft)|^2`` over the last axis."""
    spec = torch.fft.rfft(x, n=n_fft)
    return spec.real.square() + spec.imag.square()
