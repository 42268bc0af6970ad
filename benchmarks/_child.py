"""Running Python in a fresh child process that imports this benchmarks package.

A benchmark measures a fit, a case or a step in a process of its own (for its own
memory and thread count), by running a module of this package (often itself,
``python -m benchmarks.<name>``) or a piece of code in a new interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# the folder holding the benchmarks package: the child imports the same one, wherever it runs
ROOT = Path(__file__).resolve().parents[1]


def run_python(args: list[str], *, threads: int | None = None,
               check: bool = False) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in a fresh process, its output captured as text.

    Parameters
    ----------
    args : list of str
        The interpreter's arguments, e.g. ``["-c", code, ...]`` or ``["-m", module, ...]``.
    threads : int or None, default=None
        When given, the OpenMP, OpenBLAS and MKL thread counts of the child.
    check : bool, default=False
        Raise `subprocess.CalledProcessError` if the child fails.

    Returns
    -------
    subprocess.CompletedProcess
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=check,
                          env=env)


def run_module(module: str, args: list[str], *,
               threads: int | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m MODULE ARGS`` in a fresh process (see `run_python`)."""
    return run_python(["-m", module, *args], threads=threads)


def last_json(proc: subprocess.CompletedProcess) -> dict:
    """The JSON object a child printed on the last line of its output."""
    return json.loads(proc.stdout.strip().splitlines()[-1])
