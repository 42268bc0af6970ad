"""Corpus loaders, a lazy clip sequence and a synthetic sound-scene generator."""

from __future__ import annotations

from sklearn_mhr.datasets.dcase2020 import load_dcase2020_task1a
from sklearn_mhr.datasets.folder import load_audio_folder
from sklearn_mhr.datasets.synthetic import make_sound_scenes
from sklearn_mhr.datasets.urbansound8k import load_urbansound8k
from sklearn_mhr.io.sequence import AudioSequence

__all__ = [
    "AudioSequence",
    "load_audio_folder",
    "load_dcase2020_task1a",
    "load_urbansound8k",
    "make_sound_scenes",
]
