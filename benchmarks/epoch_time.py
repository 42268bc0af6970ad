"""Training time per epoch of MHR and of the mel baseline at each corpus' default setting.

For UrbanSound8K (22050 Hz, 4 s clips, folds 1-9: 7895 clips) and DCASE2020 Task 1A
(44100 Hz, 10 s clips, fold1 train: 13965 clips), fit ``MHRAudioClassifier`` with the
default parameters, and with ``front_end="mel", n_heads=0``, on 96 clips of noise held in
memory for 2 epochs; the second epoch's duration (skorch's ``dur``), scaled to the corpus
size, estimates one epoch on the corpus. Each fit runs ``--runs`` times, alternating the
models, and the lowest figure is kept (this machine is shared and noisy).

Usage::

    python benchmarks/epoch_time.py              # prints the table, writes docs/benchmarks.md
    python benchmarks/epoch_time.py --no-docs
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frontend_speed import DOCS, write_docs  # noqa: E402

from sklearn_mhr import MHRAudioClassifier  # noqa: E402

HEADING = "## Training time per epoch at the corpora's settings"
CORPORA = [("UrbanSound8K", 22050, 4.0, 7895), ("DCASE2020 Task 1A", 44100, 10.0, 13965)]
MODELS = [("MHR (80 filters, 2 heads, light CNN)", {}),
          ("mel baseline (`front_end=\"mel\", n_heads=0`)", {"front_end": "mel", "n_heads": 0})]
N_CLIPS = 96


def epoch_seconds(sample_rate: int, seconds: float, params: dict, seed: int = 0) -> float:
    """Duration of the second epoch of a fit on N_CLIPS clips of noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_CLIPS, round(sample_rate * seconds))).astype(np.float32)
    y = np.arange(N_CLIPS) % 4
    clf = MHRAudioClassifier(sample_rate=sample_rate, max_epochs=2, random_state=seed, **params)
    return float(clf.fit(X, y).net_.history[-1, "dur"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="fits per model, lowest kept (default: 2)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)

    rows = []
    for corpus, sr, seconds, n_corpus in CORPORA:
        best = {name: float("inf") for name, _ in MODELS}
        for _ in range(args.runs):
            for name, params in MODELS:
                best[name] = min(best[name], epoch_seconds(sr, seconds, params))
                print(f"{corpus}, {name}: {best[name]:.2f} s per {N_CLIPS} clips so far", flush=True)
        mel = best[MODELS[1][0]]
        for name, _ in MODELS:
            rows.append((corpus, f"{sr} Hz, {seconds:g} s, {n_corpus} clips", name, best[name],
                         best[name] / N_CLIPS * n_corpus / 60, best[name] / mel))
    lines = [
        HEADING, "",
        f"Default parameters, 2 epochs on {N_CLIPS} clips of noise in memory, the second epoch's "
        f"duration scaled to the corpus' training set; lowest of {args.runs} runs per model. "
        f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch "
        f"threads, torch {torch.__version__}.", "",
        "Command: `python benchmarks/epoch_time.py`", "",
        "| corpus | setting | model | s per 96 clips | min per epoch | / mel baseline |",
        "|---|---|---|---:|---:|---:|",
    ]
    lines += [f"| {c} | {s} | {m} | {sec:.2f} | {mins:.1f} | {ratio:.2f}x |"
              for c, s, m, sec, mins, ratio in rows]
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    if not args.no_docs:
        write_docs(table, DOCS, heading=HEADING)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
