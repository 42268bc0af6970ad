"""The command line: fetch the packages, build the missing corpora, describe them."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import benchmarks.real_corpora
from benchmarks.real_corpora.drums import build_drums
from benchmarks.real_corpora.notes import build_notes
from benchmarks.real_corpora.packages import PACKAGES, ensure_packages
from benchmarks.real_corpora.scenes import build_scenes
from benchmarks.real_corpora.summary import summarise
from benchmarks.real_corpora.words import build_voices, build_words

DEFAULT_CACHE = Path("~/.cache/sklearn-mhr-bench")
CORPORA = ("words", "voices", "drums", "notes", "scenes")
BUILDERS = {"words": build_words, "voices": build_voices, "drums": build_drums,
            "notes": build_notes, "scenes": build_scenes}


def main(argv: list[str] | None = None) -> int:
    """Fetch the packages, build the requested corpora that are missing, summarise them.

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        Exit status, 0.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.real_corpora",
                                     description=benchmarks.real_corpora.__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help="folder for packages and corpora (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument("--only", default=",".join(CORPORA),
                        help="comma-separated corpora to build (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild the corpora even if they exist")
    args = parser.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = sorted(set(only) - set(CORPORA))
    if unknown or not only:
        parser.error(f"--only takes a comma-separated subset of {','.join(CORPORA)}, "
                     f"got {args.only!r}")
    cache = args.cache.expanduser().resolve()
    todo = [c for c in only if args.force or not (cache / c).is_dir()]
    if todo:
        pkgs = ensure_packages(cache, [p for c in todo for p in PACKAGES[c]])
    for corpus in only:
        out = cache / corpus
        took = "already built"
        if corpus in todo:
            print(f"building {corpus} ...", flush=True)
            start = time.perf_counter()
            BUILDERS[corpus](pkgs, out, seed=args.seed)
            took = f"built in {time.perf_counter() - start:.0f} s"
        print(f"\n{corpus}: {out} ({took})")
        for line in summarise(corpus, out):
            print(f"  {line}")
    return 0
