"""Whether a value is an integer or a number, booleans excluded."""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["is_int", "is_number"]


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for booleans (``True`` is an int in Python)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value, *, finite: bool = False) -> bool:
    """True for real numbers other than booleans; with ``finite``, also not NaN or infinite."""
    return (isinstance(value, Real) and not isinstance(value, bool)
            and (not finite or math.isfinite(value)))
