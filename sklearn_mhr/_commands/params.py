"""Estimator parameters from the command line: ``--param name=value`` and shortcut flags."""

from __future__ import annotations

import argparse
import json

__all__ = ["SHORTCUTS", "build_estimator", "check_window_fits", "parse_param"]

# command-line flag (argparse dest) -> estimator parameter
SHORTCUTS = {
    "epochs": "max_epochs",
    "n_heads": "n_heads",
    "n_filters": "n_filters",
    "front_end": "front_end",
    "back_end": "back_end",
    "device": "device",
    "threads": "n_threads",
    "seed": "random_state",
}


def parse_param(text: str) -> tuple[str, object]:
    """Split ``name=value``; the value is read as JSON, else kept as a string.

    ``lr=1e-3`` gives a float, ``n_threads=null`` None, ``warm_start=true``
    True, ``back_end=fcnn`` the string "fcnn".
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(
            f"expected name=value (e.g. --param lr=0.003), got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def build_estimator(args, *, sample_rate: int):
    """The MHRAudioClassifier that ``args`` describe, with every parameter checked.

    Parameters
    ----------
    args : argparse.Namespace
        ``params`` (list of (name, value)), the shortcut flags of `SHORTCUTS`,
        ``verbose``, and ``workers`` with ``lazy``.
    sample_rate : int
        The rate the clips are read at; the estimator gets the same.

    Returns
    -------
    MHRAudioClassifier

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), a parameter
        given twice with different values, or an invalid value.
    """
    from sklearn_mhr._params import check_params
    from sklearn_mhr.estimator import MHRAudioClassifier

    valid = sorted(MHRAudioClassifier().get_params(deep=False))
    chosen: dict[str, tuple[object, str]] = {}

    def choose(name, value, origin):
        if name in chosen and chosen[name][0] != value:
            raise ValueError(
                f"{name} is set twice, to {chosen[name][0]!r} by {chosen[name][1]} and to "
                f"{value!r} by {origin}; keep one")
        chosen[name] = (value, origin)

    for flag, name in SHORTCUTS.items():
        value = getattr(args, flag, None)
        if value is not None:
            choose(name, value, "--" + flag.replace("_", "-"))
    if getattr(args, "verbose", False):
        choose("verbose", 1, "--verbose")
    if getattr(args, "lazy", False) and getattr(args, "workers", None) is not None:
        choose("n_workers", args.workers, "--workers")
    for name, value in getattr(args, "params", None) or []:
        if name not in valid:
            raise ValueError(
                f"unknown parameter {name!r} in --param {name}=...; valid names: "
                f"{', '.join(valid)}")
        if name == "sample_rate":
            raise ValueError(
                "set the sample rate with --sample-rate, which also sets the rate clips are "
                "read at, not with --param sample_rate")
        choose(name, value, f"--param {name}=...")
    params = {name: value for name, (value, _) in chosen.items()}
    params.setdefault("random_state", 0)  # the command line is reproducible by default
    preset = getattr(args, "preset", None)
    if preset == "paper":
        from sklearn_mhr import presets

        dataset = getattr(args, "dataset", None)
        factories = {"dcase2020": presets.paper_dcase2020,
                     "urbansound8k": presets.paper_urbansound8k}
        if dataset not in factories:
            raise ValueError(
                f"--preset paper exists for --dataset dcase2020 and urbansound8k, not {dataset!r}; "
                "set the parameters with --param instead")
        base = factories[dataset]().get_params(deep=False)
        params = {**base, **params}
    params.pop("sample_rate", None)
    estimator = MHRAudioClassifier(sample_rate=sample_rate, **params)
    check_params(estimator)
    return estimator


def check_window_fits(estimator, duration) -> None:
    """Refuse a ``--duration`` shorter than one analysis window of ``estimator``.

    Such clips hold no whole frame: every map would be mostly padding, and
    the model would learn (or predict from) nothing.
    """
    if duration is not None and duration < estimator.window_duration:
        raise ValueError(
            f"--duration {duration:g} s is shorter than one analysis window of the model "
            f"(window_duration={estimator.window_duration:g} s): the clips would hold no whole "
            "frame; pass a longer --duration")

