"""Hyper-parameter search over `MHRAudioClassifier` with Optuna.

`tune` runs a cross-validated study with per-epoch pruning; workers that
share a storage and a study name share its trials (`make_storage` turns a
journal-file path or an RDB URL into an Optuna storage). docs/search.md
describes single-machine and multi-worker use.
"""

from sklearn_mhr.search._pruner import FoldWarmupPruner
from sklearn_mhr.search._report import save_plots, write_trials_csv
from sklearn_mhr.search._space import default_space, default_space_except
from sklearn_mhr.search._storage import make_storage
from sklearn_mhr.search._tune import SearchResult, tune

__all__ = ["FoldWarmupPruner", "SearchResult", "default_space", "default_space_except",
           "make_storage", "save_plots", "tune", "write_trials_csv"]
