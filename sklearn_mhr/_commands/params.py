"""Estimator parameters from the command line: ``--param name=value`` and shortcut flags.

``--param`` values are read by :func:`sklearn_mhr._commands.argtypes.param`.
"""

from __future__ import annotations

import inspect
import json
import re

__all__ = ["COMMAND_LINE_DEFAULTS", "NOT_PARAMS", "SHORTCUTS", "add_model_arguments",
           "build_estimator", "check_window_fits", "parameters_help"]

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


#: where the command line's default differs from the estimator's
COMMAND_LINE_DEFAULTS = {"random_state": 0}  # a run is reproducible by default

#: estimator parameters that ``--param`` refuses, each with what to do instead
NOT_PARAMS = {
    "sample_rate": "set the sample rate with --sample-rate, which also sets the rate clips are "
                   "read at",
    "callbacks": "callbacks are Python objects (skorch callbacks) that JSON cannot give; pass "
                 "them to MHRAudioClassifier in Python",
    "checkpoint_dir": "checkpoints are for train, with --checkpoint-dir DIR (and --resume)",
}


def add_model_arguments(parser) -> None:
    """The options that set the estimator's parameters, and their list in ``--help``."""
    from sklearn_mhr._commands.argtypes import param, positive_int
    from sklearn_mhr.datasets.protocols import DATASETS, default_sample_rate

    group = parser.add_argument_group(
        "model", "Every MHRAudioClassifier parameter listed at the end can be set with --param "
                 "NAME=VALUE, the value read as JSON (e.g. --param lr=0.003 --param "
                 "head_activation=softmax); the flags below are shortcuts.")
    group.add_argument("--preset", choices=("paper",), default=None,
                       help="start from the paper's set-up for the corpus (paper_dcase2020 or "
                            "paper_urbansound8k in sklearn_mhr.presets); other options override it")
    group.add_argument("--param", dest="params", action="append", type=param, default=[],
                       metavar="NAME=VALUE", help="set any estimator parameter (repeatable)")
    group.add_argument("--sample-rate", type=positive_int, default=None, metavar="HZ",
                       help="rate clips are read and modelled at (default: " +
                            ", ".join(f"{default_sample_rate(d)} for {d}" for d in DATASETS) +
                            ")")
    # the estimator checks the values and names the valid ones; the list gives the defaults
    group.add_argument("--epochs", type=positive_int, default=None, help="max_epochs")
    group.add_argument("--n-heads", type=int, default=None, help="n_heads (0: no heads)")
    group.add_argument("--n-filters", type=positive_int, default=None, help="n_filters")
    group.add_argument("--front-end", default=None, metavar="NAME", help="front_end")
    group.add_argument("--back-end", default=None, metavar="NAME", help="back_end")
    group.add_argument("--device", default=None, help="device")
    group.add_argument("--threads", type=positive_int, default=None, help="n_threads")
    group.add_argument("--seed", type=int, default=None,
                       help="random_state (default: 0, so that a run is reproducible)")
    parser.more_help = parameters_help


def _docstring_types(cls) -> dict[str, str]:
    """Parameter name -> the type its numpydoc entry declares, without the default."""
    lines = (cls.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Parameters")
    types = {}
    for line in lines[start + 2:]:
        if line.strip() in ("Attributes", "Returns", "Notes", "See Also", "Examples"):
            break
        match = re.match(r"^    (\w+) : (.+)$", line)
        if match:
            types[match[1]] = re.split(r",\s*default=", match[2])[0].strip()
    return types


def parameters_help() -> str:
    """The estimator's parameters as ``--param`` takes them: default and valid values.

    Every value comes from the estimator's own definitions: defaults from its
    signature, valid names of each option from the registries that
    :data:`sklearn_mhr._params.CHOICES` gathers, other types from its
    docstring. Names ``--param`` refuses (:data:`NOT_PARAMS`) are left out.
    """
    from sklearn_mhr._params import CHOICES
    from sklearn_mhr.estimator import MHRAudioClassifier

    signature = inspect.signature(MHRAudioClassifier.__init__).parameters
    defaults = {name: p.default for name, p in signature.items() if name != "self"}
    defaults.update(COMMAND_LINE_DEFAULTS)
    types = _docstring_types(MHRAudioClassifier)
    rows = []
    for name, default in defaults.items():
        if name in NOT_PARAMS:
            continue
        values = (" | ".join(json.dumps(c) for c in CHOICES[name]) if name in CHOICES
                  else types.get(name, ""))
        rows.append((f"{name}={json.dumps(default)}", values))
    width = max(len(left) for left, _ in rows) + 2
    lines = ["model parameters (--param NAME=VALUE, the value read as JSON), each with its",
             "default and its valid values:"]
    lines += [f"  {left:<{width}}{right}" for left, right in rows]
    lines.append("  'python -m pydoc sklearn_mhr.MHRAudioClassifier' describes each one.")
    return "\n".join(lines)


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
        if name in NOT_PARAMS:
            raise ValueError(f"--param {name}=... is not accepted: {NOT_PARAMS[name]}")
        choose(name, value, f"--param {name}=...")
    params = {name: value for name, (value, _) in chosen.items()}
    params = {**COMMAND_LINE_DEFAULTS, **params}
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

