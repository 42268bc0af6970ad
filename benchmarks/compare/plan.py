"""The fits of an ablation: its variants and baselines, each seed and each held-out split."""

from __future__ import annotations

from pathlib import Path

VARIANTS = {
    "mel": {"front_end": "mel", "n_heads": 0},
    "filters": {"n_heads": 0},
    "1 head": {"n_heads": 1},
    "2 heads": {"n_heads": 2},
    "4 heads": {"n_heads": 4},
    "2 heads, softmax": {"n_heads": 2, "head_activation": "softmax"},
}
PATH_VARIANTS = {
    "2 heads, fft path": {"n_heads": 2, "front_end_path": "fft"},
    "2 heads, time path": {"n_heads": 2, "front_end_path": "time"},
}
ALL_VARIANTS = {**VARIANTS, **PATH_VARIANTS}
BASELINE_NAMES = ("logmel_lr", "mfcc_svc", "transform_lr", "cnn")
# the variant whose fit transform_lr reuses: the same classifier
FEATURE_SOURCE = "2 heads"


def fit_key(run: dict) -> tuple:
    """What identifies a fit: name, seed and split."""
    return run["variant"], run["seed"], run["split"]


def _mhr_params(args, name: str, seed: int, rate: int) -> dict:
    """Parameters of the classifier of variant `name` (or of ``transform_lr``)."""
    params = {"sample_rate": rate, "max_epochs": args.epochs, "random_state": seed,
              "n_workers": args.workers, "n_threads": args.n_threads, **args.base_params,
              **ALL_VARIANTS.get(name, {}), **args.overrides}
    if name == "mel":
        params.update(VARIANTS["mel"], **args.mel_overrides)
    return params


def held_out(args) -> str:
    """What one split holds out, in a word: a folder group or an UrbanSound8K fold."""
    return "group" if args.each_group else "fold"


def _splits(args) -> list:
    """What each seed's fits hold out: UrbanSound8K folds, folder groups, or [None]."""
    if args.dataset == "urbansound8k":
        return args.test_folds
    return args.test_groups if args.each_group else [None]


def build_plan(args, data: dict, features_dir: Path) -> list[dict]:
    """Every fit to run: each seed, each split, each variant then each baseline.

    Parameters
    ----------
    args : argparse.Namespace
        The resolved options.
    data : dict
        What the children need to load the data (dataset, root, cache, ...).
    features_dir : Path
        Where ``2 heads`` fits save the features that ``transform_lr`` reuses.

    Returns
    -------
    tasks : list of dict
        One spec per fit for `run_one`: `data` with the name, kind
        ("variant" or "baseline"), seed, split (the held-out UrbanSound8K
        fold or, with ``--each-group``, folder group, else None), sample
        rate, parameters, thread count, features path
        (``2 heads`` and ``transform_lr`` when both run, else None) and
        ``after``: the key of the fit to wait for (``transform_lr`` waits for
        the ``2 heads`` fit of its seed and split), else None.
    """
    reuse = FEATURE_SOURCE in args.variants and "transform_lr" in args.baselines
    tasks = []
    for seed in range(args.seeds):
        for split in _splits(args):
            features = str(features_dir / f"seed{seed}-split{split}.npz") if reuse else None
            for name in args.variants + args.baselines:
                rate = args.path_rate if name in PATH_VARIANTS else args.sample_rate
                if name in ALL_VARIANTS or name == "transform_lr":
                    params = _mhr_params(args, name, seed, rate)
                elif name == "cnn":
                    params = {"sample_rate": rate, "epochs": args.cnn_epochs, "random_state": seed}
                else:
                    params = {"sample_rate": rate}
                uses_features = name in (FEATURE_SOURCE, "transform_lr")
                tasks.append({
                    **data, **({"test_groups": [split]} if args.each_group else {}),
                    "variant": name,
                    "kind": "variant" if name in ALL_VARIANTS else "baseline",
                    "seed": seed, "split": split, "sample_rate": rate, "params": params,
                    "n_threads": args.n_threads, "features": features if uses_features else None,
                    "after": ([FEATURE_SOURCE, seed, split] if reuse and name == "transform_lr"
                              else None),
                })
    return tasks
