"""The results of all fits summarised per variant and baseline: means and standard deviations."""

from __future__ import annotations

import statistics


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarise(results: list[dict], names: list[str]) -> list[dict]:
    """One row per name in `names` that has results: means and standard deviations.

    The accuracy is the mean over seeds of each seed's mean over splits, and
    its std the std of those per-seed means; every other measure is averaged
    over all fits.

    Parameters
    ----------
    results : list of dict
        Results of `run_one`.
    names : list of str
        Variants and baselines, in the order of the rows.

    Returns
    -------
    rows : list of dict
        Name, kind, seeds, splits (sorted), sample rate, accuracy with its std
        and per split, fit / epoch seconds, inference clips per second and peak
        RSS (each with its std; None where no fit measured it), and accuracy
        per device where the results have it.
    """
    rows = []
    for name in names:
        # by seed and split, not in the order the fits finished: columns must not vary by run
        runs = sorted((r for r in results if r["variant"] == name),
                      key=lambda r: (r["seed"], r["split"] is not None, r["split"]))
        if not runs:
            continue
        per_seed, per_split = {}, {}
        for r in runs:
            per_seed.setdefault(r["seed"], []).append(r["accuracy"])
            per_split.setdefault(str(r["split"]), []).append(r["accuracy"])
        row = {"variant": name, "kind": runs[0]["kind"], "seeds": len(per_seed),
               "splits": list(dict.fromkeys(r["split"] for r in runs)),
               "sample_rate": runs[0]["params"]["sample_rate"]}
        row["accuracy"], row["accuracy_std"] = _mean_std([statistics.mean(v)
                                                          for v in per_seed.values()])
        row["accuracy_per_split"] = {s: statistics.mean(v) for s, v in per_split.items()}
        for key in ("fit_seconds", "epoch_seconds", "inference_clips_per_second", "peak_rss_mib"):
            values = [r[key] for r in runs if r.get(key) is not None]
            row[key], row[key + "_std"] = _mean_std(values) if values else (None, None)
        if "per_device" in runs[0]:
            row["per_device"] = {d: statistics.mean(r["per_device"][d] for r in runs)
                                 for d in runs[0]["per_device"]}
        rows.append(row)
    return rows
