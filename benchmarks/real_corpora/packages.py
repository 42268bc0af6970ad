"""Debian packages fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# festival itself and the shared libraries a minimal system lacks, then lexicons and voices
FESTIVAL = (
    "festival", "libestools2.5", "libpulse0", "libasyncns0", "libsndfile1", "libflac12",
    "libmp3lame0", "libmpg123-0", "libogg0", "libopus0", "libvorbis0a", "libvorbisenc2",
    "libasound2", "libx11-6", "libx11-xcb1", "libxcb1", "libxau6", "libxdmcp6", "libbsd0",
    "libmd0", "libdbus-1-3",
    "festlex-poslex", "festlex-cmu", "festlex-ifd", "festival-czech", "festival-ca",
    "festvox-suopuhe-common",
    "festvox-kdlpc16k", "festvox-kallpc16k", "festvox-us-slt-hts", "festvox-italp16k",
    "festvox-itapc16k", "festvox-suopuhe-mv", "festvox-suopuhe-lj", "festvox-ru",
    "festvox-ca-ona-hts", "festvox-czech-dita", "festvox-czech-krb", "festvox-czech-machac",
    "festvox-czech-ph",
)
# corpus -> the packages it is built from
PACKAGES = {
    "words": ("flite", "libflite1"),
    "voices": ("flite", "libflite1", *FESTIVAL),
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


def unpacked_env(pkgs: Path) -> dict[str, str]:
    """The environment in which a program of the unpacked tree finds its shared libraries.

    ``LD_LIBRARY_PATH`` starts with ``usr/lib/<arch>-linux-gnu`` of `pkgs` and the
    ``pulseaudio`` folder below it (festival's sound library keeps a library there).
    """
    arches = sorted((Path(pkgs) / "usr" / "lib").glob("*-linux-gnu"))
    libs = [str(p) for p in arches] + [str(p / "pulseaudio") for p in arches]
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join([*libs, env.get("LD_LIBRARY_PATH", "")])
    return env
