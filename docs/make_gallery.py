"""Draw the documentation's gallery from the demo model, with the commands a user runs.

Run from the repository root: ``python docs/make_gallery.py`` (a minute or two on
two idle CPU cores). It trains the demo model with ``sklearn-mhr demo`` (its
default settings) into a temporary folder, then writes every picture of
``sklearn-mhr plot`` on the demo's held-out clips into ``docs/gallery/``,
replacing the pictures there, and records what they were drawn from in
``docs/gallery/gallery.json``: the demo's settings, the model's parameters,
its held-out accuracy and its filters' mean move. ``tests/test_docs.py``
fails when today's demo would build a model with other parameters, so that
the gallery is redrawn after a change of defaults. ``--quick`` trains a small
demo instead, for checking that the script works.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GALLERY = Path(__file__).resolve().parent / "gallery"
QUICK = ["--n-clips", "48", "--n-classes", "3", "--epochs", "2", "--duration", "0.5",
         "--sample-rate", "8000"]


def _cli(*args, cwd) -> None:
    print("$ sklearn-mhr " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "sklearn_mhr", *args], cwd=cwd, check=True)


def main(argv=None) -> Path:
    """Train the demo model, draw the gallery; return the folder of pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GALLERY,
                        help="folder for the pictures (default: docs/gallery)")
    parser.add_argument("--quick", action="store_true", help="a small demo, for a quick check")
    parser.add_argument("--dpi", type=int, default=80, help="resolution (default: 80)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        _cli("demo", *(QUICK if args.quick else []), "--out", "model", cwd=work)
        _cli("plot", "--model", "model", "--out", "pictures", "--dpi", str(args.dpi), cwd=work)
        out = args.out.resolve()
        if out.exists():
            for old in out.glob("*.png"):
                old.unlink()
        out.mkdir(parents=True, exist_ok=True)
        pictures = sorted(Path(work, "pictures").glob("*.png"))
        for picture in pictures:
            shutil.copy(picture, out / picture.name)
        record = drawn_from(Path(work, "model"))
        (out / "gallery.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        page = out.parent / "gallery.md"
        page.write_text(gallery_page([p.name for p in pictures], out.name, record))
        print(f"wrote {len(pictures)} pictures to {out} and the page {page}")
    return out


CAPTIONS = {
    "filters": "The learned filters. Left: how far training moved each filter's centre, in Hz "
               "(solid) and as a share of its bandwidth (dotted). Right: each filter's magnitude "
               "response in dB, coloured by its centre frequency.",
    "history": "Training loss per epoch (the demo sets no validation fraction; with "
               "`validation_fraction` the validation loss and accuracy appear beside it).",
    "relevance": "Relevance weight of each filter for the held-out clips of each class, minus "
                 "its mean over the classes (scale centred on zero); above, the map's mean level "
                 "per filter, with the filters that hold next to no energy shaded; the white "
                 "line separates the two heads' bands.",
    "confusion": "Confusion matrix on the held-out clips, normalised per true class.",
}


#: parameters that say how a model ran, not what it is
# precision is float32 on the CPU, where the gallery is drawn
RUNTIME_PARAMS = ("callbacks", "checkpoint_dir", "n_threads", "precision", "spectra_cache_mb",
                  "verbose")


def drawn_from(model: Path) -> dict:
    """What the gallery shows: the demo's settings, the model's parameters and its numbers."""
    from sklearn_mhr import persistence

    meta = persistence.read_metadata(model)["metadata"]
    params = persistence.read_params(model)
    with open(model / "filters.csv", newline="") as f:
        moves = [abs(float(row["moved_hz"])) for row in csv.DictReader(f)]
    return {"demo": {k: meta[k] for k in ("n_clips", "n_classes", "duration", "sample_rate",
                                          "seed", "test_size")},
            "params": {k: v for k, v in params.items() if k not in RUNTIME_PARAMS},
            "held_out_accuracy": meta["held_out_accuracy"],
            "mean_move_hz": round(sum(moves) / len(moves), 1)}


def gallery_page(names: list[str], folder: str, record: dict) -> str:
    """The Markdown of the gallery page for the pictures ``names`` in ``folder``."""
    lines = ["# Gallery", "",
             "Every picture here is drawn by `python docs/make_gallery.py` from the demo model, "
             "with the commands a user runs:", "",
             "```bash", "sklearn-mhr demo --out model",
             "sklearn-mhr plot --model model --out pictures", "```", "",
             f"The model they show scored {record['held_out_accuracy']:.3f} on the "
             f"{round(record['demo']['test_size'] * record['demo']['n_clips'])} held-out clips, "
             f"and its filters moved by {record['mean_move_hz']:.1f} Hz on average. "
             f"`{folder}/gallery.json` records these numbers with the demo's settings and the "
             "model's parameters; a test fails when today's demo would train a model with other "
             "parameters, and then the gallery is drawn again.", "",
             "The demo trains on generated sound scenes (no download); see "
             "[the user guide](user-guide.md) for what each picture shows.", ""]
    for kind in ("filters", "history", "relevance", "confusion"):
        if f"{kind}.png" in names:
            lines += [f"## {kind.capitalize()}", "", CAPTIONS[kind], "",
                      f"![{kind}]({folder}/{kind}.png)", ""]
    clips = [n for n in names if n.startswith("clip-")]
    if clips:
        lines += ["## One clip through the network", "",
                  "The first held-out clip of each of the first classes: waveform, the map before "
                  "weighting, each head's weights over its band (0 to 1), and the weighted map "
                  "the back end classifies; the title gives the prediction.", ""]
        for name in clips:
            label = name[len("clip-"):-len(".png")].rsplit("-", 1)[0]
            lines += [f"![a clip of class {label}]({folder}/{name})", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
