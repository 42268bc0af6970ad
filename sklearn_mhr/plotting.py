"""Pictures of what a fitted model learned (needs matplotlib, the ``plot`` extra).

Each function draws one of the arrays of :mod:`sklearn_mhr.analysis` and
returns its :class:`matplotlib.figure.Figure`; those that need one axis take an
``ax`` to draw into, the others a ``fig``. Save with ``fig.savefig(path)``
(PNG, SVG or PDF, by the path's extension).
"""

from __future__ import annotations

import numpy as np

from sklearn_mhr import analysis

__all__ = ["plot_class_relevance", "plot_clip", "plot_confusion", "plot_filters",
           "plot_group_accuracy", "plot_history", "plot_timeline"]

#: floor of the response plots, in dB below the strongest filter
RESPONSE_FLOOR_DB = -60.0
#: filters whose mean map level is this many dB below the loudest filter's are shaded as having
#: little energy in the clips (the "relative" and "log" maps are natural logs of energies, so
#: 30 dB is 6.9 map units; PCEN maps are not, and get no shading)
LOW_LEVEL_DB = 30.0
#: colour-bar label of a map before or after weighting (the front end's compressed energies)
MAP_UNITS = "log energy"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "sklearn_mhr.plotting needs matplotlib: pip install matplotlib (from a checkout of "
            "sklearn-mhr, pip install \".[plot]\" installs it as the 'plot' extra)") from None
    return plt


def _figure(fig, n_rows: int, n_cols: int = 1, *, size, **kwargs):
    """``fig`` cleared and split into axes, or a new figure of ``size`` inches."""
    plt = _pyplot()
    if fig is None:
        fig = plt.figure(figsize=size, layout="constrained")
    else:
        fig.clear()
    axes = fig.subplots(n_rows, n_cols, squeeze=False, **kwargs)
    return fig, axes.ravel()


def _frequency_ticks(ax, centres: np.ndarray, lo: int, hi: int, n_ticks: int = 5) -> None:
    """Label rows ``lo`` to ``hi - 1`` of a map's filter axis with their centres in Hz."""
    rows = np.unique(np.linspace(lo, hi - 1, n_ticks).round().astype(int))
    ax.set_yticks(rows, [f"{centres[r]:.0f}" for r in rows])
    ax.set_ylabel("centre (Hz)")


def plot_filters(estimator, *, n_fft: int = 4096, fig=None):
    """The filters: how far each centre moved in training, and the responses in dB.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted (with the mel baseline the moves are all zero).
    n_fft : int, default=4096
        DFT length of the responses.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
        Two panels: the move of each filter's centre from its initial value,
        in Hz (left axis) and relative to the filter's half-power bandwidth
        (right axis), against the filter's index; magnitude responses in dB
        below the strongest filter, coloured by centre frequency (colour bar).
    """
    plt = _pyplot()
    table = analysis.filter_table(estimator)
    freqs, magnitude = analysis.frequency_response(estimator, n_fft)
    fig, (moves, responses) = _figure(fig, 1, 2, size=(11, 4))
    moves.axhline(0, color="0.7", lw=0.8)
    moves.plot(table.index, table.moved_hz, "-", color="C0", lw=1.2)
    moves.set(xlabel="filter index (low to high centre)", ylabel="centre move (Hz)",
              xlim=(-0.5, len(table.index) - 0.5))
    moves.tick_params(axis="y", colors="C0")
    relative = 100 * table.moved_hz / table.bandwidth_hz
    share = moves.twinx()
    share.plot(table.index, relative, ":", color="C1", lw=1.2)
    share.set_ylabel("move (% of the filter's bandwidth)", color="C1")
    share.tick_params(axis="y", colors="C1")
    limit = max(float(np.abs(relative).max()), 1e-9) * 1.1
    share.set_ylim(-limit, limit)
    limit = max(float(np.abs(table.moved_hz).max()), 1e-9) * 1.1
    moves.set_ylim(-limit, limit)
    moves.set_title(f"centre moves: mean {np.abs(table.moved_hz).mean():.1f} Hz, "
                    f"{np.abs(relative).mean():.1f} % of bandwidth", fontsize="medium")
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(magnitude / magnitude.max())
    centres = np.asarray(table.learned_hz, dtype=float)
    norm = plt.Normalize(centres.min(), max(centres.max(), centres.min() + 1e-9))
    cmap = plt.get_cmap("viridis")
    for row, centre in zip(db, centres):
        responses.plot(freqs, np.maximum(row, RESPONSE_FLOOR_DB), color=cmap(norm(centre)), lw=0.8)
    responses.set(xlabel="frequency (Hz)", ylabel="magnitude (dB re strongest filter)",
                  title="frequency responses", ylim=(RESPONSE_FLOOR_DB, 3), xlim=(0, freqs[-1]))
    key = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=responses, pad=0.01)
    key.set_label("filter centre (Hz)")
    return fig


def plot_clip(estimator, clip, *, label=None, fig=None):
    """One clip through the network: waveform, map, each head's weights, weighted map.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    clip : ndarray of shape (n_samples,)
        A waveform at ``estimator.sample_rate``.
    label : optional
        The clip's true label, shown beside the prediction.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
        Rows: the waveform; the map before weighting; one weight mask per
        head (its band of filters, colour scale 0 to 1); the weighted map. The
        title names the predicted label and its probability.
    """
    clip = np.asarray(clip)
    if clip.ndim != 1:
        raise ValueError(f"plot_clip takes one clip, a 1-D waveform; got shape {clip.shape}")
    stages = analysis.clip_maps(estimator, [clip])[0]
    centres = np.asarray(estimator.centre_frequencies_)
    seconds = len(clip) / estimator.sample_rate
    bands = stages.head_bands
    fig, axes = _figure(fig, 3 + len(bands), size=(9, 2.0 * (3 + len(bands))), sharex=True)
    axes[0].plot(np.arange(len(clip)) / estimator.sample_rate, clip, lw=0.5, color="C0")
    axes[0].set(ylabel="waveform", xlim=(0, seconds))

    def show(ax, image, rows, title, units, **kwargs):
        picture = ax.imshow(image, aspect="auto", origin="lower", interpolation="nearest",
                            extent=(0, seconds, rows[0] - 0.5, rows[-1] + 0.5), **kwargs)
        ax.set_title(title, fontsize="medium")
        _frequency_ticks(ax, centres, rows[0], rows[-1] + 1)
        ax.set_ylim(rows[0] - 0.5, rows[-1] + 0.5)
        fig.colorbar(picture, ax=ax, pad=0.01).set_label(units)

    every = np.arange(len(centres))
    show(axes[1], stages.map, every, "map before weighting", MAP_UNITS)
    for h, (lo, hi) in enumerate(bands):
        show(axes[2 + h], stages.weights[lo:hi], every[lo:hi],
             f"head {h} weights (filters {lo}-{hi - 1})", "weight (0 to 1)", vmin=0, vmax=1,
             cmap="magma")
    show(axes[-1], stages.weighted, every,
         "weighted map (the back end's input)" if bands else "map (no relevance heads)",
         MAP_UNITS)
    axes[-1].set_xlabel("time (s)")
    best = int(stages.proba.argmax())
    title = f"predicted {estimator.classes_[best]} (p = {stages.proba[best]:.2f})"
    fig.suptitle(title if label is None else f"{title}, true {label}")
    return fig


def plot_class_relevance(estimator, X, y, *, ax=None):
    """Which filters each class's weights favour, against the mean over classes.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted, with relevance heads.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
    y : array-like of shape (n_clips,)
        Labels (see :func:`sklearn_mhr.analysis.class_relevance`).
    ax : matplotlib Axes, optional
        Axes to draw the heat map into; a new figure by default, which also
        gets a panel of the map's level per filter above the heat map.

    Returns
    -------
    fig : matplotlib Figure
        The heat map shows each class's mean weight per filter minus the
        mean over classes, on a scale centred on zero (red: more weight than
        the other classes give that filter, blue: less); the title gives the
        range of the mean weights themselves. White lines separate the heads'
        bands; grey shading marks filters with little energy in the clips
        (``LOW_LEVEL_DB`` below the loudest), whose weights act on next to
        nothing.
    """
    plt = _pyplot()
    rel = analysis.class_relevance(estimator, X, y)
    n_filters = len(rel.centre_frequencies)
    if ax is None:
        fig, (level_ax, ax) = plt.subplots(
            2, 1, sharex=True, height_ratios=(1, max(2.0, 0.45 * len(rel.classes))),
            figsize=(9, max(3.8, 2.2 + 0.45 * len(rel.classes))), layout="constrained")
    else:
        level_ax = None
    level = rel.map_level
    low = level < level.max() - LOW_LEVEL_DB / 10 * np.log(10)
    if estimator.compression == "pcen":
        low[:] = False
    present = rel.n_clips > 0
    mean = rel.per_filter[present].mean(0)
    deviation = rel.per_filter - mean
    span = max(float(np.nanmax(np.abs(deviation))), 1e-6)
    picture = ax.imshow(deviation, aspect="auto", interpolation="nearest", cmap="RdBu_r",
                        vmin=-span, vmax=span)
    for lo, _ in rel.head_bands[1:]:
        ax.axvline(lo - 0.5, color="white", lw=1.5)
    for axis in (ax, level_ax):
        if axis is None:
            continue
        for i in np.flatnonzero(low):
            axis.axvspan(i - 0.5, i + 0.5, color="0.5", alpha=0.35, lw=0, hatch="//")
    ax.set_yticks(np.arange(len(rel.classes)),
                  [f"{c} ({n})" for c, n in zip(rel.classes, rel.n_clips)])
    cols = np.unique(np.linspace(0, n_filters - 1, 8).round().astype(int))
    ax.set_xticks(cols, [f"{rel.centre_frequencies[c]:.0f}" for c in cols])
    ax.set(xlabel="filter centre (Hz)", ylabel="class (clips)")
    ax.set_title(f"relevance weight per filter, each class minus the mean over classes\n"
                 f"(the mean itself ranges from {np.nanmin(mean):.2f} to {np.nanmax(mean):.2f})",
                 fontsize="medium")
    # one colour bar beside both panels keeps their filter columns aligned
    key = ax.figure.colorbar(picture, ax=ax if level_ax is None else [level_ax, ax], pad=0.01)
    key.set_label("weight minus mean over classes")
    if level_ax is not None:
        level_ax.plot(np.arange(n_filters), level, color="C0", lw=1.2)
        level_ax.set_ylabel(f"map level\n({MAP_UNITS})")
        level_ax.set_xlim(-0.5, n_filters - 0.5)
        note = f" (shaded: over {LOW_LEVEL_DB:g} dB below the loudest filter)" if low.any() else ""
        level_ax.set_title(f"mean map before weighting, {int(rel.n_clips.sum())} clips" + note,
                           fontsize="medium")
    return ax.figure


def plot_history(estimator, *, fig=None):
    """Training curves: loss per epoch, and validation accuracy when it was measured.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted (or loaded: saved models keep their history).
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
        Train and validation loss; a second panel with validation accuracy
        when the model was fitted with ``validation_fraction``.
    """
    hist = analysis.training_history(estimator)
    if len(hist.epoch) == 0:
        raise ValueError("the model has no training history to plot")
    has_valid = bool(np.isfinite(hist.valid_acc).any())
    fig, axes = _figure(fig, 1, 2 if has_valid else 1, size=(10 if has_valid else 6, 3.5))
    axes[0].plot(hist.epoch, hist.train_loss, "o-", ms=3, label="train")
    if np.isfinite(hist.valid_loss).any():
        axes[0].plot(hist.epoch, hist.valid_loss, "o-", ms=3, label="validation")
    axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
    axes[0].legend()
    if has_valid:
        axes[1].plot(hist.epoch, hist.valid_acc, "o-", ms=3, color="C1")
        axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02),
                    title="validation accuracy")
    return fig


def plot_group_accuracy(estimator, X, y, groups, *, what="group", fig=None):
    """Accuracy per group of clips (device, fold, speaker), with the mean and the overall.

    A bar per group, labelled with its clip count; dashed lines at the mean
    over groups and at the accuracy over all clips; the title gives the
    spread (best group minus worst). From
    :func:`sklearn_mhr.analysis.accuracy_by_group`.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
    y : array-like of shape (n_clips,)
        True labels.
    groups : array-like of shape (n_clips,)
        The group of each clip.
    what : str, default="group"
        What a group is ("device", "fold", "speaker"), for the axis and title.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
    """
    scores = analysis.accuracy_by_group(estimator, X, y, groups)
    width = max(4.0, 1.0 + 0.6 * len(scores.groups))
    fig, (ax,) = _figure(fig, 1, 1, size=(width, 3.6))
    positions = np.arange(len(scores.groups))
    ax.bar(positions, scores.accuracy, color="tab:blue")
    for x, (acc, n) in enumerate(zip(scores.accuracy, scores.n_clips, strict=True)):
        ax.text(x, acc + 0.01, f"{acc:.2f}\n{n} clips", ha="center", va="bottom", fontsize=8)
    ax.axhline(scores.mean, color="tab:orange", linestyle="--",
               label=f"mean over {what}s {scores.mean:.3f}")
    ax.axhline(scores.overall, color="grey", linestyle=":",
               label=f"all clips {scores.overall:.3f}")
    ax.set_xticks(positions, scores.groups)
    ax.set_xlabel(what)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.15)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Accuracy per {what}: best - worst {scores.spread:.3f} (worst: {scores.worst})")
    return fig


def plot_confusion(estimator, X, y, *, groups=None, normalize="true", fig=None):
    """Confusion matrices (scikit-learn's display), one panel per group when given.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
    y : array-like of shape (n_clips,)
        True labels.
    groups : array-like of shape (n_clips,), optional
        A group per clip, such as the recording device of a DCASE2020 clip:
        one panel for all clips, then one per group.
    normalize : {"true", "pred", "all"} or None, default="true"
        Passed to :class:`sklearn.metrics.ConfusionMatrixDisplay`.
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y = np.asarray(y)
    predicted = estimator.predict(X)
    if len(predicted) != len(y):
        raise ValueError(f"X has {len(predicted)} clips but y has {len(y)} labels")
    panels = [("all clips", np.ones(len(y), bool))]
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries but y has {len(y)} labels")
        panels += [(f"{g}", groups == g) for g in np.unique(groups)]
    n_cols = min(len(panels), 4)
    n_rows = -(-len(panels) // n_cols)
    side = max(3.2, 1.2 + 0.45 * len(estimator.classes_))
    fig, axes = _figure(fig, n_rows, n_cols, size=(side * n_cols, side * n_rows))
    for ax, (name, mask) in zip(axes, panels):
        ConfusionMatrixDisplay.from_predictions(
            y[mask], predicted[mask], labels=estimator.classes_, normalize=normalize, ax=ax,
            colorbar=False, values_format=".2f" if normalize else "d", xticks_rotation="vertical")
        accuracy = float(np.mean(predicted[mask] == y[mask]))
        ax.set_title(f"{name}: accuracy {accuracy:.3f} ({mask.sum()} clips)", fontsize="medium")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig


def plot_timeline(windows, *, title=None, fig=None):
    """Class probabilities over time of one recording, and the label of every moment.

    Parameters
    ----------
    windows : Bunch
        What :func:`sklearn_mhr.windows.predict_windows` (for one clip) or
        :func:`sklearn_mhr.windows.predict_file` returns.
    title : str, optional
        Figure title (the file's name, say).
    fig : matplotlib Figure, optional
        Figure to draw into (cleared); a new one by default.

    Returns
    -------
    fig : matplotlib Figure
        Above, each class's probability at the centre of every window; below,
        a strip coloured by the predicted label, each window's colour from its
        centre to the next window's.
    """
    if len(np.unique(windows.clip)) > 1:
        raise ValueError("plot_timeline draws one recording; select one clip's windows")
    fig, (top, strip) = _figure(fig, 2, size=(10, 4), sharex=True,
                                gridspec_kw={"height_ratios": [4, 1]})
    classes = [str(c) for c in windows.classes]
    colours = _pyplot().get_cmap("tab10" if len(classes) <= 10 else "tab20")
    centres = (np.asarray(windows.start) + np.asarray(windows.end)) / 2
    unit, scale = ("min", 60.0) if centres.size and centres[-1] > 600 else ("s", 1.0)
    for k, name in enumerate(classes):
        top.plot(centres / scale, windows.proba[:, k], color=colours(k % colours.N), lw=1.2,
                 label=name)
    top.set_ylim(0, 1)
    top.set_ylabel("probability")
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    if centres.size:
        edges = np.append(centres, windows.end[-1]) / scale
        edges[0] = windows.start[0] / scale
        index = np.searchsorted(np.asarray(windows.classes), windows.label)
        for k in range(len(classes)):
            spans = [(edges[i], edges[i + 1] - edges[i]) for i in np.flatnonzero(index == k)]
            strip.broken_barh(spans, (0, 1), color=colours(k % colours.N))
    strip.set_yticks([])
    strip.set_ylabel("label")
    strip.set_xlabel(f"time ({unit})")
    if title:
        fig.suptitle(title)
    return fig
