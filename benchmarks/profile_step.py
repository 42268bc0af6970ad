"""Where a training step's time goes, for the defaults and their mel baseline.

A default fit computes the frames' power spectra once and trains on them
(``spectra_cache_mb``), so a step starts at the spectra. For each setting,
build the network of the defaults (2 heads) and of the mel baseline
(``front_end="mel", n_heads=0``, the same back end) and time, separately, on
one batch of 32 clips of noise, each stage as a fit runs it:

- data feeding: one batch of spectra from skorch's DataLoader;
- recording chain: the training-time chains on the batch's spectra
  (``device_augment``; no parameters, so no backward);
- front end: spectra to the compressed map, forward plus backward to the
  filters (forward only for the mel baseline, whose filters are fixed);
- heads: the map to the relevance-weighted map, backward to heads and map;
- back end: the weighted map to the logits, backward;
- the whole step (forward, backward and optimizer step), for comparison.

Medians of ``--repeats`` timed runs after 3 untimed ones. Each stage of
the defaults is also given as a ratio to the mel baseline's whole step, so the
two rows say what the learnable filters and the heads add to an epoch.

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
from sklearn_mhr._skorch.spectra import SpectraDataset

HEADING = "## Where a training step's time goes"
SETTINGS = [("demo data", 16000, 1.0), ("UrbanSound8K", 22050, 4.0),
            ("DCASE2020 Task 1A", 44100, 10.0)]
MODELS = [("defaults", {}), ("mel baseline", {"front_end": "mel", "n_heads": 0})]
STAGES = ["data feeding", "recording chain", "front end", "heads", "back end"]
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


def _backward_if_trainable(out: torch.Tensor) -> None:
    if out.requires_grad:
        out.sum().backward()


def profile(sample_rate: int, seconds: float, back_end: str, repeats: int,
            params: dict) -> dict:
    """Milliseconds of each stage of `STAGES` and of the whole step, for one model.

    Stages that the model does not have (heads of the mel baseline) are None.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, round(sample_rate * seconds))).astype(np.float32)
    y = np.arange(BATCH) % 4
    clf = MHRAudioClassifier(sample_rate=sample_rate, back_end=back_end, max_epochs=1,
                             batch_size=BATCH, random_state=0, **params).fit(X, y)
    net, module = clf.net_, clf.net_.module_
    module.train()
    with torch.no_grad():
        spectra = module.front_end.power_spectra(torch.from_numpy(X))
    loader = net.get_iterator(SpectraDataset(spectra, y), training=True)
    batch = next(iter(loader))
    chain = module.recording_chain

    def feeding():
        next(iter(loader))

    def recording_chain():
        chain(spectra)

    chained = chain(spectra)  # what the front end meets in a fit: a batch after its chains

    def front_end():
        module.zero_grad()
        _backward_if_trainable(module.front_end.from_spectra(chained))

    with torch.no_grad():
        tf_map = module.front_end.from_spectra(spectra)
        weighted = tf_map if module.relevance is None else module.relevance(tf_map)[0]
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
        net.train_step_single(batch)
        net.optimizer_.step()

    timed = [("data feeding", feeding), ("front end", front_end), ("back end", back_end_step),
             ("whole step", whole)]
    if chain.p:
        timed.append(("recording chain", recording_chain))
    if module.relevance is not None:
        timed.append(("heads", heads))
    times = dict.fromkeys(STAGES)
    times.update({name: _median_ms(fn, repeats) for name, fn in timed})
    return times


def _cell(ms: float | None, reference: float) -> str:
    return "" if ms is None else f"{ms:.1f} ({ms / reference:.2f})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--back-end", default="light", choices=("light", "fcnn", "cnn_lstm"))
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    lines = [HEADING, "",
             f"One training step on a batch of {BATCH} clips as a default fit runs it, from "
             f"frame power spectra computed once; `back_end={args.back_end!r}`, median of "
             f"{args.repeats} runs, CPU with {torch.get_num_threads()} torch threads. "
             "Milliseconds, and in brackets the share of the mel baseline's whole step in the "
             "same setting: the defaults' row says what the learnable filters and the heads add "
             "to it. Stages are forward plus backward (the recording chain and the mel "
             "baseline's fixed filters need no backward); the whole step adds the loss and the "
             "optimizer.", "",
             f"Command: `{command('benchmarks.profile_step')}`", "",
             "| setting | model | " + " | ".join(STAGES) + " | whole step |",
             "|---|---|" + "---:|" * (len(STAGES) + 1)]
    for name, sr, seconds in SETTINGS:
        results = {model: profile(sr, seconds, args.back_end, args.repeats, params)
                   for model, params in MODELS}
        reference = results["mel baseline"]["whole step"]
        for model, r in results.items():
            cells = [_cell(r[s], reference) for s in STAGES + ["whole step"]]
            lines.append(f"| {name}, {sr} Hz, {seconds:g} s | {model} | " + " | ".join(cells)
                         + " |")
            print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    publish(table, HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
