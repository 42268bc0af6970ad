"""Multi-head relevance weighting of learnable raw-waveform filterbanks, for scikit-learn."""

from .estimator import MHRAudioClassifier

__version__ = "0.1.0"

__all__ = ["MHRAudioClassifier", "__version__"]
