"""A corpus built in a temporary folder, renamed into place when done; its CSV/TSV tables."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path


def fresh(out: Path) -> Path:
    """Empty temporary folder beside `out` in which a corpus is built."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def commit(tmp: Path, out: Path) -> Path:
    """Replace `out` by the finished build `tmp`; return `out`."""
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def write_table(path: Path, header: list[str], rows: list[list], *, delimiter: str) -> None:
    """Write a CSV/TSV table with a header row, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_dcase_tables(root: Path, meta: list[list], sides: dict[str, list[list]]) -> None:
    """The tables of a DCASE2020 Task 1A layout under `root`.

    `meta` rows ``[filename, scene_label, identifier, source_label]`` go to
    ``meta.csv``; `sides` maps ``"train"`` and ``"evaluate"`` to rows
    ``[filename, scene_label]`` for ``evaluation_setup/fold1_<side>.csv``.
    """
    write_table(root / "meta.csv", ["filename", "scene_label", "identifier", "source_label"],
                meta, delimiter="\t")
    for side, rows in sides.items():
        write_table(root / "evaluation_setup" / f"fold1_{side}.csv",
                    ["filename", "scene_label"], rows, delimiter="\t")
