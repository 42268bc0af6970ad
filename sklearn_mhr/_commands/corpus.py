"""Decoding a corpus part for a command: up front with a progress bar, or lazily.

The parts themselves (which clips are training and test) come from
:mod:`sklearn_mhr.datasets.protocols`.
"""

from __future__ import annotations

__all__ = ["decode"]


def _decoded_bytes(part) -> float:
    """Estimated size of the decoded clips as float32, from the first file if needed."""
    n = len(part.target)
    if n == 0:
        return 0.0
    seconds = part.duration
    if seconds is None:
        import soundfile

        try:
            seconds = soundfile.info(str(part.data.paths[0])).duration
        except (RuntimeError, OSError):  # read_audio reports the file properly later
            return 0.0
    return 4.0 * n * seconds * part.sample_rate


def _available_bytes() -> float:
    """Memory available to this process (Linux: MemAvailable), or infinity if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float("inf")


def decode(part, *, lazy: bool, n_jobs: int | None):
    """The clips to give the estimator: the lazy sequence, or decoded with a progress bar.

    Decoding up front is faster when the corpus fits in memory; when it would
    take more than half of the available memory the clips stay lazy, and a
    message says so.
    """
    if lazy:
        return part.data
    needed, available = _decoded_bytes(part), _available_bytes()
    if needed > available / 2:
        print(f"The decoded clips would take {needed / 2**30:.1f} GiB, more than half of the "
              f"{available / 2**30:.1f} GiB available: reading them lazily instead (as --lazy).",
              flush=True)
        return part.data
    return part.data.decode(n_jobs=n_jobs, verbose=True)
