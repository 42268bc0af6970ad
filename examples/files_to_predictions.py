"""From audio files to predictions: AudioLoader and MHR in one pipeline.

Writes a small folder-per-class corpus of WAV files to a temporary folder (use your own
folder instead), loads it with ``load_audio_folder`` and fits a pipeline on file paths.

Run: ``python examples/files_to_predictions.py`` (under a minute on two CPU cores).
"""

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_mhr import AudioLoader, MHRAudioClassifier
from sklearn_mhr.datasets import load_audio_folder, make_sound_scenes


def write_corpus(root, n_clips=160, n_classes=4, sample_rate=22050):
    """Write generated clips as ``root/<label>/<i>.wav`` (16-bit PCM)."""
    bunch = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate,
                              random_state=0, return_bunch=True)
    for i, (clip, label) in enumerate(zip(bunch.data, bunch.target)):
        path = Path(root) / bunch.target_names[label] / f"{i:04d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, clip, sample_rate, subtype="PCM_16")
    return Path(root)


def main(n_clips=160, n_classes=4, max_epochs=10):
    """Fit on file paths (read at 16 kHz), print held-out accuracy and a few predictions."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(tmp, n_clips=n_clips, n_classes=n_classes)
        corpus = load_audio_folder(root, sample_rate=16000, lazy=True)  # reads metadata only
        paths, labels = corpus.filenames, corpus.target
        train, test, y_train, y_test = train_test_split(paths, labels, stratify=labels,
                                                        random_state=0)
        model = make_pipeline(
            AudioLoader(sample_rate=16000, duration=1.0),   # paths -> (n, 16000) waveforms
            MHRAudioClassifier(sample_rate=16000, max_epochs=max_epochs, random_state=0),
        )
        model.fit(train, y_train)
        print(f"held-out accuracy: {model.score(test, y_test):.3f}")
        for path, label in zip(test[:3], model.predict(test[:3])):
            print(f"{Path(path).relative_to(root)} -> {label}")
        return float(np.mean(model.predict(test) == y_test))


if __name__ == "__main__":
    main()
