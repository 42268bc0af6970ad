"""The paper's ablation, reproducible: mel baseline, learned filters, 0 / 1 / 2 / 4 heads.

Every variant is trained with several seeds on the same split and scored on the
held-out part. For each it reports the mean and standard deviation of the
accuracy (and of the accuracy per recording device on DCASE2020), the time of
one training epoch (mean over epochs after the first), inference throughput
(clips per second through ``predict_proba``) and the peak resident memory of the
process that trained and scored it. Each fit runs in a fresh process, so its
memory is its own.

Variants (the same back end and every other parameter for all):

- ``mel``: log-mel front end, no heads (the paper's baseline);
- ``filters``: learned filterbank, no heads;
- ``1 head``, ``2 heads``, ``4 heads``: learned filterbank with relevance heads;
- ``2 heads, time path`` beside ``2 heads, fft path`` at a lower sample rate
  (``--path-rate``, 8 kHz by default), where the paper's time-domain path is
  affordable: whether the fast path costs accuracy.

Data: ``--dataset generated`` (default; ``make_sound_scenes``, 70/30 stratified
split drawn with each seed), or a corpus on disk with its standard split:
``urbansound8k`` (``--test-fold``, default 10), ``dcase2020`` (fold1) or
``folder`` (70/30 split). Corpora are read lazily, with ``--cache DIR`` to keep
decoded clips on disk between the fits.

Usage::

    python benchmarks/compare.py                          # generated data, 3 seeds
    python benchmarks/compare.py --quick --no-docs        # a smoke run in well under a minute
    python benchmarks/compare.py --dataset urbansound8k --root ~/data/UrbanSound8K \\
        --epochs 30 --seeds 3 --json us8k.json --docs-heading "## Ablation on UrbanSound8K"

The table is printed and written into docs/benchmarks.md under ``--docs-heading``
(only that section is replaced); ``--json`` also writes every measurement.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import DOCS, publish  # noqa: E402

VARIANTS = {
    "mel": {"front_end": "mel", "n_heads": 0},
    "filters": {"n_heads": 0},
    "1 head": {"n_heads": 1},
    "2 heads": {"n_heads": 2},
    "4 heads": {"n_heads": 4},
}
PATH_VARIANTS = {
    "2 heads, fft path": {"n_heads": 2, "front_end_path": "fft"},
    "2 heads, time path": {"n_heads": 2, "front_end_path": "time"},
}


# ---------------------------------------------------------------- one fit
def _load(spec: dict, seed: int):
    """(X_train, y_train, X_test, y_test, device_test or None) for the spec's data."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    dataset, rate = spec["dataset"], spec["sample_rate"]
    if dataset == "generated":
        from sklearn_mhr.datasets import make_sound_scenes

        X, y = make_sound_scenes(spec["n_clips"], n_classes=spec["n_classes"],
                                 duration=spec["duration"], sample_rate=rate, random_state=0)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        return X_tr, y_tr, X_te, y_te, None
    if dataset == "urbansound8k":
        from sklearn_mhr.datasets import load_urbansound8k

        b = load_urbansound8k(spec["root"], sample_rate=rate, duration=spec["duration"] or 4.0,
                              lazy=True, memory=spec["cache"])
        test = b.fold == spec["test_fold"]
        return b.data[~test], b.target[~test], b.data[test], b.target[test], None
    if dataset == "dcase2020":
        from sklearn_mhr.datasets import load_dcase2020_task1a

        kw = dict(sample_rate=rate, duration=spec["duration"], lazy=True, memory=spec["cache"])
        tr = load_dcase2020_task1a(spec["root"], subset="train", **kw)
        te = load_dcase2020_task1a(spec["root"], subset="evaluate", **kw)
        return tr.data, tr.target, te.data, te.target, np.asarray(te.device)
    from sklearn_mhr.datasets import load_audio_folder

    b = load_audio_folder(spec["root"], sample_rate=rate, duration=spec["duration"], lazy=True,
                          memory=spec["cache"])
    idx = np.arange(len(b.target))
    tr, te = train_test_split(idx, test_size=0.3, stratify=b.target, random_state=seed)
    return b.data[tr], b.target[tr], b.data[te], b.target[te], None


def run_one(spec: dict) -> dict:
    """Fit one variant with one seed, in this process; return its measurements."""
    import resource

    import numpy as np

    from sklearn_mhr import MHRAudioClassifier

    seed = spec["seed"]
    X_tr, y_tr, X_te, y_te, device = _load(spec, seed)
    params = dict(sample_rate=spec["sample_rate"], max_epochs=spec["epochs"], random_state=seed,
                  n_workers=spec["workers"], **spec["base_params"], **spec["params"])
    clf = MHRAudioClassifier(**params)
    start = time.perf_counter()
    clf.fit(X_tr, y_tr)
    fit_seconds = time.perf_counter() - start
    durations = list(clf.net_.history[:, "dur"])
    start = time.perf_counter()
    proba = clf.predict_proba(X_te)
    predict_seconds = time.perf_counter() - start
    y_pred = clf.classes_[proba.argmax(axis=1)]
    y_te = np.asarray(y_te)
    result = {
        "variant": spec["variant"], "seed": seed, "params": params,
        "accuracy": float(np.mean(y_pred == y_te)),
        "n_train": len(y_tr), "n_test": len(y_te),
        "fit_seconds": fit_seconds,
        "epoch_seconds": float(np.mean(durations[1:] if len(durations) > 1 else durations)),
        "inference_clips_per_second": len(y_te) / predict_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if device is not None:
        result["per_device"] = {str(d): float(np.mean(y_pred[device == d] == y_te[device == d]))
                                for d in sorted(set(device.tolist()))}
    return result


# ------------------------------------------------------------- all fits
def _child(spec: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"fit of {spec['variant']!r} (seed {spec['seed']}) failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarise(results: list[dict]) -> list[dict]:
    """One row per variant: means and standard deviations over seeds."""
    rows = []
    for variant in dict.fromkeys(r["variant"] for r in results):
        runs = [r for r in results if r["variant"] == variant]
        row = {"variant": variant, "seeds": len(runs), "sample_rate": runs[0]["params"]["sample_rate"]}
        for key in ("accuracy", "epoch_seconds", "inference_clips_per_second", "peak_rss_mib"):
            row[key], row[key + "_std"] = _mean_std([r[key] for r in runs])
        if "per_device" in runs[0]:
            row["per_device"] = {d: _mean_std([r["per_device"][d] for r in runs])[0]
                                 for d in runs[0]["per_device"]}
        rows.append(row)
    return rows


def markdown(rows: list[dict], args, command: str) -> str:
    mel = next((r for r in rows if r["variant"] == "mel"), None)
    lines = [args.docs_heading, "",
             f"Data: {describe_data(args)}. Parameters "
             f"{', '.join(f'`{k}={v!r}`' for k, v in args.base_params.items())}, {args.epochs} "
             f"epochs, seeds {', '.join(map(str, range(args.seeds)))}; every other parameter at "
             f"its default. Machine: {platform.machine()}, torch on CPU unless a GPU is present; "
             f"each fit in a fresh process.", "",
             f"Command: `{command}`", "",
             "| variant | rate (Hz) | accuracy (mean +- std) | epoch (s) | / mel | "
             "inference (clips/s) | / mel | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        same_rate_mel = mel if mel and mel["sample_rate"] == r["sample_rate"] else None
        epoch_ratio = f"{r['epoch_seconds'] / same_rate_mel['epoch_seconds']:.2f}x" if same_rate_mel else ""
        inf_ratio = (f"{r['inference_clips_per_second'] / same_rate_mel['inference_clips_per_second']:.2f}x"
                     if same_rate_mel else "")
        lines.append(
            f"| {r['variant']} | {r['sample_rate']} | {r['accuracy']:.3f} +- {r['accuracy_std']:.3f} | "
            f"{r['epoch_seconds']:.2f} | {epoch_ratio} | {r['inference_clips_per_second']:.0f} | "
            f"{inf_ratio} | {r['peak_rss_mib']:.0f} |")
    if any("per_device" in r for r in rows):
        devices = sorted({d for r in rows for d in r.get("per_device", {})})
        lines += ["", "Accuracy per recording device (mean over seeds):", "",
                  "| variant | " + " | ".join(devices) + " |",
                  "|---|" + "---:|" * len(devices)]
        for r in rows:
            lines.append(f"| {r['variant']} | " + " | ".join(
                f"{r['per_device'].get(d, float('nan')):.3f}" for d in devices) + " |")
    return "\n".join(lines) + "\n"


def describe_data(args) -> str:
    if args.dataset == "generated":
        return (f"`make_sound_scenes({args.n_clips}, n_classes={args.n_classes}, "
                f"duration={args.duration:g})` at {args.sample_rate} Hz, a stratified 70/30 split "
                "drawn with each seed")
    where = {"urbansound8k": f"UrbanSound8K, fold {args.test_fold} held out",
             "dcase2020": "DCASE2020 Task 1A development set, fold1 train / evaluate",
             "folder": f"folder corpus '{args.root}', a stratified 70/30 split per seed"}
    return f"{where[args.dataset]}, at {args.sample_rate} Hz"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", choices=("generated", "urbansound8k", "dcase2020", "folder"),
                        default="generated")
    parser.add_argument("--root", help="corpus folder (not for generated data)")
    parser.add_argument("--test-fold", type=int, default=10, help="UrbanSound8K fold held out")
    parser.add_argument("--cache", help="directory caching decoded clips between fits")
    parser.add_argument("--n-clips", type=int, default=480, help="generated clips (default: 480)")
    parser.add_argument("--n-classes", type=int, default=8, help="generated classes (default: 8)")
    parser.add_argument("--duration", type=float, default=None,
                        help="clip length in s (generated default 1; corpora: their loader's)")
    parser.add_argument("--sample-rate", type=int, default=None,
                        help="Hz (default: 16000 generated, 22050 UrbanSound8K, 44100 DCASE2020)")
    parser.add_argument("--path-rate", type=int, default=8000,
                        help="sample rate of the time-path comparison (default: 8000)")
    parser.add_argument("--no-path", action="store_true", help="skip the time-path comparison")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default: 3; 2 with --quick)")
    parser.add_argument("--back-end", default="light", choices=("light", "fcnn", "cnn_lstm"))
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers per fit")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 48 clips of 0.5 s at 8 kHz, 8 filters, 2 epochs, 2 seeds")
    parser.add_argument("--json", metavar="PATH", help="write every measurement here")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--docs-heading", default="## Ablation on generated data",
                        help="section of docs/benchmarks.md to write")
    parser.add_argument("--docs-path", type=Path, default=DOCS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(json.loads(args.child))))
        return 0
    if args.dataset != "generated" and not args.root:
        parser.error(f"--dataset {args.dataset} needs --root")
    base_params = {"back_end": args.back_end}
    if args.quick:
        args.n_clips, args.n_classes, args.epochs = 48, 3, 2
        args.seeds = args.seeds or 2
        args.duration = args.duration or 0.5
        args.sample_rate = args.sample_rate or 8000
        base_params.update(n_filters=8, context=2, head_hidden=8, back_end_width=4,
                           kernel_duration=0.004)
    args.seeds = args.seeds or 3
    defaults = {"generated": (16000, 1.0), "urbansound8k": (22050, None),
                "dcase2020": (44100, None), "folder": (16000, None)}
    rate, duration = defaults[args.dataset]
    args.sample_rate = args.sample_rate or rate
    args.duration = args.duration if args.duration is not None else duration
    args.base_params = base_params
    common = {"dataset": args.dataset, "root": args.root, "test_fold": args.test_fold,
              "cache": args.cache, "n_clips": args.n_clips, "n_classes": args.n_classes,
              "duration": args.duration, "epochs": args.epochs, "workers": args.workers,
              "base_params": base_params}
    plan = [(name, params, args.sample_rate) for name, params in VARIANTS.items()]
    if not args.no_path:
        plan += [(name, params, args.path_rate) for name, params in PATH_VARIANTS.items()]
    results = []
    total, done = len(plan) * args.seeds, 0
    for seed in range(args.seeds):
        for name, params, rate in plan:
            spec = {**common, "variant": name, "params": params, "seed": seed, "sample_rate": rate}
            r = _child(spec)
            done += 1
            print(f"[{done}/{total}] {name}, seed {seed}: accuracy {r['accuracy']:.3f}, "
                  f"{r['epoch_seconds']:.2f} s/epoch, {r['inference_clips_per_second']:.0f} clips/s, "
                  f"{r['peak_rss_mib']:.0f} MiB", flush=True)
            results.append(r)
    rows = summarise(results)
    command = "python benchmarks/compare.py" + (" " + shlex.join(argv if argv is not None else sys.argv[1:])
                                                 if (argv if argv is not None else sys.argv[1:]) else "")
    table = markdown(rows, args, command)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "runs": results}, indent=2))
        print(f"wrote {args.json}")
    publish(table, args.docs_heading, write=not args.no_docs, path=args.docs_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
