"""Types of command-line values: each reads one value and says what it expected instead."""

from __future__ import annotations

import argparse
import json

__all__ = ["extensions", "groups", "param", "positive_float", "positive_int"]


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def groups(text: str) -> list[str]:
    """Comma-separated group names of a folder corpus."""
    names = [g.strip() for g in text.split(",") if g.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated group names, got {text!r}")
    return names


def extensions(text: str) -> list[str]:
    """Comma-separated file suffixes."""
    suffixes = [e.strip() for e in text.split(",") if e.strip()]
    if not suffixes:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated file suffixes such as .wav,.flac, got {text!r}")
    return suffixes


def param(text: str) -> tuple[str, object]:
    """Split ``name=value``; the value is read as JSON, else kept as a string.

    ``lr=1e-3`` gives a float, ``n_threads=null`` None, ``warm_start=true``
    True, ``back_end=fcnn`` the string "fcnn".
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(
            f"expected name=value (e.g. --param lr=0.003), got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value
