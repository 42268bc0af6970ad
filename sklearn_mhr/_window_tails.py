"""Names of the tail policies of windows.

Apart from `sklearn_mhr.windows` so that the command line can offer them without
importing torch.
"""

#: what ``tail`` may be; the first is the default (see :mod:`sklearn_mhr.windows`)
TAILS = ("end", "pad", "drop")
