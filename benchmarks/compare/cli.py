"""The command line of the ablation: options, their defaults, resuming and saving results."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import benchmarks.compare
from benchmarks._report import DOCS, command, publish
from benchmarks._settings import setting
from benchmarks.compare.fit import run_one
from benchmarks.compare.plan import (
    ALL_VARIANTS,
    BASELINE_NAMES,
    FEATURE_SOURCE,
    PATH_VARIANTS,
    VARIANTS,
    build_plan,
    fit_key,
    held_out,
)
from benchmarks.compare.report import markdown
from benchmarks.compare.runner import run_plan
from benchmarks.compare.summary import summarise

# parameters the script sets itself, and the option that sets each
MANAGED = {"sample_rate": "--sample-rate", "max_epochs": "--epochs", "random_state": "--seeds",
           "n_threads": "--jobs", "n_workers": "--workers"}


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
    rows = summarise([r for r in results if fit_key(r) in planned], names)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"config": config, "rows": rows, "runs": results}, indent=2))
    os.replace(partial, path)


def _parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=benchmarks.compare.__doc__.split("\n\n")[0])
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
        planned = {fit_key(t) for t in tasks}
        done = {fit_key(r) for r in results} & planned
        todo = [t for t in tasks if fit_key(t) not in done]
        for task in todo:  # no features to save for a transform_lr already done
            if task["variant"] == FEATURE_SOURCE and ("transform_lr", *fit_key(task)[1:]) in done:
                task["features"] = None
        if done:
            print(f"resuming {args.json}: {len(done)} of {len(tasks)} fits already done",
                  flush=True)
        counter = iter(range(len(done) + 1, len(tasks) + 1))

        def record(r: dict) -> None:
            results.append(r)
            where = f", {held_out(args)} {r['split']}" if r["split"] is not None else ""
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
    rows = summarise([r for r in results if fit_key(r) in planned], names)
    raw = argv if argv is not None else sys.argv[1:]
    table = markdown(rows, args, command("benchmarks.compare", raw))
    if args.json:
        _save(Path(args.json), config, results, names, planned)
        print(f"wrote {args.json}")
    publish(table, args.docs_heading, write=not args.no_docs, path=args.docs_path)
    return 0

