"""Torch modules of the multi-head relevance network."""

from .backends import CNNLSTM, FCNN, LightCNN
from .cosgauss import CosGaussFilterbank
from .frontend import CosGaussFrontEnd, fft_energy, time_energy
from .mel import LogMelFrontEnd
from .network import BACK_ENDS, FRONT_ENDS, MHRNet
from .relevance import MultiHeadRelevance, RelevanceHead, band_edges

__all__ = [
    "BACK_ENDS", "CNNLSTM", "CosGaussFilterbank", "CosGaussFrontEnd", "FCNN", "FRONT_ENDS",
    "LightCNN", "LogMelFrontEnd", "MHRNet", "MultiHeadRelevance", "RelevanceHead",
    "band_edges", "fft_energy", "time_energy",
]
