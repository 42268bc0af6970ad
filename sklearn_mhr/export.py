"""Export a fitted classifier for inference without this package: ONNX, or torch.export.

The exported graph takes a float32 waveform batch of shape (batch, n_samples)
at the model's sample rate, of any batch size and of any length from
:func:`min_samples` up, and returns class probabilities of shape
(batch, n_classes) in the order of ``classes_``. The labels, the sample rate
and the minimum length travel with the file (ONNX metadata ``sklearn_mhr``,
or the ``sklearn_mhr.json`` extra file of a ``.pt2`` archive).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sklearn_mhr._export_formats import FORMATS

__all__ = ["FORMATS", "export", "min_samples"]

#: settings whose graph depends on the clip's length in ways torch.export cannot express
#: (the LSTM's sequence, PCEN's smoother padding): refused with a clear error
UNSUPPORTED = {"back_end": ("cnn_lstm",), "compression": ("pcen",)}
#: frames an exported clip must have at least: sizes of 1 after the back end's poolings
#: would take other code paths than the graph records
MIN_HOPS = 16


#: loggers of the exporters whose warnings concern their own internals, never the user's
#: model: "torchvision is not installed. Skipping torchvision::nms" (operator registration),
#: "Skipping constant folding for op TopK with multiple outputs" (ONNX graph optimizer)
QUIET_LOGGERS = ("torch.onnx._internal.exporter._registration",
                 "onnxscript.optimizer._constant_folding")
#: warnings that torch raises on its own calls while exporting (pytree's LeafSpec deprecation)
QUIET_WARNINGS = (r"`isinstance\(treespec, LeafSpec\)` is deprecated",)


@contextlib.contextmanager
def _quiet_exporters():
    """Silence the exporters' messages about themselves; errors and other warnings pass."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        for message in QUIET_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=FutureWarning)
        try:
            for logger in loggers:
                logger.setLevel(logging.ERROR)
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


class _Probabilities(torch.nn.Module):
    """The network with a softmax: waveforms in, class probabilities out."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(waveforms), dim=1)


def min_samples(estimator) -> int:
    """The shortest clip, in samples, an exported graph of ``estimator`` takes.

    One window and :data:`MIN_HOPS` hops (0.42 s at the default 46.4 ms window
    and 23.2 ms hop); pad shorter clips with zeros to this length.
    """
    check_is_fitted(estimator)
    return int(estimator.win_length_ + MIN_HOPS * estimator.hop_length_)


def _description(estimator) -> dict:
    return {"classes": estimator.classes_.tolist(), "sample_rate": estimator.sample_rate,
            "min_samples": min_samples(estimator),
            "input": "float32 waveforms, shape (batch, n_samples), at sample_rate",
            "output": "class probabilities, shape (batch, n_classes), columns in the order of "
                      "classes"}


def export(estimator, path, *, format: str = "onnx") -> Path:
    """Write the fitted network of ``estimator`` as a standalone inference graph.

    Parameters
    ----------
    estimator : MHRAudioClassifier
        Fitted.
    path : str or os.PathLike
        File to write (replaced if it exists); ``.onnx`` or ``.pt2`` by
        convention.
    format : {"onnx", "torch"}, default="onnx"
        ONNX (run it with onnxruntime; opset 18 or newer for its DFT), or a
        ``torch.export`` archive (``torch.export.load(path).module()``).

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ValueError
        For another format, a path whose folder does not exist, or a model
        with ``back_end="cnn_lstm"`` or ``compression="pcen"`` (not exported yet).
    ImportError
        For ONNX without the onnx and onnxscript packages (the ``export``
        extra).
    """
    check_is_fitted(estimator)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}, got {format!r}")
    for name, values in UNSUPPORTED.items():
        if getattr(estimator, name) in values:
            raise ValueError(
                f"export does not support {name}={getattr(estimator, name)!r} yet (its graph "
                "depends on the clip length in ways torch.export cannot express); every other "
                f"{name} is supported")
    path = Path(os.fspath(path))
    if not path.parent.is_dir():
        raise ValueError(f"folder '{path.parent}' of the export path does not exist")
    # the default layout: channels-last strides depend on the clip's length, which the
    # exported graph leaves free
    module = copy.deepcopy(estimator.net_.module_).cpu().to(memory_format=torch.contiguous_format)
    model = _Probabilities(module.eval()).eval()
    n_min = min_samples(estimator)
    example = torch.as_tensor(np.random.default_rng(0).standard_normal((2, n_min + 1)),
                              dtype=torch.float32)
    shapes = ({0: torch.export.Dim("batch", min=1, max=2**20),
               1: torch.export.Dim("n_samples", min=n_min, max=2**31 - 2)},)
    description = json.dumps(_description(estimator))
    if format == "torch":
        with torch.no_grad(), _quiet_exporters():
            program = torch.export.export(model, (example,), dynamic_shapes=shapes, strict=False)
        torch.export.save(program, path, extra_files={"sklearn_mhr.json": description})
        return path
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ImportError("ONNX export needs onnx and onnxscript: pip install onnx onnxscript "
                          "(from a checkout of sklearn-mhr, pip install \".[export]\")") from None
    with torch.no_grad(), _quiet_exporters():
        program = torch.onnx.export(model, (example,), dynamic_shapes=shapes, dynamo=True,
                                    input_names=["waveforms"], output_names=["probabilities"],
                                    verbose=False)
    program.model.metadata_props["sklearn_mhr"] = description
    program.save(str(path))
    return path
