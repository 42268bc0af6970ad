"""Names of the export formats.

Apart from `sklearn_mhr.export` so that the command line can offer them without
importing torch.
"""

#: ``"onnx"`` (needs the ``export`` extra) and ``"torch"`` (a ``torch.export`` archive)
FORMATS = ("onnx", "torch")
