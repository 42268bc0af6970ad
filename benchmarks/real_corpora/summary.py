"""A built corpus loaded with the project's loader and described in a few lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from benchmarks.real_corpora.drums import DRUMS_RATE
from benchmarks.real_corpora.notes import NOTES_RATE
from benchmarks.real_corpora.scenes import SCENES_RATE
from benchmarks.real_corpora.words import WORDS_RATE


def _counts(values) -> str:
    """``"name count, ..."`` of the distinct values, sorted."""
    names, counts = np.unique(np.asarray(values), return_counts=True)
    return ", ".join(f"{n} {c}" for n, c in zip(names.tolist(), counts.tolist(), strict=True))


def summarise(corpus: str, root: Path) -> list[str]:
    """Load a built corpus with the project's loader and describe it.

    Parameters
    ----------
    corpus : {"words", "voices", "drums", "notes", "scenes"}
        Which corpus `root` holds.
    root : pathlib.Path
        Its folder.

    Returns
    -------
    list of str
        Lines of the description (clips, classes, groups / folds / devices).
    """
    from sklearn_mhr.datasets import (
        load_audio_folder,
        load_dcase2020_task1a,
        load_urbansound8k,
    )

    if corpus in ("words", "voices"):
        b = load_audio_folder(root, sample_rate=WORDS_RATE, duration=1.0)
        groups = np.array([Path(f).name.split("_", 1)[0] for f in b.filenames])
        test = json.loads(root.with_name(root.name + "_split.json").read_text())["test_groups"]
        held = np.isin(groups, test)
        return [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
                f"classes ({len(b.target_names)}): {', '.join(b.target_names)}",
                f"groups (voice): {_counts(groups)}",
                f"test groups {test}: {int(held.sum())} clips, train {int((~held).sum())}"]
    if corpus == "drums":
        b = load_urbansound8k(root, sample_rate=DRUMS_RATE, duration=1.0)
        kits = json.loads(root.with_name(root.name + "_kits.json").read_text())
        folds = [f"fold {f}: {int((b.fold == f).sum())} clips, kits "
                 + ", ".join(kits[str(i)]["kit"] for i in sorted(set(b.fsID[b.fold == f])))
                 for f in sorted(set(b.fold.tolist()))]
        return [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
                f"classes ({len(b.target_names)}): {_counts(b.target)}",
                *folds]
    # notes: the identifier's first part is the patch; scenes: the identifier is the location
    # (one background recording)
    rate, duration, group = (SCENES_RATE, 5.0, "locations") if corpus == "scenes" else (
        NOTES_RATE, 2.0, "patches")
    b = load_dcase2020_task1a(root, sample_rate=rate, duration=duration)
    lines = [f"{len(b.target)} clips of {b.data.shape[1]} samples at {b.sample_rate} Hz",
             f"classes ({len(b.target_names)}): {_counts(b.target)}"]
    for side in ("train", "evaluate"):
        sel = b.subset == side
        groups = set(b.identifier[sel]) if corpus == "scenes" else {
            s.split("-")[0] for s in b.identifier[sel]}
        lines.append(f"{side}: {int(sel.sum())} clips, {len(groups)} {group}, "
                     f"devices {_counts(b.device[sel])}")
    return lines
