"""``KEY=VALUE`` estimator parameters given on a benchmark's command line."""

from __future__ import annotations

import argparse
import json


def setting(text: str) -> tuple[str, object]:
    """An argparse type: ``KEY=VALUE`` with VALUE read as JSON, else kept as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value
