"""Festival's voices, run from an unpacked tree: one process renders all of a voice's words.

Debian's festival finds its Scheme library and voices under ``/usr/share/festival``; run
from ``dpkg-deb -x`` output it is pointed at the unpacked copy with ``-q --libdir`` and
loads ``init.scm`` itself. The Czech voices name their unit index by an absolute path in a
``defvar``, so the script defines that variable first, under the unpacked tree.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from benchmarks.real_corpora.packages import unpacked_env

# name in the corpus -> (festival voice, speaker, language)
FESTIVAL_VOICES = {
    "ked": ("ked_diphone", "ked", "english"),
    "kalf": ("kal_diphone", "kal", "english"),
    "sltf": ("cmu_us_slt_arctic_hts", "slt", "english"),
    "lp": ("lp_diphone", "lp", "italian"),
    "pc": ("pc_diphone", "pc", "italian"),
    "mv": ("hy_fi_mv_diphone", "mv", "finnish"),
    "lj": ("suo_fi_lj_diphone", "lj", "finnish"),
    "nsh": ("msu_ru_nsh_clunits", "nsh", "russian"),
    "ona": ("upc_ca_ona_hts", "ona", "catalan"),
    "dita": ("czech_dita", "dita", "czech"),
    "krb": ("czech_krb", "krb", "czech"),
    "machac": ("czech_machac", "machac", "czech"),
    "ph": ("czech_ph", "ph", "czech"),
}


def _library(pkgs: Path) -> Path:
    return pkgs / "usr" / "share" / "festival"


def available_voices(pkgs: str | os.PathLike) -> list[str]:
    """Names (keys of `FESTIVAL_VOICES`) whose voice folder the unpacked tree holds."""
    pkgs = Path(pkgs)
    if not (pkgs / "usr" / "bin" / "festival").is_file():
        return []
    folders = {p.name for p in (_library(pkgs) / "voices").glob("*/*") if p.is_dir()}
    return [name for name, (voice, _, _) in FESTIVAL_VOICES.items() if voice in folders]


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def synthesise(pkgs: str | os.PathLike, name: str, items: list[tuple[str, float, Path]],
               work: Path) -> None:
    """Speak each text with one of festival's voices into a WAV file.

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding ``usr/bin/festival``, its libraries under
        ``usr/lib/<arch>-linux-gnu`` and its library under ``usr/share/festival``.
    name : str
        A key of `FESTIVAL_VOICES`.
    items : list of (str, float, pathlib.Path)
        Text, duration stretch (``Duration_Stretch``: above 1 is slower, for the voices
        whose duration model honours it) and the WAV file to write.
    work : pathlib.Path
        Folder for the generated script.

    Raises
    ------
    RuntimeError
        If festival fails or leaves a file unwritten, with the end of its output.
    """
    pkgs = Path(pkgs)
    voice = FESTIVAL_VOICES[name][0]
    lines = ['(load (path-append libdir "init.scm"))']
    if voice.startswith("czech_"):
        short = voice.removeprefix("czech_")
        lines.append(f'(defvar czech-{short}-unisyn-index (path-append libdir '
                     f'"voices/czech/{voice}/group/{short}.group"))')
    lines.append(f"(voice_{voice})")
    for text, stretch, path in items:
        lines.append(f"(Parameter.set 'Duration_Stretch {stretch:.3f})")
        lines.append(f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)})) "
                     f"{_scheme_string(str(path))} 'riff)")
    script = work / f".festival-{name}.scm"
    script.write_text("\n".join(lines) + "\n")
    library = str(_library(pkgs)) + os.sep
    done = subprocess.run(
        [str(pkgs / "usr" / "bin" / "festival"), "-q", "--libdir", library, "--datadir",
         library, "-b", str(script)], env=unpacked_env(pkgs), capture_output=True, text=True)
    script.unlink()
    missing = [str(path) for _, _, path in items if not Path(path).is_file()]
    if done.returncode or missing:
        raise RuntimeError(f"festival's voice {voice} failed (exit {done.returncode}, "
                           f"{len(missing)} of {len(items)} files unwritten): "
                           f"{(done.stdout + done.stderr)[-500:]}")
