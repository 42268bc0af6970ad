"""Labels for every moment of a recording: a fitted model applied to windows of each clip.

A window of ``window`` seconds starts every ``hop`` seconds. Both are turned
into samples once: the window into ``round(window * sample_rate)`` samples,
the hop into an exact fraction of samples, and window ``k`` starts at the
sample nearest to ``k * hop * sample_rate``, computed in integers. Start and
end times are those sample offsets divided by the rate, so they do not drift
over hours and stay exact for hops that do not divide the sample rate (0.3 s
at 22,050 Hz is 6615 samples; 1/3 s at 44,100 Hz is 14,700).

The samples after the last whole window (the *tail*) are handled by ``tail``:

- ``"end"`` (default): one more window, aligned to the end of the clip, so
  that every sample is labelled and every window holds only real audio; its
  start is off the hop grid.
- ``"pad"``: one more window at the next start of the grid, zero-padded to
  the window length; its ``end`` is the end of the clip.
- ``"drop"``: no window for the tail (its samples get no label).

A clip shorter than one window gives one window holding the whole clip with
``"end"`` (the clip itself, as :meth:`~sklearn_mhr.MHRAudioClassifier.predict`
sees it), the clip zero-padded to one window with ``"pad"``, and none with
``"drop"``.

Windows go through the network in batches (:mod:`sklearn_mhr._skorch.inference`),
and each window is classified on its own: its probabilities equal those of
``predict_proba`` on the same samples cut out by hand (to float32 rounding,
1e-5 is tested). :func:`~sklearn_mhr.stream.predict_file` reads a file longer than memory block
by block through a :class:`~sklearn_mhr.stream.WindowStream`
(:func:`sklearn_mhr.stream.predict_file`).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from numbers import Real

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from sklearn_mhr._inputs import as_clip_sequence, check_clip
from sklearn_mhr._skorch import inference
from sklearn_mhr._window_tails import TAILS

__all__ = ["DEFAULT_WINDOW", "TAILS", "TIME_KEYS", "WindowGrid", "cut_windows", "predict_windows",
           "probabilities_result", "transform_windows", "window_grid", "window_times"]

#: window in seconds of a model saved before models recorded their training clips' length
DEFAULT_WINDOW = 1.0
#: largest denominator kept when a hop in seconds is read as a fraction (1/3 s stays 1/3)
_HOP_DENOMINATOR = 10**6


class WindowGrid:
    """Where the windows of a clip start and end, in samples.

    Parameters
    ----------
    window : int
        Window length in samples.
    hop : fractions.Fraction
        Hop in samples, exactly (at least one sample).
    tail : {"end", "pad", "drop"}
        What to do with the samples after the last whole window (module docs).
    sample_rate : float
        Rate of the samples, in Hz (for times in seconds).
    """

    def __init__(self, window: int, hop: Fraction, tail: str, sample_rate: float):
        self.window, self.hop, self.tail, self.sample_rate = window, hop, tail, sample_rate

    def start(self, k: int) -> int:
        """Sample at which window ``k`` of the grid starts: ``k * hop`` rounded half up."""
        return (2 * k * self.hop.numerator + self.hop.denominator) // (2 * self.hop.denominator)

    def n_whole(self, n_samples: int) -> int:
        """How many windows of the grid lie wholly inside ``n_samples`` samples."""
        if n_samples < self.window:
            return 0
        # start(k) <= n - window  <=>  k * hop + 1/2 < n - window + 1
        return math.ceil((n_samples - self.window + Fraction(1, 2)) / self.hop)

    def tail_window(self, n_samples: int, n_whole: int) -> tuple[int, int] | None:
        """``(start, stop)`` of the tail's window, or None when there is none.

        ``stop`` may pass ``n_samples`` (``"pad"``: the rest is zeros).
        """
        covered = self.start(n_whole - 1) + self.window if n_whole else 0
        following = self.start(n_whole)
        if self.tail == "drop" or covered >= n_samples or following >= n_samples:
            return None
        if self.tail == "pad":
            return following, following + self.window
        return max(0, n_samples - self.window), n_samples

    def bounds(self, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and stop samples of every window of a clip of ``n_samples`` samples."""
        n_whole = self.n_whole(n_samples)
        k = np.arange(n_whole, dtype=np.int64)
        p, q = self.hop.numerator, self.hop.denominator
        if 2 * (n_whole * p + q) < 2**63:  # int64 holds the products: vectorised
            starts = (2 * k * p + q) // (2 * q)
        else:
            starts = np.array([self.start(int(i)) for i in k], dtype=np.int64)
        stops = starts + self.window
        last = self.tail_window(n_samples, n_whole)
        if last is not None:
            starts = np.append(starts, last[0])
            stops = np.append(stops, last[1])
        return starts, stops


def _positive_seconds(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def window_grid(estimator, window=None, hop=None, tail: str = "end") -> WindowGrid:
    """The windows of a fitted model's recordings, from durations in seconds.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    window : float or None, default=None
        Window in seconds. None takes the length of the clips the model was
        trained on (``clip_samples_``); a model saved before that was
        recorded falls back to :data:`DEFAULT_WINDOW` (1 s) with a warning.
    hop : float or None, default=None
        Hop between window starts in seconds; None is half the window.
    tail : {"end", "pad", "drop"}, default="end"
        The samples after the last whole window (module docs).

    Returns
    -------
    WindowGrid

    Raises
    ------
    ValueError
        For a window or hop that is not a positive number or is under one
        sample, or an unknown ``tail``.
    """
    check_is_fitted(estimator)
    rate = float(estimator.sample_rate)
    if tail not in TAILS:
        raise ValueError(f"tail must be one of {list(TAILS)}, got {tail!r}")
    if window is None:
        n_window = getattr(estimator, "clip_samples_", None)
        if n_window is None:
            warnings.warn(
                "this model does not record the length of its training clips (it was saved by "
                f"an older sklearn_mhr): windows of {DEFAULT_WINDOW:g} s are used; pass window= "
                "(seconds) to choose, or save the model again after fitting it", UserWarning,
                stacklevel=3)
            n_window = round(DEFAULT_WINDOW * rate)
    else:
        n_window = round(_positive_seconds(window, "window") * rate)
        if n_window < 1:
            raise ValueError(f"window={window} s is under one sample at {rate:g} Hz")
    if hop is None:
        n_hop = Fraction(n_window, 2) if n_window > 1 else Fraction(1)
    else:
        n_hop = Fraction(_positive_seconds(hop, "hop")).limit_denominator(_HOP_DENOMINATOR) \
            * Fraction(rate)
        if n_hop < 1:
            raise ValueError(f"hop={hop} s is under one sample at {rate:g} Hz; pass a longer hop")
    return WindowGrid(int(n_window), n_hop, tail, rate)


class _Cuts:
    """Windows cut from clips without copying, zero-padded where they pass the clip's end."""

    def __init__(self):
        self.waves, self.starts, self.stops = [], [], []

    def add(self, wave: np.ndarray, starts, stops) -> None:
        self.waves += [wave] * len(starts)
        self.starts += list(starts)
        self.stops += list(stops)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> np.ndarray:
        wave, start, stop = self.waves[i], self.starts[i], self.stops[i]
        cut = wave[start:stop]
        missing = stop - start - cut.shape[0]
        return np.pad(cut, (0, missing)) if missing else cut


def window_times(grid: WindowGrid, clip, starts, stops, lengths) -> dict:
    """Clip index and start and end (samples and seconds) of each window."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.minimum(np.asarray(stops, dtype=np.int64), np.asarray(lengths, dtype=np.int64))
    return dict(clip=np.asarray(clip, dtype=np.int64), start_sample=starts, end_sample=ends,
                start=starts / grid.sample_rate, end=ends / grid.sample_rate)


def cut_windows(estimator, clips, grid: WindowGrid, fn, chunk: int | None = None):
    """``fn`` applied to every window of every clip, in batches.

    ``clips`` is a sequence as :func:`~sklearn_mhr._inputs.as_clip_sequence`
    returns it (each clip is checked as it is read).

    Yields ``(times, outputs)`` for successive groups of windows, in clip
    order then time order: ``times`` as in :func:`predict_windows` (without
    the outputs), ``outputs`` one per window.
    """
    chunk = chunk or estimator.batch_size * 8
    cuts, index, lengths = _Cuts(), [], []
    for i in range(len(clips)):
        wave = check_clip(clips[i], i)
        starts, stops = grid.bounds(wave.shape[0])
        cuts.add(wave, starts, stops)
        index += [i] * len(starts)
        lengths += [wave.shape[0]] * len(starts)
        if len(cuts) >= chunk or i == len(clips) - 1:
            outputs = inference.run_clips(estimator, cuts, fn) if len(cuts) else []
            yield window_times(grid, index, cuts.starts, cuts.stops, lengths), outputs
            cuts, index, lengths = _Cuts(), [], []


#: the per-window entries of a result that say where each window is
TIME_KEYS = ("clip", "start_sample", "end_sample", "start", "end")


def probabilities_result(estimator, parts, grid: WindowGrid) -> Bunch:
    """The Bunch of :func:`predict_windows` from ``(times, logits)`` parts, in order."""
    times = {key: np.concatenate([t[key] for t, _ in parts]) for key in TIME_KEYS}
    logits = [row for _, outputs in parts for row in outputs]
    n_classes = len(estimator.classes_)
    proba = inference.probabilities(np.stack(logits) if logits else np.empty((0, n_classes)))
    return Bunch(**times, proba=proba, label=estimator.classes_[proba.argmax(axis=1)],
                 classes=estimator.classes_, sample_rate=grid.sample_rate)


def predict_windows(estimator, X, *, window=None, hop=None, tail: str = "end") -> Bunch:
    """Class probabilities and labels of every window of every clip.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    X : ndarray of shape (n_clips, n_samples), or sequence of 1-D arrays
        Recordings at the model's ``sample_rate``, of any lengths.
    window : float or None, default=None
        Window in seconds; None is the length of the model's training clips
        (:func:`window_grid`).
    hop : float or None, default=None
        Seconds between window starts; None is half the window.
    tail : {"end", "pad", "drop"}, default="end"
        The samples after the last whole window (module docs).

    Returns
    -------
    windows : Bunch
        One entry per window, clip by clip, in time order: ``clip`` (index
        in ``X``), ``start_sample`` and ``end_sample`` (int64, ``end`` never
        past the clip's end), ``start`` and ``end`` in seconds (those offsets
        divided by ``sample_rate``), ``proba`` (n_windows, n_classes),
        columns in the order of ``classes``, and ``label``; plus ``classes``
        and ``sample_rate``.

    Examples
    --------
    >>> from sklearn_mhr import MHRAudioClassifier
    >>> from sklearn_mhr.datasets import make_sound_scenes
    >>> X, y = make_sound_scenes(40, duration=0.5, random_state=0)
    >>> clf = MHRAudioClassifier(n_filters=16, max_epochs=1, random_state=0).fit(X, y)
    >>> w = clf.predict_windows(X[:2], window=0.25, hop=0.125)
    >>> w.start.tolist()
    [0.0, 0.125, 0.25, 0.0, 0.125, 0.25]
    """
    grid = window_grid(estimator, window, hop, tail)
    clips, _ = as_clip_sequence(X)
    parts = list(cut_windows(estimator, clips, grid, inference.logits))
    return probabilities_result(estimator, parts, grid)


def transform_windows(estimator, X, *, window=None, hop=None, tail: str = "end") -> Bunch:
    """The ``transform`` features of every window of every clip.

    Parameters are those of :func:`predict_windows`.

    Returns
    -------
    windows : Bunch
        ``clip``, ``start_sample``, ``end_sample``, ``start``, ``end`` as in
        :func:`predict_windows`, ``features`` (n_windows, 2 * n_filters),
        float32 for float32 input and float64 otherwise, and ``sample_rate``.
    """
    grid = window_grid(estimator, window, hop, tail)
    clips, dtype = as_clip_sequence(X)
    parts = list(cut_windows(estimator, clips, grid, inference.pooled_features))
    times = {key: np.concatenate([t[key] for t, _ in parts]) for key in TIME_KEYS}
    rows = [row for _, outputs in parts for row in outputs]
    width = 2 * estimator.centre_frequencies_.shape[0]
    features = np.stack(rows) if rows else np.empty((0, width))
    return Bunch(**times, features=features.astype(dtype, copy=False),
                 sample_rate=grid.sample_rate)
