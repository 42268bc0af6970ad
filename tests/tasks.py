"""Small generated tasks whose answer is known, shared by the tests."""

import numpy as np


def tone_task(n, *, sample_rate=8000, seconds=0.25, freqs=(500.0, 1500.0, 2500.0), noise=0.3,
              seed=0, lengths=None):
    """Classes are tones at ``freqs`` in white noise; labels are strings."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(freqs)
    clips = []
    for i in range(n):
        size = round(seconds * sample_rate) if lengths is None else lengths[i % len(lengths)]
        t = np.arange(size) / sample_rate
        clip = 0.5 * np.sin(2 * np.pi * freqs[y[i]] * t + rng.uniform(0, 2 * np.pi))
        clips.append((clip + noise * rng.standard_normal(size)).astype(np.float32))
    labels = np.array(["low", "mid", "high", "top", "max"])[y]
    if lengths is None:
        return np.stack(clips), labels
    return clips, labels
