"""Training steps and inference of the default network with channels-last and default back ends.

The back ends store their convolution weights channels-last (``sklearn_mhr.nn.backends.
channels_last``). This times, at each setting, one training step (forward and backward of
a batch of 32 from frame spectra computed once, as a default fit takes them) and one
inference batch (from waveforms) of the default ``MHRNet`` with its back end in each layout,
the two alternating, and keeps each one's fastest of ``--repeats``. Ratios come from one run.

Usage::

    python -m benchmarks.back_end_layout            # prints, writes docs/benchmarks.md
    python -m benchmarks.back_end_layout --threads 1 --no-docs
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import torch

from benchmarks._report import command, publish
from sklearn_mhr._lengths import sample_lengths
from sklearn_mhr.nn import MHRNet

HEADING = "## Channels-last back end"
#: name, sample rate, clip seconds
SETTINGS = [("words (1 s, 16 kHz)", 16000, 1.0), ("notes (2 s, 44.1 kHz)", 44100, 2.0),
            ("UrbanSound8K (4 s, 22.05 kHz)", 22050, 4.0),
            ("scenes (5 s, 44.1 kHz)", 44100, 5.0), ("DCASE2020 (10 s, 44.1 kHz)", 44100, 10.0)]
BATCH = 32


def _networks(sample_rate: int) -> dict[str, MHRNet]:
    lengths = sample_lengths(sample_rate, 0.0464, 0.0232, 0.016)
    torch.manual_seed(0)
    fast = MHRNet(10, sample_rate, *lengths)
    plain = MHRNet(10, sample_rate, *lengths)
    plain.load_state_dict(fast.state_dict())
    plain.back_end.to(memory_format=torch.contiguous_format)
    return {"channels-last": fast, "default layout": plain}


def time_setting(sample_rate: int, seconds: float, repeats: int) -> dict[str, dict[str, float]]:
    """Fastest training step and inference batch, in seconds, of each layout."""
    nets = _networks(sample_rate)
    waves = torch.randn(BATCH, round(sample_rate * seconds))
    spectra = nets["default layout"].front_end.power_spectra(waves)
    target = torch.randint(0, 10, (BATCH,))
    best = {name: {"train step": float("inf"), "inference": float("inf")} for name in nets}
    for _ in range(repeats):
        for name, net in nets.items():
            net.train()
            net.zero_grad()
            started = time.perf_counter()
            torch.nn.functional.cross_entropy(net(spectra=spectra), target).backward()
            best[name]["train step"] = min(best[name]["train step"],
                                           time.perf_counter() - started)
            net.eval()
            with torch.no_grad():
                started = time.perf_counter()
                net(waves)
                best[name]["inference"] = min(best[name]["inference"],
                                              time.perf_counter() - started)
    return best


def table(results: dict, threads: int, argv: list[str]) -> str:
    """The markdown section: times per layout and their ratios."""
    lines = [HEADING, "",
             f"Command: `{command('benchmarks.back_end_layout', argv)}`", "",
             f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
             f"{threads} thread(s); a batch of {BATCH} clips, fastest of the alternating "
             "repeats. Training steps start from frame spectra computed once; inference from "
             "waveforms.", "",
             "| setting | train step, default layout | channels-last | speed-up | "
             "inference, default layout | channels-last | speed-up |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, best in results.items():
        plain, fast = best["default layout"], best["channels-last"]
        lines.append(
            f"| {name} | {plain['train step'] * 1e3:.0f} ms | {fast['train step'] * 1e3:.0f} ms "
            f"| {plain['train step'] / fast['train step']:.2f}x | "
            f"{plain['inference'] * 1e3:.0f} ms | {fast['inference'] * 1e3:.0f} ms | "
            f"{plain['inference'] / fast['inference']:.2f}x |")
    return "\n".join(lines) + "\n"


def step_timing_parser(description: str, only: str | None = None) -> argparse.ArgumentParser:
    """The options of a benchmark that times steps at `SETTINGS`: threads, repeats, settings."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own count)")
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats (default 7)")
    parser.add_argument("--only", default=only,
                        help="comma-separated first words of the settings, e.g. words,notes "
                             f"(default: {only or 'all'})")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    return parser


def chosen_settings(args: argparse.Namespace) -> list[tuple[str, int, float]]:
    """The settings that ``--only`` names, after setting ``--threads``."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    return [s for s in SETTINGS if args.only is None or s[0].split()[0] in args.only.split(",")]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = step_timing_parser(__doc__.splitlines()[0]).parse_args(argv)
    results = {}
    for name, sample_rate, seconds in chosen_settings(args):
        results[name] = time_setting(sample_rate, seconds, args.repeats)
        print(f"{name}: done", flush=True)
    publish(table(results, torch.get_num_threads(), argv), HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
