"""Small generated tasks whose answer is known, shared by the tests."""

import numpy as np

#: a network small enough that a fit on `noise_task` takes a fraction of a second
TINY_PARAMS = dict(sample_rate=8000, n_filters=8, context=2, head_hidden=8, back_end_width=4,
                   kernel_duration=0.004, batch_size=8, max_epochs=2, random_state=0)


def noise_task(n=24, n_samples=4000, seed=0):
    """White-noise clips with labels a, b, c in turn: for tests of mechanics, not of learning."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_samples)).astype(np.float32), np.tile(["a", "b", "c"], n // 3)


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
