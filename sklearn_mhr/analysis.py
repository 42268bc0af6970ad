"""What a fitted model learned, as arrays: filters, maps, relevance weights, training history.

Every function takes a fitted :class:`~sklearn_mhr.MHRAudioClassifier` and
returns NumPy arrays (in :class:`sklearn.utils.Bunch` objects where there are
several); :mod:`sklearn_mhr.plotting` draws them. They work alike for the
learnable front end and for the mel baseline, whose filters simply do not
move; :func:`class_relevance` needs relevance heads and says so when a model
has none.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from sklearn_mhr._numbers import is_number
from sklearn_mhr._skorch.inference import run

__all__ = ["accuracy_by_group", "class_relevance", "clip_maps", "filter_table",
           "frequency_response", "group_scores", "half_power_bandwidths", "training_history"]

#: DFT length of the responses that bandwidths are measured on (a few Hz per bin)
BANDWIDTH_N_FFT = 16384

#: per-epoch entries of the training history that :func:`training_history` returns
HISTORY_KEYS = ("train_loss", "valid_loss", "valid_acc", "dur")


def _module(estimator):
    check_is_fitted(estimator)
    return estimator.net_.module_


def frequency_response(estimator, n_fft: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude responses of the model's filters as it applies them.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted, with either front end (the mel bands' responses are the
        square roots of their triangles, which weigh the power spectrum).
    n_fft : int, default=1024
        DFT length of the responses.

    Returns
    -------
    freqs : ndarray of shape (n_fft // 2 + 1,)
        Frequencies in Hz.
    magnitude : ndarray of shape (n_filters, n_fft // 2 + 1)
        ``|H_k(f)|`` on a linear scale, filters sorted by centre frequency.
    """
    return _module(estimator).front_end.frequency_response(n_fft)


def half_power_bandwidths(freqs: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Width in Hz of the band around each response's peak where its power is at least half.

    Parameters
    ----------
    freqs : ndarray of shape (n_bins,)
        Increasing frequencies in Hz.
    magnitude : ndarray of shape (n_filters, n_bins)
        Magnitude responses, ``|H_k(f)|``.

    Returns
    -------
    bandwidth : ndarray of shape (n_filters,)
        The -3 dB bandwidth, with the crossings interpolated between bins; a
        band that reaches 0 Hz or the last bin is cut there.
    """
    power = np.asarray(magnitude, dtype=np.float64) ** 2
    freqs = np.asarray(freqs, dtype=np.float64)
    widths = np.empty(len(power))
    for k, row in enumerate(power):
        peak = int(row.argmax())
        half = row[peak] / 2
        below = np.flatnonzero(row[:peak] < half)
        above = np.flatnonzero(row[peak:] < half)
        lo = freqs[0] if below.size == 0 else _crossing(freqs, row, below[-1], half)
        hi = freqs[-1] if above.size == 0 else _crossing(freqs, row, peak + above[0] - 1, half)
        widths[k] = hi - lo
    return widths


def _crossing(freqs, row, i, level) -> float:
    """Frequency between bins ``i`` and ``i + 1`` where ``row`` crosses ``level``, linearly."""
    a, b = row[i], row[i + 1]
    t = 0.5 if a == b else (level - a) / (b - a)
    return float(freqs[i] + t * (freqs[i + 1] - freqs[i]))


def filter_table(estimator) -> Bunch:
    """One row per filter: where it started, where it is, its bandwidth, how far it moved.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted. With the mel baseline the initial and learned centres are the
        same fixed mel centres and nothing moves.

    Returns
    -------
    table : Bunch of ndarrays of shape (n_filters,)
        ``index``; ``initial_hz`` and ``learned_hz``, the centre frequencies
        before and after training; ``moved_hz``, ``learned_hz - initial_hz``;
        ``bandwidth_hz``, the learned filters' half-power bandwidths
        (:func:`half_power_bandwidths`).
    """
    front_end = _module(estimator).front_end
    initial = np.asarray(front_end.initial_centre_frequencies(), dtype=np.float64)
    learned = np.asarray(front_end.centre_frequencies(), dtype=np.float64)
    freqs, magnitude = front_end.frequency_response(BANDWIDTH_N_FFT)
    return Bunch(index=np.arange(len(learned)), initial_hz=initial, learned_hz=learned,
                 moved_hz=learned - initial,
                 bandwidth_hz=half_power_bandwidths(freqs, magnitude))


def clip_maps(estimator, X) -> list[Bunch]:
    """Every stage of the network for each clip: map, head weights, weighted map, probabilities.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays

    Returns
    -------
    clips : list of Bunch, one per clip
        ``map``: the front end's map before weighting, (n_filters, n_frames);
        ``weights``: the relevance weights of the same shape, rows
        ``head_bands[h]`` from head ``h``, in [0, 1] (with softmax heads each
        band's column sums to one), or None without heads; ``weighted``: the
        map the back end sees, ``weights * map + map`` (scaled per band with
        ``relevance_scaling="band"``), the map itself without heads;
        ``proba``: the class probabilities, (n_classes,), in the order of
        ``classes_``; ``head_bands``: the (start, stop) filter rows of each head.
    """
    check_is_fitted(estimator)
    bands = [tuple(band) for band in estimator.head_bands_]

    def stages(module, waves):
        tf_map, weights, weighted = module.stages(waves)
        proba = torch.softmax(module.back_end(weighted).double(), dim=1)
        return [Bunch(map=m.cpu().numpy(), weighted=r.cpu().numpy(),
                      weights=None if weights is None else weights[i].cpu().numpy(),
                      proba=p.cpu().numpy(), head_bands=bands)
                for i, (m, r, p) in enumerate(zip(tf_map, weighted, proba))]

    outputs, _ = run(estimator, X, stages)
    return outputs


def _time_profile(weights: torch.Tensor, bands, n_bins: int) -> np.ndarray:
    """Each head's mean weight over its band, at ``n_bins`` equal fractions of the clip."""
    n_frames = weights.shape[-1]
    frame_pos = (np.arange(n_frames) + 0.5) / n_frames
    bin_pos = (np.arange(n_bins) + 0.5) / n_bins
    return np.stack([np.interp(bin_pos, frame_pos, weights[lo:hi].mean(0).double().cpu().numpy())
                     for lo, hi in bands])


def class_relevance(estimator, X, y, *, n_time_bins: int = 20) -> Bunch:
    """Mean relevance weights per class: which bands and which moments each class relies on.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted, with ``n_heads >= 1``.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
    y : array-like of shape (n_clips,)
        Labels, each one of ``estimator.classes_`` (true labels show what
        the model relies on for each class; predicted ones, what drives each
        decision).
    n_time_bins : int, default=20
        Points of the time profiles, at equal fractions of each clip's length,
        so clips of different lengths average together.

    Returns
    -------
    relevance : Bunch
        ``classes`` (n_classes,), as ``estimator.classes_``; ``n_clips``
        (n_classes,); ``per_filter`` (n_classes, n_filters), the mean weight of
        each filter over a class's clips and frames; ``per_head``
        (n_classes, n_heads), the mean over each head's band; ``over_time``
        (n_classes, n_heads, n_time_bins), each head's band-mean weight
        along the clip; ``time`` (n_time_bins,), the fraction of the clip at
        each point; ``head_bands``; ``centre_frequencies`` (n_filters,), Hz;
        ``map_level`` (n_filters,), the mean of the map before weighting over
        every clip and frame (a filter with little energy in the clips has a
        level near the map's floor, and its weights say little).
        Rows of classes absent from ``y`` are NaN. Weights lie in [0, 1].

    Raises
    ------
    ValueError
        If the model has no relevance heads, ``y`` holds labels the model does
        not know, or ``X`` and ``y`` differ in length.
    """
    check_is_fitted(estimator)
    if not estimator.head_bands_:
        raise ValueError(
            "this model has no relevance heads (n_heads=0, as the mel baseline): there are no "
            "relevance weights to average; filter_table and clip_maps still apply")
    if not (isinstance(n_time_bins, int | np.integer) and n_time_bins >= 1):
        raise ValueError(f"n_time_bins must be a positive integer, got {n_time_bins!r}")
    y = np.asarray(y)
    classes = estimator.classes_
    unknown = sorted(set(np.unique(y).tolist()) - set(classes.tolist()))
    if unknown:
        raise ValueError(f"y holds labels the model was not trained on: {unknown[:5]}; "
                         f"its classes are {classes.tolist()}")
    bands = [tuple(band) for band in estimator.head_bands_]

    def summary(module, waves):
        tf_map, weights, _ = module.stages(waves)
        return [(w.mean(-1).double().cpu().numpy(), _time_profile(w, bands, n_time_bins),
                 m.mean(-1).double().cpu().numpy()) for w, m in zip(weights, tf_map)]

    outputs, _ = run(estimator, X, summary)
    if len(outputs) != len(y):
        raise ValueError(f"X has {len(outputs)} clips but y has {len(y)} labels")
    index = np.searchsorted(classes, y)  # classes_ is sorted, as np.unique sorts
    n_filters, n_heads = bands[-1][1], len(bands)
    per_filter = np.zeros((len(classes), n_filters))
    over_time = np.zeros((len(classes), n_heads, n_time_bins))
    counts = np.bincount(index, minlength=len(classes))
    map_level = np.zeros(n_filters)
    for c, (filters, profile, level) in zip(index, outputs):
        per_filter[c] += filters
        over_time[c] += profile
        map_level += level / max(len(outputs), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_filter /= counts[:, None]
        over_time /= counts[:, None, None]
    per_head = np.stack([per_filter[:, lo:hi].mean(1) for lo, hi in bands], axis=1)
    return Bunch(classes=classes, n_clips=counts, per_filter=per_filter, per_head=per_head,
                 over_time=over_time, time=(np.arange(n_time_bins) + 0.5) / n_time_bins,
                 head_bands=bands,
                 centre_frequencies=np.asarray(estimator.centre_frequencies_, dtype=np.float64),
                 map_level=map_level)


def training_history(estimator) -> Bunch:
    """The training history per epoch, as arrays (kept by saved and reloaded models).

    Returns
    -------
    history : Bunch of ndarrays of shape (n_epochs,)
        ``epoch`` (from 1); ``train_loss``; ``valid_loss`` and ``valid_acc``
        (NaN unless a validation fraction was set); ``dur``, seconds per
        epoch. Epochs of every ``fit`` and ``partial_fit`` call since the
        model was built, in order.
    """
    check_is_fitted(estimator)
    records = list(estimator.net_.history)
    columns = {key: np.array([_number(r.get(key)) for r in records], dtype=np.float64)
               for key in HISTORY_KEYS}
    return Bunch(epoch=np.arange(1, len(records) + 1), **columns)


def group_scores(y_true, y_pred, groups) -> Bunch:
    """Accuracy within each group of clips (device, fold, speaker...), and its spread.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_clips,)
        True and predicted labels.
    groups : array-like of shape (n_clips,)
        The group of each clip.

    Returns
    -------
    scores : Bunch
        ``groups`` (sorted, as strings), ``accuracy`` and ``n_clips`` per group
        (ndarrays in that order), ``overall`` (accuracy over all clips),
        ``mean`` and ``std`` (over groups, each group weighing the same),
        ``spread`` (best group's accuracy minus the worst's) and ``worst``
        (the name of the worst group).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    groups = np.asarray(groups).astype(str)
    if not (len(y_true) == len(y_pred) == len(groups)):
        raise ValueError(f"y_true, y_pred and groups must have one entry per clip; got lengths "
                         f"{len(y_true)}, {len(y_pred)} and {len(groups)}")
    if len(groups) == 0:
        raise ValueError("no clips to score: y_true is empty")
    names = np.unique(groups)
    correct = y_true == y_pred
    accuracy = np.array([correct[groups == g].mean() for g in names])
    return Bunch(groups=names, accuracy=accuracy,
                 n_clips=np.array([(groups == g).sum() for g in names]),
                 overall=float(correct.mean()), mean=float(accuracy.mean()),
                 std=float(accuracy.std()), spread=float(accuracy.max() - accuracy.min()),
                 worst=str(names[accuracy.argmin()]))


def accuracy_by_group(estimator, X, y, groups) -> Bunch:
    """Accuracy of ``estimator`` within each group of clips: per device, fold or speaker.

    A model that holds up on a device or source it never saw in training
    scores alike on every group; the spread says how far it is from that.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
        Waveforms.
    y : array-like of shape (n_clips,)
        True labels.
    groups : array-like of shape (n_clips,)
        The group of each clip, e.g. the ``device`` of a DCASE2020 loader's
        Bunch, the ``fold`` of UrbanSound8K's, or the ``groups`` of a folder's.

    Returns
    -------
    scores : Bunch
        As :func:`group_scores` gives.
    """
    check_is_fitted(estimator)
    return group_scores(y, estimator.predict(X), groups)


def _number(value) -> float:
    return float(value) if is_number(value, finite=True) else math.nan
