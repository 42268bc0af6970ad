"""The learnable acoustic front end: filterbank energies of short frames.

Three ways compute the log energy of each frame through each filter:

- ``fft_energy`` (default): by Parseval, the energy of the *full* linear
  convolution of a frame with a kernel is ``sum_f |X(f)|^2 |H(f)|^2 / N`` for
  any DFT length ``N >= win + kernel - 1``: one FFT per frame, one per kernel
  and a matrix product.
- ``time_energy``: the paper's reference, a "valid" convolution of every frame
  with every kernel, squared and averaged. Hundreds of times more work.
- ``analytic_gain``: no kernel taps at all. The untruncated filter, tapered by
  a Gaussian whose full width at half maximum is the kernel length, is itself
  a cos-modulated Gaussian, whose spectrum is a pair of Gaussians known in
  closed form. Its squared response on the bins of a DFT as long as the frame
  weighs the frame's power spectrum, as mel triangles do: the energy of the
  frame's *circular* convolution with the filter, over the frame length. The
  DFT is about ``win / (win + kernel)`` of the fft path's and the taper has no
  side lobes.

The first two divide by the valid length ``win - kernel + 1`` so they share a
scale; they differ by the edge outputs that only the full convolution counts.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.fft
import torch
from torch import nn

from sklearn_mhr.nn.compression import Compression
from sklearn_mhr.nn.cosgauss import CosGaussFilterbank
from sklearn_mhr.nn.framing import CHUNK_SAMPLES, frame_signal, map_windowed_chunks, rfft_power

__all__ = ["CosGaussFrontEnd", "fft_energy", "fft_gain", "time_energy", "fft_length",
           "analytic_response", "taper_width", "PATHS"]

PATHS = ("fft", "time", "analytic")

_CUTOFF = float(np.log(1e10))  # exponent beyond which a Gaussian term of the response is 0


def fft_length(win_length: int, kernel_size: int) -> int:
    """Shortest fast DFT length that holds a full convolution of frame and kernel."""
    return scipy.fft.next_fast_len(win_length + kernel_size - 1, real=True)


def taper_width(kernel_size: int) -> float:
    """Standard deviation in taps of a Gaussian of full width at half maximum ``kernel_size``."""
    return kernel_size / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def analytic_response(s: torch.Tensor, width: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """DTFT of the sampled, untruncated filters ``cos(pi s t) exp(-t^2 / (2 width^2))``.

    By Poisson summation the DTFT of a sampled signal is its continuous
    spectrum repeated every ``2 pi``; the spectrum of a cos-modulated Gaussian
    is a Gaussian at each of ``+-pi s``. On ``[0, pi]`` the lobes at ``+-pi s``
    and their nearest repeats, ``+-(2 pi - pi s)``, are kept; the others lie
    over ``2 pi`` away, below 1e-10 of the peak for any width over 1.1 taps.
    Each Gaussian is cut to 0 below 1e-10 of its peak (200 dB down in power).
    The filters are even, so the response is real.

    Parameters
    ----------
    s : Tensor of shape (n_filters, 1)
        Centre frequencies as fractions of the Nyquist frequency.
    width : Tensor of shape (n_filters, 1)
        Gaussian standard deviations in taps.
    omega : Tensor of shape (n_bins,)
        Frequencies in radians per sample.

    Returns
    -------
    response : Tensor of shape (n_filters, n_bins)
    """
    centre = np.pi * s
    lobes = torch.stack([centre, -centre, 2 * np.pi - centre, centre - 2 * np.pi])
    exponent = 0.5 * (width * (omega - lobes)).square()  # (4, n_filters, n_bins)
    # exactly 0 beyond 1e-10 of the peak: subnormal floats there make the product ~10x slower
    terms = torch.where(exponent < _CUTOFF, torch.exp(-exponent.clamp(max=_CUTOFF)), 0.0)
    response = terms.sum(dim=0)
    return response * (width * (np.sqrt(2 * np.pi) / 2))


def _bin_frequencies(n_fft: int, dtype, device) -> torch.Tensor:
    """The rfft bins of an ``n_fft``-point DFT, in radians per sample."""
    return torch.arange(n_fft // 2 + 1, dtype=dtype, device=device) * (2 * np.pi / n_fft)


def _one_sided_weights(n_fft: int, dtype, device) -> torch.Tensor:
    """Weights that make a sum over rfft bins equal the sum over all DFT bins."""
    w = torch.full((n_fft // 2 + 1,), 2.0, dtype=dtype, device=device)
    w[0] = 1.0
    if n_fft % 2 == 0:
        w[-1] = 1.0
    return w


def fft_gain(kernels: torch.Tensor, win_length: int, n_fft: int) -> torch.Tensor:
    """Squared magnitude response of each kernel on the rfft bins, scaled for `fft_energy`.

    Parameters
    ----------
    kernels : Tensor of shape (n_filters, kernel_size)
    win_length : int
        Frame length the energies are for.
    n_fft : int
        DFT length, at least ``win_length + kernel_size - 1``.

    Returns
    -------
    gain : Tensor of shape (n_filters, n_fft // 2 + 1)
        ``power_spectrum(frame) @ gain.T`` is the energy of the full
        convolution divided by the valid length ``win_length - kernel_size + 1``.
    """
    k = kernels.shape[-1]
    if n_fft < win_length + k - 1:
        raise ValueError(
            f"n_fft must be at least win_length + kernel_size - 1 = {win_length + k - 1}, "
            f"got {n_fft}"
        )
    gain = rfft_power(kernels, n_fft)
    weights = _one_sided_weights(n_fft, gain.dtype, gain.device)
    return gain * (weights / (n_fft * (win_length - k + 1)))


def fft_energy(frames: torch.Tensor, kernels: torch.Tensor,
               n_fft: int | None = None) -> torch.Tensor:
    """Mean squared output of the full convolution of each frame with each kernel.

    Parameters
    ----------
    frames : Tensor of shape (..., win_length)
        Windowed frames.
    kernels : Tensor of shape (n_filters, kernel_size)
    n_fft : int, optional
        DFT length, at least ``win_length + kernel_size - 1``.

    Returns
    -------
    energy : Tensor of shape (..., n_filters)
        Sum of squares of the full convolution divided by the valid length
        ``win_length - kernel_size + 1``.
    """
    win = frames.shape[-1]
    n_fft = fft_length(win, kernels.shape[-1]) if n_fft is None else int(n_fft)
    return _filtered_power(frames, fft_gain(kernels, win, n_fft).T, n_fft)


def _filtered_power(frames: torch.Tensor, gain_t: torch.Tensor, n_fft: int) -> torch.Tensor:
    """`fft_energy` with the kernels' `fft_gain` computed once, transposed: ``gain_t``."""
    return rfft_power(frames, n_fft) @ gain_t


def _same_values(saved: tuple, params: tuple) -> bool:
    """Whether ``params`` hold the values of ``saved``, on the same device, in the same dtype."""
    return len(saved) == len(params) and all(
        a.device == b.device and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
        for a, b in zip(saved, params))


def time_energy(frames: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Mean squared output of the valid convolution of each frame with each kernel.

    The paper's computation; shapes as in :func:`fft_energy`.
    """
    lead, win = frames.shape[:-1], frames.shape[-1]
    out = nn.functional.conv1d(frames.reshape(-1, 1, win), kernels.unsqueeze(1))
    return out.square().mean(-1).reshape(*lead, kernels.shape[0])


class CosGaussFrontEnd(nn.Module):
    """Compressed filterbank energies of Hamming-weighted frames with learnable filters.

    Parameters
    ----------
    n_filters : int
        Number of filters.
    sample_rate : float
        Sample rate in Hz.
    win_length, hop_length, kernel_size : int
        Frame length, hop and kernel taps, in samples (``kernel_size < win_length``;
        required, though every front end's constructor takes the same arguments).
    path : {"fft", "time", "analytic"}, default="fft"
        How energies are computed (module docstring). With ``"analytic"`` the
        kernel length sets the Gaussian taper, not a truncation.
    init, width, learn_bandwidth, f_min
        Passed to :class:`CosGaussFilterbank`.
    compression : {"relative", "log", "pcen"}, default="relative"
        How energies become the map (:class:`~sklearn_mhr.nn.compression.Compression`).
        Except with ``"log"`` (the authors' form, kept as they wrote it), each
        kernel is scaled to unit energy, so that every filter passes white
        noise at the same level, as the unit-area mel filters do.
    top_db, eps
        Passed to :class:`~sklearn_mhr.nn.compression.Compression`.
    chunk_samples : int, default=2**20
        Frames are transformed in chunks of about this many samples (after
        zero-padding to the DFT length): spectra that fit in the processor's
        cache make a step about twice as fast as one pass over a batch of
        long clips, and bound the memory of inference. The result does not
        change.

    Shapes
    ------
    ``forward``: (batch, n_samples) -> (batch, n_filters, n_frames).
    """

    def __init__(self, n_filters, sample_rate, win_length, hop_length, kernel_size=None, *,
                 path="fft", init="mel", width="paper", learn_bandwidth=False, f_min=0.0,
                 compression="relative", top_db=80.0, eps=1e-6,
                 chunk_samples=CHUNK_SAMPLES):
        super().__init__()
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        if kernel_size is None:
            raise ValueError("kernel_size is required by the learnable front end")
        if not 0 < kernel_size < win_length:
            raise ValueError(
                f"kernel_size must be between 1 and win_length - 1 = {win_length - 1}, "
                f"got {kernel_size}"
            )
        self.filterbank = CosGaussFilterbank(n_filters, kernel_size, sample_rate, init=init,
                                             width=width, learn_bandwidth=learn_bandwidth,
                                             f_min=f_min)
        self.win_length, self.hop_length = int(win_length), int(hop_length)
        self.path, self.chunk_samples = path, int(chunk_samples)
        self.compression = Compression(compression, n_filters, top_db=top_db, eps=eps)
        self.normalize_kernels = compression != "log"
        self._gain_cache = None  # (key, parameter values, weights): see _gain_t
        self.taper = taper_width(kernel_size)
        self.n_fft = (scipy.fft.next_fast_len(self.win_length, real=True) if path == "analytic"
                      else fft_length(self.win_length, kernel_size))
        window = torch.as_tensor(np.hamming(self.win_length), dtype=torch.float32)
        self.register_buffer("window", window)

    @property
    def n_filters(self) -> int:
        return self.filterbank.n_filters

    def centre_frequencies(self) -> np.ndarray:
        """Current centre frequencies of the filters in Hz, sorted."""
        return self.filterbank.centre_frequencies()

    def initial_centre_frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz at initialisation, sorted."""
        return self.filterbank.initial_centre_frequencies()

    def frequency_response(self, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """Magnitude responses of the kernels as applied (unit energy unless ``"log"``).

        Returns
        -------
        freqs : ndarray of shape (n_fft // 2 + 1,)
            Frequencies in Hz (``n_fft`` is raised to the kernel length if
            shorter, except on the analytic path, which has no taps).
        magnitude : ndarray of shape (n_filters, n_fft // 2 + 1)
            ``|H_k(f)|`` on a linear scale; ``|H_k(f)|^2`` weighs the power spectrum.
        """
        if self.path == "analytic":
            n_fft = int(n_fft)
            with torch.no_grad():
                mag = self._analytic_amplitudes(n_fft, torch.float64).abs()
        else:
            n_fft = max(int(n_fft), self.filterbank.kernel_size)
            with torch.no_grad():
                mag = torch.fft.rfft(self.kernels().double(), n=n_fft).abs()
        return np.fft.rfftfreq(n_fft, 1.0 / self.filterbank.sample_rate), mag.cpu().numpy()

    def _analytic_amplitudes(self, n_fft: int, dtype=None) -> torch.Tensor:
        """The analytic path's responses on ``n_fft`` bins, at unit energy unless ``"log"``.

        The energy is the tapered filter's, periodised to the front end's own
        DFT length (the filter that the frames meet).
        """
        s, width = self.filterbank.centres_and_widths()
        if dtype is not None:
            s, width = s.to(dtype), width.to(dtype)
        width = torch.rsqrt(width.pow(-2) + self.taper ** -2)
        grid = partial(_bin_frequencies, dtype=s.dtype, device=s.device)
        response = analytic_response(s, width, grid(n_fft))
        if self.normalize_kernels:
            own = response if n_fft == self.n_fft else analytic_response(s, width,
                                                                         grid(self.n_fft))
            weights = _one_sided_weights(self.n_fft, s.dtype, s.device)
            energy = (own.square() * weights).sum(dim=1, keepdim=True) / self.n_fft
            response = response * torch.rsqrt(energy)
        return response

    def analytic_gain(self) -> torch.Tensor:
        """The analytic path's weights on the rfft bins, (n_filters, n_fft // 2 + 1).

        ``power_spectrum(frame) @ gain.T`` is the energy of the frame's circular
        convolution with each tapered, untruncated filter, over ``win_length``.
        """
        gain = self._analytic_amplitudes(self.n_fft).square()
        weights = _one_sided_weights(self.n_fft, gain.dtype, gain.device)
        return gain * (weights / (self.n_fft * self.win_length))

    def kernels(self) -> torch.Tensor:
        """The fft and time paths' kernels, at unit energy unless ``compression="log"``."""
        kernels = self.filterbank.filters()
        if self.normalize_kernels:
            kernels = kernels / kernels.norm(dim=1, keepdim=True)
        return kernels

    @property
    def spectral(self) -> bool:
        """Whether the energies weigh frame power spectra (every path but the time path).

        Then :meth:`power_spectra` depends on the input alone and
        :meth:`from_spectra` on the parameters alone, so spectra computed once
        can serve every epoch of a fit.
        """
        return self.path != "time"

    def _gain_t(self) -> torch.Tensor:
        """The spectral paths' weights on the rfft bins, transposed: (n_bins, n_filters).

        Without autograd (inference) the weights are kept as long as the
        filters' parameters keep their values, compared element by element:
        inference on the CPU runs long clips one per batch, and recomputing
        the weights for each cost about a sixth of its time at 44.1 kHz.
        """
        caching = not (torch.is_grad_enabled() or torch.compiler.is_compiling()
                       or torch.compiler.is_exporting() or torch.jit.is_tracing())
        if not caching:
            return self._compute_gain_t()
        key = (self.path, self.n_fft, self.win_length, self.normalize_kernels)
        params = tuple(self.filterbank.parameters())
        cached = getattr(self, "_gain_cache", None)
        if cached is not None and cached[0] == key and _same_values(cached[1], params):
            return cached[2]
        gain_t = self._compute_gain_t()
        self._gain_cache = (key, tuple(p.detach().clone() for p in params), gain_t)
        return gain_t

    def _compute_gain_t(self) -> torch.Tensor:
        if self.path == "analytic":
            return self.analytic_gain().T
        return fft_gain(self.kernels(), self.win_length, self.n_fft).T

    def power_spectra(self, x: torch.Tensor) -> torch.Tensor:
        """Power spectra of the scaled, windowed frames: the part that depends on the input alone.

        Shapes: (batch, n_samples) -> (batch, n_frames, n_fft // 2 + 1).
        ``from_spectra(power_spectra(x))`` equals ``forward(x)``. Spectral
        paths only (:attr:`spectral`).
        """
        if not self.spectral:
            raise ValueError("the time path convolves frames with kernels: it has no power "
                             "spectra to compute")
        frames = frame_signal(self.compression.scale_input(x), self.win_length, self.hop_length)
        return map_windowed_chunks(frames, self.window, self.n_fft,
                                   partial(rfft_power, n_fft=self.n_fft), self.chunk_samples)

    def from_spectra(self, power: torch.Tensor) -> torch.Tensor:
        """The map from :meth:`power_spectra`.

        Shapes: (batch, n_frames, n_bins) -> (batch, n_filters, n_frames).
        """
        energy = (power @ self._gain_t()).transpose(1, 2)
        return self.compression(energy).contiguous()

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """Energies before compression: (batch, n_samples) -> (batch, n_filters, n_frames)."""
        frames = frame_signal(x, self.win_length, self.hop_length)
        # samples per frame in flight: the DFT, or the conv's output and input
        if self.spectral:
            length, fn = self.n_fft, partial(_filtered_power, gain_t=self._gain_t(),
                                             n_fft=self.n_fft)
        else:
            kernels = self.kernels()
            length, fn = self.win_length + kernels.shape[-1], partial(time_energy, kernels=kernels)
        energy = map_windowed_chunks(frames, self.window, length, fn, self.chunk_samples)
        return energy.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # contiguous (batch, n_filters, n_frames): convolutions on a strided view are far slower
        return self.compression(self.energy(self.compression.scale_input(x))).contiguous()
