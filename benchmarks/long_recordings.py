"""Long recordings: real-time factor, batched windows against one per pass, and peak memory.

For each rate, fit the default MHRAudioClassifier for one epoch on eight 1 s clips of noise
(so its windows are the defaults: 1 s, every 0.5 s), write ``--minutes`` of noise as a 16-bit
WAV file and label every window of it with ``sklearn_mhr.stream.predict_file`` (read and
resampled block by block, the path of ``sklearn-mhr predict --window``): real-time factor is
audio seconds per second of wall time. Then, on the first ``--single`` windows held in memory,
windows per second with ``batch_size=1`` (one window per forward pass) and with the default
``batch_size=32``. Last, peak memory (``ru_maxrss`` of a fresh process) of ``predict_file`` on
files of each of ``--memory-minutes`` at the first rate; ``--memory-hop`` sets a longer hop
there, so that a quick run reads the whole file with fewer forward passes.

Usage::

    python -m benchmarks.long_recordings                      # 1 hour; 10 min and 3 hours
    python -m benchmarks.long_recordings --minutes 5 --memory-hop 30 --no-docs   # quick
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks._child import run_python
from benchmarks._report import command, publish
from sklearn_mhr import MHRAudioClassifier, persistence
from sklearn_mhr.io import read_audio
from sklearn_mhr.stream import predict_file

HEADING = "## Long recordings: real time, batched windows and memory"

_CHILD = textwrap.dedent("""
    import resource, sys
    from sklearn_mhr import persistence
    from sklearn_mhr.stream import predict_file
    hop = None if sys.argv[3] == "none" else float(sys.argv[3])
    windows = predict_file(persistence.load(sys.argv[1]), sys.argv[2], hop=hop)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(windows.start))
""")


def write_noise(path: Path, minutes: float, rate: int) -> None:
    """``minutes`` of white noise at ``rate`` as 16-bit PCM, written a minute at a time."""
    rng = np.random.default_rng(0)
    left = round(minutes * 60 * rate)
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as f:
        while left > 0:
            n = min(left, 60 * rate)
            f.write((0.2 * rng.standard_normal(n)).astype(np.float32))
            left -= n


def default_model(rate: int) -> MHRAudioClassifier:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, rate)).astype(np.float32)
    return MHRAudioClassifier(sample_rate=rate, max_epochs=1, random_state=0).fit(
        X, np.arange(8) % 4)


def windows_per_second(est, wave, batch_size: int) -> float:
    est.set_params(batch_size=batch_size)
    est.predict_windows([wave[: 4 * est.sample_rate]])  # warm-up
    start = time.perf_counter()
    n = len(est.predict_windows([wave]).start)
    return n / (time.perf_counter() - start)


def peak_memory(model_dir: Path, path: Path, hop) -> tuple[float, int]:
    """Peak resident memory in MB of a fresh process labelling ``path``, and its windows."""
    out = run_python(["-c", _CHILD, str(model_dir), str(path),
                      "none" if hop is None else str(hop)], check=True)
    kib, n_windows = out.stdout.split()
    return int(kib) / 1024, int(n_windows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0,
                        help="length of the timed recording (default: 60)")
    parser.add_argument("--rates", type=int, nargs="+", default=[16000, 44100],
                        help="sample rates in Hz (default: 16000 44100)")
    parser.add_argument("--single", type=int, default=120,
                        help="windows timed one per forward pass (default: 120)")
    parser.add_argument("--memory-minutes", type=float, nargs="+", default=[10.0, 180.0],
                        help="lengths of the files whose peak memory is measured (default: "
                             "10 180)")
    parser.add_argument("--memory-hop", type=float, default=None,
                        help="hop in seconds for the memory runs (default: the model's, 0.5)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    rows, memory = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for rate in args.rates:
            est = default_model(rate)
            path = tmp / f"long-{rate}.wav"
            write_noise(path, args.minutes, rate)
            est.predict_windows([np.zeros(4 * rate, dtype=np.float32)])  # warm-up
            start = time.perf_counter()
            windows = predict_file(est, path)
            elapsed = time.perf_counter() - start
            rtf = args.minutes * 60 / elapsed
            hop_s = est.clip_samples_ / 2 / rate
            wave = read_audio(path, duration=(args.single - 1) * hop_s + est.clip_samples_ / rate)
            single = windows_per_second(est, wave, 1)
            batched = windows_per_second(est, wave, 32)
            print(f"{rate} Hz: {args.minutes:g} min in {elapsed:.1f} s ({rtf:.0f}x real time, "
                  f"{len(windows.start)} windows); {single:.1f} windows/s one per pass, "
                  f"{batched:.1f} batched", flush=True)
            rows.append((rate, elapsed, rtf, len(windows.start) / elapsed, single, batched))
            path.unlink()
            if rate == args.rates[0]:
                model_dir = persistence.save(est, tmp / "model")
                for minutes in args.memory_minutes:
                    mem_path = tmp / f"memory-{minutes:g}.wav"
                    write_noise(mem_path, minutes, rate)
                    peak, n_windows = peak_memory(model_dir, mem_path, args.memory_hop)
                    mem_path.unlink()
                    print(f"{minutes:g} min at {rate} Hz: peak {peak:.0f} MB "
                          f"({n_windows} windows)", flush=True)
                    memory.append((minutes, rate, peak, n_windows))
    hop_text = "the model's 0.5 s" if args.memory_hop is None else f"{args.memory_hop:g} s"
    lines = [
        HEADING, "",
        f"The default model (1 s windows every 0.5 s) labels {args.minutes:g} minutes of noise "
        "read from a 16-bit WAV file block by block (`sklearn_mhr.stream.predict_file`, the "
        "path of `sklearn-mhr predict --window`); real time is audio seconds per second of wall "
        f"time, decoding and resampling included. One per pass: {args.single} windows held in "
        "memory with `batch_size=1`; batched: the same windows with the default "
        f"`batch_size=32`. Machine: {platform.machine()}, {torch.get_num_threads()} torch "
        f"threads, torch {torch.__version__}, CPU; one run (no best-of), on a machine shared "
        "with other jobs.", "",
        f"Command: `{command('benchmarks.long_recordings', argv or sys.argv[1:])}`", "",
        "| rate | wall time | real-time factor | windows/s (file) | windows/s one per pass "
        "| windows/s batched | batched / one |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r} Hz | {e:.1f} s | {x:.0f}x | {w:.0f} | {s:.1f} | {b:.1f} | {b / s:.2f}x |"
              for r, e, x, w, s, b in rows]
    if memory:
        lines += ["", f"Peak resident memory of a fresh process running `predict_file` (hop "
                  f"{hop_text}), torch and the model included:", "",
                  "| file | windows | peak memory | more than the first |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {m:g} min at {r} Hz | {n} | {p:.0f} MB | {p - memory[0][2]:+.0f} MB |"
                  for m, r, p, n in memory]
    publish("\n".join(lines) + "\n", HEADING, write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
