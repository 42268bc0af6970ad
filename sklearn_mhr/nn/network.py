"""The full network: front end, relevance heads, back end."""

from __future__ import annotations

import torch
from torch import nn

from sklearn_mhr.nn.augment import MapMasking
from sklearn_mhr.nn.backends import CNNLSTM, FCNN, LightCNN
from sklearn_mhr.nn.device_chain import RecordingChain, chain_probability
from sklearn_mhr.nn.frontend import CosGaussFrontEnd
from sklearn_mhr.nn.mel import LogMelFrontEnd
from sklearn_mhr.nn.mixstyle import FreqMixStyle
from sklearn_mhr.nn.relevance import MultiHeadRelevance
from sklearn_mhr.nn.residual_norm import ResidualNorm

__all__ = ["MHRNet", "FRONT_ENDS", "BACK_ENDS", "resolve_front_end_path"]

FRONT_ENDS = {"cosgauss": CosGaussFrontEnd, "mel": LogMelFrontEnd}
BACK_ENDS = {"light": LightCNN, "fcnn": FCNN, "cnn_lstm": CNNLSTM}


def resolve_front_end_path(front_end_path: str, front_end: str) -> str:
    """The path that ``front_end_path`` asks for with ``front_end``.

    ``"auto"`` is ``"analytic"`` for the learnable filters (chosen on the
    development corpora: docs/benchmarks.md, "The filters' shape under
    recording chains") and ``"fft"``, its one path, for the mel front end;
    any other value is taken as it is.
    """
    if front_end_path == "auto":
        return "analytic" if front_end == "cosgauss" else "fft"
    return front_end_path


def _lookup(registry: dict, kind: str, name) -> type:
    if name not in registry:
        raise ValueError(f"{kind} must be one of {sorted(registry)}, got {name!r}")
    return registry[name]


class MHRNet(nn.Module):
    """Raw waveform -> time-frequency map -> relevance heads -> back end -> logits.

    Parameters
    ----------
    n_classes : int
        Number of outputs.
    sample_rate : float
        Sample rate in Hz.
    win_length, hop_length, kernel_size : int
        Frame length, hop and filter taps in samples (``kernel_size`` is
        unused by the mel front end).
    front_end : {"cosgauss", "mel"}, default="cosgauss"
        Learnable filterbank or fixed log-mel (the baseline).
    n_filters : int, default=80
        Filters (or mel bands).
    front_end_path : {"auto", "fft", "time", "analytic"}, default="auto"
        How the learnable front end computes energies (its ``path``);
        ``"auto"``: see :func:`resolve_front_end_path`.
    filter_init : {"mel", "uniform", "random"}, default="mel"
        Initial centre frequencies of the learnable filters (its ``init``).
    filter_width : {"paper", "mel"}, default="paper"
        How the learnable filters' widths follow their centres (its ``width``).
    learn_bandwidth : bool, default=False
        Learn filter widths independently of their centres.
    compression : {"relative", "log", "pcen"}, default="relative"
        How either front end turns energies into the map
        (:class:`~sklearn_mhr.nn.compression.Compression`).
    top_db : float, default=80.0
        Dynamic range of the ``"relative"`` map, in dB below the clip's loudest bin.
    n_heads : int, default=2
        Relevance heads; 0 turns relevance weighting off.
    context, head_hidden, head_activation, relevance_scaling
        Passed to :class:`~sklearn_mhr.nn.relevance.MultiHeadRelevance` as its
        ``context``, ``hidden``, ``activation`` and ``scaling``.
    back_end : {"light", "fcnn", "cnn_lstm"}, default="light"
        Classifier on top of the map.
    back_end_width : int, default=16
        Channels of the back end's first block.
    dropout : float, default=0.2
        Dropout in the back end.
    freq_mask_width, time_mask_width, n_masks : int, default=0, 0, 2
        SpecAugment masking of the map in training
        (:class:`~sklearn_mhr.nn.augment.MapMasking`); 0 widths turn it off.
    device_augment : float or "auto", default="auto"
        Probability that a training clip's frame power spectra go through a
        random recording chain (:class:`~sklearn_mhr.nn.device_chain.RecordingChain`);
        a number above 0 needs a front end that computes power spectra (not the
        time path). ``"auto"``: 0.8 on those front ends, 0 on the time path
        (:func:`~sklearn_mhr.nn.device_chain.chain_probability`).
    freq_mixstyle : float, default=0.3
        Probability that a training batch's maps mix their per-band statistics
        (:class:`~sklearn_mhr.nn.mixstyle.FreqMixStyle`).
    residual_norm : float or None, default=None
        Weight of the residual of the map's normalisation per filter over
        time (:class:`~sklearn_mhr.nn.residual_norm.ResidualNorm`), before the
        heads, in training and inference; None leaves the map as it is.

    Shapes
    ------
    ``forward``: (batch, n_samples) -> (batch, n_classes); or, for a spectral
    front end, ``forward(spectra=...)`` with the frame power spectra
    (batch, n_frames, n_bins) of ``front_end.power_spectra``.

    Notes
    -----
    The parameters carry the names of the estimator's, so that
    :class:`~sklearn_mhr.MHRAudioClassifier` passes its own through unchanged;
    this constructor is the one place where they take the names of the parts.
    """

    def __init__(self, n_classes, sample_rate, win_length, hop_length, kernel_size, *,
                 front_end="cosgauss", n_filters=80, front_end_path="auto", filter_init="mel",
                 filter_width="paper", learn_bandwidth=False, compression="relative",
                 top_db=80.0, n_heads=2, context=10, head_hidden=16, head_activation="sigmoid",
                 relevance_scaling="none", back_end="light", back_end_width=16, dropout=0.2,
                 freq_mask_width=0, time_mask_width=0, n_masks=2, device_augment="auto",
                 freq_mixstyle=0.3, residual_norm=None):
        super().__init__()
        front_cls = _lookup(FRONT_ENDS, "front_end", front_end)
        back_cls = _lookup(BACK_ENDS, "back_end", back_end)
        self.front_end = front_cls(n_filters, sample_rate, win_length, hop_length, kernel_size,
                                   path=resolve_front_end_path(front_end_path, front_end),
                                   init=filter_init, width=filter_width,
                                   learn_bandwidth=learn_bandwidth, compression=compression,
                                   top_db=top_db)
        self.relevance = (
            MultiHeadRelevance(n_filters, n_heads, context=context, hidden=head_hidden,
                               activation=head_activation, scaling=relevance_scaling)
            if n_heads > 0 else None
        )
        self.back_end = back_cls(n_filters, n_classes, width=back_end_width, dropout=dropout)
        self.masking = MapMasking(freq_mask_width, time_mask_width, n_masks)
        self.mixstyle = FreqMixStyle(freq_mixstyle)
        self.residual_norm = ResidualNorm(residual_norm)
        device_augment = chain_probability(device_augment, self.front_end.spectral)
        if device_augment and not self.front_end.spectral:
            raise ValueError("device_augment draws recording chains on frame power spectra, "
                             "which the time path does not compute; use front_end_path='fft' "
                             "or 'analytic'")
        self.recording_chain = RecordingChain(device_augment, sample_rate, self.front_end.n_fft)

    @property
    def spectral(self) -> bool:
        """Whether the front end's map can be computed from frame power spectra given once.

        Then ``forward(spectra=net.front_end.power_spectra(x))`` equals
        ``forward(x)``: a fit can compute the spectra, which depend on the
        clips alone, once instead of every epoch.
        """
        return self.front_end.spectral

    def stages(self, x: torch.Tensor | None = None, *, spectra: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """The map before weighting, the weights (None without heads) and the weighted map.

        Shapes: (batch, n_samples) waveforms ``x``, or their frame power spectra
        ``spectra`` (batch, n_frames, n_bins) from ``front_end.power_spectra``,
        -> (batch, n_filters, n_frames) three times; without heads the weighted
        map is the map itself.
        """
        if spectra is None and self.training and self.recording_chain.p:
            spectra = self.front_end.power_spectra(x)
        if spectra is None:
            tf_map = self.front_end(x)
        else:
            tf_map = self.front_end.from_spectra(self.recording_chain(spectra))
        tf_map = self.residual_norm(tf_map)
        tf_map = self.masking(self.mixstyle(tf_map))  # augmentations: identity outside training
        if self.relevance is None:
            return tf_map, None, tf_map
        weighted, weights = self.relevance(tf_map)
        return tf_map, weights, weighted

    def representation(self, x: torch.Tensor | None = None, *,
                       spectra: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The relevance-weighted map and the weights (None without heads).

        Inputs as in :meth:`stages`; shapes (batch, n_filters, n_frames) twice.
        """
        _, weights, weighted = self.stages(x, spectra=spectra)
        return weighted, weights

    def forward(self, x: torch.Tensor | None = None, spectra: torch.Tensor | None = None
                ) -> torch.Tensor:
        # skorch passes a batch that is a dict as keyword arguments: {"spectra": ...}
        return self.back_end(self.representation(x, spectra=spectra)[0])
