"""Random recording chains applied to frame power spectra, in training only."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["RecordingChain", "AUTO_PROBABILITY", "chain_probability",
           "exponential_draws"]

# what device_augment="auto" means on a front end that computes power spectra: chosen on the
# development corpora (docs/benchmarks.md, "Stronger chains with Freq-MixStyle by default")
AUTO_PROBABILITY = 0.8


def chain_probability(device_augment: float | str, spectral: bool) -> float:
    """The probability that ``device_augment`` asks for, on a front end that is or is not spectral.

    ``"auto"`` is `AUTO_PROBABILITY` where the front end computes frame power spectra, and 0
    on the time path, which does not; a number is taken as it is.
    """
    if device_augment == "auto":
        return AUTO_PROBABILITY if spectral else 0.0
    return float(device_augment)


def _uniform(low: float, high: float, shape, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(shape, device=device)


def exponential_draws(like: torch.Tensor) -> torch.Tensor:
    """Independent Exp(1) draws of the shape, dtype and device of ``like``.

    On the CPU, numpy's ziggurat sampler (seeded from torch's generator, so
    ``torch.manual_seed`` and the estimator's ``random_state`` still fix every
    draw) is about twice as fast as ``-log1p(-U)`` on torch's sequential
    generator, and four times as fast as ``Tensor.exponential_``; elsewhere
    the draws are ``-log1p(-U)`` on the device.
    """
    if like.device.type != "cpu" or like.dtype not in (torch.float32, torch.float64):
        return torch.rand_like(like).neg_().log1p_().neg_()
    seed = int(torch.randint(0, 2**62, (1,)))
    dtype = np.float32 if like.dtype == torch.float32 else np.float64
    out = np.empty(tuple(like.shape), dtype=dtype)
    np.random.default_rng(seed).standard_exponential(out=out, dtype=dtype, method="zig")
    return torch.from_numpy(out)


class RecordingChain(nn.Module):
    """Give clips the response and noise of a random microphone and recording chain.

    A recording device filters the sound (band limits, the resonances of a
    small capsule or loudspeaker, a spectral tilt) and adds its own noise
    (hiss, mains hum). Filtering by a response much shorter than a frame
    multiplies each frame's power spectrum by the response's squared
    magnitude, and noise adds its power, so both are drawn here directly on
    the power spectra, where a fit may have computed them once: each clip of
    a training batch, with probability ``p``, gets

    - a high-pass at 30 to 500 Hz and a low-pass at 2.5 kHz to the Nyquist
      frequency (log-uniform), each Butterworth-shaped of order 1, 2 or 4;
    - 0 to 3 resonances or dips, Gaussian in log frequency, -9 to +12 dB,
      a fifth of an octave to an octave wide, centred from 200 Hz to 8 kHz;
    - a tilt of -3 to +3 dB per octave around 1 kHz;
    - hiss at 10 to 40 dB below the clip's mean power, white to pink, its
      power per bin exponential as that of Gaussian noise is;
    - with probability 1/3, mains hum at 50 or 60 Hz and two harmonics, 15 to
      35 dB below the clip's power.

    Non-linear stages (clipping, codecs) cannot be drawn on power spectra and
    are left out. In evaluation mode, and with ``p=0``, the spectra pass
    unchanged and no random number is drawn.

    Parameters
    ----------
    p : float
        Probability that a training clip goes through a random chain.
    sample_rate : float
        Sample rate in Hz.
    n_fft : int
        DFT length of the spectra (their ``n_fft // 2 + 1`` bins).

    Shapes
    ------
    ``forward``: (batch, n_frames, n_fft // 2 + 1) power spectra -> the same shape.
    """

    def __init__(self, p: float, sample_rate: float, n_fft: int):
        super().__init__()
        self.p, self.sample_rate, self.n_fft = float(p), float(sample_rate), int(n_fft)
        freqs = torch.arange(self.n_fft // 2 + 1, dtype=torch.float32) * (sample_rate / n_fft)
        self.register_buffer("freqs", freqs.clamp_min(sample_rate / n_fft / 2), persistent=False)

    def response(self, batch: int) -> torch.Tensor:
        """Random squared magnitude responses of ``batch`` chains, (batch, n_bins)."""
        device = self.freqs.device
        f = self.freqs.unsqueeze(0)
        nyquist = self.sample_rate / 2
        order = torch.tensor([1.0, 2.0, 4.0], device=device)[torch.randint(0, 3, (batch, 1),
                                                                            device=device)]
        low = torch.exp(_uniform(math.log(30.0), math.log(500.0), (batch, 1), device))
        high_lo = min(2500.0, 0.9 * nyquist)
        high = torch.exp(_uniform(math.log(high_lo), math.log(nyquist), (batch, 1), device))
        power = 1 / (1 + (low / f) ** (2 * order)) / (1 + (f / high) ** (2 * order))
        octaves = torch.log2(f / 1000.0)
        db = _uniform(-3.0, 3.0, (batch, 1), device) * octaves
        n_peaks = torch.randint(0, 4, (batch, 1), device=device)
        for k in range(3):
            centre = torch.log2(torch.exp(_uniform(math.log(200.0), math.log(8000.0),
                                                   (batch, 1), device)) / 1000.0)
            width = _uniform(0.2, 1.0, (batch, 1), device) / 2.355  # FWHM in octaves to sigma
            gain = _uniform(-9.0, 12.0, (batch, 1), device) * (k < n_peaks)
            db = db + gain * torch.exp(-0.5 * ((octaves - centre) / width) ** 2)
        return power * 10 ** (db / 10)

    def noise_levels(self, level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Random hiss and hum of clips whose mean power per bin is ``level``.

        Returns the hiss's mean power per bin and the hum's power per bin, both
        (batch, 1, n_bins): a frame's hiss is the first times independent Exp(1)
        draws (the power of Gaussian noise in a bin), its hum the second.
        """
        batch = level.shape[0]
        device = level.device
        f = self.freqs.view(1, 1, -1)
        colour = (f / 1000.0) ** -_uniform(0.0, 1.0, (batch, 1, 1), device)
        colour = colour / colour.mean(dim=-1, keepdim=True)
        hiss_db = _uniform(-40.0, -10.0, (batch, 1, 1), device)
        hiss = level * 10 ** (hiss_db / 10) * colour
        mains = torch.where(torch.rand(batch, 1, 1, device=device) < 0.5, 50.0, 60.0)
        hum_db = _uniform(-35.0, -15.0, (batch, 1, 1), device)
        on = (torch.rand(batch, 1, 1, device=device) < 1 / 3).to(level.dtype)
        bin_width = self.sample_rate / self.n_fft
        lines = sum(torch.exp(-0.5 * ((f - k * mains) / bin_width) ** 2) for k in (1, 2, 3))
        # each line's bins sum to sqrt(2 pi): the three carry the clip's power times 10**(dB/10)
        n_bins = f.shape[-1]
        hum = on * level * 10 ** (hum_db / 10) * n_bins * lines / (3 * math.sqrt(2 * math.pi))
        return hiss, hum

    def forward(self, spectra: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return spectra
        chosen = torch.rand(spectra.shape[0], device=spectra.device) < self.p
        index = chosen.nonzero().squeeze(1)
        if index.numel() == 0:
            return spectra
        # only the chosen clips are touched, each full-size tensor as few times as possible:
        # the spectra are the largest tensors of a step at high sample rates
        recorded = spectra.index_select(0, index)
        recorded.mul_(self.response(index.numel()).to(spectra.dtype).unsqueeze(1))
        hiss, hum = self.noise_levels(recorded.mean(dim=(1, 2), keepdim=True))
        draws = exponential_draws(recorded)
        recorded.add_(draws.mul_(hiss).add_(hum))
        return spectra.index_copy(0, index, recorded)
