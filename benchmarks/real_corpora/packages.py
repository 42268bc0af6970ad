"""Debian packages fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.real_corpora import festival

# corpus -> the packages it is built from
PACKAGES = {
    "words": ("flite", "libflite1"),
    "voices": ("flite", "libflite1", *festival.PACKAGES),
    "drums": ("hydrogen-drumkits",),
    "notes": ("freepats",),
    "scenes": ("openarena-data", "warzone2100-data", "hedgewars-data", "supertux-data",
               "extremetuxracer-data"),
}


def ensure_packages(cache: Path, names: list[str]) -> Path:
    """Download and unpack Debian packages, skipping what is already done.

    Parameters
    ----------
    cache : pathlib.Path
        Cache folder; ``.deb`` files go to ``cache/debs``, their contents to
        ``cache/pkgs`` (a marker ``cache/pkgs/.unpacked/<deb>`` records each unpacking).
    names : list of str
        Package names, fetched with ``apt-get download``.

    Returns
    -------
    pathlib.Path
        The unpacked tree, ``cache/pkgs``.
    """
    debs, pkgs = cache / "debs", cache / "pkgs"
    markers = pkgs / ".unpacked"
    debs.mkdir(parents=True, exist_ok=True)
    markers.mkdir(parents=True, exist_ok=True)
    for name in names:
        found = sorted(debs.glob(f"{name}_*.deb"))
        if not found:
            print(f"downloading {name}", flush=True)
            subprocess.run(["apt-get", "download", name], cwd=debs, check=True)
            found = sorted(debs.glob(f"{name}_*.deb"))
        deb = found[-1]
        if not (markers / deb.name).exists():
            print(f"unpacking {deb.name}", flush=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(pkgs)], check=True)
            (markers / deb.name).touch()
    return pkgs
