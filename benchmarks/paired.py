"""Differences between two benchmarks.compare runs, paired by seed and split.

Two fits with the same seed and split share their data, their initial weights' draw
and their batch order; only the setting under test differs. So a decision between two
settings rests on the per-seed differences: their mean and standard deviation, and how
many seeds agree in sign. This reads the ``--json`` files of two ``benchmarks.compare`` runs
(one variant each, or ``--variant`` to pick one; ``--base-variant`` and ``--other-variant``
pick a different one from each, to set a variant against a baseline such as ``mel`` or
``cnn`` run on the same seeds), pairs their fits by seed and split, and
prints, for the overall accuracy and for every device (DCASE2020 layout) that both report,
the baseline's mean, the other's mean, and the mean and std of the paired difference. With
``--unseen c,d`` it also reports the gap between the seen devices' mean accuracy and the
unseen ones', per run.

Usage::

    python -m benchmarks.paired base.json other.json [--unseen c,d] [--variant "2 heads"]
    python -m benchmarks.paired defaults.json mel.json --base-variant "2 heads" --other-variant cnn
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def load_runs(path: Path, variant: str | None = None) -> dict[tuple, dict]:
    """{(seed, split): run} of the one variant (or ``variant``) in a benchmarks.compare file."""
    runs = json.loads(Path(path).read_text())["runs"]
    names = sorted({r["variant"] for r in runs})
    if variant is None:
        if len(names) != 1:
            raise SystemExit(f"{path} holds variants {names}; choose one with --variant")
        variant = names[0]
    chosen = {(r["seed"], r["split"]): r for r in runs if r["variant"] == variant}
    if not chosen:
        raise SystemExit(f"{path} holds no run of variant {variant!r} (it has {names})")
    return chosen


def _scores(run: dict, unseen: list[str]) -> dict[str, float]:
    scores = {"overall": run["accuracy"]}
    devices = run.get("per_device") or {}
    scores.update({f"device {d}": acc for d, acc in sorted(devices.items())})
    if unseen and devices:
        seen = [acc for d, acc in devices.items() if d not in unseen]
        hidden = [acc for d, acc in devices.items() if d in unseen]
        if seen and hidden:
            scores["seen - unseen gap"] = statistics.mean(seen) - statistics.mean(hidden)
    return scores


def paired_table(base: dict, other: dict, unseen: list[str]) -> list[dict]:
    """One row per score: means of both runs and the paired difference's mean and std."""
    keys = sorted(set(base) & set(other))
    if not keys:
        raise SystemExit("the two runs share no seed and split")
    rows = []
    first = _scores(base[keys[0]], unseen)
    for name in first:
        a = [_scores(base[k], unseen)[name] for k in keys]
        b = [_scores(other[k], unseen)[name] for k in keys]
        diff = [y - x for x, y in zip(a, b, strict=True)]
        rows.append({"score": name, "n": len(keys), "base": statistics.mean(a),
                     "other": statistics.mean(b), "diff": statistics.mean(diff),
                     "diff_std": statistics.stdev(diff) if len(diff) > 1 else float("nan"),
                     "better": sum(d > 0 for d in diff), "worse": sum(d < 0 for d in diff)})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path,
                        help="benchmarks.compare --json file of the baseline setting")
    parser.add_argument("other", type=Path,
                        help="benchmarks.compare --json file of the setting tested")
    parser.add_argument("--variant", default=None, help="variant to read from both files")
    parser.add_argument("--base-variant", default=None,
                        help="variant to read from the base file (default: --variant)")
    parser.add_argument("--other-variant", default=None,
                        help="variant to read from the other file (default: --variant)")
    parser.add_argument("--unseen", default="", help="comma-separated devices never trained on")
    args = parser.parse_args(argv)
    unseen = [d for d in args.unseen.split(",") if d]
    rows = paired_table(load_runs(args.base, args.base_variant or args.variant),
                        load_runs(args.other, args.other_variant or args.variant), unseen)
    print(f"| score | seeds | {args.base.name} | {args.other.name} | paired difference | "
          "better / worse |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['score']} | {r['n']} | {r['base']:.3f} | {r['other']:.3f} | "
              f"{r['diff']:+.3f} ± {r['diff_std']:.3f} | {r['better']} / {r['worse']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
