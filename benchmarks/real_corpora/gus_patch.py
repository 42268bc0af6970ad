"""Reading the waves of a Gravis UltraSound patch (``.pat``) file, as freepats ships them."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np


def read_gus_patch(path: str | os.PathLike) -> list[dict]:
    """Waves of a Gravis UltraSound patch (``.pat``) file.

    The format: a 129-byte header (``GF1PATCH110``/``GF1PATCH100``, description, counts),
    a 63-byte instrument header, and per layer a 47-byte layer header followed by its
    waves, each a 96-byte header and its PCM data. Only the first instrument is read (the
    files hold one).

    Parameters
    ----------
    path : str or os.PathLike
        The patch file.

    Returns
    -------
    list of dict
        One per wave: ``data`` (float64 in [-1, 1]), ``rate`` (Hz), ``low``, ``high``
        (key range, Hz), ``root`` (frequency of the recorded note, Hz), ``loop`` (start
        and end sample of the sustain loop, or None) and ``bidirectional`` (bool).

    Raises
    ------
    ValueError
        If the file is not a GUS patch or is truncated.
    """
    raw = Path(path).read_bytes()
    if raw[:8] != b"GF1PATCH" or len(raw) < 129 + 63:
        raise ValueError(f"{path} is not a GUS patch file.")
    (n_layers,) = struct.unpack_from("<B", raw, 129 + 22)
    pos = 129 + 63
    waves = []
    for _ in range(n_layers):
        (n_waves,) = struct.unpack_from("<B", raw, pos + 6)
        pos += 47
        for _ in range(n_waves):
            (size, loop_start, loop_end, rate, low, high, root) = struct.unpack_from(
                "<IIIHIII", raw, pos + 8)
            modes = raw[pos + 55]
            pos += 96
            if pos + size > len(raw):
                raise ValueError(f"{path}: wave data runs past the end of the file.")
            width = 2 if modes & 0x01 else 1
            data = np.frombuffer(raw, dtype=f"<{'u' if modes & 0x02 else 'i'}{width}",
                                 count=size // width, offset=pos).astype(np.float64)
            if modes & 0x02:
                data -= 2 ** (8 * width - 1)
            data /= 2 ** (8 * width - 1)
            pos += size
            loop = (loop_start // width, loop_end // width)
            waves.append({
                "data": data, "rate": rate, "low": low / 1000, "high": high / 1000,
                "root": root / 1000,
                "loop": loop if modes & 0x04 and 0 <= loop[0] < loop[1] <= len(data) else None,
                "bidirectional": bool(modes & 0x08),
            })
    return waves
