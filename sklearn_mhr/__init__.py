"""Multi-head relevance weighting of learnable raw-waveform filterbanks, for scikit-learn.

Public names are imported on first use, so that processes which only read
audio (``AudioLoader`` workers, say) do not pay for importing torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "MHRAudioClassifier": "sklearn_mhr.estimator",
    "AudioLoader": "sklearn_mhr.io",
    "read_audio": "sklearn_mhr.io",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'sklearn_mhr' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
