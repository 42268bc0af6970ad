"""Torch modules of the multi-head relevance network."""

from sklearn_mhr.nn.backends import CNNLSTM, FCNN, LightCNN
from sklearn_mhr.nn.cosgauss import CosGaussFilterbank
from sklearn_mhr.nn.frontend import CosGaussFrontEnd, analytic_response, fft_energy, time_energy
from sklearn_mhr.nn.mel import LogMelFrontEnd
from sklearn_mhr.nn.network import BACK_ENDS, FRONT_ENDS, MHRNet
from sklearn_mhr.nn.relevance import MultiHeadRelevance, RelevanceHead, band_edges

__all__ = [
    "BACK_ENDS", "CNNLSTM", "CosGaussFilterbank", "CosGaussFrontEnd", "FCNN", "FRONT_ENDS",
    "LightCNN", "LogMelFrontEnd", "MHRNet", "MultiHeadRelevance", "RelevanceHead",
    "analytic_response", "band_edges", "fft_energy", "time_energy",
]
