"""The docs section of an ablation: settings, command, table and breakdowns, in Markdown."""

from __future__ import annotations

import os
import platform

from benchmarks.compare.plan import held_out


def _ratio(value, reference) -> str:
    return f"{value / reference:.2f}x" if value is not None and reference else ""


def _number(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _settings(params: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in params.items())


def _breakdown(rows: list[dict], key: str, title: str) -> list[str]:
    """Lines of a table of every row's accuracies in ``row[key]``, one column per entry."""
    columns = list(dict.fromkeys(c for r in rows for c in r.get(key, {})))
    lines = ["", f"{title}:", "", "| variant | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for r in rows:
        lines.append(f"| {r['variant']} | " + " | ".join(
            _number(r.get(key, {}).get(c), ".3f") for c in columns) + " |")
    return lines


def markdown(rows: list[dict], args, command: str) -> str:
    """The docs section: settings, command, the table, baselines, accuracy per fold and per device.

    Parameters
    ----------
    rows : list of dict
        From `summarise`.
    args : argparse.Namespace
        The resolved options.
    command : str
        The command line, quoted in the section.

    Returns
    -------
    section : str
        Markdown, starting with ``args.docs_heading``.
    """
    mel = next((r for r in rows if r["variant"] == "mel"), None)
    overrides = f" (`--set`: {_settings(args.overrides)})" if args.overrides else ""
    mel_overrides = (f"; the `mel` variant also {_settings(args.mel_overrides)}"
                     if args.mel_overrides else "")
    threads = f"{args.n_threads} thread{'s' if args.n_threads > 1 else ''}"
    if args.jobs > 1:
        threads = f"{args.jobs} fits at once with {threads} each (timed side by side)"
    lines = [args.docs_heading, "",
             f"Data: {describe_data(args)}. Parameters "
             f"{_settings({**args.base_params, **args.overrides})}{overrides}{mel_overrides}, "
             f"{args.epochs} epochs, seeds {', '.join(map(str, range(args.seeds)))}; every other "
             f"parameter at its default. Machine: {platform.machine()}, {os.cpu_count()} cores, "
             f"{threads}, torch on CPU unless a GPU is present; each fit in a fresh process.", "",
             f"Command: `{command}`", "",
             "| variant | rate (Hz) | accuracy (mean +- std) | fit (s) | epoch (s) | / mel | "
             "inference (clips/s) | / mel | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ref = mel if mel and mel["sample_rate"] == r["sample_rate"] else {}
        lines.append(
            f"| {r['variant']} | {r['sample_rate']} | "
            f"{r['accuracy']:.3f} +- {r['accuracy_std']:.3f} | "
            f"{r['fit_seconds']:.2f} | {_number(r['epoch_seconds'], '.2f')} | "
            f"{_ratio(r['epoch_seconds'], ref.get('epoch_seconds'))} | "
            f"{r['inference_clips_per_second']:.0f} | "
            f"{_ratio(r['inference_clips_per_second'], ref.get('inference_clips_per_second'))} | "
            f"{r['peak_rss_mib']:.0f} |")
    baselines = [r["variant"] for r in rows if r["kind"] == "baseline"]
    if baselines:
        from benchmarks.baselines import BASELINES

        lines += ["", "Baselines (their fit and inference times include the feature extraction):",
                  ""]
        lines += [f"- `{name}`: {BASELINES[name]}"
                  + (f"; {args.cnn_epochs} epochs." if name == "cnn" else ".")
                  for name in baselines]
    if any(len(r["splits"]) > 1 for r in rows):
        lines += _breakdown(rows, "accuracy_per_split",
                            f"Accuracy per held-out {held_out(args)} (mean over seeds)")
    if any("per_device" in r for r in rows):
        lines += _breakdown(rows, "per_device", "Accuracy per recording device (mean over seeds)")
    return "\n".join(lines) + "\n"


def describe_data(args) -> str:
    """The data and split protocol, in words."""
    if args.dataset == "generated":
        return (f"`make_sound_scenes({args.n_clips}, n_classes={args.n_classes}, "
                f"duration={args.duration:g})` at {args.sample_rate} Hz, a stratified 70/30 split "
                "drawn with each seed")
    folds = ", ".join(map(str, args.test_folds))
    us8k = (f"UrbanSound8K, fold {folds} held out" if len(args.test_folds) == 1 else
            f"UrbanSound8K, folds {folds} each held out in turn (training on all other folds); "
            "accuracy: mean over folds and seeds, std over seeds of each seed's mean over folds")
    folder = f"folder corpus '{args.root}', "
    if args.test_groups is None:
        folder += "a stratified 70/30 split per seed"
    else:
        groups = ", ".join(args.test_groups)
        folder += (f"groups {groups} each held out in turn" if args.each_group
                   else f"test groups {groups}")
        folder += (" (the group of a clip is its file name up to the first underscore; training "
                   "on all other groups)")
        if args.each_group:
            folder += ("; accuracy: mean over groups and seeds, std over seeds of each seed's "
                       "mean over groups")
    where = {"urbansound8k": us8k, "folder": folder,
             "dcase2020": "DCASE2020 Task 1A development set, fold1 train / evaluate"}
    return f"{where[args.dataset]}, at {args.sample_rate} Hz"
