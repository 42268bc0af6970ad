"""The scenes corpus: game ambiences mixed with sparse sound effects, sources held out by split."""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.real_corpora import devices, folders, sound

SCENES_RATE = 44100
# where the packages keep their sounds; a "!" separates a zip archive (Quake III .pk3,
# Warzone 2100 .wz) from the member inside it
_OA = "usr/share/games/openarena/baseoa/pak0.pk3!sound/"
_WZ = "usr/share/games/warzone2100/base.wz!audio/sfx/"
_HW = "usr/share/games/hedgewars/Data/Sounds/"
_ST = "usr/share/games/supertux2/sounds/"
_ETR = "usr/share/games/etr/sounds/"


def _files(prefix: str, names: str) -> tuple[str, ...]:
    """``prefix + name`` for each space-separated name."""
    return tuple(prefix + name for name in names.split())


# scene -> background loops (one per clip) and the pool its events are drawn from, chosen by
# the files' names and folders; no file serves two scenes
SCENES = {
    "industrial": {
        "background": _files(_OA, "world/machinerydrone01.wav world/machinerydrone02.wav "
                                  "world/tim_machine.wav world/tim_pump.wav world/fan4.wav")
        + _files(_WZ, "building/oilpump.ogg weapons/bldloop.ogg building/powerspk.ogg"),
        "events": _files(_WZ, "weapons/weld-1.ogg weapons/weld-2.ogg weapons/build1.ogg "
                              "weapons/build2.ogg weapons/build3.ogg weapons/build4.ogg "
                              "weapons/bldstart.ogg building/steam.ogg")
        + _files(_HW, "hammer.ogg pickhammer.ogg drillgun.ogg blowtorch.ogg steam.ogg")
        + _files(_ST, "saw.wav brick.wav")
        + _files(_OA, "movers/doors/dr1_strt.wav movers/doors/dr1_end.wav "
                      "movers/plats/pt1_strt.wav movers/plats/pt1_end.wav"),
    },
    "control_room": {
        "background": _files(_OA, "world/monitor_02.wav world/neonhum.wav world/electro.wav "
                                  "world/drone6.wav world/tim_drone1.wav "
                                  "weapons/bfg/bfg_hum.wav")
        + _files(_WZ, "building/powerhum.ogg building/ecmtower.ogg"),
        "events": _files(_WZ, "interfce/beep1.ogg interfce/beep2.ogg interfce/beep4.ogg "
                              "interfce/beep5.ogg interfce/beep6.ogg interfce/beep7.ogg "
                              "interfce/beep8.ogg interfce/beep9.ogg interfce/gmeshtdn.ogg")
        + _files(_OA, "misc/menu1.wav misc/menu2.wav misc/menu3.wav misc/menu4.wav "
                      "movers/switches/butn2.wav")
        + _files(_HW, "beep.ogg denied.ogg shutterclick.ogg switchhog.ogg placed.ogg")
        + _files(_ST, "switch.ogg turnkey.ogg locked.ogg ticking.wav"),
    },
    "water": {
        "background": _files(_ST, "rain.wav waterfall.wav")
        + _files(_OA, "world/waterfall.wav world/drops.wav world/cf_blubber01.wav "
                      "world/curnt2.wav world/ambient/x_drowning.wav"),
        "events": _files(_HW, "Droplet1.ogg Droplet2.ogg Droplet3.ogg splash.ogg "
                              "rubberduck_water.ogg")
        + _files(_ST, "splash.ogg splash.wav gulp.wav fizz.wav")
        + _files(_WZ, "weapons/splash.ogg"),
    },
    "battle": {
        "background": _files(_OA, "world/fire1.wav world/fire2.wav world/firesoft.wav "
                                  "world/cf_distant01.wav")
        + _files(_HW, "minigun.ogg")
        + _files(_WZ, "weapons/hivelcan.ogg weapons/mgheavy.ogg"),
        "events": _files(_WZ, "explons/smlexpl.ogg explons/lrgexpl.ogg explons/mpodexpl.ogg "
                              "explons/atnkexpl.ogg explons/lsrexpl.ogg explons/nxsexpld.ogg "
                              "explons/richet1.ogg explons/richet2.ogg explons/richet3.ogg "
                              "explons/bldfall.ogg weapons/rocket.ogg weapons/lrgcan.ogg "
                              "weapons/medcan.ogg weapons/smlcan.ogg weapons/rapdcan.ogg "
                              "weapons/mortar.ogg weapons/mgbar1.ogg weapons/mgbar2.ogg "
                              "weapons/mgbar3.ogg weapons/asltmg.ogg")
        + _files(_OA, "weapons/machinegun/machgf1b.wav weapons/machinegun/machgf2b.wav "
                      "weapons/machinegun/ric1.wav weapons/machinegun/ric2.wav "
                      "weapons/shotgun/sshotf1b.wav weapons/rocket/rocklx1a.wav "
                      "weapons/grenade/hgrenb1a.wav weapons/proxmine/wstbexpl.wav")
        + _files(_HW, "explosion.ogg gun.ogg shotgunfire.ogg mortar.ogg grenadeimpact.ogg")
        + _files(_ST, "explosion.wav firecracker.ogg"),
    },
    "vehicles": {
        "background": _files(_WZ, "vehicle/tread.ogg vehicle/tflight.ogg vehicle/thover.ogg "
                                  "vehicle/hovmove.ogg vehicle/vtol-move.ogg "
                                  "vehicle/con-move.ogg")
        + _files(_HW, "plane.ogg rcplane.ogg"),
        "events": _files(_WZ, "vehicle/tstart.ogg vehicle/tland.ogg vehicle/hovstart.ogg "
                              "vehicle/hovstop.ogg vehicle/vtolland.ogg vehicle/vtoloff.ogg "
                              "vehicle/con-shut-down.ogg vehicle/con-move-off.ogg")
        + _files(_HW, "jetpackboost.ogg ufo.ogg")
        + _files(_ST, "skid.wav")
        + _files(_OA, "weapons/rocket/rockfly.wav"),
    },
    "wilderness": {
        "background": _files(_OA, "world/wind1.wav world/wind2.wav world/demonwind01.wav "
                                  "world/new/painwind22k.wav")
        + _files(_ETR, "leaves_slide.wav grass_slide.wav snow_slide.wav ice_slide.wav"),
        "events": _files(_HW, "BirdyLay.ogg bee.ogg whipcrack.ogg")
        + _files(_ST, "thunder.wav lightning.wav wood.wav cracking.wav tree_howling.ogg "
                      "mr_treehit.ogg")
        + _files(_ETR, "tree_hit.wav"),
    },
    "cavern": {
        "background": _files(_OA, "world/ambient/x_ancientsdrone.wav "
                                  "world/ambient/x_forbidden.wav world/ambient/x_ominous.wav "
                                  "world/ambient/x_rumbledrone.wav world/1shot_greg_01.wav "
                                  "world/1shot_greg_03.wav misc/nightmare.wav "
                                  "world/lava_amb_01_quiet.wav world/ambience03.wav")
        + _files(_ST, "lava.wav"),
        "events": _files(_OA, "world/growl1.wav world/growl2.wav world/growl3.wav "
                              "world/new/moan1.wav world/new/moan2.wav world/new/moan4.wav "
                              "world/new/moan5.wav world/new/moan6.wav")
        + _files(_HW, "hell_growl.ogg hell_ooff.ogg hell_ow.ogg hell_ugh.ogg Hellish.ogg")
        + _files(_ST, "yeti_roar.wav yeti_gna.wav"),
    },
}
TRAIN_DEVICES = ("a", "b")
EVALUATE_DEVICES = ("a", "b", "c")
# the shortest usable sound, in seconds of its active part
_MIN_SECONDS = {"background": 0.5, "events": 0.02}


class _Sources:
    """Sound files of an unpacked package tree, zip members included, read once each."""

    def __init__(self, pkgs: Path) -> None:
        self.pkgs = pkgs
        self.archives: dict[str, zipfile.ZipFile | None] = {}
        self.cache: dict[str, np.ndarray | None] = {}

    def _archive(self, name: str) -> zipfile.ZipFile | None:
        if name not in self.archives:
            path = self.pkgs / name
            self.archives[name] = zipfile.ZipFile(path) if path.is_file() else None
        return self.archives[name]

    def read(self, key: str, kind: str) -> np.ndarray | None:
        """Mono float sound at `SCENES_RATE` (events trimmed to their active part), or None.

        None when the file is missing or its active part is shorter than ``_MIN_SECONDS``.
        """
        if key in self.cache:
            return self.cache[key]
        archive, _, member = key.rpartition("!")
        data = None
        if archive:
            zf = self._archive(archive)
            if zf is not None and member in zf.namelist():
                data = io.BytesIO(zf.read(member))
        elif (self.pkgs / key).is_file():
            data = self.pkgs / key
        x = None
        if data is not None:
            y, rate = sf.read(data, dtype="float64", always_2d=True)
            y = sound.resample(y.mean(axis=1), SCENES_RATE / rate)
            if sound.peak(y) > 0:
                start, stop = sound.active(y, SCENES_RATE)
                if kind == "events":
                    y = y[start:stop]
                if stop - start >= _MIN_SECONDS[kind] * SCENES_RATE:
                    x = y
        self.cache[key] = x
        return x


def _rms(x: np.ndarray) -> float:
    """Root mean square of `x`."""
    return float(np.sqrt(np.mean(x**2)))


def _loop_segment(x: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """`length` samples of `x` played as a loop, from a random point."""
    start = int(rng.integers(len(x)))
    reps = math.ceil((start + length) / len(x))
    return np.tile(x, reps)[start : start + length]


def mix_scene(
    background: np.ndarray,
    events: list[np.ndarray],
    length: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One clean scene: a background segment, the events at random times and levels, a gain.

    Parameters
    ----------
    background : ndarray
        Background loop at `SCENES_RATE`.
    events : list of ndarray
        Event sounds to place (each trimmed to its active part).
    length : int
        Clip length in samples.
    rng : numpy.random.Generator
        Draws the background's start, each event's onset (anywhere in the first 90 %
        of the clip) and level (-6 to +12 dB against the background's RMS), and the
        clip's peak (-20 to -3 dBFS).

    Returns
    -------
    ndarray of shape (length,)
    """
    y = _loop_segment(background, length, rng)
    y = y / max(_rms(y), 1e-9)
    for event in events:
        level = 10 ** (rng.uniform(-6.0, 12.0) / 20) / max(_rms(event), 1e-9)
        onset = int(rng.uniform(0.0, 0.9) * length)
        y += level * sound.place(event, length, onset, fade=441)
    return y * 10 ** (rng.uniform(-20.0, -3.0) / 20) / max(sound.peak(y), 1e-9)


def record(x: np.ndarray, device: str, rng: np.random.Generator) -> np.ndarray:
    """`x` as captured by a simulated device.

    Parameters
    ----------
    x : ndarray
        Clean clip at `SCENES_RATE`.
    device : {"a", "b", "c"}
        ``"a"`` returns `x` itself, ``"b"`` is `devices.MILD` (band-pass, soft
        clipping, pink noise), ``"c"`` the cheap phone of `devices.PHONE`.
    rng : numpy.random.Generator
        Draws this clip's variation of the device.

    Returns
    -------
    ndarray
    """
    if device == "a":
        return x
    if device == "b":
        return devices.band_chain(x, devices.MILD, rng, SCENES_RATE)
    return devices.phone(x, rng, SCENES_RATE)


def _split(keys: list[str], seed: int, scene: str, kind: str, share: float) -> dict[str, list]:
    """`keys` dealt to train and evaluate in a seeded order, `share` of them (at least one)
    to evaluate."""
    order = sound.rng(seed, "scenes-split", scene, kind).permutation(len(keys))
    n_held = min(len(keys) - 1, max(1, round(share * len(keys))))
    held = set(order[:n_held].tolist())
    return {"train": [k for i, k in enumerate(keys) if i not in held],
            "evaluate": [k for i, k in enumerate(keys) if i in held]}


def build_scenes(
    pkgs: str | os.PathLike,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    train_per_scene: int = 43,
    evaluate_per_scene: int = 21,
    max_events: int = 4,
    evaluate_share: float = 0.4,
    duration: float = 5.0,
) -> Path:
    """Build the scenes corpus (DCASE2020 Task 1A layout).

    Parameters
    ----------
    pkgs : str or os.PathLike
        Unpacked tree holding the sound files named in `SCENES` (openarena-data,
        warzone2100-data, hedgewars-data, supertux-data, extremetuxracer-data); missing
        files are skipped.
    out : str or os.PathLike
        Corpus folder to (re)build:
        ``out/audio/<scene>-<city>-<location>-<segment>-<device>.wav``, ``out/meta.csv``
        and ``out/evaluation_setup/fold1_{train,evaluate}.csv``; the sources of every
        clip go to ``<out>_sources.json`` beside it.
    seed : int, default=0
        Seed of every random choice.
    train_per_scene, evaluate_per_scene : int, default=43, 21
        Mixes per scene on each side; a training mix is written as devices a and b, an
        evaluation mix as a, b and c.
    max_events : int, default=4
        Each mix has 0 to `max_events` events.
    evaluate_share : float, default=0.4
        Share of each scene's background files, and of its event files, kept for
        evaluation (at least one of each, at most all but one).
    duration : float, default=5.0
        Clip length in seconds.

    Returns
    -------
    pathlib.Path
        `out`.

    Raises
    ------
    RuntimeError
        If fewer than two scenes have two usable background files and two event files.
    """
    out = Path(out)
    sources = _Sources(Path(pkgs))
    found = {}
    for scene, kinds in SCENES.items():
        usable = {kind: [k for k in keys if sources.read(k, kind) is not None]
                  for kind, keys in kinds.items()}
        if all(len(keys) >= 2 for keys in usable.values()):
            found[scene] = usable
    if len(found) < 2:
        raise RuntimeError(f"Fewer than two scenes have two usable backgrounds and two "
                           f"usable events under {pkgs}.")
    locations = {k: i for i, k in enumerate(k for s in found.values() for k in s["background"])}
    tmp = folders.fresh(out)
    (tmp / "audio").mkdir()
    length = round(duration * SCENES_RATE)
    meta, lists = [], {"train": [], "evaluate": []}
    split: dict[str, list[str]] = {"train": [], "evaluate": []}
    clips = {}
    for scene, usable in found.items():
        parts = {kind: _split(keys, seed, scene, kind, evaluate_share)
                 for kind, keys in usable.items()}
        for side, count, device_names in (("train", train_per_scene, TRAIN_DEVICES),
                                          ("evaluate", evaluate_per_scene, EVALUATE_DEVICES)):
            backgrounds, pool = parts["background"][side], parts["events"][side]
            split[side] += backgrounds + pool
            order = sound.rng(seed, "scenes-order", scene, side).permutation(count)
            for k in range(count):
                rng = sound.rng(seed, "scenes", scene, side, k)
                background = backgrounds[order[k] % len(backgrounds)]
                picked = [pool[int(i)] for i in rng.integers(len(pool),
                                                             size=rng.integers(max_events + 1))]
                clean = mix_scene(sources.read(background, "background"),
                                  [sources.read(e, "events") for e in picked], length, rng)
                location = f"{side}-{locations[background]}"
                for device in device_names:
                    y = record(clean, device, sound.rng(seed, "scenes", scene, side, k, device))
                    name = f"audio/{scene}-{location}-{k}-{device}.wav"
                    sound.write(tmp / name, y, SCENES_RATE)
                    meta.append([name, scene, location, device])
                    lists[side].append([name, scene])
                    clips[name] = {"background": background, "events": picked}
    folders.write_dcase_tables(tmp, meta, lists)
    manifest = out.with_name(out.name + "_sources.json")
    manifest.write_text(json.dumps({"split": split, "clips": clips}, indent=1) + "\n")
    return folders.commit(tmp, out)
