"""Training and inference on a lazy corpus keep memory bounded by the batch.

Two measurements:

- clips in flight: every decode and every release is appended to one log
  file, from whichever process does it, so the log orders the events of all
  processes. Clips decoded in DataLoader workers (training) reach this process
  as a batch, released when its training step returns; clips decoded in this
  process (inference) are released when the array is freed (a weakref
  finalizer). The peak over a whole ``cross_val_score`` must stay within
  ``batch_size * (n_workers * prefetch_factor + 1)``.
- peak resident memory of a fit, in a fresh process, on N and on 4N clips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np
import pytest
from corpus_fixtures import write_audio_folder, write_clip
from sklearn.model_selection import StratifiedKFold, cross_val_score
from skorch import NeuralNet

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import AudioSequence

BATCH, WORKERS, PREFETCH = 4, 2, 2  # PREFETCH: torch's default prefetch_factor
BOUND = BATCH * (WORKERS * PREFETCH + 1)
TINY = dict(n_filters=8, window_duration=0.032, hop_duration=0.016, kernel_duration=0.004,
            context=2, head_hidden=8, back_end_width=4, max_epochs=2, batch_size=BATCH,
            sample_rate=8000, random_state=0)


def _log(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())  # one small O_APPEND write: atomic across processes
    finally:
        os.close(fd)


class CountingSequence(AudioSequence):
    """An AudioSequence that logs every decode and, in this process, every release."""

    log_path: str = ""
    main_pid: int = 0

    def _subset(self, index):
        sub = super()._subset(index)
        sub.log_path, sub.main_pid = self.log_path, self.main_pid
        return sub

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(out, np.ndarray):
            pid = os.getpid()
            _log(self.log_path, f"D {pid}\n")
            if pid == self.main_pid:
                weakref.finalize(out, _log, self.log_path, "F 1\n")
        return out


@pytest.fixture
def events(monkeypatch, tmp_path):
    """A log file, and a CountingSequence factory writing to it."""
    path = str(tmp_path / "events.log")
    original = NeuralNet.train_step

    def train_step(self, batch, **fit_params):
        step = original(self, batch, **fit_params)
        _log(path, f"T {len(batch[0])}\n")  # the batch is dropped after its step
        return step

    monkeypatch.setattr(NeuralNet, "train_step", train_step)

    def sequence(paths):
        seq = CountingSequence(paths, sample_rate=8000, duration=0.25)
        seq.log_path, seq.main_pid = path, os.getpid()
        return seq

    return path, sequence


def _replay(path: str, main_pid: int) -> tuple[int, dict[int, int]]:
    """Peak number of clips decoded and not yet released; decodes per pid."""
    in_workers = in_main = peak = 0
    by_pid: dict[int, int] = {}
    for line in Path(path).read_text().splitlines():
        kind, value = line.split()
        if kind == "D":
            by_pid[int(value)] = by_pid.get(int(value), 0) + 1
            if int(value) == main_pid:
                in_main += 1
            else:
                in_workers += 1
        elif kind == "T":
            in_workers -= int(value)
        else:
            in_main -= int(value)
        peak = max(peak, in_workers + in_main)
    return peak, by_pid


@pytest.fixture(scope="module")
def lazy_corpus(tmp_path_factory):
    root = write_audio_folder(tmp_path_factory.mktemp("lazy"), n_per_class=16,
                              sample_rate=8000, duration=0.25)
    paths = sorted(str(p) for p in root.rglob("clip_*"))
    return paths, np.array([Path(p).parent.name for p in paths])


def test_cross_val_score_on_lazy_corpus_keeps_clips_in_flight_bounded(lazy_corpus, events):
    paths, labels = lazy_corpus
    log, sequence = events
    clf = MHRAudioClassifier(n_workers=WORKERS, **TINY)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(clf, sequence(paths), labels, cv=cv, error_score="raise")

    assert scores.shape == (3,) and np.isfinite(scores).all()
    peak, by_pid = _replay(log, os.getpid())
    n_train = len(paths) * 2 // 3
    assert n_train > BOUND  # decoding a training set up front would break the bound
    assert 0 < peak <= BOUND
    # training decodes happen in the worker processes, inference in this one
    assert by_pid.pop(os.getpid(), 0) == len(paths)  # each clip is tested once
    assert sum(by_pid.values()) == 3 * n_train * TINY["max_epochs"]
    assert len(by_pid) >= 2


def test_the_meter_sees_clips_decoded_up_front(lazy_corpus, events):
    paths, _ = lazy_corpus
    log, sequence = events
    clips = list(sequence(paths))  # what an eager loader does
    assert _replay(log, os.getpid())[0] == len(paths) > BOUND
    del clips
    assert Path(log).read_text().count("F 1") == len(paths)


def test_lazy_fit_equals_in_memory_fit(lazy_corpus):
    paths, labels = lazy_corpus
    seq = AudioSequence(paths[::4], sample_rate=8000, duration=0.25)
    params = {**TINY, "max_epochs": 1}
    lazy = MHRAudioClassifier(**params).fit(seq, labels[::4])
    eager = MHRAudioClassifier(**params).fit(seq.decode(), labels[::4])
    np.testing.assert_array_equal(lazy.predict_proba(seq), eager.predict_proba(seq.decode()))
    assert lazy.transform(seq).dtype == np.float32


# ---------------------------------------------------------- resident memory
SAMPLE_RATE, SECONDS, N = 16000, 8.0, 40  # 4N clips are 80 MB as float32, N clips 20 MB
MARGIN_MB = 25

_PEAK_SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from pathlib import Path
    from sklearn_mhr import MHRAudioClassifier
    from sklearn_mhr.datasets import AudioSequence

    paths = sorted(map(str, Path(sys.argv[1]).rglob("*.wav")), key=lambda p: Path(p).name)
    paths = paths[: int(sys.argv[2])]
    labels = np.array([Path(p).parent.name for p in paths])
    seq = AudioSequence(paths, sample_rate={sr}, duration={seconds})
    clf = MHRAudioClassifier(sample_rate={sr}, n_filters=8, window_duration=0.032,
                             hop_duration=0.032, kernel_duration=0.004, n_heads=1, context=2,
                             head_hidden=4, back_end_width=4, max_epochs=1, batch_size=8,
                             random_state=0).fit(seq, labels)
    clf.predict(seq[:16])
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
""").format(sr=SAMPLE_RATE, seconds=SECONDS)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux")
def test_peak_memory_of_a_lazy_fit_does_not_grow_with_the_corpus(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(4 * N):
        write_clip(tmp_path / f"c{i % 2}" / f"{i:04d}.wav", freq=300.0 + 400 * (i % 2),
                   sample_rate=SAMPLE_RATE, duration=SECONDS, rng=rng)

    def peak_mb(n: int) -> float:
        out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(tmp_path), str(n)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return int(out.stdout.split()[-1]) / 1024

    small, large = peak_mb(N), peak_mb(4 * N)
    corpus_growth_mb = 3 * N * SECONDS * SAMPLE_RATE * 4 / 2**20
    assert corpus_growth_mb > 2 * MARGIN_MB
    assert large < small + MARGIN_MB, (small, large)
