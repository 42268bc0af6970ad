"""Running the fits, each in a fresh process of its own, several at once."""

from __future__ import annotations

import json
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from benchmarks._child import last_json, run_module
from benchmarks.compare.plan import fit_key


def fit_in_child(spec: dict) -> dict:
    """Run `run_one` for `spec` in a fresh process with its thread count; its result."""
    out = run_module("benchmarks.compare", ["--child", json.dumps(spec)],
                     threads=spec["n_threads"])
    if out.returncode != 0:
        raise RuntimeError(f"fit of {spec['variant']!r} (seed {spec['seed']}, split "
                           f"{spec['split']}) failed:\n{out.stderr[-4000:]}")
    return last_json(out)


def run_plan(tasks: list[dict], jobs: int, on_result) -> None:
    """Run `tasks` in child processes, `jobs` at a time, calling `on_result` with each result.

    A task waits for the task whose key is its ``after`` while that one is
    still to run. After a failure no new task starts; those running finish
    (and are reported), then SystemExit lists the failures.

    Parameters
    ----------
    tasks : list of dict
        Specs from `build_plan`.
    jobs : int
        Children running at once.
    on_result : callable
        Called in this thread with every result, as each fit finishes.
    """
    pending, running, failures = list(tasks), {}, []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            busy = {fit_key(t) for t in pending} | {fit_key(t) for t in running.values()}
            ready = [t for t in pending if t["after"] is None or tuple(t["after"]) not in busy]
            for task in ready[:jobs - len(running)] if not failures else []:
                pending.remove(task)
                running[pool.submit(fit_in_child, task)] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                try:
                    on_result(future.result())
                except RuntimeError as exc:
                    failures.append(str(exc))
    if failures:
        raise SystemExit("\n\n".join(failures))
