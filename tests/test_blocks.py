"""Long files read block by block: the samples of read_audio, in memory that does not grow."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly
from tasks import TINY_PARAMS, noise_task

from sklearn_mhr import MHRAudioClassifier, persistence
from sklearn_mhr.io import AudioReadError, read_audio
from sklearn_mhr.io.blocks import BlockResampler, audio_length, read_blocks


@pytest.mark.parametrize("up, down", [(160, 441), (441, 160), (2, 1), (1, 3), (320, 441),
                                      (16000, 22050), (7, 7)])
@pytest.mark.parametrize("pieces", ["one-sample", "random", "whole"])
def test_block_resampling_is_resample_poly(up, down, pieces):
    rng = np.random.default_rng(up + down)
    x = rng.standard_normal(3001 if pieces == "one-sample" else 20011)
    sizes = {"one-sample": [1], "random": rng.integers(0, 2500, 200).tolist(),
             "whole": [x.shape[0]]}[pieces]
    resampler, out, i, k = BlockResampler(up, down), [], 0, 0
    while i < x.shape[0]:
        out.append(resampler.push(x[i:i + sizes[k % len(sizes)]]))
        i += sizes[k % len(sizes)]
        k += 1
    out.append(resampler.finish())
    y = np.concatenate(out)
    expected = resample_poly(x, up, down)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("file_rate, channels, subtype", [
    (44100, 2, "PCM_16"), (22050, 1, "FLOAT"), (16000, 1, "PCM_24"), (48000, 3, "PCM_32"),
    (8000, 2, "PCM_16"),
])
@pytest.mark.parametrize("block_duration", [0.013, 0.25, 100.0])
def test_blocks_are_read_audio(tmp_path, file_rate, channels, subtype, block_duration):
    rng = np.random.default_rng(file_rate)
    path = tmp_path / "a.wav"
    sf.write(path, 0.4 * rng.standard_normal((round(1.7 * file_rate), channels)), file_rate,
             subtype=subtype)
    blocks = list(read_blocks(path, sample_rate=16000, block_duration=block_duration))
    assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    y = np.concatenate(blocks)
    expected = read_audio(path, sample_rate=16000)
    assert y.shape == expected.shape == (audio_length(path, 16000),)
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-4)


def test_blocks_at_the_files_rate(tmp_path):
    path = tmp_path / "a.flac"
    data = np.random.default_rng(0).standard_normal(12345) * 0.2
    sf.write(path, data, 11025)
    y = np.concatenate(list(read_blocks(path, block_duration=0.1)))
    np.testing.assert_allclose(y, read_audio(path), atol=0)
    assert audio_length(path) == 12345


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav' does not exist"):
        next(read_blocks(tmp_path / "missing.wav"))
    with pytest.raises(AudioReadError, match="is a directory"):
        next(read_blocks(tmp_path))
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioReadError, match="empty.wav' is empty"):
        next(read_blocks(tmp_path / "empty.wav"))
    (tmp_path / "junk.wav").write_bytes(b"RIFF0000WAVEjunkjunkjunk" * 10)
    with pytest.raises(AudioReadError, match="Cannot decode audio file .*junk.wav"):
        next(read_blocks(tmp_path / "junk.wav"))
    with pytest.raises(AudioReadError, match="Cannot decode audio file .*junk.wav"):
        audio_length(tmp_path / "junk.wav")
    nan = np.zeros((1000, 2), dtype=np.float32)
    nan[700, 1] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 8000, subtype="FLOAT")
    with pytest.raises(AudioReadError, match=r"nan.wav' contains NaN .*frame 700, 0.0875 s"):
        list(read_blocks(tmp_path / "nan.wav", block_duration=0.05))
    sf.write(tmp_path / "ok.wav", nan[:10] * 0, 8000)
    with pytest.raises(ValueError, match="block_duration must be a positive number"):
        next(read_blocks(tmp_path / "ok.wav", block_duration=0))


_CHILD = textwrap.dedent("""
    import resource, sys
    from sklearn_mhr import persistence
    from sklearn_mhr.stream import predict_file
    model = persistence.load(sys.argv[1])
    windows = predict_file(model, sys.argv[2], window=1.0, hop=1.0, block_duration=10.0)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(windows.start))
""")


def _write_noise(path, minutes, rate=11025):
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as f:
        for _ in range(minutes):
            f.write(0.2 * rng.standard_normal(60 * rate).astype(np.float32))


def _peak_kib(model_dir, path) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(model_dir), str(path)],
                         capture_output=True, text=True, check=True)
    peak, n_windows = out.stdout.split()
    return int(peak), int(n_windows)


def test_peak_memory_does_not_grow_with_the_files_length(tmp_path):
    # 40 minutes at 11,025 Hz: decoded whole, 106 MB as float32 (and twice that in float64
    # while resampling); block by block, 10 s at a time
    model_dir = persistence.save(MHRAudioClassifier(**TINY_PARAMS).fit(*noise_task()),
                                 tmp_path / "model")
    _write_noise(tmp_path / "short.wav", 2)
    _write_noise(tmp_path / "long.wav", 40)
    short_kib, short_windows = _peak_kib(model_dir, tmp_path / "short.wav")
    long_kib, long_windows = _peak_kib(model_dir, tmp_path / "long.wav")
    assert (short_windows, long_windows) == (120, 2400)
    assert long_kib - short_kib < 30 * 1024, (short_kib, long_kib)
