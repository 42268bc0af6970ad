"""The learnable cosine-modulated Gaussian filterbank of the MHR paper."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sklearn_mhr.nn.melscale import hz_to_mel, mel_frequencies

__all__ = ["CosGaussFilterbank", "INITS", "RANDOM_LOGIT_RANGE", "WIDTHS"]

INITS = ("mel", "uniform", "random")
WIDTHS = ("paper", "mel")

#: Interval of the logits ``mu`` that ``init="random"`` draws from uniformly: the authors'
#: ``torch.rand(ngf) * (-5) + 1.3`` (ASC/learn_means/Net_learn_means_AcFB.py, and
#: Net_raw_para_AcFB_ModFB_2stageWeighting.py of the filterbank's original code).
RANDOM_LOGIT_RANGE = (-3.7, 1.3)


def _initial_logits(n_filters: int, init: str, f_min: float, nyquist: float) -> np.ndarray:
    """Initial logits ``mu`` (float64, sorted) whose sigmoids are the normalised centres."""
    if init == "random":
        # the authors' draw: mu ~ U(-3.7, 1.3) in logit space, from torch's (seeded) generator;
        # s = sigmoid(mu) then lies in (0.024, 0.786), i.e. 2.4 % to 78.6 % of the Nyquist frequency
        low, high = RANDOM_LOGIT_RANGE
        mu = high - (high - low) * torch.rand(n_filters, dtype=torch.float64)
        return np.sort(mu.numpy())
    if init == "mel":
        hz = mel_frequencies(n_filters + 2, f_min, nyquist)[1:-1]
    elif init == "uniform":
        hz = np.linspace(f_min, nyquist, n_filters + 2)[1:-1]
    else:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    s = np.clip(hz / nyquist, 1e-4, 1 - 1e-4)
    return np.log(s / (1 - s))


class CosGaussFilterbank(nn.Module):
    """Cosine-modulated Gaussian filters with learnable centre frequencies.

    Filter ``k`` with parameter ``mu_k`` and ``s_k = sigmoid(mu_k)`` is, on a
    tap axis ``t`` centred on zero,
    ``h_k[t] = cos(pi s_k t) exp(-t^2 / (2 (10 / s_k)^2))``: its centre
    frequency is ``s_k * sample_rate / 2`` and its Gaussian width ``5 / f_k``
    seconds, so the bandwidth depends only on the centre frequency in Hz.
    Centres are sorted in every pass so the filter axis stays ordered by
    frequency.

    Parameters
    ----------
    n_filters : int
        Number of filters.
    kernel_size : int
        Number of taps (odd).
    sample_rate : float
        Sample rate in Hz, used only to report frequencies in Hz.
    init : {"mel", "uniform", "random"}, default="mel"
        Initial centre frequencies: ``"mel"`` spaces them on the mel scale
        between ``f_min`` and the Nyquist frequency (endpoints excluded),
        ``"uniform"`` linearly; ``"random"`` draws the logits
        ``mu ~ U(-3.7, 1.3)`` (:data:`RANDOM_LOGIT_RANGE`), sorted, as the
        authors' code does: centres between about 2.4 % and 78.6 % of the
        Nyquist frequency, denser at low frequencies (uniform in ``mu`` is
        close to uniform in log frequency there). The draw uses torch's
        generator, so ``torch.manual_seed`` (or the estimator's
        ``random_state``) fixes it.
    width : {"paper", "mel"}, default="paper"
        How the Gaussian width follows the centre frequency ``f``: the paper's
        ``5 / f`` seconds, whatever the sample rate and the number of filters;
        or ``"mel"``, a half-power bandwidth equal to the spacing of
        ``n_filters`` mel-spaced centres at ``f`` (the width of a mel
        triangle), so that the filters tile the band as a mel filterbank does
        at any sample rate. A kernel shorter than the Gaussian truncates it.
    learn_bandwidth : bool, default=False
        Learn a per-filter width factor ``exp(beta_k)`` (starts at 1) on top
        of the width tied to the centre frequency.
    f_min : float, default=0.0
        Lowest edge in Hz of the mel or uniform initial spacing.

    References
    ----------
    Dutta, Agrawal, Ganapathy, "A multi-head relevance weighting framework for
    learning raw waveform audio representations", WASPAA 2021, arXiv:2107.14793.
    """

    def __init__(self, n_filters, kernel_size, sample_rate, *, init="mel", width="paper",
                 learn_bandwidth=False, f_min=0.0):
        super().__init__()
        self.n_filters = int(n_filters)
        self.kernel_size = int(kernel_size)
        self.sample_rate = float(sample_rate)
        self.init = init
        if width not in WIDTHS:
            raise ValueError(f"width must be one of {WIDTHS}, got {width!r}")
        self.width = width
        self.learn_bandwidth = bool(learn_bandwidth)
        self.f_min = float(f_min)
        logits = _initial_logits(self.n_filters, init, self.f_min, self.sample_rate / 2)
        mu = torch.as_tensor(logits, dtype=torch.float32)
        self.mu = nn.Parameter(mu)
        self.register_buffer("mu_init", mu.clone())
        if self.learn_bandwidth:
            self.log_width = nn.Parameter(torch.zeros(self.n_filters))
        self.register_buffer(
            "taps", torch.arange(self.kernel_size, dtype=torch.float32) - (self.kernel_size - 1) / 2
        )

    def forward(self, *args, **kwargs):
        raise RuntimeError("A filterbank holds kernels; apply it with CosGaussFrontEnd.")

    def normalized_centres(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Sorted ``s = sigmoid(mu)`` and the permutation that sorts them."""
        return torch.sort(torch.sigmoid(self.mu))

    def centres_and_widths(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Sorted ``s = sigmoid(mu)`` and the Gaussian widths in taps, each (n_filters, 1)."""
        s, order = self.normalized_centres()
        s = s.unsqueeze(1)
        width = 10.0 / s if self.width == "paper" else self._mel_width(s)
        if self.learn_bandwidth:
            width = width * torch.exp(self.log_width[order]).unsqueeze(1)
        return s, width

    def filters(self) -> torch.Tensor:
        """Kernels of shape (n_filters, kernel_size), sorted by centre frequency."""
        s, width = self.centres_and_widths()
        t = self.taps.to(s.dtype)
        return torch.cos(np.pi * s * t) * torch.exp(-(t**2) / (2 * width**2))

    def _mel_width(self, s: torch.Tensor) -> torch.Tensor:
        """Gaussian width in taps whose half-power bandwidth is the mel spacing at ``s``."""
        nyquist = self.sample_rate / 2
        step = (float(hz_to_mel(nyquist)) - float(hz_to_mel(self.f_min))) / (self.n_filters + 1)
        spacing_hz = step * (700.0 + s * nyquist) / 1127.0  # d(mel)/df = 1127 / (700 + f)
        # |H|^2 is a Gaussian of std sigma_f / sqrt(2): half power at 2.3548 of that
        sigma_hz = np.sqrt(2.0) * spacing_hz / 2.3548
        return self.sample_rate / (2 * np.pi * sigma_hz)

    def centre_frequencies(self) -> np.ndarray:
        """Current centre frequencies in Hz, sorted, as a NumPy array."""
        with torch.no_grad():
            s, _ = self.normalized_centres()
        return s.double().cpu().numpy() * self.sample_rate / 2

    def initial_centre_frequencies(self) -> np.ndarray:
        """Centre frequencies in Hz at initialisation, sorted."""
        s = torch.sort(torch.sigmoid(self.mu_init.double()))[0]
        return s.cpu().numpy() * self.sample_rate / 2

    def frequency_response(self, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """Magnitude responses of the current filters.

        Returns
        -------
        freqs : ndarray of shape (n_fft // 2 + 1,)
            Frequencies in Hz.
        magnitude : ndarray of shape (n_filters, n_fft // 2 + 1)
            ``|H_k(f)|`` on a linear scale.
        """
        n_fft = max(int(n_fft), self.kernel_size)
        with torch.no_grad():
            mag = torch.fft.rfft(self.filters().double(), n=n_fft).abs()
        return np.fft.rfftfreq(n_fft, 1.0 / self.sample_rate), mag.cpu().numpy()
