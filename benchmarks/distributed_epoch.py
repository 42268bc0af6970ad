"""An epoch of one fit on 1 process and on N processes (torchrun, DistributedDataParallel).

The same clips (``--clips`` of 1 s of noise at 16 kHz, 4 classes; 1024 by default) and the
same global batch (``--batch-size`` clips per step, divided among the
processes) are fitted with the default ``MHRAudioClassifier`` for 3 epochs,
first in one process, then by ``python -m torch.distributed.run
--nproc-per-node N`` on a free loopback port; every process has
``--threads`` torch threads (one by default, so that N processes use N
cores). The figure is the median of the last two epochs' durations
(skorch's ``dur``; the first epoch warms up); both fits run in one
invocation, one after the other, and the table gives the load average when
it started, as the machine may be shared. With ``--device cuda`` each
process takes one GPU (``--nproc`` at most the GPUs present).

Usage::

    python -m benchmarks.distributed_epoch   # prints the table, writes docs/benchmarks.md
    python -m benchmarks.distributed_epoch --no-docs --clips 512 --nproc 4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks._child import ROOT
from benchmarks._report import command, publish

HEADING = "## Distributed training: an epoch on 1 and 2 processes"
SAMPLE_RATE = 16000
EPOCHS = 3


def fit_epochs(args, batch_size: int) -> list[float]:
    """Fit on this process's part of the job; the epochs' seconds (every rank returns them)."""
    import torch

    from sklearn_mhr import MHRAudioClassifier

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.clips, SAMPLE_RATE)).astype(np.float32)
    y = np.arange(args.clips) % 4
    clf = MHRAudioClassifier(max_epochs=EPOCHS, batch_size=batch_size, device=args.device,
                             n_threads=args.threads, random_state=0)
    clf.fit(X, y)
    return [float(d) for d in clf.net_.history[:, "dur"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, nproc: int) -> list[float]:
    """The epochs' seconds of a fit on ``nproc`` processes (1: no launcher)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "epochs.json"
        worker = ["-m", "benchmarks.distributed_epoch", "--worker", str(out), "--clips",
                  str(args.clips), "--batch-size", str(args.batch_size // nproc), "--threads",
                  str(args.threads), "--device", args.device]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                             if p)}
        env = {k: v for k, v in env.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
        if nproc == 1:
            command = [sys.executable, *worker]
        else:
            command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node",
                       str(nproc), "--master-addr", "127.0.0.1", "--master-port",
                       str(free_port()), *worker]
        subprocess.run(command, check=True, env=env)
        return json.loads(out.read_text())


def table(args, one: list[float], many: list[float], load: float) -> str:
    shown = ["--clips", str(args.clips), "--batch-size", str(args.batch_size), "--nproc",
             str(args.nproc), "--threads", str(args.threads), "--device", args.device]
    t1, tn = float(np.median(one[1:])), float(np.median(many[1:]))
    device = args.device if args.device != "cpu" else f"CPU, {args.threads} thread(s) per process"
    return "\n".join([
        HEADING,
        "",
        f"`{command('benchmarks.distributed_epoch', shown)}`: the default "
        f"`MHRAudioClassifier` on {args.clips} clips of 1 s at "
        f"16 kHz, a global batch of {args.batch_size} clips ({args.batch_size // args.nproc} "
        f"per process on {args.nproc}), {device}; median of epochs 2 and 3 of one run each, "
        f"both in one invocation ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} when it started: other work on the "
        "machine takes cores from the processes, and ranks that wait for each other at every "
        "step lose more to it than one process does).",
        "",
        "| processes | epoch (s) | speed-up |",
        "|---|---|---|",
        f"| 1 | {t1:.2f} | 1.00 |",
        f"| {args.nproc} | {tn:.2f} | {t1 / tn:.2f} |",
        "",
    ])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch")
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        epochs = fit_epochs(args, args.batch_size)
        if os.environ.get("RANK", "0") == "0":
            Path(args.worker).write_text(json.dumps(epochs))
        return
    if args.batch_size % args.nproc:
        parser.error(f"--batch-size {args.batch_size} must divide among --nproc {args.nproc}")
    load = os.getloadavg()[0]
    one = run(args, 1)
    many = run(args, args.nproc)
    publish(table(args, one, many, load), HEADING, write=not args.no_docs)


if __name__ == "__main__":
    main()
