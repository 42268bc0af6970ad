"""The one way in for inference: from clips to the network's outputs, batched.

``predict``, ``predict_proba`` and ``transform`` of
:class:`~sklearn_mhr.MHRAudioClassifier`, :mod:`sklearn_mhr.analysis`,
:mod:`sklearn_mhr.windows` and :mod:`sklearn_mhr.stream` all reach the
network through :func:`run`, and turn its outputs into probabilities and
features with the functions below, so that a window of a recording and the
same samples given as a clip get the same numbers.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from sklearn_mhr._inputs import as_clip_sequence
from sklearn_mhr._skorch.clips import apply_in_batches

__all__ = ["logits", "pooled_features", "probabilities", "run", "run_clips"]


def run_clips(estimator, clips, fn) -> list:
    """``fn(module, waveforms)`` for every clip of a checked sequence; outputs in input order.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    clips : sequence
        ``clips[i]`` is a 1-D array of samples (checked as it is read).
    fn : callable
        Takes the network and a (batch, n_samples) tensor of clips of one
        length, returns one output per clip (indexable by position).
    """
    check_is_fitted(estimator)
    return apply_in_batches(estimator.net_.module_, clips, fn, estimator.batch_size,
                            estimator.n_threads)


def run(estimator, X, fn) -> tuple[list, np.dtype]:
    """Check ``X`` as the estimator's inference methods do, then :func:`run_clips`.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
        Waveforms at the estimator's ``sample_rate``.
    fn : callable
        As in :func:`run_clips`.

    Returns
    -------
    outputs : list
        One output per clip, in input order.
    dtype : numpy dtype
        float32 when ``X`` is float32 throughout, float64 otherwise.
    """
    check_is_fitted(estimator)
    clips, dtype = as_clip_sequence(X)
    if isinstance(clips, np.ndarray):
        _check_feature_names(estimator, X, reset=False)
    return run_clips(estimator, clips, fn), dtype


def logits(module, waves: torch.Tensor) -> np.ndarray:
    """The network's outputs (before the softmax) as float64, one row per clip."""
    return module(waves).double().cpu().numpy()


def probabilities(values: np.ndarray) -> np.ndarray:
    """Softmax of :func:`logits` rows, in float64, each row renormalised to sum to one.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_classes)
        Stacked logits (zero rows allowed).

    Returns
    -------
    proba : ndarray of shape (n_rows, n_classes)
    """
    values = np.asarray(values, dtype=np.float64)
    values = values - values.max(axis=1, keepdims=True)
    proba = np.exp(values)
    return proba / proba.sum(axis=1, keepdims=True)


def pooled_features(module, waves: torch.Tensor) -> np.ndarray:
    """The relevance-weighted map's mean and standard deviation over time, per filter."""
    rep = module.representation(waves)[0]
    return torch.cat([rep.mean(-1), rep.std(-1, correction=0)], dim=1).cpu().numpy()
