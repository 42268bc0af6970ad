"""``sklearn-mhr export``: write a saved model as an ONNX file or a torch.export archive."""

from __future__ import annotations

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "write a saved model as an ONNX file or a torch.export archive"
DESCRIPTION = ("Write the network of a saved model for inference without sklearn-mhr: float32 "
               "waveforms (batch, n_samples) at the model's sample rate in, class probabilities "
               "out, in the order of the model's labels (stored in the file). ONNX needs onnx "
               "and onnxscript (pip install onnx onnxscript).")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr export``."""
    from sklearn_mhr._export_formats import FORMATS

    parser.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    parser.add_argument("--format", choices=FORMATS, default="onnx",
                        help="onnx (default) or torch (a torch.export .pt2 archive)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="file to write, e.g. model.onnx or model.pt2")


def run(args) -> int:
    """Load the model, export it, say where and how to feed it; return the exit code."""
    from sklearn_mhr import persistence
    from sklearn_mhr.export import export, min_samples

    estimator = persistence.load(args.model)
    print(f"Exporting '{args.model}' as {args.format} ...", flush=True)
    path = export(estimator, args.out, format=args.format)
    classes = ", ".join(str(c) for c in estimator.classes_)
    print(f"Wrote '{path}': float32 waveforms (batch, n_samples) at {estimator.sample_rate} Hz, "
          f"n_samples >= {min_samples(estimator)}, to probabilities of [{classes}]")
    return 0
