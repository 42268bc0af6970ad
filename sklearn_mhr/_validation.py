"""Checks on waveforms, labels and constructor parameters, with the error texts."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse

__all__ = ["check_clip", "as_clip_sequence", "check_params"]


def check_clip(clip, index) -> np.ndarray:
    """Validate one clip and return it as a contiguous 1-D float32 array.

    ``index`` names the clip in error messages.
    """
    try:
        arr = np.asarray(clip)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"clip {index} could not be read as an array of samples: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"clip {index} has dtype {arr.dtype}; clips must hold numeric samples "
            "(load files with AudioLoader or read_audio first)"
        )
    if arr.ndim != 1:
        raise ValueError(
            f"clip {index} has shape {arr.shape}; each clip must be a 1-D array of samples "
            "(mix multi-channel audio down to mono first)"
        )
    if arr.size == 0:
        raise ValueError(f"clip {index} is empty; every clip needs at least one sample")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"clip {index} contains NaN or infinite samples")
    return arr


def as_clip_sequence(X):
    """Return clips as something indexable by position, and the input dtype.

    Accepted: a 2-D numeric array (one clip per row, all of one length), a
    list/tuple/object array of 1-D arrays of any lengths (validated now), or
    any other sequence with ``__len__`` and ``__getitem__`` (a lazy corpus:
    each clip is validated when it is read).

    Returns
    -------
    clips : sequence
        ``clips[i]`` is clip ``i``.
    dtype : numpy dtype
        float32 when the input is float32 throughout (an AudioSequence is), float64
        otherwise.
    """
    if X is None:
        raise ValueError("X is None; expected waveforms: a 2-D array or a list of 1-D arrays")
    if scipy.sparse.issparse(X):
        raise TypeError("Sparse input is not supported; X must hold dense waveforms")
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"X is a string ({X!r:.60}); expected waveforms. Turn file paths into waveforms "
            "with sklearn_mhr.AudioLoader"
        )
    if not isinstance(X, (list, tuple)) and hasattr(X, "__array__"):
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise ValueError("Complex data not supported; X must hold real-valued samples")
        if X.dtype != object or X.ndim != 1:
            from sklearn.utils import check_array

            if X.ndim != 2:
                raise ValueError(
                    f"Expected a 2-D array of waveforms (n_clips, n_samples) or a list of 1-D "
                    f"arrays, got an array of shape {X.shape}. Reshape your data using "
                    "X.reshape(1, -1) if it contains a single clip."
                )
            X = check_array(X, dtype=(np.float64, np.float32), input_name="X")
            return X, X.dtype
    if isinstance(X, (list, tuple, np.ndarray)):
        if len(X) == 0:
            raise ValueError("X contains no clips; at least one is needed")
        clips = []
        dtype = np.dtype(np.float32)
        for i, clip in enumerate(X):
            if np.asarray(clip).dtype != np.float32:
                dtype = np.dtype(np.float64)
            clips.append(check_clip(clip, i))
        return clips, dtype
    if hasattr(X, "__len__") and hasattr(X, "__getitem__"):
        if len(X) == 0:
            raise ValueError("X contains no clips; at least one is needed")
        from .datasets.lazy import AudioSequence

        # an AudioSequence decodes to float32; other sequences are unknown until read
        lazy_dtype = np.float32 if isinstance(X, AudioSequence) else np.float64
        return X, np.dtype(lazy_dtype)
    raise TypeError(
        f"X must be a 2-D array of waveforms or a sequence of 1-D arrays, got {type(X).__name__}"
    )


_CHOICES = {
    "front_end": ("cosgauss", "mel"),
    "front_end_path": ("fft", "time"),
    "compression": ("relative", "log", "pcen"),
    "filter_init": ("mel", "uniform", "random"),
    "head_activation": ("sigmoid", "softmax"),
    "relevance_scaling": ("none", "band"),
    "back_end": ("light", "fcnn", "cnn_lstm"),
    "optimizer": ("adam", "sgd"),
    "lr_schedule": ("constant", "cosine", "warm_restarts"),
}


def check_params(est) -> None:
    """Check every constructor parameter; raise one ValueError listing all problems."""
    p = est.get_params(deep=False)
    problems = []

    def need(name, ok, what):
        if not ok:
            problems.append(f"{name} must be {what}, got {p[name]!r}")

    def is_int(v):
        return isinstance(v, Integral) and not isinstance(v, bool)

    def is_real(v):
        return isinstance(v, Real) and not isinstance(v, bool)

    for name, choices in _CHOICES.items():
        need(name, p[name] in choices, f"one of {list(choices)}")
    for name in ("sample_rate", "window_duration", "hop_duration", "kernel_duration", "lr",
                 "filter_lr_factor", "top_db"):
        need(name, is_real(p[name]) and p[name] > 0, "a positive number")
    for name in ("n_filters", "head_hidden", "back_end_width", "max_epochs", "batch_size", "patience",
                 "restart_period"):
        need(name, is_int(p[name]) and p[name] >= 1, "a positive integer")
    for name in ("n_heads", "context", "n_workers", "freq_mask_width", "time_mask_width", "n_masks"):
        need(name, is_int(p[name]) and p[name] >= 0, "a non-negative integer")
    need("momentum", is_real(p["momentum"]) and 0 <= p["momentum"] < 1, "in [0, 1)")
    need("mixup_alpha", is_real(p["mixup_alpha"]) and p["mixup_alpha"] >= 0, "a number >= 0")
    need("random_crop", p["random_crop"] is None
         or (is_real(p["random_crop"]) and p["random_crop"] > 0), "None or a positive number")
    need("dropout", is_real(p["dropout"]) and 0 <= p["dropout"] < 1, "in [0, 1)")
    need("weight_decay", is_real(p["weight_decay"]) and p["weight_decay"] >= 0, "a number >= 0")
    need("validation_fraction", p["validation_fraction"] is None
         or (is_real(p["validation_fraction"]) and 0 < p["validation_fraction"] < 1),
         "None or a number in (0, 1)")
    need("n_threads", p["n_threads"] is None or (is_int(p["n_threads"]) and p["n_threads"] >= 1),
         "None or a positive integer")
    need("device", isinstance(p["device"], str) and (
        p["device"] in ("auto", "cpu") or p["device"].startswith("cuda")), "'auto', 'cpu' or 'cuda[:N]'")
    if is_int(p["n_heads"]) and is_int(p["n_filters"]) and p["n_heads"] > p["n_filters"] >= 1:
        problems.append(
            f"n_heads must not exceed n_filters (each head needs at least one filter), "
            f"got n_heads={p['n_heads']} and n_filters={p['n_filters']}"
        )
    if p["front_end"] == "mel" and p["front_end_path"] == "time":
        problems.append("front_end_path='time' applies to front_end='cosgauss' only; "
                        "the mel front end has a single path")
    if not problems:
        sr = p["sample_rate"]
        win = round(p["window_duration"] * sr)
        kernel = round(p["kernel_duration"] * sr) | 1
        if win < 2:
            problems.append(f"window_duration={p['window_duration']} s is under two samples at "
                            f"sample_rate={sr}")
        elif p["front_end"] == "cosgauss" and kernel >= win:
            problems.append(
                f"kernel_duration={p['kernel_duration']} s ({kernel} taps) must be shorter than "
                f"window_duration={p['window_duration']} s ({win} samples); keep kernels well "
                "under half the window"
            )
    if problems:
        raise ValueError(f"Invalid parameters for {type(est).__name__}: " + "; ".join(problems))
