"""Reading files written by ``torch.save`` without running code from them."""

from __future__ import annotations

import pickle
import re

__all__ = ["load_tensors"]


def _message(exc: BaseException) -> str:
    """An exception's message without terminal colour codes (torch colours some)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", str(exc))


def _first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, without terminal colour codes."""
    lines = [line.strip() for line in _message(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def load_tensors(source, path, *, what: str, again: str):
    """``torch.load(source, weights_only=True)``: tensors and plain containers, nothing else.

    Parameters
    ----------
    source : file-like or path
        What to read.
    path : path
        The file's name, for messages.
    what : str
        What the file holds, for messages ("the weights", "the checkpoint").
    again : str
        How to get a good file again, ending the message of a refusal.

    Raises
    ------
    ValueError
        Naming ``path``: a file holding other objects is refused because
        unpickling them could run code (torch's advice to load it unsafely is
        not passed on); a damaged file is reported as damaged.
    """
    import torch

    try:
        return torch.load(source, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        text = _message(exc)
        found = re.search(r"(?i)unsupported global[^\n]*", text)
        if found:  # a pickled object that is no tensor: refused before it runs
            detail = found.group(0).split(". Please")[0].strip()
            raise ValueError(
                f"Refusing to load '{path}': it holds objects other than tensors, which could "
                f"run code when unpickled ({detail}). Only load files from sources you trust; "
                f"{again}") from None
        detail = re.search(r"Unsupported operand[^\n]*", text)
        raise ValueError(
            f"Cannot read {what} in '{path}' "
            f"({detail.group(0).strip() if detail else 'not a file torch.save wrote'}); the file "
            f"is damaged. {again[:1].upper()}{again[1:]}") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds on damaged files
        raise ValueError(f"Cannot read {what} in '{path}' ({_first_line(exc)}); the file is "
                         f"damaged. {again[:1].upper()}{again[1:]}") from None
