"""Reading audio: one file, many files eagerly, or a corpus lazily.

``read``: `read_audio` and the parallel decoding of many files; ``loader``:
`AudioLoader`, the transformer from paths to waveforms; ``sequence``:
`AudioSequence`, clips decoded when indexed; ``checks``: the argument checks
they share. Nothing here imports torch.
"""

from sklearn_mhr.io.loader import AudioLoader
from sklearn_mhr.io.read import AudioReadError, TruncatedAudioWarning, read_audio
from sklearn_mhr.io.sequence import AudioSequence

__all__ = ["AudioLoader", "AudioReadError", "AudioSequence", "TruncatedAudioWarning",
           "read_audio"]
