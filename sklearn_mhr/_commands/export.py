"""``sklearn-mhr export``: write a saved model as an ONNX file or a torch.export archive."""

from __future__ import annotations

__all__ = ["run"]


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
