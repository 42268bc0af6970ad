"""Baselines that ``benchmarks.compare`` runs beside the MHR variants.

Each baseline is an estimator with ``fit(X, y)`` and ``predict(X)`` on raw
waveforms, built by `make_baseline`, so that benchmarks.compare times and scores it as
it does the variants (feature extraction counts in the fit and predict times):

- ``logmel_lr``: 64-band log-mel in dB, per-band mean and standard deviation
  over time, standardised, logistic regression;
- ``mfcc_svc``: 20 MFCCs (DCT-II, orthonormal, of the same log-mel), mean and
  standard deviation, standardised, RBF SVC with ``C=10``;
- ``transform_lr``: an `MHRAudioClassifier` trained on the clips, its
  ``transform`` features standardised, logistic regression; when benchmarks.compare
  also runs the same classifier as a variant, that fit's features are reused
  (`save_features`, `load_features`) instead of training it twice;
- ``cnn``: a plain log-mel CNN (`LogMelCNNClassifier`).

Every log-mel is computed by `log_mel_db`: Hamming-weighted frames of the
estimator's default window and hop (0.0464 s and 0.0232 s), triangular mel
filters over the frame's DFT, ``10 * log10(power + 1e-10)`` referred to the
clip's maximum and floored 80 dB below it, as librosa's
``power_to_db(S, ref=np.max, top_db=80)``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path

import numpy as np
import scipy.fft
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch import nn

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.nn.melscale import mel_filter_matrix

__all__ = [
    "BASELINES",
    "LogMelCNNClassifier",
    "LogMelStats",
    "fit_predict",
    "load_features",
    "log_mel_db",
    "make_baseline",
    "mean_after_first",
    "save_features",
]

BASELINES = {
    "logmel_lr": "64-band log-mel (dB), per-band mean and std over time, standardised, "
                 "`LogisticRegression(max_iter=2000)`",
    "mfcc_svc": "20 MFCCs (orthonormal DCT-II of the log-mel), mean and std, standardised, "
                "`SVC(kernel='rbf', C=10)`",
    "transform_lr": "`MHRAudioClassifier` with the `2 heads` variant's parameters and seed, its "
                    "`transform` features (per-filter mean and std of the relevance-weighted map) "
                    "standardised, `LogisticRegression(max_iter=2000)`",
    "cnn": "log-mel CNN: standardised 64-band log-mel (dB), 3 x (conv 3x3, batch norm, ReLU, "
           "max-pool 2x2) with 16/32/64 channels, global max pooling, dropout 0.3, linear; "
           "Adam (lr 1e-3) with a cosine schedule to 0, batch 32",
}
N_MELS = 64
TOP_DB = 80.0
_DEFAULTS = MHRAudioClassifier()
# parameters that change how a fit runs, not what it learns
_RUNTIME_PARAMS = ("n_threads", "n_workers", "verbose")


# ------------------------------------------------------------ features
@functools.lru_cache(maxsize=8)
def _mel_basis(sample_rate: float, win_length: int, n_mels: int) -> tuple[np.ndarray, np.ndarray]:
    """Mel matrix over rfft bins, transposed and divided by the window length, and the window."""
    return mel_filter_matrix(n_mels, win_length, sample_rate).T / win_length, np.hamming(win_length)


def log_mel_db(clip, sample_rate: float, n_mels: int = N_MELS) -> np.ndarray:
    """Log-mel spectrogram of one clip in dB below the clip's maximum.

    Parameters
    ----------
    clip : array-like of shape (n_samples,)
        Waveform.
    sample_rate : float
        Its rate in Hz.
    n_mels : int, default=64
        Mel bands.

    Returns
    -------
    db : ndarray of shape (n_mels, n_frames), float32
        ``10 * log10(power + 1e-10)`` minus its maximum, floored at -80 dB. A
        clip shorter than one window is zero-padded to one window.
    """
    win = round(_DEFAULTS.window_duration * sample_rate)
    hop = max(1, round(_DEFAULTS.hop_duration * sample_rate))
    x = np.asarray(clip, dtype=np.float64)
    if x.shape[0] < win:
        x = np.pad(x, (0, win - x.shape[0]))
    basis, window = _mel_basis(float(sample_rate), win, n_mels)
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop] * window
    spectrum = np.fft.rfft(frames, axis=1)
    power = (np.square(spectrum.real) + np.square(spectrum.imag)) @ basis
    db = 10.0 * np.log10(power + 1e-10)
    return np.maximum(db - db.max(), -TOP_DB).T.astype(np.float32)


class LogMelStats(TransformerMixin, BaseEstimator):
    """Per-band mean and standard deviation over time of the log-mel, or of its MFCCs.

    Parameters
    ----------
    sample_rate : float, default=16000
        Rate of the clips in Hz.
    n_mfcc : int or None, default=None
        Keep the first ``n_mfcc`` coefficients of the orthonormal DCT-II over
        the bands; None keeps the log-mel bands.
    """

    def __init__(self, sample_rate=16000, n_mfcc=None):
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc

    def fit(self, X, y=None):
        """Nothing to learn.

        Returns
        -------
        self : LogMelStats
        """
        return self

    def transform(self, X) -> np.ndarray:
        """Pool every clip's log-mel (or MFCCs) over time.

        Parameters
        ----------
        X : iterable of 1-D arrays
            Waveforms at ``sample_rate``.

        Returns
        -------
        features : ndarray of shape (n_clips, 2 * n_coefficients)
            Means over time, then standard deviations.
        """
        rows = []
        for clip in X:
            coefficients = log_mel_db(clip, self.sample_rate)
            if self.n_mfcc is not None:
                coefficients = scipy.fft.dct(coefficients, type=2, norm="ortho",
                                             axis=0)[:self.n_mfcc]
            rows.append(np.concatenate([coefficients.mean(axis=1), coefficients.std(axis=1)]))
        return np.stack(rows)


# ------------------------------------------------------------------ CNN
class _CNN(nn.Module):
    """Three conv-BN-ReLU-pool blocks, global max pooling, dropout and a linear layer."""

    def __init__(self, n_classes: int, channels=(16, 32, 64), dropout=0.3):
        super().__init__()
        layers, width = [], 1
        for out in channels:
            layers += [nn.Conv2d(width, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            width = out
        self.blocks = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(width, n_classes)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """(batch, n_mels, n_frames) -> (batch, n_classes) logits."""
        pooled = self.blocks(maps.unsqueeze(1)).amax(dim=(2, 3))
        return self.linear(self.dropout(pooled))


class LogMelCNNClassifier(ClassifierMixin, BaseEstimator):
    """A plain CNN on standardised log-mel spectrograms.

    The 64-band log-mel of `log_mel_db` is standardised per band with the
    training clips' mean and standard deviation (over clips and frames), then
    classified by three blocks of conv 3x3 (padding 1), BatchNorm2d, ReLU and
    max-pool 2x2 (16, 32, 64 channels), global max pooling, dropout 0.3 and a
    linear layer, trained with cross-entropy by Adam and a cosine schedule
    (``CosineAnnealingLR`` to 0 over the epochs, stepped once per epoch).

    Parameters
    ----------
    sample_rate : float, default=16000
        Rate of the clips in Hz.
    epochs : int, default=20
        Training epochs.
    batch_size : int, default=32
        Clips per batch.
    lr : float, default=1e-3
        Initial learning rate.
    random_state : int, default=0
        Seeds the weights, dropout and the order of the batches.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    band_mean_, band_std_ : ndarray of shape (n_mels, 1)
        Standardisation of the bands.
    module_ : torch.nn.Module
        The trained network.
    epoch_seconds_ : list of float
        Duration of every training epoch.

    Notes
    -----
    Clips of different lengths are batched by repeating the shorter maps
    along time up to the longest (at least 8 frames, what three poolings
    need), which leaves the global maximum of a map unchanged.
    """

    def __init__(self, sample_rate=16000, epochs=20, batch_size=32, lr=1e-3, random_state=0):
        self.sample_rate = sample_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state

    def _log_mels(self, X) -> list[np.ndarray]:
        return [log_mel_db(clip, self.sample_rate) for clip in X]

    def _standardised(self, maps: list[np.ndarray]) -> list[np.ndarray]:
        return [(m - self.band_mean_) / self.band_std_ for m in maps]

    @staticmethod
    def _batch(maps: list[np.ndarray], idx) -> torch.Tensor:
        chosen = [maps[i] for i in idx]
        n = max(8, max(m.shape[1] for m in chosen))
        return torch.as_tensor(np.stack([np.take(m, np.arange(n) % m.shape[1], axis=1)
                                         for m in chosen]))

    def fit(self, X, y):
        """Train on waveforms.

        Parameters
        ----------
        X : iterable of 1-D arrays
            Waveforms at ``sample_rate``.
        y : array-like of shape (n_clips,)
            Labels.

        Returns
        -------
        self : LogMelCNNClassifier
        """
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        maps = self._log_mels(X)
        frames = np.concatenate(maps, axis=1)
        self.band_mean_ = frames.mean(axis=1, keepdims=True)
        self.band_std_ = frames.std(axis=1, keepdims=True) + 1e-6
        maps = self._standardised(maps)
        torch.manual_seed(self.random_state)
        order_rng = np.random.default_rng(self.random_state)
        self.module_ = _CNN(len(self.classes_))
        optimizer = torch.optim.Adam(self.module_.parameters(), lr=self.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.epochs,
                                                              eta_min=0.0)
        targets = torch.as_tensor(y_idx)
        self.epoch_seconds_ = []
        self.module_.train()
        for _ in range(self.epochs):
            start = time.perf_counter()
            order = order_rng.permutation(len(maps))
            for first in range(0, len(order), self.batch_size):
                idx = order[first:first + self.batch_size]
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(self.module_(self._batch(maps, idx)),
                                                   targets[idx])
                loss.backward()
                optimizer.step()
            schedule.step()
            self.epoch_seconds_.append(time.perf_counter() - start)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted labels, taken from ``classes_``.

        Parameters
        ----------
        X : iterable of 1-D arrays
            Waveforms at ``sample_rate``.

        Returns
        -------
        labels : ndarray of shape (n_clips,)
        """
        maps = self._standardised(self._log_mels(X))
        self.module_.eval()
        predicted = []
        with torch.no_grad():
            for first in range(0, len(maps), self.batch_size):
                idx = range(first, min(first + self.batch_size, len(maps)))
                predicted.append(self.module_(self._batch(maps, idx)).argmax(dim=1).numpy())
        return self.classes_[np.concatenate(predicted)]


# --------------------------------------------------------------- running
def make_baseline(name: str, params: dict):
    """The unfitted estimator of baseline `name`.

    Parameters
    ----------
    name : {"logmel_lr", "mfcc_svc", "transform_lr", "cnn"}
        Baseline.
    params : dict
        ``sample_rate`` for ``logmel_lr`` and ``mfcc_svc``; the
        `MHRAudioClassifier` parameters for ``transform_lr``; the
        `LogMelCNNClassifier` parameters for ``cnn``.

    Returns
    -------
    estimator : object with ``fit(X, y)`` and ``predict(X)``
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose from {list(BASELINES)}")
    if name == "cnn":
        return LogMelCNNClassifier(**params)
    if name == "transform_lr":
        head = MHRAudioClassifier(**params)
    else:
        head = LogMelStats(n_mfcc=20 if name == "mfcc_svc" else None, **params)
    model = SVC(kernel="rbf", C=10.0) if name == "mfcc_svc" else LogisticRegression(max_iter=2000)
    return make_pipeline(head, StandardScaler(), model)


def fit_predict(estimator, X_train, y_train, X_test) -> dict:
    """Fit `estimator`, predict the test clips, and time both.

    Returns
    -------
    measured : dict
        ``y_pred`` (ndarray), ``fit_seconds`` and ``predict_seconds``.
    """
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    y_pred = np.asarray(estimator.predict(X_test))
    return {"y_pred": y_pred, "fit_seconds": fit_seconds,
            "predict_seconds": time.perf_counter() - start}


def mean_after_first(durations) -> float:
    """Mean epoch duration, leaving out the first epoch when there are several."""
    durations = list(durations)
    return float(np.mean(durations[1:] if len(durations) > 1 else durations))


def _learning_params(params: dict) -> str:
    """`MHRAudioClassifier` parameters as JSON, without those that only change how a fit runs."""
    full = MHRAudioClassifier(**params).get_params()
    return json.dumps({k: v for k, v in full.items() if k not in _RUNTIME_PARAMS},
                      sort_keys=True, default=str)


def save_features(path, clf, X_train, X_test, fit_seconds: float) -> None:
    """Write a fitted classifier's ``transform`` features of the train and test clips.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` file to write (atomically: a reader never sees half of it).
    clf : MHRAudioClassifier
        Fitted classifier.
    X_train, X_test : sequences of 1-D arrays
        Its training clips and the test clips.
    fit_seconds : float
        Time `clf` took to fit; stored with the time of the transforms.
    """
    path = Path(path)
    start = time.perf_counter()
    train = clf.transform(X_train)
    fit_seconds += time.perf_counter() - start
    start = time.perf_counter()
    test = clf.transform(X_test)
    predict_seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as f:
        np.savez(f, train=train, test=test, fit_seconds=fit_seconds,
                 predict_seconds=predict_seconds, params=_learning_params(clf.get_params()))
    os.replace(partial, path)


def load_features(path, params: dict) -> dict | None:
    """Features written by `save_features` for a classifier with `params`, or None.

    Returns
    -------
    features : dict or None
        ``train``, ``test``, ``fit_seconds`` (fit and transform of the
        training clips) and ``predict_seconds`` (transform of the test clips);
        None if the file is missing or was written by a classifier with other
        parameters (those that only change how it runs aside).
    """
    path = Path(path)
    if not path.exists():
        return None
    with np.load(path) as stored:
        if str(stored["params"]) != _learning_params(params):
            return None
        return {key: stored[key] if key in ("train", "test") else float(stored[key])
                for key in ("train", "test", "fit_seconds", "predict_seconds")}


def run_baseline(name: str, X_train, y_train, X_test, *, params: dict, n_threads: int,
                 features=None) -> dict:
    """Fit baseline `name` on the training clips and predict the test clips.

    Parameters
    ----------
    name : str
        A key of `BASELINES`.
    X_train, y_train, X_test : sequences
        Training clips and labels, test clips.
    params : dict
        As for `make_baseline`.
    n_threads : int
        Torch threads of this process.
    features : str, os.PathLike or None, default=None
        For ``transform_lr``: features saved by `save_features` from a fit with
        the same parameters, used (then deleted) instead of fitting again when
        they are there.

    Returns
    -------
    measured : dict
        As `fit_predict`, with ``epoch_seconds`` (the CNN's, else None) and
        ``reused_features`` (whether saved features were used).
    """
    torch.set_num_threads(n_threads)
    saved = load_features(features, params) if name == "transform_lr" and features else None
    if saved is not None:
        measured = fit_predict(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                               saved["train"], y_train, saved["test"])
        measured["fit_seconds"] += saved["fit_seconds"]
        measured["predict_seconds"] += saved["predict_seconds"]
        Path(features).unlink()
        return {**measured, "epoch_seconds": None, "reused_features": True}
    estimator = make_baseline(name, params)
    measured = fit_predict(estimator, X_train, y_train, X_test)
    epochs = getattr(estimator, "epoch_seconds_", None)
    return {**measured, "epoch_seconds": mean_after_first(epochs) if epochs else None,
            "reused_features": False}
