"""Inference throughput with clips batched by length against one clip at a time, on the CPU.

For 1 s clips at 16 kHz, 4 s at 22.05 kHz (UrbanSound8K's setting) and 10 s at 44.1 kHz
(DCASE2020's), fit MHR (2 heads) and the mel baseline for one epoch on a few clips of
noise, then time ``predict_proba`` on 32 clips (16 of 10 s) with ``batch_size=1`` (one clip at
a time, as inference ran before) and with the default ``batch_size=32``, which batches clips
of one length up to 2**19 samples per batch. Each figure is the best of ``--runs``
alternating runs (this machine is shared and noisy); the ratios compare figures of one run
of this script.

Usage::

    python -m benchmarks.inference_batching            # prints, writes docs/benchmarks.md
    python -m benchmarks.inference_batching --no-docs
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from benchmarks._report import command, publish
from sklearn_mhr import MHRAudioClassifier

HEADING = "## Inference: clips batched by length against one at a time"
SETTINGS = [(1.0, 16000, 32), (4.0, 22050, 32), (10.0, 44100, 16)]  # seconds, Hz, clips
MODELS = {"MHR, 2 heads": {}, "mel baseline": {"front_end": "mel", "n_heads": 0}}


def throughput(est, X, runs: int) -> float:
    """Best clips per second of ``est.predict_proba(X)`` over ``runs`` calls."""
    est.predict_proba(X[:2])  # warm-up
    best = 0.0
    for _ in range(runs):
        start = time.perf_counter()
        est.predict_proba(X)
        best = max(best, len(X) / (time.perf_counter() - start))
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed calls, best kept (default: 3)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    for seconds, sr, n in SETTINGS:
        X = rng.standard_normal((n, round(seconds * sr))).astype(np.float32)
        y = np.arange(n) % 4
        for name, params in MODELS.items():
            est = MHRAudioClassifier(sample_rate=sr, max_epochs=1, random_state=0, **params)
            est.fit(X[:8], y[:8])
            single = throughput(est.set_params(batch_size=1), X, args.runs)
            batched = throughput(est.set_params(batch_size=32), X, args.runs)
            print(f"{seconds:g} s at {sr} Hz, {name}: {single:.1f} clips/s one at a time, "
                  f"{batched:.1f} batched", flush=True)
            rows.append((f"{seconds:g} s, {sr} Hz", name, single, batched, batched / single))
    lines = [
        HEADING, "",
        f"`predict_proba` on 32 clips of noise (16 of 10 s), best of {args.runs} calls, with "
        "`batch_size=1` and with the default `batch_size=32` (clips of one length, at most "
        f"2**19 samples per batch on the CPU). Machine: {platform.machine()}, "
        f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, CPU.", "",
        f"Command: `{command('benchmarks.inference_batching')}`", "",
        "| clips | model | one at a time (clips/s) | batched (clips/s) | batched / one |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [f"| {c} | {m} | {a:.1f} | {b:.1f} | {r:.2f}x |" for c, m, a, b, r in rows]
    publish("\n".join(lines) + "\n", HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
