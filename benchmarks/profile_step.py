"""Where a training step's time goes: data feeding, front end, heads, back end.

For each setting, build the default network (2 heads) and time, separately,
each stage's forward plus backward on one batch of 32 clips of noise:

- data feeding: one batch from skorch's DataLoader over in-memory clips
  (``ClipDataset`` and the repeat-padding collate), the path a fit takes;
- front end: waveforms to the log map, backward to the filterbank;
- heads: the map to the relevance-weighted map, backward to heads and map;
- back end: the weighted map to the logits, backward;
- the whole step (forward, backward and optimizer step), for comparison.

Medians of ``--repeats`` timed runs after 3 untimed ones.

Usage::

    python -m benchmarks.profile_step            # prints, writes docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from benchmarks._report import command, publish
from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._skorch import ClipDataset

HEADING = "## Where a training step's time goes"
SETTINGS = [("demo data", 16000, 1.0), ("UrbanSound8K", 22050, 4.0),
            ("DCASE2020 Task 1A", 44100, 10.0)]
BATCH = 32


def _median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def profile(sample_rate: int, seconds: float, back_end: str, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, round(sample_rate * seconds))).astype(np.float32)
    y = np.arange(BATCH) % 4
    clf = MHRAudioClassifier(sample_rate=sample_rate, back_end=back_end, max_epochs=1,
                             batch_size=BATCH, random_state=0).fit(X, y)
    net, module = clf.net_, clf.net_.module_
    module.train()
    loader = net.get_iterator(ClipDataset(X, y), training=True)
    waves, targets = next(iter(loader))

    def feeding():
        next(iter(loader))

    def front_end():
        module.zero_grad()
        module.front_end(waves).sum().backward()

    with torch.no_grad():
        tf_map = module.front_end(waves)
        weighted, _ = module.relevance(tf_map)
    tf_map.requires_grad_(True)
    weighted.requires_grad_(True)

    def heads():
        module.zero_grad()
        module.relevance(tf_map)[0].sum().backward()

    def back_end_step():
        module.zero_grad()
        module.back_end(weighted).sum().backward()

    def whole():
        net.optimizer_.zero_grad()
        net.train_step_single((waves, targets))
        net.optimizer_.step()

    return {name: _median_ms(fn, repeats) for name, fn in [
        ("data feeding", feeding), ("front end", front_end), ("heads", heads),
        ("back end", back_end_step), ("whole step", whole)]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--back-end", default="light", choices=("light", "fcnn", "cnn_lstm"))
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    stages = ["data feeding", "front end", "heads", "back end", "whole step"]
    lines = [HEADING, "",
             f"Forward plus backward of each stage on one batch of {BATCH} clips, default "
             f"parameters (2 heads, `back_end={args.back_end!r}`), median of {args.repeats} runs, "
             f"CPU with {torch.get_num_threads()} torch threads; milliseconds, and the share of "
             "the sum of the four stages.", "",
             f"Command: `{command('benchmarks.profile_step')}`", "",
             "| setting | " + " | ".join(stages) + " |",
             "|---|" + "---:|" * len(stages)]
    for name, sr, seconds in SETTINGS:
        r = profile(sr, seconds, args.back_end, args.repeats)
        total = sum(r[s] for s in stages[:4])
        cells = [f"{r[s]:.1f} ({100 * r[s] / total:.0f} %)"
                 for s in stages[:4]] + [f"{r['whole step']:.1f}"]
        lines.append(f"| {name}, {sr} Hz, {seconds:g} s | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    publish(table, HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
