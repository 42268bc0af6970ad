"""How closely exported models agree with ``predict_proba``, on a model written by the demo.

Exports the model as ONNX (run by onnxruntime) and as a torch.export archive, runs both on the
demo's held-out clips (generated again from the seed saved with the model), and prints, for
each and for the network evaluated in float64, the largest and the median difference from
``predict_proba`` over the clips' probabilities, and how many clips differ by more than 1e-5.

Usage::

    sklearn-mhr demo --out mhr-demo-model
    python -m benchmarks.export_agreement mhr-demo-model
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

import numpy as np
import torch

from sklearn_mhr import persistence
from sklearn_mhr._commands.demo import demo_split


def _row(name: str, proba: np.ndarray, reference: np.ndarray) -> str:
    gap = np.abs(proba - reference).max(axis=1)
    return (f"{name:<28} {gap.max():10.2e} {np.median(gap):10.2e} "
            f"{int(np.sum(gap > 1e-5)):>4d} of {len(gap)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a model directory written by sklearn-mhr demo")
    args = parser.parse_args(argv)
    import onnxruntime

    estimator = persistence.load(args.model)
    meta = persistence.read_metadata(args.model)["metadata"]
    _, X, _, _ = demo_split(meta["n_clips"], meta["n_classes"], meta["duration"],
                            meta["sample_rate"], meta["seed"], meta.get("test_size", 0.3))
    X = np.asarray(X, dtype=np.float32)
    expected = estimator.predict_proba(X)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = estimator.export(Path(tmp) / "model.onnx")
        (proba,) = onnxruntime.InferenceSession(str(onnx_path)).run(None, {"waveforms": X})
        rows.append(_row("ONNX (onnxruntime)", proba, expected))
        archive = torch.export.load(estimator.export(Path(tmp) / "model.pt2", format="torch"))
        with torch.no_grad():
            proba = archive.module()(torch.from_numpy(X)).numpy()
        rows.append(_row("torch.export archive", proba, expected))
    network = copy.deepcopy(estimator.net_.module_).cpu().eval().double()
    with torch.no_grad():
        proba = torch.softmax(network(torch.from_numpy(X).double()), dim=1).numpy()
    rows.append(_row("the network in float64", proba, expected))
    print(f"Model '{args.model}', {len(X)} held-out clips of the demo; difference from "
          "predict_proba:")
    print(f"{'':<28} {'largest':>10} {'median':>10} {'> 1e-5':>10}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
