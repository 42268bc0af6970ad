"""Peak resident memory of one training step with the DCASE2020 preset.

A fresh Python process builds ``paper_dcase2020()``'s network, draws a batch of
32 clips of 10 s at 44.1 kHz, and runs one training step (forward, backward,
SGD step, with mixup and masking as in training); the parent prints the
child's peak resident memory (``ru_maxrss``) and its growth over the memory
after setup. Target: under 4 GB.

Usage::

    python -m benchmarks.train_step_memory               # prints, writes docs/benchmarks.md
    python -m benchmarks.train_step_memory --back-end-width 64 --no-docs
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from benchmarks._child import last_json, run_python
from benchmarks._report import command, publish

HEADING = "## Memory of a training step with the DCASE2020 preset"
TARGET_GIB = 4.0

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np, torch
    from sklearn_mhr._skorch import start_net
    from sklearn_mhr.presets import paper_dcase2020

    def rss_mib():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    batch, seconds, width = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    clf = paper_dcase2020(back_end_width=width, random_state=0)
    start_net(clf, np.arange(10), "cpu")
    net = clf.net_
    x = torch.randn(batch, round(seconds * clf.sample_rate))
    y = torch.randint(0, 10, (batch,))
    setup = rss_mib()
    start = time.perf_counter()
    net.optimizer_.zero_grad()
    step = net.train_step_single((x, y))
    net.optimizer_.step()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"setup_mib": setup, "peak_mib": peak, "seconds": elapsed,
                      "loss": float(step["loss"]), "threads": torch.get_num_threads()}))
""")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--back-end-width", type=int, default=32,
                        help="FCNN width (the preset's default: 32)")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    out = run_python(["-c", CHILD, str(args.batch), str(args.seconds),
                      str(args.back_end_width)])
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    r = last_json(out)
    peak_gib = r["peak_mib"] / 1024
    verdict = "met" if peak_gib < TARGET_GIB else "NOT met"
    text = "\n".join([
        HEADING, "",
        f"One training step (forward, backward, SGD step; mixup and masking on) of "
        f"`paper_dcase2020(back_end_width={args.back_end_width})` on a batch of {args.batch} clips "
        f"of {args.seconds:g} s at 44.1 kHz, in a fresh process, CPU, "
        f"{r['threads']} torch threads.",
        "",
        f"Command: `{command('benchmarks.train_step_memory')}`", "",
        "| peak resident memory | after setup | step time | target |",
        "|---:|---:|---:|---|",
        f"| {peak_gib:.2f} GiB | {r['setup_mib'] / 1024:.2f} GiB | {r['seconds']:.1f} s | "
        f"under {TARGET_GIB:g} GiB: {verdict} |", ""])
    publish(text, HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
