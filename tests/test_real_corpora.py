"""benchmarks.real_corpora builds its four corpora in the loaders' layouts.

The Debian packages are replaced by a fake unpacked tree at the same paths: a flite
executable that writes a tone, Hydrogen kits of short synthetic hits, freepats ``.pat``
files written here in the GUS patch format, and game sounds (noise backgrounds, tone-burst
events) as WAV and OGG files, some inside zip archives as the games keep them. No network,
no apt.
"""

from __future__ import annotations

import io
import json
import re
import struct
import sys
import xml.sax.saxutils
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.real_corpora import (
    cli,
    drums,
    festival,
    gus_patch,
    notes,
    packages,
    scenes,
    words,
)
from sklearn_mhr.datasets import (
    load_audio_folder,
    load_dcase2020_task1a,
    load_urbansound8k,
)
from sklearn_mhr.datasets.protocols import standard_split

FLITE_VOICES = ("kal", "awb_time", "kal16", "awb", "slt")
WORDS = ("yes", "no")
FAKE_FLITE = f"""#!{sys.executable}
import math, struct, sys, wave, zlib
args = sys.argv[1:]
if args == ["-lv"]:
    print("Voices available: {' '.join(FLITE_VOICES)} ")
    sys.exit(0)
feats, i = {{}}, 0
while i < len(args):
    if args[i] == "--setf":
        key, value = args[i + 1].split("=")
        feats[key] = float(value)
    else:
        feats[args[i]] = args[i + 1]
    i += 2
with open(__file__ + ".log", "a") as log:
    log.write(" ".join(args) + "\\n")
rate = 8000 if feats["-voice"] == "kal" else 16000
n = int(rate * 0.3 * feats["duration_stretch"])
tone = 300 + zlib.crc32(feats["-t"].encode()) % 700
f0 = feats["int_f0_target_mean"]
pcm = [0] * (rate // 10) + [
    int(8000 * math.sin(math.pi * k / n) * (math.sin(2 * math.pi * tone * k / rate)
                                            + 0.5 * math.sin(2 * math.pi * f0 * k / rate)))
    for k in range(n)] + [0] * (rate // 10)
with wave.open(feats["-o"], "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(struct.pack(f"<{{len(pcm)}}h", *pcm))
"""

# festival voices the fake tree holds: corpus name -> (language folder, festival voice)
FESTIVAL_TREE = {"ked": ("english", "ked_diphone"), "pc": ("italian", "pc_diphone"),
                 "lj": ("finnish", "suo_fi_lj_diphone"), "dita": ("czech", "czech_dita")}
FAKE_FESTIVAL = f"""#!{sys.executable}
import math, re, struct, sys, wave, zlib
args = sys.argv[1:]
assert args[:2] == ["-q", "--libdir"] and args[3] == "--datadir" and args[5] == "-b", args
script = open(args[6]).read()
with open(__file__ + ".log", "a") as log:
    log.write(script.replace("\\n", " ") + "\\n")
assert '(load (path-append libdir "init.scm"))' in script
voice = re.search(r"\\(voice_([a-z_]+)\\)", script).group(1)
if voice == "refused_diphone":
    print("SIOD ERROR: unbound variable : voice_refused_diphone")
    sys.exit(0)
if voice.startswith("czech_"):  # its unit index must be redefined under the unpacked tree
    assert "(defvar czech-" + voice[6:] + "-unisyn-index (path-append libdir" in script
# quotes matched as "." keep this regex free of quote characters
said = re.findall(r"Duration_Stretch ([\\d.]+)\\)\\n\\(utt.save.wave "
                  r"\\(utt.synth \\(Utterance Text .([a-z]+).\\)\\) .([^ ]+). .riff\\)",
                  script)
assert said, script
rate = 22050 if voice.startswith("suo") else 16000
for stretch, text, path in said:
    n = int(rate * 0.3 * float(stretch))
    tone = 300 + zlib.crc32((voice + text).encode()) % 700
    pcm = [0] * (rate // 10) + [int(8000 * math.sin(math.pi * k / n)
                                    * math.sin(2 * math.pi * tone * k / rate))
                                for k in range(n)] + [0] * (rate // 10)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{{len(pcm)}}h", *pcm))
"""

# kit -> (sample rate, format, instruments: name -> number of velocity layers)
KITS = {
    "Kit A": (44100, "WAV", {"Kick": 2, "Snare 1": 1, "Closed HH": 1, "Open HH": 1,
                             "Crash": 1, "Hand Clap": 1, "Pedal HH": 1}),
    "KitB": (48000, "FLAC", {"BassDrum": 1, "Snare Rock": 2, "Hi-Hat Closed": 1,
                             "Hi-Hat Open": 1, "Cowbell": 1}),
    "KitC": (22050, "WAV", {"Kick 1": 1, "Snare": 1, "Hat Cl": 1, "Hat Op": 1,
                            "Crash (Thin 18\")": 1}),
    "Hands": (44100, "WAV", {"Hand Clap": 2, "Maraca": 1}),
}
PATCHES = {  # file name -> (16-bit, unsigned, looped, bidirectional)
    "000_Piano_A.pat": (True, False, True, False),
    "001_Piano_B.pat": (False, True, False, False),
    "040_Violin.pat": (True, True, True, True),
    "042_Cello.pat": (True, False, True, False),
    "056_Trumpet.pat": (True, False, True, False),  # the only brass patch: no split
    "080_Square_Wave.pat": (True, False, True, False),  # outside the families
}

# scenes: file -> (kind, sample rate, seconds); "silent" is a file of zeros (left out)
_OA, _WZ = "usr/share/games/openarena/baseoa/pak0.pk3!sound/", (
    "usr/share/games/warzone2100/base.wz!audio/sfx/")
_HW, _ST = "usr/share/games/hedgewars/Data/Sounds/", "usr/share/games/supertux2/sounds/"
SCENE_FILES = {
    _ST + "rain.wav": ("background", 44100, 1.5), _ST + "waterfall.wav": ("background", 22100, 1.0),
    _OA + "world/drops.wav": ("background", 22050, 2.0),
    _HW + "Droplet1.ogg": ("event", 44100, 0.2), _HW + "Droplet2.ogg": ("event", 44100, 0.3),
    _ST + "splash.wav": ("event", 44100, 0.4),
    _OA + "world/fire1.wav": ("background", 44100, 1.2),
    _OA + "world/fire2.wav": ("background", 11025, 0.8),
    _WZ + "explons/smlexpl.ogg": ("event", 22050, 0.5),
    _WZ + "explons/lrgexpl.ogg": ("event", 44100, 0.6), _HW + "gun.ogg": ("event", 22050, 0.2),
    _OA + "world/ambient/x_ominous.wav": ("background", 22050, 1.0),
    _ST + "lava.wav": ("background", 22100, 1.3), _OA + "world/growl1.wav": ("event", 22050, 0.7),
    _HW + "hell_ow.ogg": ("event", 44100, 0.5), _HW + "hell_ugh.ogg": ("silent", 44100, 0.5),
    # one background only: the vehicles scene is left out
    _WZ + "vehicle/tread.ogg": ("background", 44100, 1.0),
    _WZ + "vehicle/tstart.ogg": ("event", 44100, 0.5), _HW + "ufo.ogg": ("event", 44100, 0.5),
}


def _scene_sound(kind: str, rate: int, seconds: float, seed: int) -> np.ndarray:
    """Broadband noise for a background, a decaying tone burst with silence around for an event."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    if kind == "background":
        return 0.3 * rng.standard_normal(n)
    t = np.arange(n) / rate
    burst = np.sin(2 * np.pi * rng.uniform(200, 4000) * t) * np.exp(-t / (seconds / 4))
    y = np.concatenate([np.zeros(rate // 20), burst, np.zeros(rate // 20)])
    return 0.0 * y if kind == "silent" else 0.5 * y


def _write_scene_files(pkgs: Path) -> None:
    archives: dict[Path, zipfile.ZipFile] = {}
    for i, (key, (kind, rate, seconds)) in enumerate(SCENE_FILES.items()):
        archive, _, member = key.rpartition("!")
        fmt = "OGG" if key.endswith(".ogg") else "WAV"
        y = _scene_sound(kind, rate, seconds, i)
        if not archive:
            (pkgs / key).parent.mkdir(parents=True, exist_ok=True)
            sf.write(pkgs / key, np.stack([y, y], axis=1) if i % 2 else y, rate, format=fmt)
            continue
        if pkgs / archive not in archives:
            (pkgs / archive).parent.mkdir(parents=True, exist_ok=True)
            archives[pkgs / archive] = zipfile.ZipFile(pkgs / archive, "w")
        data = io.BytesIO()
        sf.write(data, y, rate, format=fmt)
        archives[pkgs / archive].writestr(member, data.getvalue())
    for zf in archives.values():
        zf.close()


def _hit(rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.3 * rate)) / rate
    y = np.sin(2 * np.pi * rng.uniform(60, 3000) * t) + rng.uniform(0, 1) * rng.standard_normal(
        t.size)
    return np.concatenate([np.zeros(rate // 50), 0.5 * y * np.exp(-t / 0.05)])


def _write_kit(folder: Path, seed: int, rate: int, fmt: str, instruments: dict) -> None:
    folder.mkdir(parents=True)
    ext = fmt.lower()
    sf.write(folder / f"emptySample.{ext}", np.zeros(100), rate, format=fmt)
    parts = []
    for i, (name, n_layers) in enumerate(instruments.items()):
        layers = []
        for j in range(n_layers):
            fname = f"inst{i}_{j}.{ext}"
            y = _hit(rate, seed * 100 + i * 10 + j)
            sf.write(folder / fname, np.stack([y, 0.9 * y], axis=1), rate, format=fmt)
            layers.append(f"<layer><filename>{fname}</filename><min>{j / n_layers}</min>"
                          f"<max>{(j + 1) / n_layers}</max><gain>1</gain><pitch>0</pitch>"
                          "</layer>")
        layers.append(f"<layer><filename>emptySample.{ext}</filename></layer>")
        layers.append("<layer><filename>missing.wav</filename></layer>")
        parts.append(f"<instrument><id>{i}</id><name>{xml.sax.saxutils.escape(name)}</name>"
                     f"<volume>1</volume>{''.join(layers)}</instrument>")
    (folder / "drumkit.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">'
        f"<name>{folder.name}</name><instrumentList>{''.join(parts)}</instrumentList>"
        "</drumkit_info>\n")


def write_gus_patch(path: Path, waves: list[dict]) -> None:
    """Write a GUS patch: one instrument, one layer, the given waves.

    Each wave: ``pcm`` (int array as stored), ``rate``, ``low``, ``high``, ``root`` (Hz),
    ``modes`` (bit 0 16-bit, 1 unsigned, 2 looped, 3 bidirectional), ``loop`` (samples).
    """
    body = b""
    for w in waves:
        width = 2 if w["modes"] & 1 else 1
        dtype = f"<{'u' if w['modes'] & 2 else 'i'}{width}"
        data = np.asarray(w["pcm"]).astype(dtype).tobytes()
        body += (struct.pack("<7sBIIIHIIIHB", b"wave", 0, len(data), w["loop"][0] * width,
                             w["loop"][1] * width, w["rate"], int(w["low"] * 1000),
                             int(w["high"] * 1000), int(w["root"] * 1000), 512, 7)
                 + bytes(18) + bytes([w["modes"]]) + struct.pack("<HH", 60, 1024)
                 + bytes(36) + data)
    layer = struct.pack("<BBIB", 0, 0, len(body), len(waves)) + bytes(40)
    inst = struct.pack("<H16sIB", 0, b"test", len(layer) + len(body), 1) + bytes(40)
    header = (b"GF1PATCH110\0" + b"ID#000002\0" + b"fake".ljust(60, b"\0")
              + struct.pack("<BBBHHI", 1, 14, 0, len(waves), 127, len(inst + layer + body))
              + bytes(36))
    path.write_bytes(header + inst + layer + body)


def _patch_waves(bits16: bool, unsigned: bool, looped: bool, bidi: bool, seed: int) -> list:
    rng = np.random.default_rng(seed)
    waves = []
    for root in (220.0, 660.0):
        rate = 22050
        t = np.arange(int(0.2 * rate)) / rate
        saw = 2 * ((root * t) % 1.0) - 1 + 0.05 * rng.standard_normal(t.size)
        full = 2 ** (15 if bits16 else 7) - 1
        pcm = np.round(0.6 * saw * full) + (full + 1 if unsigned else 0)
        waves.append({"pcm": pcm, "rate": rate, "low": root / 1.5, "high": root * 1.5,
                      "root": root,
                      "modes": (bits16 | unsigned << 1 | looped << 2 | bidi << 3) | 0x60,
                      "loop": (int(0.05 * rate), int(0.05 * rate) + round(10 * rate / root))})
    return waves


def make_fake_packages(pkgs: Path) -> Path:
    """Fake unpacked flite, libflite1, hydrogen-drumkits, freepats and game data under `pkgs`."""
    flite = pkgs / "usr" / "bin" / "flite"
    flite.parent.mkdir(parents=True)
    flite.write_text(FAKE_FLITE)
    flite.chmod(0o755)
    festival = pkgs / "usr" / "bin" / "festival"
    festival.write_text(FAKE_FESTIVAL)
    festival.chmod(0o755)
    for language, voice in FESTIVAL_TREE.values():
        (pkgs / "usr" / "share" / "festival" / "voices" / language / voice).mkdir(parents=True)
    (pkgs / "usr" / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    kits = pkgs / "usr" / "share" / "hydrogen" / "data" / "drumkits"
    for k, (name, (rate, fmt, instruments)) in enumerate(KITS.items()):
        _write_kit(kits / name, k, rate, fmt, instruments)
    tones = pkgs / "usr" / "share" / "midi" / "freepats" / "Tone_000"
    tones.mkdir(parents=True)
    for k, (name, flags) in enumerate(PATCHES.items()):
        write_gus_patch(tones / name, _patch_waves(*flags, seed=k))
    _write_scene_files(pkgs)
    return pkgs


def build_all(pkgs: Path, out: Path, seed: int) -> dict[str, Path]:
    return {
        "words": words.build_words(pkgs, out / "words", seed=seed, words=WORDS, renditions=2),
        "voices": words.build_voices(pkgs, out / "voices", seed=seed, words=WORDS, renditions=2),
        "drums": drums.build_drums(pkgs, out / "drums", seed=seed, per_kit_class=2, n_folds=3),
        "notes": notes.build_notes(pkgs, out / "notes", seed=seed, sources_per_family=4),
        "scenes": scenes.build_scenes(pkgs, out / "scenes", seed=seed, train_per_scene=2,
                                      evaluate_per_scene=1),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("real_corpora")
    pkgs = make_fake_packages(base / "pkgs")
    corpora = build_all(pkgs, base / "seed0", seed=0)
    log = pkgs / "usr" / "bin" / "flite.log"
    scripts = (pkgs / "usr" / "bin" / "festival.log").read_text().splitlines()
    return {"pkgs": pkgs, "base": base, "flite_calls": log.read_text().splitlines(),
            "festival_scripts": scripts, **corpora}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _check_clips(paths, rate: int, frames: int) -> None:
    for path in paths:
        info = sf.info(path)
        assert (info.samplerate, info.frames, info.channels, info.subtype) == (
            rate, frames, 1, "PCM_16"), path


def test_words_layout_groups_and_split(built):
    root = built["words"]
    bunch = load_audio_folder(root, sample_rate=16000)
    assert bunch.target_names == sorted(WORDS)
    voices = ("kal", "kal16", "awb", "slt")  # what the fake lists, less awb_time
    assert len(bunch.target) == len(WORDS) * len(voices) * 2
    _check_clips(bunch.filenames, 16000, 16000)
    groups = []
    for path, label in zip(bunch.filenames, bunch.target, strict=True):
        voice, word = re.fullmatch(r"([a-z0-9]+)_([a-z]+)_\d+\.wav", Path(path).name).groups()
        assert Path(path).parent.name == word == label
        groups.append(voice)
    assert sorted(set(groups)) == sorted(voices)
    assert not list(root.rglob("*.json")) and not list(root.rglob(".*"))
    test = json.loads((root.parent / "words_split.json").read_text())["test_groups"]
    train = set(groups) - set(test)
    assert test and train and set(test) <= set(groups)
    assert test == ["awb"]  # a male speaker held out: training keeps the female voice
    flite_calls = [call for call in built["flite_calls"] if "/words.partial/" in call]
    assert len(flite_calls) == len(bunch.target)
    assert not any("awb_time" in call for call in flite_calls)
    stretch = [float(m) for m in re.findall(r"duration_stretch=([\d.]+)", " ".join(flite_calls))]
    assert min(stretch) >= 0.8 and max(stretch) <= 1.3 and len(set(stretch)) > 1


def test_voices_layout_groups_and_split(built):
    root = built["voices"]
    bunch = load_audio_folder(root, sample_rate=16000)
    assert bunch.target_names == sorted(WORDS)
    voices = {"kal", "kal16", "awb", "slt", *FESTIVAL_TREE}
    assert len(bunch.target) == len(WORDS) * len(voices) * 2
    _check_clips(bunch.filenames, 16000, 16000)
    groups = {}
    for path, label in zip(bunch.filenames, bunch.target, strict=True):
        voice, word = re.fullmatch(r"([a-z0-9]+)_([a-z]+)_\d+\.wav", Path(path).name).groups()
        assert Path(path).parent.name == word == label
        groups.setdefault(voice, []).append(sf.read(path)[0])
    assert set(groups) == voices
    # every clip holds its word: at least 0.15 s above a tenth of its peak
    for voice, clips in groups.items():
        for x in clips:
            assert (np.abs(x) > 0.1 * np.abs(x).max()).sum() > 0.15 * 16000, voice
    assert not list(root.rglob("*.json")) and not list(root.rglob(".*"))
    test = json.loads((root.parent / "voices_split.json").read_text())["test_groups"]
    assert test == ["awb", "pc", "lj", "dita"]
    # one festival process per voice, each speaking all of that voice's clips
    scripts = built["festival_scripts"][:len(FESTIVAL_TREE)]
    assert sorted(re.search(r"\(voice_([a-z_]+)\)", s).group(1) for s in scripts) == sorted(
        v for _, v in FESTIVAL_TREE.values())
    for script in scripts:
        stretch = [float(m) for m in re.findall(r"Duration_Stretch ([\d.]+)", script)]
        assert len(stretch) == len(WORDS) * 2
        assert min(stretch) >= 0.8 and max(stretch) <= 1.3 and len(set(stretch)) > 1


def test_voices_refuses_a_missing_test_speaker_and_a_failing_voice(built, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="test speaker 'rms' has none of the voices"):
        words.build_voices(built["pkgs"], tmp_path / "voices", words=WORDS, renditions=1,
                           test_speakers=("awb", "rms"))
    assert not (tmp_path / "voices").exists()
    monkeypatch.setitem(festival.FESTIVAL_VOICES, "ked", ("refused_diphone", "ked", "english"))
    (built["pkgs"] / "usr" / "share" / "festival" / "voices" / "english" / "refused_diphone"
     ).mkdir()
    try:
        with pytest.raises(RuntimeError, match=r"voice refused_diphone failed .*2 of 2 files "
                                               r"unwritten.*unbound variable"):
            words.build_voices(built["pkgs"], tmp_path / "voices", words=WORDS, renditions=1)
    finally:
        (built["pkgs"] / "usr" / "share" / "festival" / "voices" / "english" / "refused_diphone"
         ).rmdir()
    assert not (tmp_path / "voices").exists()


def test_drums_layout_classes_and_folds(built):
    root = built["drums"]
    bunch = load_urbansound8k(root, sample_rate=22050, duration=1.0)
    # clap is in 1 of the 3 kits that have 4 classes ("Hands" has 1): dropped
    assert bunch.target_names == ["kick", "snare", "hihat_closed", "hihat_open", "crash"]
    _check_clips(bunch.filenames, 22050, 22050)
    kits = json.loads((root.parent / "drums_kits.json").read_text())
    assert sorted(k["kit"] for k in kits.values()) == ["Kit A", "KitB", "KitC"]
    assert sorted(set(bunch.fold.tolist())) == [1, 2, 3]
    for fold in (1, 2, 3):  # one kit per fold: a test fold's kit is unseen in training
        in_fold = set(bunch.fsID[bunch.fold == fold].tolist())
        assert len(in_fold) == 1 and not in_fold & set(bunch.fsID[bunch.fold != fold].tolist())
        assert kits[str(in_fold.pop())]["fold"] == fold
    pairs = {(int(f), str(t)) for f, t in zip(bunch.fsID, bunch.target, strict=True)}
    assert len(bunch.target) == 2 * len(pairs)
    kit_b = next(int(i) for i, k in kits.items() if k["kit"] == "KitB")
    assert {t for f, t in pairs if f == kit_b} == {"kick", "snare", "hihat_closed",
                                                   "hihat_open"}
    assert np.all(bunch.salience == 1) and np.all(bunch.end > bunch.start)
    assert np.all(bunch.start >= 0) and np.all(bunch.end <= 0.35)
    assert np.all(np.abs(bunch.data).max(axis=1) > 0.1)


def test_notes_layout_devices_and_unseen_patches(built):
    root = built["notes"]
    bunch = load_dcase2020_task1a(root, duration=2.0)
    assert bunch.target_names == ["piano", "strings"]
    _check_clips(bunch.filenames, 44100, 88200)
    train, evaluate = bunch.subset == "train", bunch.subset == "evaluate"
    assert set(bunch.device[train]) == {"a", "b"}
    assert set(bunch.device[evaluate]) == {"a", "b", "c", "d"}
    patch = np.array([s.split("-")[0] for s in bunch.identifier])
    assert not set(patch[train]) & set(patch[evaluate])
    for family in ("piano", "strings"):  # each family has patches on both sides
        assert family in set(bunch.target[train]) and family in set(bunch.target[evaluate])
    for source in set(bunch.identifier[evaluate]):  # every device records every source
        assert sorted(bunch.device[bunch.identifier == source]) == ["a", "b", "c", "d"]
    for path, device in zip(bunch.filenames, bunch.device, strict=True):
        assert Path(path).name.endswith(f"-{device}.wav")

    def high_share(x):
        spec = np.abs(np.fft.rfft(x)) ** 2
        return spec[np.fft.rfftfreq(x.size, 1 / 44100) > 6000].sum() / spec.sum()

    source = bunch.identifier[evaluate][0]
    clip = {d: bunch.data[(bunch.identifier == source) & (bunch.device == d)][0] for d in "acd"}
    assert high_share(clip["c"]) < 0.5 * high_share(clip["a"])  # device c is band-limited

    def share(x, low, high):
        spec = np.abs(np.fft.rfft(x)) ** 2
        f = np.fft.rfftfreq(x.size, 1 / 44100)
        return spec[(f >= low) & (f < high)].sum() / spec.sum()

    # the phone keeps little above its codec's 4 kHz Nyquist frequency: hiss and the harmonics
    # of its limiter
    assert share(clip["d"], 4500, 22050) < 0.1


def test_phone_device_chain_is_band_limited_hummed_and_quantised():
    rng = np.random.default_rng(0)
    t = np.arange(44100) / 44100
    sweep = 0.5 * np.sin(2 * np.pi * (20 * t + 0.5 * (20000 - 20) * t**2))
    y = notes.record(sweep, "d", rng)
    assert y.shape == sweep.shape and np.isfinite(y).all() and np.abs(y).max() <= 1.0 + 1e-9
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(y.size, 1 / 44100)
    in_band = spec[(f > 500) & (f < 3400)].mean()
    assert spec[f > 6000].mean() < 0.05 * in_band  # the 8 kHz codec's band limit
    assert spec[np.abs(f - 50) < 2].max() > 10 * spec[(f > 20) & (f < 45)].mean()  # mains hum


def _band_share(x: np.ndarray, low: float, high: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1 / 44100)
    return spec[(f >= low) & (f < high)].sum() / spec.sum()


def test_scenes_layout_devices_and_held_out_sources(built):
    root = built["scenes"]
    bunch = load_dcase2020_task1a(root, duration=5.0)
    assert bunch.target_names == ["battle", "cavern", "water"]
    _check_clips(bunch.filenames, 44100, 5 * 44100)
    train, evaluate = bunch.subset == "train", bunch.subset == "evaluate"
    assert int(train.sum()) == 3 * 2 * 2 and int(evaluate.sum()) == 3 * 1 * 3
    assert set(bunch.device[train]) == {"a", "b"}
    assert set(bunch.device[evaluate]) == {"a", "b", "c"}
    for side, n_clips, devices in (("train", 12, {"a", "b"}), ("test", 9, {"a", "b", "c"})):
        part = standard_split("dcase2020", root, side=side)
        assert len(part.target) == n_clips and set(part.device) == devices
    manifest = json.loads((root.parent / "scenes_sources.json").read_text())
    held = set(manifest["split"]["evaluate"])
    assert held and manifest["split"]["train"] and not held & set(manifest["split"]["train"])
    assert not any("hell_ugh" in k or "vehicle/" in k for k in manifest["split"]["train"])
    location_background = {}
    for path, label, side, ident in zip(bunch.filenames, bunch.target, bunch.subset,
                                        bunch.identifier, strict=True):
        name = "audio/" + Path(path).name
        scene, city, location, _, device = re.fullmatch(
            r"([a-z_]+)-([a-z]+)-(\d+)-(\d+)-([abc])\.wav", Path(name).name).groups()
        assert (scene, city, ident) == (label, side, f"{city}-{location}")
        used = manifest["clips"][name]
        sources = {used["background"], *used["events"]}
        assert sources <= set(manifest["split"][side])  # no source heard on both sides
        assert location_background.setdefault(location, used["background"]) == used[
            "background"]
        assert len(used["events"]) <= 4
    mix = bunch.filenames[evaluate][0].rsplit("-", 1)[0]
    clip = {d: bunch.data[bunch.filenames == f"{mix}-{d}.wav"][0] for d in "abc"}
    # the phone keeps little above its codec's 4 kHz Nyquist frequency
    assert _band_share(clip["c"], 4500, 22050) < 0.1 * _band_share(clip["a"], 4500, 22050)
    assert _band_share(clip["b"], 4500, 22050) > 0.2 * _band_share(clip["a"], 4500, 22050)


def test_scenes_table_names_each_file_once():
    keys = [k for kinds in scenes.SCENES.values() for keys in kinds.values() for k in keys]
    assert len(keys) == len(set(keys))
    roots = {k.split("/games/")[1].split("/")[0] for k in keys}
    assert roots == {"openarena", "warzone2100", "hedgewars", "supertux2", "etr"}
    assert all(len(kinds["background"]) >= 5 and len(kinds["events"]) >= 8
               for kinds in scenes.SCENES.values())


def test_gus_patch_reader_decodes_every_sample_format(tmp_path):
    for k, (name, flags) in enumerate(PATCHES.items()):
        waves = _patch_waves(*flags, seed=k)
        write_gus_patch(tmp_path / name, waves)
        read = gus_patch.read_gus_patch(tmp_path / name)
        assert len(read) == len(waves)
        bits16, unsigned, looped, bidi = flags
        full = 2 ** (15 if bits16 else 7)
        for w, r in zip(waves, read, strict=True):
            expected = (np.asarray(w["pcm"]) - (full if unsigned else 0)) / full
            np.testing.assert_allclose(r["data"], expected, atol=1e-12)
            assert (r["rate"], r["root"], r["bidirectional"]) == (w["rate"], w["root"], bidi)
            assert r["loop"] == (w["loop"] if looped else None)
    (tmp_path / "bad.pat").write_bytes(b"RIFF" + bytes(300))
    with pytest.raises(ValueError, match="not a GUS patch"):
        gus_patch.read_gus_patch(tmp_path / "bad.pat")


def test_same_seed_same_files_other_seed_other_files(built):
    again = build_all(built["pkgs"], built["base"] / "again", seed=0)
    other = build_all(built["pkgs"], built["base"] / "seed1", seed=1)
    for corpus in ("words", "voices", "drums", "notes", "scenes"):
        first = _tree(built[corpus])
        assert _tree(again[corpus]) == first
        assert _tree(other[corpus]) != first
    for side_file in ("words_split.json", "voices_split.json", "scenes_sources.json"):
        assert (built["base"] / "again" / side_file).read_text() == (
            built["base"] / "seed0" / side_file).read_text()


def test_drum_class_keyword_table():
    names = {
        "Kick (Tama Superstar 22\")": "kick", "c3 - bass drum 1": "kick", "BassDrum": "kick",
        "Snare Rimshot": "snare", "Snare Roll": None, "Tom Low": "tom", "tomhi2": "tom",
        "Hi-Hat Closed (Paiste)": "hihat_closed", "VariBreaks Hat 1 Cl": "hihat_closed",
        "Hi Hat Opened": "hihat_open", "Hat Op Dirty": "hihat_open",
        "Sabian Hat Semi-Open": None, "Pedal HH": None, "Ride Bell": "ride",
        "Crash/Ride (18\")": None, "crash16inch": "crash", "Hand Clap": "clap",
        "Cowbell": None, "Sample: beats_01-10.flac": None,
    }
    assert {n: drums.drum_class(n) for n in names} == names


def test_packages_are_fetched_and_unpacked_once(tmp_path, monkeypatch):
    calls = []

    def fake_run(cmd, cwd=None, check=False):
        calls.append(cmd)
        if cmd[:2] == ["apt-get", "download"]:
            (Path(cwd) / f"{cmd[2]}_1.0_all.deb").write_bytes(b"deb")

    monkeypatch.setattr(packages.subprocess, "run", fake_run)
    pkgs = packages.ensure_packages(tmp_path, ["freepats"])
    assert pkgs == tmp_path / "pkgs"
    deb = tmp_path / "debs" / "freepats_1.0_all.deb"
    assert calls == [["apt-get", "download", "freepats"], ["dpkg-deb", "-x", str(deb), str(pkgs)]]
    packages.ensure_packages(tmp_path, ["freepats"])
    assert len(calls) == 2


def test_main_rejects_unknown_corpus(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--only", "words,speech"])
    assert "--only" in capsys.readouterr().err
