"""Running torch with a given number of threads."""

from __future__ import annotations

import contextlib

import torch

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run with ``n_threads`` torch threads (None: leave it), restoring the count after.

    With torch's OpenMP back end a thread that sets the count changes its own
    count and the one that threads it starts begin with, so threads started
    inside (Optuna's ``n_jobs``) inherit it, and concurrent fits in other
    threads keep theirs.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
