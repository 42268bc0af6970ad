"""Training steps of the default network, eager and with its back end under ``torch.compile``.

The light back end takes about two thirds of a default training step on the CPU
(``benchmarks.profile_step``), so it is where ``torch.compile`` (inductor) could pay. This
times, at each setting, one training step (forward and backward of a batch of 32 from frame
spectra computed once, as a default fit takes them) of the default ``MHRNet`` eager and of a
copy whose back end is compiled, the two alternating, keeping each one's fastest of
``--repeats``, and reports the compile time (the first compiled step). ``--whole`` compiles
the whole network instead: inductor generates no code for the front end's complex-valued
operations, which run eagerly between compiled parts.

Usage::

    python -m benchmarks.compile_step                 # prints, writes docs/benchmarks.md
    python -m benchmarks.compile_step --threads 1 --only words --no-docs
"""

from __future__ import annotations

import copy
import platform
import sys
import time

import torch

from benchmarks._report import command, publish
from benchmarks.back_end_layout import BATCH, chosen_settings, step_timing_parser
from sklearn_mhr._lengths import sample_lengths
from sklearn_mhr.nn import MHRNet

HEADING = "## torch.compile on the CPU"


def _step(net: MHRNet, spectra: torch.Tensor, target: torch.Tensor) -> float:
    """Seconds of one forward and backward pass."""
    net.zero_grad()
    started = time.perf_counter()
    torch.nn.functional.cross_entropy(net(spectra=spectra), target).backward()
    return time.perf_counter() - started


def time_setting(sample_rate: int, seconds: float, repeats: int, whole: bool) -> dict[str, float]:
    """Compile time and the fastest step, in seconds, eager and compiled."""
    torch.manual_seed(0)
    eager = MHRNet(10, sample_rate, *sample_lengths(sample_rate, 0.0464, 0.0232, 0.016)).train()
    compiled = copy.deepcopy(eager)
    if whole:
        compiled = torch.compile(compiled)
    else:
        compiled.back_end = torch.compile(compiled.back_end)
    spectra = eager.front_end.power_spectra(torch.randn(BATCH, round(sample_rate * seconds)))
    target = torch.randint(0, 10, (BATCH,))
    result = {"compile": _step(compiled, spectra, target), "eager": float("inf"),
              "compiled": float("inf")}
    for _ in range(repeats):
        result["eager"] = min(result["eager"], _step(eager, spectra, target))
        result["compiled"] = min(result["compiled"], _step(compiled, spectra, target))
    return result


def table(results: dict, threads: int, whole: bool, argv: list[str]) -> str:
    """The markdown section: step times, their ratio and the compile time."""
    what = "the whole network" if whole else "the back end"
    lines = [HEADING, "",
             f"Command: `{command('benchmarks.compile_step', argv)}`", "",
             f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
             f"{threads} thread(s); a batch of {BATCH} clips from frame spectra computed once, "
             f"forward and backward; {what} compiled with `torch.compile` (inductor, default "
             "mode); fastest of the alternating repeats.", "",
             "| setting | eager step | compiled step | speed-up | compile time (first step) |",
             "|---|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['eager'] * 1e3:.0f} ms | {r['compiled'] * 1e3:.0f} ms | "
                     f"{r['eager'] / r['compiled']:.2f}x | {r['compile']:.1f} s |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = step_timing_parser(__doc__.splitlines()[0], only="words,notes,scenes")
    parser.add_argument("--whole", action="store_true",
                        help="compile the whole network, not only the back end")
    args = parser.parse_args(argv)
    results = {}
    for name, sample_rate, seconds in chosen_settings(args):
        results[name] = time_setting(sample_rate, seconds, args.repeats, args.whole)
        print(f"{name}: done", flush=True)
    publish(table(results, torch.get_num_threads(), args.whole, argv), HEADING,
            write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
