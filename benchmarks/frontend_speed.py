"""Time and peak memory of each front end inside one training step.

Setting of the paper: 44.1 kHz audio, 2048-sample windows, hop 1024,
705-tap kernels, 80 filters, a batch of 8 clips of 10 s. ``--sample-rate 16000``
takes the estimator's default durations at 16 kHz instead (742-sample windows,
hop 371, 257 taps).

Cases
-----
fft
    ``CosGaussFrontEnd(path="fft")``: forward, then backward of ``out.sum()``
    to the filterbank parameters (the waveform does not require grad).
analytic
    ``CosGaussFrontEnd(path="analytic")``: the same step.
time
    ``CosGaussFrontEnd(path="time")``: the same step. On CPU it runs on a
    smaller batch (``--time-batch``, default 1 clip) and its figures are
    scaled linearly to the full batch; the table says so.
mel
    ``LogMelFrontEnd``: forward only (it has no parameters).
sinc
    A peer: asteroid-filterbanks' ``ParamSincFB`` (learnable band edges) with the
    same kernel length, at a stride of hop / 8, squared, averaged over each
    window to frames and logged; forward + backward to its parameters.
nnaudio
    A peer: nnAudio's ``MelSpectrogram`` with a trainable mel matrix, logged;
    forward + backward to that matrix.

The peers need the ``bench-peers`` extra; without it their cases are skipped
with a message. speechbrain's LEAF and SincConv and diffsptk import torchaudio,
which has no build for this torch, so they are not measured.

Each case runs in a fresh Python process, so its peak resident memory
(``ru_maxrss``) belongs to that case alone; the table gives the absolute
peak and the increment over the resident memory after imports and setup
(module and input built, nothing run). On CUDA the peak of
``torch.cuda.max_memory_allocated`` is reported as well.

Usage::

    python -m benchmarks.frontend_speed                    # all cases, writes docs/benchmarks.md
    python -m benchmarks.frontend_speed --repeats 50 --json results.json
    python -m benchmarks.frontend_speed --case fft         # one case, JSON to stdout
    python -m benchmarks.frontend_speed --sample-rate 16000 --cases fft,analytic,mel

The table is printed and written to ``docs/benchmarks.md`` under the heading
``## Front-end cost in a training step`` (``... at 16 kHz`` for that setting;
only that section is replaced); ``--no-docs`` skips the write.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from benchmarks._child import last_json, run_module
from benchmarks._report import DOCS, command, publish

REPO = Path(__file__).resolve().parents[1]

HEADING = "## Front-end cost in a training step"
CASES = ("fft", "analytic", "time", "mel", "sinc", "nnaudio")
LEARNABLE = ("fft", "analytic", "time")
PEERS = {"sinc": "asteroid_filterbanks", "nnaudio": "nnAudio"}
CASE_LABELS = {
    "fft": "cos-Gauss, frequency path (`path=\"fft\"`), forward + backward",
    "analytic": "cos-Gauss, analytic path (`path=\"analytic\"`), forward + backward",
    "time": "cos-Gauss, time path (`path=\"time\"`), forward + backward",
    "mel": "log-mel, forward only",
    "sinc": "peer: asteroid `ParamSincFB`, energy per frame, log, forward + backward",
    "nnaudio": "peer: nnAudio trainable `MelSpectrogram`, log, forward + backward",
}

# the paper's setting; `use_setting` switches to the estimator's defaults at another rate
SAMPLE_RATE = 44100
WIN_LENGTH = 2048
HOP_LENGTH = 1024
KERNEL_SIZE = 705
N_FILTERS = 80


def use_setting(sample_rate: int) -> None:
    """Keep the paper's lengths at 44.1 kHz; elsewhere take the estimator's default durations."""
    global SAMPLE_RATE, WIN_LENGTH, HOP_LENGTH, KERNEL_SIZE
    if sample_rate == 44100:
        return
    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr._lengths import sample_lengths

    defaults = MHRAudioClassifier()
    SAMPLE_RATE = sample_rate
    WIN_LENGTH, HOP_LENGTH, KERNEL_SIZE = sample_lengths(
        sample_rate, defaults.window_duration, defaults.hop_duration, defaults.kernel_duration)


def heading(sample_rate: int) -> str:
    return HEADING if sample_rate == 44100 else f"{HEADING} at {sample_rate / 1000:g} kHz"


# ---------------------------------------------------------------------------
# one case, in this process
# ---------------------------------------------------------------------------

def _rss_now_mib() -> float:
    """Current resident set size in MiB (Linux); falls back to the peak so far."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return _rss_peak_mib()


def _rss_peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but torch.cuda.is_available() is False")
    return name


def _SincEnergy():
    """asteroid's ParamSincFB as a front end: log of the mean squared output per frame."""
    import torch
    from asteroid_filterbanks import Encoder, ParamSincFB

    stride = HOP_LENGTH // 8

    class SincEnergy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder(ParamSincFB(N_FILTERS, KERNEL_SIZE, stride=stride,
                                               sample_rate=SAMPLE_RATE))

        def forward(self, x):
            energy = self.encoder(x.unsqueeze(1)).square()
            frames = torch.nn.functional.avg_pool1d(energy, WIN_LENGTH // stride,
                                                    HOP_LENGTH // stride)
            return torch.log(frames + 1e-6)

    return SincEnergy()


def _NNAudioLogMel():
    """nnAudio's MelSpectrogram with a trainable mel matrix, logged."""
    import torch
    from nnAudio.features import MelSpectrogram

    class NNAudioLogMel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mel = MelSpectrogram(sr=SAMPLE_RATE, n_fft=WIN_LENGTH, win_length=WIN_LENGTH,
                                      n_mels=N_FILTERS, hop_length=HOP_LENGTH,
                                      trainable_mel=True, trainable_STFT=False, verbose=False)

        def forward(self, x):
            return torch.log(self.mel(x) + 1e-6)

    return NNAudioLogMel()


def run_case(case: str, *, batch: int, seconds: float, repeats: int, warmup: int,
             device: str, seed: int = 0) -> dict:
    """Build one front end, run its training-step work and measure it."""
    import torch

    from sklearn_mhr.nn.frontend import CosGaussFrontEnd
    from sklearn_mhr.nn.mel import LogMelFrontEnd

    cuda = device == "cuda"
    torch.manual_seed(seed)
    n_samples = round(seconds * SAMPLE_RATE)
    if case in LEARNABLE:
        module = CosGaussFrontEnd(N_FILTERS, SAMPLE_RATE, WIN_LENGTH, HOP_LENGTH, KERNEL_SIZE,
                                  path=case)
    elif case == "mel":
        module = LogMelFrontEnd(N_FILTERS, SAMPLE_RATE, WIN_LENGTH, HOP_LENGTH)
    elif case == "sinc":
        module = _SincEnergy()
    elif case == "nnaudio":
        module = _NNAudioLogMel()
    else:
        raise ValueError(f"unknown case {case!r}")
    module = module.to(device)
    x = torch.randn(batch, n_samples, device=device)  # does not require grad
    trainable = any(p.requires_grad for p in module.parameters())

    def step():
        if trainable:
            module.zero_grad(set_to_none=True)
            out = module(x)
            out.sum().backward()
        else:
            out = module(x)
        return out

    def sync():
        if cuda:
            torch.cuda.synchronize()

    sync()
    rss_setup = _rss_now_mib()
    if cuda:
        cuda_setup = torch.cuda.memory_allocated() / 2**20
        torch.cuda.reset_peak_memory_stats()

    out = None
    for _ in range(warmup):
        out = step()
    sync()
    times = []
    for _ in range(repeats):
        del out
        sync()
        t0 = time.perf_counter()
        out = step()
        sync()
        times.append(time.perf_counter() - t0)

    result = {
        "case": case,
        "device": device,
        "batch": batch,
        "n_samples": n_samples,
        "out_shape": list(out.shape),
        "repeats": repeats,
        "warmup": warmup,
        "times_s": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "rss_setup_mib": rss_setup,
        "rss_peak_mib": _rss_peak_mib(),
    }
    result["rss_increment_mib"] = result["rss_peak_mib"] - rss_setup
    if trainable:
        result["grad_norm"] = float(sum(p.grad.norm() ** 2 for p in module.parameters()
                                        if p.grad is not None) ** 0.5)
    if cuda:
        result["cuda_setup_mib"] = cuda_setup
        result["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
        result["cuda_increment_mib"] = result["cuda_peak_mib"] - cuda_setup
    return result


# ---------------------------------------------------------------------------
# all cases, each in a fresh process
# ---------------------------------------------------------------------------

def _cpu_seconds_all() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = sum(values) / tick
    return total - (values[3] + values[4]) / tick, total


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_in_subprocess(case: str, args, batch: int, repeats: int, warmup: int) -> dict:
    argv = ["--case", case, "--batch", str(batch), "--seconds", repr(args.seconds),
            "--repeats", str(repeats), "--warmup", str(warmup), "--device", args.device,
            "--sample-rate", str(args.sample_rate)]
    before, child_before = _cpu_seconds_all(), _children_cpu_seconds()
    proc = run_module("benchmarks.frontend_speed", argv)
    after, child_after = _cpu_seconds_all(), _children_cpu_seconds()
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"case {case!r} failed with exit status {proc.returncode}")
    result = last_json(proc)
    if before is not None and after is not None and after[1] > before[1]:
        # share of the machine's CPU time that other processes took while this case ran
        other = (after[0] - before[0]) - (child_after - child_before)
        result["other_cpu_share"] = min(1.0, max(0.0, other / (after[1] - before[1])))
    return result


def merge_runs(runs: list[dict]) -> dict:
    """Pool the timed steps of several processes; keep the largest memory figures."""
    merged = dict(runs[0])
    times = [t for r in runs for t in r["times_s"]]
    merged.update(
        processes=len(runs),
        times_s=times,
        median_s=statistics.median(times),
        min_s=min(times),
        rss_peak_mib=max(r["rss_peak_mib"] for r in runs),
        rss_increment_mib=max(r["rss_increment_mib"] for r in runs),
        runs=runs,
    )
    shares = [r["other_cpu_share"] for r in runs if "other_cpu_share" in r]
    if shares:
        merged["other_cpu_share"] = statistics.fmean(shares)
    if "cuda_peak_mib" in runs[0]:
        merged["cuda_peak_mib"] = max(r["cuda_peak_mib"] for r in runs)
        merged["cuda_increment_mib"] = max(r["cuda_increment_mib"] for r in runs)
    return merged


def machine_info(device: str) -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "device": device,
    }
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def build_report(results: dict, args, info: dict, command: str) -> tuple[str, dict]:
    full_batch = args.batch
    cuda = info["device"] == "cuda"
    rows = []
    scaled = {}
    for case in CASES:
        if case not in results:
            continue
        r = results[case]
        factor = full_batch / r["batch"]
        s = {
            "factor": factor,
            "median_ms": r["median_s"] * 1e3 * factor,
            "min_ms": r["min_s"] * 1e3 * factor,
            "rss_increment_mib": r["rss_increment_mib"] * factor,
        }
        if cuda:
            s["cuda_increment_mib"] = r["cuda_increment_mib"] * factor
        scaled[case] = s
        note = "" if factor == 1 else f" (scaled x{factor:g} from batch {r['batch']})"
        row = [
            CASE_LABELS[case],
            f"{r['batch']} x {r['n_samples'] / SAMPLE_RATE:g} s",
            f"{r['processes']} x {r['repeats']}",
            _fmt(r["median_s"] * 1e3),
            _fmt(r["min_s"] * 1e3),
            _fmt(s["median_ms"]) + note,
            _fmt(r["rss_peak_mib"], 0),
            _fmt(r["rss_increment_mib"], 0),
            _fmt(s["rss_increment_mib"], 0) + note,
        ]
        if cuda:
            row += [_fmt(r["cuda_peak_mib"], 0), _fmt(s["cuda_increment_mib"], 0) + note]
        row.append(f"{100 * r['other_cpu_share']:.0f}" if "other_cpu_share" in r else "n/a")
        rows.append(row)

    header = ["front end, step", "measured batch", "processes x timed steps", "median (ms)",
              "min (ms)", f"median per batch of {full_batch} (ms)", "peak RSS (MiB)",
              "RSS increment (MiB)", f"RSS increment per batch of {full_batch} (MiB)"]
    if cuda:
        header += ["CUDA peak allocated (MiB)", f"CUDA increment per batch of {full_batch} (MiB)"]
    header.append("CPU taken by other processes (%)")
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    table = "\n".join(lines)

    ratios = {}
    ratio_lines = []
    if "time" in scaled and "fft" in scaled:
        ratios["time_over_fft"] = scaled["time"]["median_ms"] / scaled["fft"]["median_ms"]
        ratios["time_over_fft_min"] = scaled["time"]["min_ms"] / scaled["fft"]["min_ms"]
        ok = "met" if ratios["time_over_fft"] >= 50 else "NOT met"
        ratio_lines.append(
            f"- time path (scaled to batch {full_batch}) / frequency path, forward + backward: "
            f"**{ratios['time_over_fft']:.0f}x** on medians "
            f"({ratios['time_over_fft_min']:.0f}x on minima); "
            f"target at least 50x: {ok}."
        )
    path_names = {"fft": "frequency path", "analytic": "analytic path"}
    for path, name in path_names.items():
        for peer in PEERS:
            if path in scaled and peer in scaled:
                key = f"{path}_over_{peer}"
                ratios[key] = scaled[path]["median_ms"] / scaled[peer]["median_ms"]
                ok = "met" if ratios[key] < 1 else "NOT met"
                ratio_lines.append(
                    f"- {name} / {CASE_LABELS[peer].split(',')[0][len('peer: '):]}, both "
                    f"forward + backward: **{ratios[key]:.2f}x** on medians; target below 1x "
                    f"(faster): {ok}.")
        if path in scaled and "mel" in scaled:
            key = f"{path}_over_mel"
            ratios[key] = scaled[path]["median_ms"] / scaled["mel"]["median_ms"]
            ratios[key + "_min"] = scaled[path]["min_ms"] / scaled["mel"]["min_ms"]
            ok = "met" if ratios[key] <= 1.3 else "NOT met"
            ratio_lines.append(
                f"- {name} forward + backward / log-mel forward: "
                f"**{ratios[key]:.2f}x** on medians "
                f"({ratios[key + '_min']:.2f}x on minima); "
                f"target at most 1.3x: {ok}."
            )
    if "analytic" in scaled and "fft" in scaled:
        ratios["analytic_over_fft"] = scaled["analytic"]["median_ms"] / scaled["fft"]["median_ms"]
        ratio_lines.append(f"- analytic path / frequency path, both forward + backward: "
                           f"**{ratios['analytic_over_fft']:.2f}x** on medians.")

    n_samples = round(args.seconds * SAMPLE_RATE)
    machine = (f"{info['cpu']}, {info['cores']} cores ({info['torch_threads']} torch threads), "
               f"torch {info['torch']}, Python {info['python']}")
    if cuda:
        machine += f", GPU {info['gpu']}"
    scaled_note = ""
    if "time" in results and results["time"]["batch"] != full_batch:
        scaled_note = (
            f" The time path runs on {_plural(results['time']['batch'], 'clip')} only (a batch of "
            f"{full_batch} would need several GB and many seconds per step); its per-batch-of-"
            f"{full_batch} time and memory increment are the measured figures multiplied by "
            f"{full_batch / results['time']['batch']:g}, assuming cost linear in the number of "
            "frames. "
            f"It runs in one process, after {_plural(results['time']['warmup'], 'untimed step')}."
        )
    text = "\n".join([
        heading(args.sample_rate),
        "",
        f"Setting: {SAMPLE_RATE} Hz, {WIN_LENGTH}-sample windows, hop {HOP_LENGTH}, "
        f"{KERNEL_SIZE}-tap kernels, {N_FILTERS} filters, batch of {full_batch} clips of "
        f"{args.seconds:g} s ({n_samples} samples). A step is forward plus backward of "
        "`out.sum()` to the filterbank parameters for the cos-Gauss front end (the waveform "
        "does not require grad) and forward only for the log-mel front end. Times are "
        "wall-clock (`time.perf_counter`), median and minimum over the timed steps of "
        f"every process, each process first running {_plural(args.warmup, 'untimed step')}; "
        f"torch's default thread count; device `{info['device']}`. Each case runs in fresh "
        "processes, alternating with the other cases over the rounds so that a change in "
        "machine load hits them alike; peak RSS is `ru_maxrss`, the increment is over the "
        "resident memory after imports and setup (module and input built), the largest "
        "over the case's processes. The last column is the share of the machine's CPU time "
        "that other processes took while the case ran (from `/proc/stat`); figures taken "
        "under such load, the medians above all, are slower than on an idle machine." + scaled_note,
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine}; {info['date']}.",
        "",
        table,
        "",
        "Ratios, from this run:",
        "",
        *ratio_lines,
        "",
    ])
    return text, {"scaled": scaled, "ratios": ratios}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=CASES,
                        help="run one case in this process and print its measurements as JSON "
                             "(the parent runs each case this way, in a fresh process)")
    parser.add_argument("--cases", default=",".join(CASES),
                        help="comma-separated cases to run (default: all)")
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed steps per process for fft and mel (default: 20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="fresh processes per case for fft and mel, run in alternation; "
                             "the time path runs in the first round only (default: 3)")
    parser.add_argument("--time-repeats", type=int, default=3,
                        help="timed steps for the time path (default: 3)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed steps first in each process (default: 5; the allocator "
                             "takes a few steps to settle)")
    parser.add_argument("--time-warmup", type=int, default=1,
                        help="untimed steps first for the time path (default: 1)")
    parser.add_argument("--batch", type=int, default=8, help="clips per batch (default: 8)")
    parser.add_argument("--time-batch", type=int, default=None,
                        help="clips the time path really runs on; default 1 on CPU, "
                             "--batch on CUDA")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="clip length in s (default: 10)")
    parser.add_argument("--sample-rate", type=int, default=44100,
                        help="44100: the paper's lengths (default); any other rate: the "
                             "estimator's default durations at that rate")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="default: cuda when available, else cpu")
    parser.add_argument("--json", metavar="PATH", help="also write all measurements as JSON here")
    parser.add_argument("--no-docs", action="store_true",
                        help=f"do not update {DOCS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    args.device = _resolve_device(args.device)
    use_setting(args.sample_rate)

    if args.case:
        result = run_case(args.case, batch=args.batch, seconds=args.seconds, repeats=args.repeats,
                          warmup=args.warmup, device=args.device)
        print(json.dumps(result))
        return 0

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {sorted(unknown)}")
    import importlib.util

    for case, package in PEERS.items():
        if case in cases and importlib.util.find_spec(package) is None:
            print(f"skipping {case}: {package} is not installed (pip install \".[bench-peers]\")",
                  file=sys.stderr, flush=True)
            cases.remove(case)
    time_batch = args.time_batch or (args.batch if args.device == "cuda" else 1)
    time_batch = min(time_batch, args.batch)

    runs = {case: [] for case in CASES if case in cases}
    for round_ in range(max(1, args.rounds)):
        for case, case_runs in runs.items():
            if case == "time" and round_ > 0:
                continue  # seconds per step: one process is enough
            batch = time_batch if case == "time" else args.batch
            repeats = args.time_repeats if case == "time" else args.repeats
            warmup = args.time_warmup if case == "time" else args.warmup
            print(f"round {round_ + 1}: {case} (batch {batch}, {repeats} timed steps) ...",
                  file=sys.stderr, flush=True)
            case_runs.append(run_in_subprocess(case, args, batch, repeats, warmup))
    results = {case: merge_runs(r) for case, r in runs.items()}

    run = command("benchmarks.frontend_speed", sys.argv[1:])
    info = machine_info(args.device)
    section, derived = build_report(results, args, info, run)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"command": run, "machine": info, "results": results, **derived}, indent=2) + "\n")
    publish(section, heading(args.sample_rate), write=not args.no_docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
