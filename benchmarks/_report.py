"""Writing a benchmark's table into one section of docs/benchmarks.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def command(module: str, argv: list[str] | None = None) -> str:
    """The command line that runs `module` with `argv`, as a docs section quotes it.

    Parameters
    ----------
    module : str
        The benchmark, e.g. ``"benchmarks.compare"``.
    argv : list of str or None, default=None
        Its arguments.

    Returns
    -------
    str
        ``python -m MODULE ARGS``, the arguments quoted for a POSIX shell.
    """
    return f"python -m {module}" + (" " + shlex.join(argv) if argv else "")


def write_docs(section: str, path: Path = DOCS, *, heading: str) -> None:
    """Replace the section under `heading` in ``path``, or append it; create the file if needed."""
    section = section.rstrip("\n") + "\n"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# Benchmarks\n\n" + section)
        return
    old = path.read_text()
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        sep = "" if old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        path.write_text(old + sep + section)
        return
    end = next((j for j in range(start + 1, len(lines)) if re.match(r"## (?!#)", lines[j])),
               len(lines))
    tail = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + section + ("\n" + tail if tail else ""))


def publish(table: str, heading: str, *, write: bool, path: Path = DOCS) -> None:
    """Print `table`; when `write`, put it under `heading` in `path` and say so."""
    print("\n" + table)
    if write:
        write_docs(table, path, heading=heading)
        print(f"wrote {path}")
