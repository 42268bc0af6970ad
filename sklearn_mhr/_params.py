"""Checks on MHRAudioClassifier's constructor parameters, with the error texts.

Valid option names come from where each option is implemented (the network's
registries, the optimizers and schedules of the skorch glue), so they are
defined once.
"""

from __future__ import annotations

import os
import re

from skorch.callbacks import Callback

from sklearn_mhr._lengths import sample_lengths
from sklearn_mhr._numbers import is_int, is_number
from sklearn_mhr._skorch import LR_SCHEDULES, OPTIMIZERS
from sklearn_mhr._skorch.build import OWN_CALLBACKS
from sklearn_mhr._skorch.net import PRECISIONS
from sklearn_mhr.nn import BACK_ENDS, FRONT_ENDS
from sklearn_mhr.nn.compression import COMPRESSIONS
from sklearn_mhr.nn.cosgauss import INITS, WIDTHS
from sklearn_mhr.nn.frontend import PATHS
from sklearn_mhr.nn.relevance import ACTIVATIONS, SCALINGS

__all__ = ["CHOICES", "check_params"]

#: valid values of each option parameter, in the order the docs list them
CHOICES = {
    "front_end": tuple(FRONT_ENDS),
    "front_end_path": ("auto",) + PATHS,
    "compression": COMPRESSIONS,
    "filter_init": INITS,
    "filter_width": WIDTHS,
    "head_activation": ACTIVATIONS,
    "relevance_scaling": SCALINGS,
    "back_end": tuple(BACK_ENDS),
    "optimizer": tuple(OPTIMIZERS),
    "lr_schedule": LR_SCHEDULES,
    "precision": tuple(PRECISIONS),
}


#: fewest taps of a cos-Gauss kernel: fewer cannot hold a filter's centre and both flanks
MIN_KERNEL_TAPS = 5

#: longest frame, in samples: 2**22 is 87 s at 48 kHz, and its spectra take 32 MiB per frame
MAX_FRAME_SAMPLES = 2**22


def _callback_problems(callbacks) -> list[str]:
    """What is wrong with the ``callbacks`` parameter, if anything."""
    if callbacks is None:
        return []
    if not isinstance(callbacks, list | tuple):
        return [f"callbacks must be None or a list of skorch callbacks, got {callbacks!r}"]
    problems = []
    for i, item in enumerate(callbacks):
        name, callback = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        if not isinstance(callback, Callback) or not (name is None or isinstance(name, str)):
            problems.append(f"callbacks[{i}] must be a skorch Callback or a (name, Callback) "
                            f"pair, got {item!r}")
        elif name in OWN_CALLBACKS:
            problems.append(f"callbacks[{i}] is named {name!r}, a name the estimator uses "
                            f"itself ({', '.join(OWN_CALLBACKS)}); choose another")
    return problems


def check_params(est) -> None:
    """Check every constructor parameter; raise one ValueError listing all problems."""
    p = est.get_params(deep=False)
    problems = []

    def need(name, ok, what):
        if not ok:
            problems.append(f"{name} must be {what}, got {p[name]!r}")

    for name, choices in CHOICES.items():
        need(name, p[name] in choices, f"one of {list(choices)}")
    need("sample_rate", not is_number(p["sample_rate"], finite=True)
         or float(p["sample_rate"]).is_integer(),
         "a whole number of Hz, as every audio reader takes")
    for name in ("sample_rate", "window_duration", "hop_duration", "kernel_duration", "lr",
                 "filter_lr_factor", "top_db"):
        need(name, is_number(p[name], finite=True) and p[name] > 0, "a positive number")
    for name in ("n_filters", "head_hidden", "back_end_width", "max_epochs", "batch_size",
                 "patience", "restart_period"):
        need(name, is_int(p[name]) and p[name] >= 1, "a positive integer")
    for name in ("n_heads", "context", "n_workers", "freq_mask_width", "time_mask_width",
                 "n_masks"):
        need(name, is_int(p[name]) and p[name] >= 0, "a non-negative integer")
    need("momentum", is_number(p["momentum"]) and 0 <= p["momentum"] < 1, "in [0, 1)")
    need("mixup_alpha", is_number(p["mixup_alpha"]) and p["mixup_alpha"] >= 0, "a number >= 0")
    need("random_crop", p["random_crop"] is None
         or (is_number(p["random_crop"], finite=True) and p["random_crop"] > 0),
         "None or a positive number")
    need("dropout", is_number(p["dropout"]) and 0 <= p["dropout"] < 1, "in [0, 1)")
    need("weight_decay", is_number(p["weight_decay"]) and p["weight_decay"] >= 0, "a number >= 0")
    need("device_augment", p["device_augment"] == "auto"
         or (is_number(p["device_augment"]) and 0 <= p["device_augment"] <= 1),
         "'auto' or a probability in [0, 1]")
    need("freq_mixstyle", is_number(p["freq_mixstyle"]) and 0 <= p["freq_mixstyle"] <= 1,
         "a probability in [0, 1]")
    need("residual_norm", p["residual_norm"] is None
         or (is_number(p["residual_norm"], finite=True) and p["residual_norm"] >= 0),
         "None or a finite number >= 0")
    need("distill_weight", is_number(p["distill_weight"]) and 0 <= p["distill_weight"] <= 1,
         "a number in [0, 1]")
    need("distill_temperature", is_number(p["distill_temperature"], finite=True)
         and p["distill_temperature"] > 0, "a positive number")
    need("spectra_cache_mb", is_number(p["spectra_cache_mb"], finite=True)
         and p["spectra_cache_mb"] >= 0, "a finite number of MiB >= 0")
    need("validation_fraction", p["validation_fraction"] is None
         or (is_number(p["validation_fraction"]) and 0 < p["validation_fraction"] < 1),
         "None or a number in (0, 1)")
    need("n_threads", p["n_threads"] is None or (is_int(p["n_threads"]) and p["n_threads"] >= 1),
         "None or a positive integer")
    need("device", isinstance(p["device"], str)
         and re.fullmatch(r"auto|cpu|cuda(:\d+)?", p["device"]) is not None,
         "'auto', 'cpu', 'cuda' or 'cuda:N'")
    problems += _callback_problems(p["callbacks"])
    need("checkpoint_dir", p["checkpoint_dir"] is None or isinstance(p["checkpoint_dir"],
                                                                        str | os.PathLike),
         "None or a folder path")
    if is_int(p["n_heads"]) and is_int(p["n_filters"]) and p["n_heads"] > p["n_filters"] >= 1:
        problems.append(
            f"n_heads must not exceed n_filters (each head needs at least one filter), "
            f"got n_heads={p['n_heads']} and n_filters={p['n_filters']}"
        )
    if is_int(p["freq_mask_width"]) and is_int(p["n_filters"]) \
            and p["freq_mask_width"] > p["n_filters"] >= 1:
        problems.append(
            f"freq_mask_width={p['freq_mask_width']} exceeds n_filters={p['n_filters']}: a mask "
            "covers at most every filter; use at most n_filters")
    if p["front_end"] == "mel" and p["front_end_path"] not in ("auto", "fft"):
        problems.append(f"front_end_path={p['front_end_path']!r} applies to front_end='cosgauss' "
                        "only; the mel front end has a single path, 'fft'")
    if (p["front_end"] == "cosgauss" and p["front_end_path"] == "time"
            and is_number(p["device_augment"]) and p["device_augment"] > 0):
        problems.append("device_augment draws recording chains on the frames' power spectra, "
                        "which front_end_path='time' does not compute; use 'fft' or 'analytic'")
    if not problems:
        sr = p["sample_rate"]
        win, _, kernel = sample_lengths(sr, p["window_duration"], p["hop_duration"],
                                        p["kernel_duration"])
        if round(p["hop_duration"] * sr) < 1:
            problems.append(f"hop_duration={p['hop_duration']} s is under one sample at "
                            f"sample_rate={sr}")
        if win < 2:
            problems.append(f"window_duration={p['window_duration']} s is under two samples at "
                            f"sample_rate={sr}")
        elif win > MAX_FRAME_SAMPLES:
            problems.append(
                f"window_duration={p['window_duration']} s at sample_rate={sr} gives frames of "
                f"{win} samples, more than the {MAX_FRAME_SAMPLES} supported (one clip's "
                "spectra would not fit in memory); check sample_rate, which is in Hz")
        elif p["n_filters"] > win // 2 + 1:
            problems.append(
                f"n_filters={p['n_filters']} exceeds the {win // 2 + 1} frequency bins of a "
                f"frame of {win} samples (window_duration={p['window_duration']} s at "
                f"sample_rate={sr}): filters that many cannot be told apart; use fewer filters "
                "or a longer window")
        elif p["front_end"] == "cosgauss" and kernel < MIN_KERNEL_TAPS:
            problems.append(
                f"kernel_duration={p['kernel_duration']} s gives {kernel} tap(s) at "
                f"sample_rate={sr}; a filter needs at least {MIN_KERNEL_TAPS} taps "
                f"(kernel_duration >= {MIN_KERNEL_TAPS / sr:.3g} s)")
        elif p["front_end"] == "cosgauss" and kernel >= win:
            problems.append(
                f"kernel_duration={p['kernel_duration']} s ({kernel} taps) must be shorter than "
                f"window_duration={p['window_duration']} s ({win} samples); keep kernels well "
                "under half the window"
            )
        if p["random_crop"] is not None and round(p["random_crop"] * sr) < win:
            problems.append(
                f"random_crop={p['random_crop']} s is shorter than one window "
                f"(window_duration={p['window_duration']} s): a crop must hold a frame")
    if problems:
        raise ValueError(f"Invalid parameters for {type(est).__name__}: " + "; ".join(problems))
