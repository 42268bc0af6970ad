"""The paper's ablation, reproducible: mel, learned filters, 0 / 1 / 2 / 4 heads, baselines.

Every variant and baseline is trained with several seeds on the same splits and
scored on the held-out clips. For each it reports the mean and standard
deviation of the accuracy (and the accuracy per recording device on DCASE2020),
the training time, the time of one training epoch (mean over epochs after the
first), inference throughput (test clips per second through ``predict``) and the
peak resident memory of the process that trained and scored it. Each fit runs
in a fresh process, so its memory is its own.

Variants (``--variants``, names as in the table; the same back end and every
other parameter for all):

- ``mel``: log-mel front end, no heads (the paper's baseline);
- ``filters``: learned filterbank, no heads;
- ``1 head``, ``2 heads``, ``4 heads``: learned filterbank with relevance heads;
- ``2 heads, softmax``: two heads with ``head_activation="softmax"``;
- ``2 heads, time path`` beside ``2 heads, fft path`` at a lower sample rate
  (``--path-rate``, 8 kHz by default), where the paper's time-domain path is
  affordable: whether the fast path costs accuracy. By default only on
  generated data (and not with ``--no-path``).

``--set KEY=VALUE`` (repeatable; VALUE read as JSON, else taken as a string)
overrides an `MHRAudioClassifier` parameter in every variant and in the
``transform_lr`` baseline, except the ``mel`` variant's ``front_end`` and
``n_heads``; ``--mel-set KEY=VALUE`` overrides one in the ``mel`` variant only.

Baselines (``--baselines``, all four by default, ``none`` for none; see
benchmarks/baselines.py): ``logmel_lr`` (log-mel statistics, logistic
regression), ``mfcc_svc`` (MFCC statistics, RBF SVC), ``transform_lr`` (the
``2 heads`` classifier's ``transform`` features, logistic regression; it reuses
the ``2 heads`` variant's fit when both run) and ``cnn`` (a log-mel CNN,
``--cnn-epochs``, 20 by default, 2 with ``--quick``).

Data and protocols:

- ``--dataset generated`` (default): ``make_sound_scenes``, a stratified 70/30
  split drawn with each seed;
- ``--dataset urbansound8k --test-folds 1,2``: each fold held out in turn
  (training on all the others; default fold 10); the accuracy is the mean over
  folds and seeds, its std the std over seeds of each seed's mean over folds;
- ``--dataset dcase2020``: fold1 train / evaluate, with accuracy per device;
- ``--dataset folder``: ``root/<label>/<file>``; with ``--split-file FILE``
  (JSON ``{"test_groups": ["awb", "slt"]}``) the clips whose file name starts
  with ``<group>_`` for a listed group are the test set and all others the
  training set (unseen speakers, say); with ``--each-group`` as well, each
  listed group is held out in turn (training on all other groups) and the
  accuracy is the mean over groups and seeds, as over UrbanSound8K folds;
  without a split file a stratified 70/30 split per seed.

Each fit decodes its corpus into memory first, as ``sklearn-mhr train`` does
for a corpus that fits (so a fit can compute its frame spectra once); with
``--lazy`` clips are decoded batch by batch in every epoch instead, and
``--cache DIR`` keeps decoded clips on disk between the fits.

``--jobs N`` runs N fits at once, each with ``cpu_count // N`` torch (and BLAS)
threads. With ``--json PATH`` every finished fit is saved there at once, and
``--resume`` reruns the same command skipping the fits already in the file;
features that ``transform_lr`` reuses are kept beside it in ``PATH.features/``
until used.

Usage::

    python -m benchmarks.compare                          # generated data, 3 seeds
    python -m benchmarks.compare --quick --no-docs        # a smoke run in about a minute
    python -m benchmarks.compare --dataset urbansound8k --root ~/data/UrbanSound8K \\
        --test-folds 1,2,3 --epochs 30 --seeds 3 --jobs 2 --json us8k.json \\
        --docs-heading "## Ablation on UrbanSound8K"
    python -m benchmarks.compare --dataset folder --root cache/speech \\
        --split-file cache/speech/split.json --variants "mel,filters,2 heads" \\
        --baselines logmel_lr,cnn --set top_db=80 --set kernel_duration=0.032 \\
        --json speech.json --resume --docs-heading "## Ablation on unseen speakers"

The table is printed and written into docs/benchmarks.md under ``--docs-heading``
(only that section is replaced; on generated data it defaults to ``## Ablation
on generated data``, a corpus needs one unless ``--no-docs``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import NamedTuple

from benchmarks._child import last_json, run_module
from benchmarks._report import DOCS, command, publish
from benchmarks._settings import setting

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
# parameters the script sets itself, and the option that sets each
MANAGED = {"sample_rate": "--sample-rate", "max_epochs": "--epochs", "random_state": "--seeds",
           "n_threads": "--jobs", "n_workers": "--workers"}


# ---------------------------------------------------------------- one fit
class Split(NamedTuple):
    """Training and test clips of one fit, with what describes the split."""

    X_train: object
    y_train: object
    X_test: object
    y_test: object
    device: object  # recording device per test clip (DCASE2020), else None
    info: dict


def _load(spec: dict) -> Split:
    """The split of the spec's data for its seed (and held-out fold)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    dataset, rate, seed = spec["dataset"], spec["sample_rate"], spec["seed"]
    if dataset == "generated":
        from sklearn_mhr.datasets import make_sound_scenes

        X, y = make_sound_scenes(spec["n_clips"], n_classes=spec["n_classes"],
                                 duration=spec["duration"], sample_rate=rate, random_state=0)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        return Split(X_tr, y_tr, X_te, y_te, None, {})
    from sklearn_mhr.datasets.protocols import standard_split

    kw = dict(sample_rate=rate, duration=spec["duration"], memory=spec["cache"],
              test_fold=spec["split"], test_groups=spec["test_groups"])
    if dataset == "folder" and spec["test_groups"] is None:
        # no groups to hold out: a stratified 70/30 split of the folder, drawn with each seed
        whole = standard_split(dataset, spec["root"], side="train", **kw)
        tr, te = train_test_split(np.arange(len(whole.target)), test_size=0.3,
                                  stratify=whole.target, random_state=seed)
        data = whole.data if spec.get("lazy") else whole.data.decode()
        return Split(data[tr], whole.target[tr], data[te], whole.target[te], None, {})
    train = standard_split(dataset, spec["root"], side="train", **kw)
    test = standard_split(dataset, spec["root"], side="test", **kw)
    info = {}
    if train.groups is not None:
        info = {"train_groups": sorted(set(train.groups.tolist())),
                "test_groups": sorted(set(test.groups.tolist()))}
    X_train, X_test = train.data, test.data
    if not spec.get("lazy"):  # as `sklearn-mhr train` does for a corpus that fits in memory
        X_train, X_test = X_train.decode(), X_test.decode()
    return Split(X_train, train.target, X_test, test.target, test.device, info)


def run_one(spec: dict) -> dict:
    """Fit one variant or baseline with one seed on one split, in this process.

    Parameters
    ----------
    spec : dict
        A task of `build_plan`.

    Returns
    -------
    result : dict
        Accuracy (and per device on DCASE2020), clip counts, fit and predict
        seconds, epoch seconds (None for most baselines), inference clips per
        second and peak RSS, with the spec's name, kind, seed, split and
        parameters.
    """
    import resource

    import numpy as np

    from benchmarks.baselines import fit_predict, mean_after_first, run_baseline, save_features

    split = _load(spec)
    if spec["kind"] == "variant":
        from sklearn_mhr import MHRAudioClassifier

        clf = MHRAudioClassifier(**spec["params"])
        measured = fit_predict(clf, split.X_train, split.y_train, split.X_test)
        measured["epoch_seconds"] = mean_after_first(clf.net_.history[:, "dur"])
        if spec["features"]:
            save_features(spec["features"], clf, split.X_train, split.X_test,
                          measured["fit_seconds"])
    else:
        measured = run_baseline(spec["variant"], split.X_train, split.y_train, split.X_test,
                                params=spec["params"], n_threads=spec["n_threads"],
                                features=spec["features"])
    y_pred, y_te = measured.pop("y_pred"), np.asarray(split.y_test)
    result = {
        "variant": spec["variant"], "kind": spec["kind"], "seed": spec["seed"],
        "split": spec["split"], "params": spec["params"], "n_threads": spec["n_threads"],
        "accuracy": float(np.mean(y_pred == y_te)),
        "n_train": len(split.y_train), "n_test": len(y_te), **split.info, **measured,
        "inference_clips_per_second": len(y_te) / measured["predict_seconds"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if split.device is not None:
        device = split.device
        result["per_device"] = {str(d): float(np.mean(y_pred[device == d] == y_te[device == d]))
                                for d in sorted(set(device.tolist()))}
    return result


# ------------------------------------------------------------- all fits
def _key(run: dict) -> tuple:
    """What identifies a fit: name, seed and split."""
    return run["variant"], run["seed"], run["split"]


def _child(spec: dict) -> dict:
    """Run `run_one` for `spec` in a fresh process with its thread count; its result."""
    out = run_module("benchmarks.compare", ["--child", json.dumps(spec)],
                     threads=spec["n_threads"])
    if out.returncode != 0:
        raise RuntimeError(f"fit of {spec['variant']!r} (seed {spec['seed']}, split "
                           f"{spec['split']}) failed:\n{out.stderr[-4000:]}")
    return last_json(out)


def run_plan(tasks: list[dict], jobs: int, on_result) -> None:
    """Run `tasks` in child processes, `jobs` at a time, calling `on_result` with each result.

    A task waits for the task whose key is its ``after`` while that one is
    still to run. After a failure no new task starts; those running finish
    (and are reported), then SystemExit lists the failures.

    Parameters
    ----------
    tasks : list of dict
        Specs from `build_plan`.
    jobs : int
        Children running at once.
    on_result : callable
        Called in this thread with every result, as each fit finishes.
    """
    pending, running, failures = list(tasks), {}, []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            busy = {_key(t) for t in pending} | {_key(t) for t in running.values()}
            ready = [t for t in pending if t["after"] is None or tuple(t["after"]) not in busy]
            for task in ready[:jobs - len(running)] if not failures else []:
                pending.remove(task)
                running[pool.submit(_child, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                try:
                    on_result(future.result())
                except RuntimeError as exc:
                    failures.append(str(exc))
    if failures:
        raise SystemExit("\n\n".join(failures))


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarise(results: list[dict], names: list[str]) -> list[dict]:
    """One row per name in `names` that has results: means and standard deviations.

    The accuracy is the mean over seeds of each seed's mean over splits, and
    its std the std of those per-seed means; every other measure is averaged
    over all fits.

    Parameters
    ----------
    results : list of dict
        Results of `run_one`.
    names : list of str
        Variants and baselines, in the order of the rows.

    Returns
    -------
    rows : list of dict
        Name, kind, seeds, splits (sorted), sample rate, accuracy with its std
        and per split, fit / epoch seconds, inference clips per second and peak
        RSS (each with its std; None where no fit measured it), and accuracy
        per device where the results have it.
    """
    rows = []
    for name in names:
        # by seed and split, not in the order the fits finished: columns must not vary by run
        runs = sorted((r for r in results if r["variant"] == name),
                      key=lambda r: (r["seed"], r["split"] is not None, r["split"]))
        if not runs:
            continue
        per_seed, per_split = {}, {}
        for r in runs:
            per_seed.setdefault(r["seed"], []).append(r["accuracy"])
            per_split.setdefault(str(r["split"]), []).append(r["accuracy"])
        row = {"variant": name, "kind": runs[0]["kind"], "seeds": len(per_seed),
               "splits": list(dict.fromkeys(r["split"] for r in runs)),
               "sample_rate": runs[0]["params"]["sample_rate"]}
        row["accuracy"], row["accuracy_std"] = _mean_std([statistics.mean(v)
                                                          for v in per_seed.values()])
        row["accuracy_per_split"] = {s: statistics.mean(v) for s, v in per_split.items()}
        for key in ("fit_seconds", "epoch_seconds", "inference_clips_per_second", "peak_rss_mib"):
            values = [r[key] for r in runs if r.get(key) is not None]
            row[key], row[key + "_std"] = _mean_std(values) if values else (None, None)
        if "per_device" in runs[0]:
            row["per_device"] = {d: statistics.mean(r["per_device"][d] for r in runs)
                                 for d in runs[0]["per_device"]}
        rows.append(row)
    return rows


# ---------------------------------------------------------------- report
def _ratio(value, reference) -> str:
    return f"{value / reference:.2f}x" if value is not None and reference else ""


def _number(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _settings(params: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in params.items())


def _breakdown(rows: list[dict], key: str, title: str) -> list[str]:
    """Lines of a table of every row's accuracies in ``row[key]``, one column per entry."""
    columns = list(dict.fromkeys(c for r in rows for c in r.get(key, {})))
    lines = ["", f"{title}:", "", "| variant | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for r in rows:
        lines.append(f"| {r['variant']} | " + " | ".join(
            _number(r.get(key, {}).get(c), ".3f") for c in columns) + " |")
    return lines


def markdown(rows: list[dict], args, command: str) -> str:
    """The docs section: settings, command, the table, baselines, accuracy per fold and per device.

    Parameters
    ----------
    rows : list of dict
        From `summarise`.
    args : argparse.Namespace
        The resolved options.
    command : str
        The command line, quoted in the section.

    Returns
    -------
    section : str
        Markdown, starting with ``args.docs_heading``.
    """
    mel = next((r for r in rows if r["variant"] == "mel"), None)
    overrides = f" (`--set`: {_settings(args.overrides)})" if args.overrides else ""
    mel_overrides = (f"; the `mel` variant also {_settings(args.mel_overrides)}"
                     if args.mel_overrides else "")
    threads = f"{args.n_threads} thread{'s' if args.n_threads > 1 else ''}"
    if args.jobs > 1:
        threads = f"{args.jobs} fits at once with {threads} each (timed side by side)"
    lines = [args.docs_heading, "",
             f"Data: {describe_data(args)}. Parameters "
             f"{_settings({**args.base_params, **args.overrides})}{overrides}{mel_overrides}, "
             f"{args.epochs} epochs, seeds {', '.join(map(str, range(args.seeds)))}; every other "
             f"parameter at its default. Machine: {platform.machine()}, {os.cpu_count()} cores, "
             f"{threads}, torch on CPU unless a GPU is present; each fit in a fresh process.", "",
             f"Command: `{command}`", "",
             "| variant | rate (Hz) | accuracy (mean +- std) | fit (s) | epoch (s) | / mel | "
             "inference (clips/s) | / mel | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ref = mel if mel and mel["sample_rate"] == r["sample_rate"] else {}
        lines.append(
            f"| {r['variant']} | {r['sample_rate']} | "
            f"{r['accuracy']:.3f} +- {r['accuracy_std']:.3f} | "
            f"{r['fit_seconds']:.2f} | {_number(r['epoch_seconds'], '.2f')} | "
            f"{_ratio(r['epoch_seconds'], ref.get('epoch_seconds'))} | "
            f"{r['inference_clips_per_second']:.0f} | "
            f"{_ratio(r['inference_clips_per_second'], ref.get('inference_clips_per_second'))} | "
            f"{r['peak_rss_mib']:.0f} |")
    baselines = [r["variant"] for r in rows if r["kind"] == "baseline"]
    if baselines:
        from benchmarks.baselines import BASELINES

        lines += ["", "Baselines (their fit and inference times include the feature extraction):",
                  ""]
        lines += [f"- `{name}`: {BASELINES[name]}"
                  + (f"; {args.cnn_epochs} epochs." if name == "cnn" else ".")
                  for name in baselines]
    if any(len(r["splits"]) > 1 for r in rows):
        lines += _breakdown(rows, "accuracy_per_split",
                            f"Accuracy per held-out {_held_out(args)} (mean over seeds)")
    if any("per_device" in r for r in rows):
        lines += _breakdown(rows, "per_device", "Accuracy per recording device (mean over seeds)")
    return "\n".join(lines) + "\n"


def describe_data(args) -> str:
    """The data and split protocol, in words."""
    if args.dataset == "generated":
        return (f"`make_sound_scenes({args.n_clips}, n_classes={args.n_classes}, "
                f"duration={args.duration:g})` at {args.sample_rate} Hz, a stratified 70/30 split "
                "drawn with each seed")
    folds = ", ".join(map(str, args.test_folds))
    us8k = (f"UrbanSound8K, fold {folds} held out" if len(args.test_folds) == 1 else
            f"UrbanSound8K, folds {folds} each held out in turn (training on all other folds); "
            "accuracy: mean over folds and seeds, std over seeds of each seed's mean over folds")
    folder = f"folder corpus '{args.root}', "
    if args.test_groups is None:
        folder += "a stratified 70/30 split per seed"
    else:
        groups = ", ".join(args.test_groups)
        folder += (f"groups {groups} each held out in turn" if args.each_group
                   else f"test groups {groups}")
        folder += (" (the group of a clip is its file name up to the first underscore; training "
                   "on all other groups)")
        if args.each_group:
            folder += ("; accuracy: mean over groups and seeds, std over seeds of each seed's "
                       "mean over groups")
    where = {"urbansound8k": us8k, "folder": folder,
             "dcase2020": "DCASE2020 Task 1A development set, fold1 train / evaluate"}
    return f"{where[args.dataset]}, at {args.sample_rate} Hz"


# ------------------------------------------------------------- the plan
def _mhr_params(args, name: str, seed: int, rate: int) -> dict:
    """Parameters of the classifier of variant `name` (or of ``transform_lr``)."""
    params = {"sample_rate": rate, "max_epochs": args.epochs, "random_state": seed,
              "n_workers": args.workers, "n_threads": args.n_threads, **args.base_params,
              **ALL_VARIANTS.get(name, {}), **args.overrides}
    if name == "mel":
        params.update(VARIANTS["mel"], **args.mel_overrides)
    return params


def _held_out(args) -> str:
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


def _names(known):
    """An argparse type: comma-separated names of `known` (or "none") in `known`'s order.

    Names that hold a comma themselves ("2 heads, softmax") are recognised.
    """
    def parse(text: str) -> list[str]:
        if text.strip().lower() == "none":
            return []
        parts, names = [p.strip() for p in text.split(",")], []
        while parts:
            pair = f"{parts[0]}, {parts[1]}" if len(parts) > 1 else None
            names.append(pair if pair in known else parts[0])
            del parts[:2 if pair in known else 1]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {list(known)}")
        return [n for n in known if n in names]
    return parse


def _check_settings(parser, settings: list[tuple[str, object]], option: str) -> dict:
    """`settings` as a dict, each key checked to be a parameter the script leaves free."""
    if not settings:
        return {}
    from sklearn_mhr import MHRAudioClassifier

    known = MHRAudioClassifier().get_params()
    for key, _ in settings:
        if key in MANAGED:
            parser.error(f"{option} {key}=...: set by the script; use {MANAGED[key]}")
        if key not in known:
            parser.error(f"{option} {key}=...: MHRAudioClassifier has no parameter {key!r}")
    return dict(settings)


def _resume(args, config: dict) -> list[dict]:
    """Results saved by an earlier run of the same configuration in ``--json``, or none."""
    if not (args.resume and Path(args.json).exists()):
        return []
    path = Path(args.json)
    saved = json.loads(path.read_text())
    before = saved.get("config") or {}
    differ = {k: (before.get(k), v) for k, v in json.loads(json.dumps(config)).items()
              if before.get(k) != v}
    if differ:
        raise SystemExit(f"--resume: {path} was written with other settings (saved, now: "
                         f"{differ}); rerun the same command, or drop --resume")
    return saved["runs"]


def _save(path: Path, config: dict, results: list[dict], names: list[str], planned: set) -> None:
    """Write the configuration, the rows of the planned fits so far and every result, atomically."""
    rows = summarise([r for r in results if _key(r) in planned], names)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"config": config, "rows": rows, "runs": results}, indent=2))
    os.replace(partial, path)


def _parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", choices=("generated", "urbansound8k", "dcase2020", "folder"),
                        default="generated")
    parser.add_argument("--root", help="corpus folder (not for generated data)")
    parser.add_argument("--test-folds", "--test-fold",
                        type=lambda s: [int(f) for f in s.split(",")],
                        default=[10], metavar="K[,K...]",
                        help="UrbanSound8K folds held out one at a time (default: 10)")
    parser.add_argument("--split-file", type=Path, metavar="FILE",
                        help='folder corpus: JSON {"test_groups": [...]}; a clip\'s group is its '
                             "file name up to the first underscore")
    parser.add_argument("--each-group", action="store_true",
                        help="folder corpus: hold out each group of --split-file in turn "
                             "instead of all at once")
    parser.add_argument("--cache", help="directory caching decoded clips between fits")
    parser.add_argument("--lazy", action="store_true",
                        help="decode clips batch by batch in every epoch, not once per fit")
    parser.add_argument("--n-clips", type=int, default=480, help="generated clips (default: 480)")
    parser.add_argument("--n-classes", type=int, default=8, help="generated classes (default: 8)")
    parser.add_argument("--duration", type=float, default=None,
                        help="clip length in s (generated default 1; corpora: their loader's)")
    parser.add_argument("--sample-rate", type=int, default=None,
                        help="Hz (default: 16000 generated and folder, 22050 UrbanSound8K, "
                             "44100 DCASE2020)")
    parser.add_argument("--path-rate", type=int, default=8000,
                        help="sample rate of the time-path comparison (default: 8000)")
    parser.add_argument("--no-path", action="store_true", help="skip the time-path comparison")
    parser.add_argument("--variants", type=_names(ALL_VARIANTS), default=None,
                        help="comma-separated variants, or none (default: all; the time-path pair "
                             "only on generated data)")
    parser.add_argument("--baselines", type=_names(BASELINE_NAMES), default=list(BASELINE_NAMES),
                        help="comma-separated baselines, or none "
                             f"(default: {','.join(BASELINE_NAMES)})")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=setting,
                        action="append", default=[],
                        help="MHRAudioClassifier parameter for every variant and transform_lr "
                             "(not the mel variant's front_end and n_heads); repeatable")
    parser.add_argument("--mel-set", dest="mel_overrides", metavar="KEY=VALUE", type=setting,
                        action="append", default=[], help="the same, for the mel variant only")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of the classifiers (default: the estimator's "
                             "max_epochs; 2 with --quick)")
    parser.add_argument("--cnn-epochs", type=int, default=None,
                        help="epochs of the cnn baseline (default: 20; 2 with --quick)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds 0..N-1 (default: 3; 2 with --quick)")
    parser.add_argument("--back-end", default="light", choices=("light", "fcnn", "cnn_lstm"))
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers per fit")
    parser.add_argument("--jobs", type=int, default=1,
                        help="fits run at once, each with cpu_count // jobs threads (default: 1)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 48 clips of 0.5 s at 8 kHz, 8 filters, 2 epochs, 2 seeds")
    parser.add_argument("--json", metavar="PATH",
                        help="write every measurement here, after each fit")
    parser.add_argument("--resume", action="store_true",
                        help="skip the fits already in --json (written by the same command)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--docs-heading", default=None,
                        help="section of docs/benchmarks.md to write (default on generated data: "
                             "'## Ablation on generated data'; needed for a corpus)")
    parser.add_argument("--docs-path", type=Path, default=DOCS, help=argparse.SUPPRESS)
    return parser


def _resolve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Check the options and fill in every default that depends on others, in `args`."""
    if args.dataset != "generated" and not args.root:
        parser.error(f"--dataset {args.dataset} needs --root")
    if args.split_file and args.dataset != "folder":
        parser.error("--split-file is for --dataset folder")
    if args.each_group and not args.split_file:
        parser.error("--each-group needs --split-file (the groups to hold out in turn)")
    if args.resume and not args.json:
        parser.error("--resume needs --json")
    if args.docs_heading is None:
        if args.dataset != "generated" and not args.no_docs:
            parser.error("a corpus run needs --docs-heading (or --no-docs)")
        args.docs_heading = "## Ablation on " + ("generated data" if args.dataset == "generated"
                                                 else args.dataset)
    if args.variants is None:
        with_path = args.dataset == "generated" and not args.no_path
        args.variants = list(VARIANTS) + (list(PATH_VARIANTS) if with_path else [])
    if not args.variants and not args.baselines:
        parser.error("nothing to run: --variants none and --baselines none")
    args.overrides = _check_settings(parser, args.overrides, "--set")
    args.mel_overrides = _check_settings(parser, args.mel_overrides, "--mel-set")
    args.test_groups = (sorted(json.loads(args.split_file.read_text())["test_groups"])
                        if args.split_file else None)
    base_params = {"back_end": args.back_end}
    if args.quick:
        args.n_clips, args.n_classes, args.epochs = 48, 3, 2
        args.seeds = args.seeds or 2
        args.cnn_epochs = args.cnn_epochs or 2
        args.duration = args.duration or 0.5
        args.sample_rate = args.sample_rate or 8000
        base_params.update(n_filters=8, context=2, head_hidden=8, back_end_width=4,
                           kernel_duration=0.004)
    args.seeds = args.seeds or 3
    args.cnn_epochs = args.cnn_epochs or 20
    if args.epochs is None:
        from sklearn_mhr import MHRAudioClassifier

        args.epochs = MHRAudioClassifier().max_epochs
    defaults = {"generated": (16000, 1.0), "urbansound8k": (22050, None),
                "dcase2020": (44100, None), "folder": (16000, None)}
    rate, duration = defaults[args.dataset]
    args.sample_rate = args.sample_rate or rate
    args.duration = args.duration if args.duration is not None else duration
    args.base_params = base_params
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    args.n_threads = max(1, (cpus or 1) // args.jobs)
    args.root = str(Path(args.root).expanduser().resolve()) if args.root else None


def main(argv=None) -> int:
    """Run the benchmark (or, with ``--child``, one fit); 0 on success."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(json.loads(args.child))))
        return 0
    _resolve(parser, args)
    data = {"dataset": args.dataset, "root": args.root, "test_groups": args.test_groups,
            "n_clips": args.n_clips, "n_classes": args.n_classes, "duration": args.duration}
    # what a fit's result depends on beyond its name, seed and split: a resumed run must match
    config = {**data, **{key: getattr(args, key) for key in (
        "sample_rate", "path_rate", "epochs", "cnn_epochs", "base_params", "overrides",
        "mel_overrides")}, **({"each_group": True} if args.each_group else {}),
        **({"lazy": True} if args.lazy else {})}
    results = _resume(args, config)
    with tempfile.TemporaryDirectory() as scratch:
        features_dir = Path(args.json + ".features") if args.json else Path(scratch)
        tasks = build_plan(args, {**data, "cache": args.cache, "lazy": args.lazy}, features_dir)
        names = args.variants + args.baselines
        planned = {_key(t) for t in tasks}
        done = {_key(r) for r in results} & planned
        todo = [t for t in tasks if _key(t) not in done]
        for task in todo:  # no features to save for a transform_lr already done
            if task["variant"] == FEATURE_SOURCE and ("transform_lr", *_key(task)[1:]) in done:
                task["features"] = None
        if done:
            print(f"resuming {args.json}: {len(done)} of {len(tasks)} fits already done",
                  flush=True)
        counter = iter(range(len(done) + 1, len(tasks) + 1))

        def record(r: dict) -> None:
            results.append(r)
            where = f", {_held_out(args)} {r['split']}" if r["split"] is not None else ""
            epoch = f", {r['epoch_seconds']:.2f} s/epoch" if r["epoch_seconds"] is not None else ""
            print(f"[{next(counter)}/{len(tasks)}] {r['variant']}, seed {r['seed']}{where}: "
                  f"accuracy {r['accuracy']:.3f}, fit {r['fit_seconds']:.1f} s{epoch}, "
                  f"{r['inference_clips_per_second']:.0f} clips/s, {r['peak_rss_mib']:.0f} MiB",
                  flush=True)
            if args.json:
                _save(Path(args.json), config, results, names, planned)

        run_plan(todo, args.jobs, record)
        if args.json and features_dir.is_dir() and not any(features_dir.iterdir()):
            features_dir.rmdir()
    rows = summarise([r for r in results if _key(r) in planned], names)
    raw = argv if argv is not None else sys.argv[1:]
    table = markdown(rows, args, command("benchmarks.compare", raw))
    if args.json:
        _save(Path(args.json), config, results, names, planned)
        print(f"wrote {args.json}")
    publish(table, args.docs_heading, write=not args.no_docs, path=args.docs_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
