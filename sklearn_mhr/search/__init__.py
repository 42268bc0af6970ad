"""Hyper-parameter search over `MHRAudioClassifier` with Optuna.

`tune` runs a cross-validated study with per-epoch pruning; workers that
share a storage and a study name share its trials (`make_storage` turns a
journal-file path or an RDB URL into an Optuna storage). docs/search.md
describes single-machine and multi-worker use.
"""

from ._pruner import FoldWarmupPruner
from ._report import save_plots, write_trials_csv
from ._space import default_space, default_space_except
from ._storage import make_storage
from ._tune import SearchResult, tune

__all__ = ["FoldWarmupPruner", "SearchResult", "default_space", "default_space_except", "make_storage", "save_plots", "tune",
           "write_trials_csv"]
