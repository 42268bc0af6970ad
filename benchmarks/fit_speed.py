"""A default fit's time against a plain log-mel CNN's, and where the difference goes.

At the settings of the three development corpora (spoken words: 1,500 clips of 1 s at
16 kHz; instrument notes: 1,400 clips of 2 s at 44.1 kHz; acoustic scenes: 1,000 clips of
5 s at 44.1 kHz), on noise held in memory (the time depends on the shapes, not the sound),
fit in one run, alternating:

- the reference: ``LogMelCNNClassifier`` of ``benchmarks/baselines.py`` (64-band log-mel
  computed once, three conv-BN-ReLU-pool blocks of 16/32/64 channels, Adam, batch 32),
  20 epochs;
- ``MHRAudioClassifier`` with its defaults (30 epochs), its frame spectra computed once
  per fit (``spectra_cache_mb``, the default) and in every epoch (``spectra_cache_mb=0``,
  as before 0.2);
- the mel baseline (``front_end="mel", n_heads=0``), both ways, and with 64 bands (the
  reference's count) instead of 80.

Each model is fitted for ``--epochs`` epochs (default 3); its fit time is split into a
setup (everything but the epochs: checks, spectra or log-mel computed once, building the
net) and the mean epoch after the first, and a full fit is projected as ``setup + epochs
x epoch`` at the model's own epoch count. ``--runs`` repeats the whole run and keeps each
model's fastest figures. Ratios are taken within one run.

Usage::

    python -m benchmarks.fit_speed                 # prints, writes docs/benchmarks.md
    python -m benchmarks.fit_speed --only words --no-docs
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from benchmarks._report import command, publish
from benchmarks.baselines import LogMelCNNClassifier
from sklearn_mhr import MHRAudioClassifier

HEADING = "## A default fit against a plain log-mel CNN"
#: name, sample rate, clip seconds, clips
CORPORA = [("words", 16000, 1.0, 1500), ("notes", 44100, 2.0, 1400),
           ("scenes", 44100, 5.0, 1000)]
CNN_EPOCHS = 20
MODELS = {
    "MHR defaults": {},
    "MHR defaults, spectra every epoch": {"spectra_cache_mb": 0},
    "mel baseline": {"front_end": "mel", "n_heads": 0},
    "mel baseline, spectra every epoch": {"front_end": "mel", "n_heads": 0,
                                          "spectra_cache_mb": 0},
    "mel baseline, 64 bands": {"front_end": "mel", "n_heads": 0, "n_filters": 64},
}
REFERENCE = "plain log-mel CNN"


def _time_mhr(X, y, sample_rate, params, epochs) -> tuple[float, float, int]:
    clf = MHRAudioClassifier(sample_rate=sample_rate, random_state=0, **params)
    full_epochs = clf.max_epochs
    clf.set_params(max_epochs=epochs)
    start = time.perf_counter()
    clf.fit(X, y)
    total = time.perf_counter() - start
    durations = list(clf.net_.history[:, "dur"])
    return total - sum(durations), float(np.mean(durations[1:])), full_epochs


def _time_cnn(X, y, sample_rate, epochs) -> tuple[float, float, int]:
    clf = LogMelCNNClassifier(sample_rate=sample_rate, epochs=epochs)
    start = time.perf_counter()
    clf.fit(X, y)
    total = time.perf_counter() - start
    return (total - sum(clf.epoch_seconds_), float(np.mean(clf.epoch_seconds_[1:])),
            CNN_EPOCHS)


def measure(sample_rate: int, seconds: float, n: int, epochs: int, runs: int) -> dict:
    """{model: (setup s, epoch s, projected fit s)}, each model's fastest over ``runs``."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, round(sample_rate * seconds))).astype(np.float32)
    y = np.arange(n) % 10
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(runs):
        for name in [REFERENCE, *MODELS]:
            if name == REFERENCE:
                setup, epoch, full = _time_cnn(X, y, sample_rate, epochs)
            else:
                setup, epoch, full = _time_mhr(X, y, sample_rate, MODELS[name], epochs)
            fit = setup + full * epoch
            print(f"  {name}: setup {setup:.1f} s, epoch {epoch:.2f} s, "
                  f"{full}-epoch fit {fit:.0f} s", flush=True)
            old = best.get(name)
            best[name] = (setup, epoch, fit) if old is None else tuple(map(min, old,
                                                                           (setup, epoch, fit)))
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs timed per fit (at least 2; default: %(default)s)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs, each model's fastest kept (default: %(default)s)")
    parser.add_argument("--only", default=",".join(c[0] for c in CORPORA),
                        help="comma-separated corpora (default: %(default)s)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is not timed")
    chosen = args.only.split(",")
    unknown = sorted(set(chosen) - {c[0] for c in CORPORA})
    if unknown:
        parser.error(f"--only: unknown corpora {unknown}; choose from "
                     f"{[c[0] for c in CORPORA]}")
    lines = [
        HEADING, "",
        f"Noise clips in memory at each development corpus' setting; {args.epochs} epochs timed "
        f"per fit, the first left out; best of {args.runs} run(s). Setup is the fit's time "
        "outside its epochs (the CNN's log-mel and the MHR spectra computed once count there); "
        f"a fit is projected as setup + epochs x epoch, at 30 epochs for MHR and {CNN_EPOCHS} "
        f"for the CNN. Machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"torch {torch.__version__}, CPU.", "",
        f"Command: `{command('benchmarks.fit_speed')}`", "",
        "| corpus | model | setup (s) | epoch (s) | fit (s) | fit / CNN's (target <= 1.5) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, sr, seconds, n in CORPORA:
        if name not in chosen:
            continue
        print(f"{name}: {n} clips of {seconds:g} s at {sr} Hz", flush=True)
        best = measure(sr, seconds, n, args.epochs, args.runs)
        reference = best[REFERENCE][2]
        for model, (setup, epoch, fit) in best.items():
            lines.append(f"| {name}, {n} x {seconds:g} s at {sr / 1000:g} kHz | {model} | "
                         f"{setup:.1f} | {epoch:.2f} | {fit:.0f} | {fit / reference:.2f}x |")
    publish("\n".join(lines) + "\n", HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
