"""The log-mel front end: the paper's mel-spectrogram baseline."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sklearn_mhr.nn.compression import Compression
from sklearn_mhr.nn.framing import CHUNK_SAMPLES, frame_signal, map_windowed_chunks, rfft_power
from sklearn_mhr.nn.melscale import mel_filter_matrix, mel_frequencies

__all__ = ["LogMelFrontEnd"]


class LogMelFrontEnd(nn.Module):
    """Compressed mel energies of Hamming-weighted frames; no learnable filters.

    Same framing, same output layout and same interface as
    :class:`~sklearn_mhr.nn.frontend.CosGaussFrontEnd`, so swapping one for the
    other changes nothing else in the network.

    Parameters
    ----------
    n_filters : int
        Number of mel bands.
    sample_rate : float
        Sample rate in Hz.
    win_length, hop_length : int
        Frame length and hop in samples; the DFT length is ``win_length``.
    kernel_size : int, optional
        Unused: the constructor takes the arguments of every front end
        (``FRONT_ENDS`` builds them all alike).
    path : {"fft"}, default="fft"
        The only computation of this front end.
    init, width, learn_bandwidth
        Unused: the mel filters are fixed.
    f_min : float, default=0.0
        Lowest band edge in Hz.
    compression : {"relative", "log", "pcen"}, default="relative"
        How energies become the map, exactly as in the learnable front end
        (:class:`~sklearn_mhr.nn.compression.Compression`).
    top_db, eps
        Passed to :class:`~sklearn_mhr.nn.compression.Compression`.
    chunk_samples : int, default=2**20
        Frames are transformed in chunks of about this many samples, as in
        :class:`~sklearn_mhr.nn.frontend.CosGaussFrontEnd`; the result does
        not change.

    Shapes
    ------
    ``forward``: (batch, n_samples) -> (batch, n_filters, n_frames).
    """

    def __init__(self, n_filters, sample_rate, win_length, hop_length, kernel_size=None, *,
                 path="fft", init="mel", width="paper", learn_bandwidth=False, f_min=0.0,
                 compression="relative", top_db=80.0, eps=1e-6, chunk_samples=CHUNK_SAMPLES):
        super().__init__()
        if path != "fft":
            raise ValueError(f"the mel front end has a single path, 'fft'; got path={path!r}")
        self.n_filters = int(n_filters)
        self.sample_rate = float(sample_rate)
        self.win_length, self.hop_length = int(win_length), int(hop_length)
        self.n_fft = self.win_length  # the DFT of the frame itself
        self.f_min = float(f_min)
        self.chunk_samples = int(chunk_samples)
        self.compression = Compression(compression, self.n_filters, top_db=top_db, eps=eps)
        mel = mel_filter_matrix(self.n_filters, self.win_length, self.sample_rate, f_min)
        # power spectrum / win_length is a per-sample energy, comparable to CosGaussFrontEnd
        self.register_buffer("mel_t", torch.as_tensor(mel.T / self.win_length, dtype=torch.float32))
        window = torch.as_tensor(np.hamming(self.win_length), dtype=torch.float32)
        self.register_buffer("window", window)

    def centre_frequencies(self) -> np.ndarray:
        """Centre frequencies of the mel bands in Hz."""
        return mel_frequencies(self.n_filters + 2, self.f_min, self.sample_rate / 2)[1:-1]

    initial_centre_frequencies = centre_frequencies

    def frequency_response(self, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """Magnitude responses of the mel bands: square roots of the unit-area triangles.

        Returns
        -------
        freqs : ndarray of shape (n_fft // 2 + 1,)
            Frequencies in Hz.
        magnitude : ndarray of shape (n_filters, n_fft // 2 + 1)
            ``|H_k(f)|``: its square is the triangle that weighs the power spectrum.
        """
        n_fft = int(n_fft)
        weights = mel_filter_matrix(self.n_filters, n_fft, self.sample_rate, self.f_min)
        return np.fft.rfftfreq(n_fft, 1.0 / self.sample_rate), np.sqrt(weights)

    #: the energies weigh frame power spectra (see CosGaussFrontEnd.spectral)
    spectral = True

    def _chunked(self, x: torch.Tensor, then) -> torch.Tensor:
        """``then(power spectra)`` of the frames of ``x``, a chunk of frames at a time.

        Shapes: (batch, n_samples) -> (batch, n_frames, columns of ``then``'s result).
        """
        frames = frame_signal(x, self.win_length, self.hop_length)
        return map_windowed_chunks(frames, self.window, self.n_fft,
                                   lambda windowed: then(rfft_power(windowed, self.n_fft)),
                                   self.chunk_samples)

    def power_spectra(self, x: torch.Tensor) -> torch.Tensor:
        """Power spectra of the scaled, windowed frames, (batch, n_frames, win_length // 2 + 1).

        ``from_spectra(power_spectra(x))`` equals ``forward(x)``.
        """
        return self._chunked(self.compression.scale_input(x), lambda power: power)

    def from_spectra(self, power: torch.Tensor) -> torch.Tensor:
        """The map from :meth:`power_spectra`.

        Shapes: (batch, n_frames, n_bins) -> (batch, n_filters, n_frames).
        """
        return self.compression((power @ self.mel_t).transpose(1, 2)).contiguous()

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """Mel energies before compression, (batch, n_samples) -> (batch, n_filters, n_frames)."""
        return self._chunked(x, lambda power: power @ self.mel_t).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.compression(self.energy(self.compression.scale_input(x))).contiguous()
