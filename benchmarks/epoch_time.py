"""Training and inference speed of MHR against the mel baseline at each corpus' setting.

For 1 s clips at 16 kHz (the spoken-words development corpus: 800 training clips),
UrbanSound8K (22050 Hz, 4 s clips, folds 1-9: 7895 clips) and DCASE2020 Task 1A
(44100 Hz, 10 s clips, fold1 train: 13965 clips), fit ``MHRAudioClassifier`` (2 heads)
and the mel baseline (``front_end="mel", n_heads=0``) with the same back end, the light
CNN (default) and the paper's FCNN, on 960 s of noise held in memory (960 clips of 1 s,
240 of 4 s, 96 of 10 s) for 2 epochs; the second epoch's duration (skorch's ``dur``),
scaled to the corpus size, estimates one epoch on the corpus. Inference throughput is
``predict_proba`` on the same clips. Each fit runs ``--runs`` times, alternating the
models, and the best figure is kept (this machine is shared and noisy). Targets: an MHR
epoch at most 1.3 times the baseline's, inference throughput at least 0.8 times.

``--variants`` adds MHR variants beside the defaults, each timed against the same mel
baseline in the same run.

Usage::

    python -m benchmarks.epoch_time              # prints the table, writes docs/benchmarks.md
    python -m benchmarks.epoch_time --no-docs
    python -m benchmarks.epoch_time --back-ends light --variants "default;head_hidden=16"
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
import torch

from benchmarks._report import command, publish
from benchmarks._settings import setting
from sklearn_mhr import MHRAudioClassifier

HEADING = "## Training and inference speed at the corpora's settings"
CORPORA = [("1 s clips at 16 kHz", 16000, 1.0, 800), ("UrbanSound8K", 22050, 4.0, 7895),
           ("DCASE2020 Task 1A", 44100, 10.0, 13965)]
BACK_ENDS = ("light", "fcnn")
MEL = {"front_end": "mel", "n_heads": 0}
AUDIO_SECONDS = 960  # per timed epoch: short epochs of a few batches time badly


def n_clips(seconds: float) -> int:
    """Clips of `seconds` that make AUDIO_SECONDS of audio."""
    return round(AUDIO_SECONDS / seconds)


def measure(sample_rate: int, seconds: float, params: dict, seed: int = 0) -> tuple[float, float]:
    """(second-epoch seconds, inference clips per second) on `n_clips` clips of noise."""
    rng = np.random.default_rng(seed)
    n = n_clips(seconds)
    X = rng.standard_normal((n, round(sample_rate * seconds))).astype(np.float32)
    y = np.arange(n) % 4
    clf = MHRAudioClassifier(sample_rate=sample_rate, max_epochs=2, random_state=seed, **params)
    clf.fit(X, y)
    start = time.perf_counter()
    clf.predict_proba(X)
    return float(clf.net_.history[-1, "dur"]), n / (time.perf_counter() - start)


def parse_variants(text: str) -> dict[str, dict]:
    """``"default;head_hidden=16,front_end_path=analytic"`` -> {label: MHR parameters}."""
    variants = {}
    for item in filter(None, (v.strip() for v in text.split(";"))):
        try:
            variants[item] = {} if item == "default" else dict(map(setting, item.split(",")))
        except argparse.ArgumentTypeError as exc:
            raise SystemExit(f"--variants: {exc}") from None
    return variants


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2,
                        help="fits per model, best kept (default: 2)")
    parser.add_argument("--back-ends", default=",".join(BACK_ENDS),
                        help="comma-separated back ends (default: light,fcnn)")
    parser.add_argument("--variants", default="default",
                        help="';'-separated MHR variants, each 'default' or KEY=VALUE[,KEY=VALUE] "
                             "(default: default)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    variants = parse_variants(args.variants)

    run = command("benchmarks.epoch_time", sys.argv[1:])
    rows = []
    for corpus, sr, seconds, n_corpus in CORPORA:
        n = n_clips(seconds)
        for back_end in args.back_ends.split(","):
            models = {f"MHR {label}": {**params, "back_end": back_end}
                      for label, params in variants.items()}
            models["mel baseline"] = {**MEL, "back_end": back_end}
            epoch = {name: float("inf") for name in models}
            speed = {name: 0.0 for name in models}
            for _ in range(args.runs):
                for name, params in models.items():
                    e, v = measure(sr, seconds, params)
                    epoch[name], speed[name] = min(epoch[name], e), max(speed[name], v)
                    print(f"{corpus}, {back_end}, {name}: {e:.2f} s/epoch on {n} clips, "
                          f"{v:.1f} clips/s", flush=True)
            mel = "mel baseline"
            for label in variants:
                mhr = f"MHR {label}"
                rows.append((corpus, back_end, label, epoch[mhr], epoch[mel],
                             epoch[mhr] / epoch[mel], epoch[mhr] / n * n_corpus / 60,
                             epoch[mel] / n * n_corpus / 60, speed[mhr], speed[mel],
                             speed[mhr] / speed[mel]))
    lines = [
        HEADING, "",
        "Default parameters but the back end (and, in the MHR column, the variant's); "
        f"2 epochs on {AUDIO_SECONDS} s of noise in memory ("
        + ", ".join(f"{n_clips(sec)} clips of {sec:g} s" for _, _, sec, _ in CORPORA) + "), "
        f"the second epoch's duration, and `predict_proba` on the same clips; best of "
        f"{args.runs} runs per model. Minutes per epoch scale the epoch to the corpus' training "
        f"set. Machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}, CPU.", "",
        f"Command: `{run}`", "",
        "| corpus | back end | MHR | MHR epoch (s) | mel epoch (s) | MHR / mel (target <= 1.3) | "
        "MHR min/epoch | mel min/epoch | MHR clips/s | mel clips/s | MHR / mel (target >= 0.8) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, b, label, em, el, er, mm, ml, vm, vl, vr in rows:
        lines.append(f"| {c} | {b} | {label} | {em:.2f} | {el:.2f} | {er:.2f}x | {mm:.1f} | "
                     f"{ml:.1f} | {vm:.1f} | {vl:.1f} | {vr:.2f}x |")
    table = "\n".join(lines) + "\n"
    publish(table, HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
