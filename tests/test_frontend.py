"""The learnable front end: both paths against independent references, gradients, shapes."""

import numpy as np
import pytest
import torch
from scipy.signal import chirp

from sklearn_mhr.nn import (
    CosGaussFilterbank,
    CosGaussFrontEnd,
    LogMelFrontEnd,
    fft_energy,
    time_energy,
)
from sklearn_mhr.nn.framing import frame_signal, n_frames
from sklearn_mhr.nn.frontend import PATHS, fft_length


def _kernels_numpy(s, kernel_size):
    """The paper's filter, written out independently of the module."""
    t = np.arange(kernel_size) - (kernel_size - 1) / 2
    return np.cos(np.pi * s[:, None] * t) * np.exp(-t**2 / (2 * (10 / s[:, None]) ** 2))


def _frames_numpy(x, win, hop, window):
    count = 1 + (len(x) - win) // hop
    return np.stack([x[i * hop:i * hop + win] * window for i in range(count)])


@pytest.mark.parametrize("sample_rate", [8000, 16000, 44100])
@pytest.mark.parametrize("win_s, kernel_s", [(0.025, 0.004), (0.0464, 0.016), (0.032, 0.012)])
@pytest.mark.parametrize("hop_frac", [0.5, 0.25])
@pytest.mark.parametrize("batch", [1, 3])
def test_fft_path_equals_full_convolution(sample_rate, win_s, kernel_s, hop_frac, batch, rng):
    win = round(win_s * sample_rate)
    kernel = round(kernel_s * sample_rate) | 1
    hop = max(1, round(win * hop_frac))
    fe = CosGaussFrontEnd(12, sample_rate, win, hop, kernel, path="fft", compression="log").double()
    x = rng.standard_normal((batch, win + 3 * hop + 7))
    with torch.no_grad():
        got = fe(torch.from_numpy(x)).numpy()
    s = np.sort(1 / (1 + np.exp(-fe.filterbank.mu.detach().numpy())))
    kernels = _kernels_numpy(s, kernel)
    for b in range(batch):
        frames = _frames_numpy(x[b], win, hop, fe.window.numpy())
        energy = np.array([[np.sum(np.convolve(f, k, mode="full") ** 2) for k in kernels]
                           for f in frames])
        expected = np.log(energy / (win - kernel + 1) + fe.compression.eps).T
        np.testing.assert_allclose(got[b], expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("sample_rate, win, hop, kernel",
                         [(8000, 200, 80, 33), (16000, 400, 160, 129), (44100, 2048, 1024, 705)])
def test_time_path_equals_valid_convolution(sample_rate, win, hop, kernel, rng):
    fe = CosGaussFrontEnd(6, sample_rate, win, hop, kernel, path="time", compression="log").double()
    x = rng.standard_normal((2, win + 2 * hop))
    with torch.no_grad():
        got = fe(torch.from_numpy(x)).numpy()
    s = np.sort(1 / (1 + np.exp(-fe.filterbank.mu.detach().numpy())))
    kernels = _kernels_numpy(s, kernel)
    for b in range(2):
        frames = _frames_numpy(x[b], win, hop, fe.window.numpy())
        energy = np.array([[np.mean(np.convolve(f, k, mode="valid") ** 2) for k in kernels]
                           for f in frames])
        np.testing.assert_allclose(got[b], np.log(energy + fe.compression.eps).T,
                                   rtol=1e-10, atol=1e-10)


def _periodised_kernels(s, width, n_fft):
    """The untruncated filters sampled over +-40 periods and folded to one period of n_fft."""
    t = np.arange(-40 * n_fft, 40 * n_fft + 1)
    long = np.cos(np.pi * s[:, None] * t) * np.exp(-t**2 / (2 * width[:, None] ** 2))
    return np.stack([np.bincount(t % n_fft, weights=k, minlength=n_fft) for k in long])


@pytest.mark.parametrize("sample_rate, win, hop, kernel",
                         [(8000, 200, 80, 33), (16000, 742, 371, 257), (44100, 2048, 1024, 705)])
@pytest.mark.parametrize("compression", ["log", "relative"])
def test_analytic_path_equals_circular_convolution(sample_rate, win, hop, kernel, compression,
                                                   rng):
    fe = CosGaussFrontEnd(6, sample_rate, win, hop, kernel, path="analytic",
                          compression=compression).double()
    assert fe.n_fft == fft_length(win, 1)  # as long as the frame, no room for the kernel
    x = rng.standard_normal((2, win + 2 * hop))
    with torch.no_grad():
        energy = fe.energy(torch.from_numpy(x)).numpy()
    s = np.sort(1 / (1 + np.exp(-fe.filterbank.mu.detach().numpy())))
    taper = kernel / (2 * np.sqrt(2 * np.log(2)))  # full width at half maximum = kernel taps
    width = (1 / (10 / s) ** 2 + 1 / taper**2) ** -0.5
    kernels = _periodised_kernels(s, width, fe.n_fft)
    if compression != "log":
        kernels /= np.linalg.norm(kernels, axis=1, keepdims=True)
    spectra = np.fft.fft(kernels)
    for b in range(2):
        frames = _frames_numpy(x[b], win, hop, fe.window.numpy())
        padded = np.fft.fft(frames, n=fe.n_fft)
        outputs = np.fft.ifft(padded[:, None, :] * spectra[None], axis=-1).real  # circular conv
        expected = (outputs**2).sum(-1) / win
        np.testing.assert_allclose(energy[b], expected.T, rtol=1e-9, atol=1e-12)


def test_analytic_path_passes_white_noise_flat_and_reports_its_responses():
    fe = CosGaussFrontEnd(40, 16000, 742, 371, 257, path="analytic").double()
    gain = fe.analytic_gain().detach().numpy()
    # white noise of unit variance: E|X_k|^2 = sum of the squared window, the same for every bin
    white = (fe.window.double().numpy() ** 2).sum() * gain.sum(axis=1)
    np.testing.assert_allclose(white, white[0], rtol=1e-9)
    freqs, magnitude = fe.frequency_response(4096)
    assert magnitude.shape == (40, 2049) and freqs[-1] == 8000
    peaks = freqs[magnitude.argmax(axis=1)]
    np.testing.assert_allclose(peaks, fe.centre_frequencies(), atol=16000 / 4096)
    # no side lobes: each response falls monotonically away from its peak
    for row, top in zip(magnitude, magnitude.argmax(axis=1)):
        assert np.all(np.diff(row[top:]) <= 1e-12) and np.all(np.diff(row[:top + 1]) >= -1e-12)


def _signals(sample_rate, seconds, rng):
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return {
        "noise": 0.1 * rng.standard_normal(t.size),
        "tone": 0.5 * np.sin(2 * np.pi * 1000 * t),
        "chirp": 0.5 * chirp(t, 100, t[-1], 0.45 * sample_rate),
    }


# Measured |log E_fft - log E_time| at the paper's setting (44.1 kHz, 2048/1024, 705 taps,
# 80 mel-initialised filters, eps 1e-6, 1 s), as (mean over all bins, mean over the bins within
# 30 dB of their frame's strongest filter): noise 0.049 / 0.049, tone 2.46 / 0.25,
# chirp 2.27 / 0.20. Far from a tone the valid convolution sees almost nothing while the full one
# also counts the broadband edge transients, hence the large gap in those near-silent bins.
# Bounds leave headroom without hiding a wrong path.
GAP_BOUNDS = {"noise": (0.1, 0.1), "tone": (3.0, 0.35), "chirp": (3.0, 0.3)}


def _gaps_to_time_path(path, compression, kind, rng):
    """Mean |map - time-path map| over all bins and over those within 30 dB of the frame's top."""
    other = CosGaussFrontEnd(80, 44100, 2048, 1024, 705, path=path, compression=compression)
    time = CosGaussFrontEnd(80, 44100, 2048, 1024, 705, path="time", compression=compression)
    x = torch.as_tensor(_signals(44100, 1.0, rng)[kind], dtype=torch.float32)[None]
    with torch.no_grad():
        ref = time(x)
        gap = (other(x) - ref).abs()
    strong = ref > ref.amax(dim=1, keepdim=True) - np.log(1e3)
    return gap.mean(), gap[strong].mean()


@pytest.mark.parametrize("kind", sorted(GAP_BOUNDS))
def test_gap_between_paths_is_the_measured_one(kind, rng):
    gap_all, gap_strong = _gaps_to_time_path("fft", "log", kind, rng)
    bound_all, bound_strong = GAP_BOUNDS[kind]
    assert gap_all < bound_all
    assert gap_strong < bound_strong
    assert gap_strong > 0.01  # the two really differ: the full convolution counts edges


# Measured |map_analytic - map_time| with compression="relative", same setting as above, as
# (mean over all bins, mean over the bins within 30 dB of their frame's strongest filter):
# noise 0.185 / 0.185, chirp 2.99 / 0.59. Untruncated, side-lobe free filters: near silence
# they see far less than the truncated kernels' leakage.
ANALYTIC_GAP_BOUNDS = {"noise": (0.25, 0.25), "chirp": (3.5, 0.8)}


@pytest.mark.parametrize("kind", sorted(ANALYTIC_GAP_BOUNDS))
def test_gap_between_analytic_and_time_paths_is_the_measured_one(kind, rng):
    gap_all, gap_strong = _gaps_to_time_path("analytic", "relative", kind, rng)
    bound_all, bound_strong = ANALYTIC_GAP_BOUNDS[kind]
    assert gap_all < bound_all
    assert 0.05 < gap_strong < bound_strong


@pytest.mark.parametrize("width", ["paper", "mel"])
@pytest.mark.parametrize("learn_bandwidth", [False, True])
def test_gradcheck_of_the_analytic_path(width, learn_bandwidth):
    fe = CosGaussFrontEnd(5, 8000, 64, 32, 17, path="analytic", width=width,
                          learn_bandwidth=learn_bandwidth).double()
    x = torch.randn(2, 200, dtype=torch.float64)
    names = ["filterbank.mu"] + (["filterbank.log_width"] if learn_bandwidth else [])
    params = dict(fe.named_parameters())
    inputs = tuple(params[n].detach().clone().requires_grad_(True) for n in names)
    forward = lambda *p: torch.func.functional_call(fe, dict(zip(names, p)), (x,))  # noqa: E731
    assert torch.autograd.gradcheck(forward, inputs, eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("path", ["fft", "time"])
@pytest.mark.parametrize("learn_bandwidth", [False, True])
def test_gradcheck_wrt_centre_frequencies(path, learn_bandwidth):
    fe = CosGaussFrontEnd(5, 8000, 64, 32, 17, path=path, learn_bandwidth=learn_bandwidth,
                          compression="log").double()
    x = torch.randn(2, 200, dtype=torch.float64)
    params = [fe.filterbank.mu] + ([fe.filterbank.log_width] if learn_bandwidth else [])
    inputs = tuple(p.detach().clone().requires_grad_(True) for p in params)
    assert torch.autograd.gradcheck(lambda *p: _forward_with(fe, x, *p), inputs,
                                    eps=1e-6, atol=1e-5)


def _forward_with(fe, x, mu, log_width=None):
    """The front end's forward with its parameters replaced by differentiable inputs."""
    fb = fe.filterbank
    s, order = torch.sort(torch.sigmoid(mu))
    width = 10.0 / s[:, None]
    if log_width is not None:
        width = width * torch.exp(log_width[order])[:, None]
    kernels = torch.cos(np.pi * s[:, None] * fb.taps) * torch.exp(-fb.taps**2 / (2 * width**2))
    frames = frame_signal(x, fe.win_length, fe.hop_length) * fe.window
    energy = fft_energy(frames, kernels) if fe.path == "fft" else time_energy(frames, kernels)
    return torch.log(energy + fe.compression.eps)


def test_forward_with_matches_module():
    fe = CosGaussFrontEnd(5, 8000, 64, 32, 17, learn_bandwidth=True, compression="log").double()
    with torch.no_grad():
        fe.filterbank.log_width.uniform_(-0.3, 0.3)
    x = torch.randn(2, 200, dtype=torch.float64)
    fb = fe.filterbank
    torch.testing.assert_close(_forward_with(fe, x, fb.mu, fb.log_width).transpose(1, 2), fe(x))


def test_gradient_reaches_mu_through_the_module():
    fe = CosGaussFrontEnd(8, 16000, 400, 160, 129)
    fe(torch.randn(2, 4000)).sum().backward()
    assert fe.filterbank.mu.grad is not None and torch.all(fe.filterbank.mu.grad != 0)


@pytest.mark.parametrize("n_samples", [1, 5, 399, 400, 401, 4001])
@pytest.mark.parametrize("front", ["fft", "time", "mel"])
def test_shapes_for_odd_lengths_and_short_clips(n_samples, front):
    if front == "mel":
        fe = LogMelFrontEnd(10, 16000, 400, 160)
    else:
        fe = CosGaussFrontEnd(10, 16000, 400, 160, 129, path=front)
    out = fe(torch.randn(1, n_samples))
    assert out.shape == (1, 10, n_frames(n_samples, 400, 160))
    assert torch.isfinite(out).all()


def test_window_is_hamming():
    fe = CosGaussFrontEnd(4, 8000, 200, 80, 33)
    np.testing.assert_allclose(fe.window.numpy(), np.hamming(200), atol=1e-7)


def test_n_frames_and_framing_is_a_view():
    x = torch.arange(1000.0)[None]
    frames = frame_signal(x, 100, 30)
    assert frames.shape == (1, n_frames(1000, 100, 30), 100) == (1, 31, 100)
    assert frames.data_ptr() == x.data_ptr()  # no copy
    assert torch.equal(frames[0, 2], x[0, 60:160])
    assert n_frames(50, 100, 30) == 1


def test_filters_sorted_and_centre_frequencies_in_hz():
    fb = CosGaussFilterbank(6, 129, 16000, init="random")
    with torch.no_grad():
        fb.mu.copy_(torch.tensor([2.0, -1.0, 0.5, -3.0, 1.0, 0.0]))
    hz = fb.centre_frequencies()
    assert np.all(np.diff(hz) > 0)
    np.testing.assert_allclose(hz[0], 8000 / (1 + np.exp(3.0)), rtol=1e-6)
    # the response of each kernel peaks at its centre frequency
    freqs, mag = fb.frequency_response(n_fft=16384)
    peaks = freqs[mag.argmax(axis=1)]
    np.testing.assert_allclose(peaks[2:], hz[2:], rtol=0.02)


@pytest.mark.parametrize("init", ["mel", "uniform", "random"])
def test_initialisations(init):
    fb = CosGaussFilterbank(20, 257, 16000, init=init)
    hz = fb.initial_centre_frequencies()
    assert hz.shape == (20,) and np.all(np.diff(hz) >= 0) and 0 < hz[0] and hz[-1] < 8000
    np.testing.assert_allclose(hz, fb.centre_frequencies(), rtol=1e-5)
    if init == "uniform":
        np.testing.assert_allclose(np.diff(hz), np.diff(hz)[0], rtol=1e-3)
    if init == "mel":
        assert np.diff(hz)[-1] > 5 * np.diff(hz)[0]  # denser at low frequencies


def test_bandwidth_is_tied_to_centre_frequency_in_hz():
    """The same centre in Hz gives the same response at any sample rate."""
    widths = []
    for sr in (16000, 44100):
        fb = CosGaussFilterbank(1, round(0.016 * sr) | 1, sr)
        with torch.no_grad():
            s = 2000 / (sr / 2)
            fb.mu.fill_(float(np.log(s / (1 - s))))
        freqs, mag = fb.frequency_response(n_fft=1 << 16)
        above = freqs[mag[0] > mag[0].max() / 2]
        widths.append(above[-1] - above[0])
    np.testing.assert_allclose(widths[0], widths[1], rtol=0.02)


def test_filterbank_refuses_forward_and_bad_arguments():
    fb = CosGaussFilterbank(4, 33, 8000)
    with pytest.raises(RuntimeError, match="CosGaussFrontEnd"):
        fb(torch.zeros(1, 10))
    with pytest.raises(ValueError, match="init must be one of"):
        CosGaussFilterbank(4, 33, 8000, init="linear")
    with pytest.raises(ValueError,
                       match="kernel_size must be between 1 and win_length - 1 = 99, got 101"):
        CosGaussFrontEnd(4, 8000, 100, 50, 101)
    with pytest.raises(ValueError, match="path must be one of"):
        CosGaussFrontEnd(4, 8000, 100, 50, 33, path="freq")
    with pytest.raises(ValueError, match="n_fft must be at least"):
        fft_energy(torch.zeros(1, 100), torch.zeros(2, 33), n_fft=120)


def test_fft_length_is_long_enough_and_fast():
    n = fft_length(2048, 705)
    assert n >= 2048 + 705 - 1
    factors = n
    for p in (2, 3, 5):
        while factors % p == 0:
            factors //= p
    assert factors == 1


@pytest.mark.parametrize("path", PATHS)
def test_chunked_front_end_equals_one_pass(path):
    torch.manual_seed(0)
    chunked = CosGaussFrontEnd(8, 16000, 400, 160, 129, path=path, chunk_samples=7 * 2 * 600)
    whole = CosGaussFrontEnd(8, 16000, 400, 160, 129, path=path, chunk_samples=2**30)
    whole.load_state_dict(chunked.state_dict())
    chunked, whole = chunked.double(), whole.double()
    x = torch.randn(2, 16000, dtype=torch.float64)
    out_chunked, out_whole = chunked(x), whole(x)
    torch.testing.assert_close(out_chunked, out_whole)
    # gradients to the filterbank agree too
    out_chunked.square().sum().backward()
    out_whole.square().sum().backward()
    torch.testing.assert_close(chunked.filterbank.mu.grad, whole.filterbank.mu.grad)


def test_chunked_mel_front_end_equals_one_pass():
    chunked = LogMelFrontEnd(20, 16000, 400, 160, chunk_samples=7 * 2 * 400)
    whole = LogMelFrontEnd(20, 16000, 400, 160, chunk_samples=2**30)
    x = torch.randn(2, 16000, dtype=torch.float64)
    chunked, whole = chunked.double(), whole.double()
    assert torch.equal(chunked.power_spectra(x), whole.power_spectra(x))
    torch.testing.assert_close(chunked(x), whole(x))
    torch.testing.assert_close(chunked.from_spectra(chunked.power_spectra(x)), whole(x))


def test_log_mel_front_end_matches_numpy(rng):
    from sklearn_mhr.nn.melscale import mel_filter_matrix

    fe = LogMelFrontEnd(20, 16000, 400, 160, compression="log").double()
    x = rng.standard_normal(4000)
    with torch.no_grad():
        got = fe(torch.from_numpy(x)[None])[0].numpy()
    frames = _frames_numpy(x, 400, 160, fe.window.numpy())
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 / 400
    expected = np.log(power @ mel_filter_matrix(20, 400, 16000).T + 1e-6).T
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert not list(fe.parameters())


@pytest.mark.parametrize("path", ["fft", "analytic"])
def test_inference_keeps_the_filter_weights_only_while_the_parameters_keep_their_values(path):
    torch.manual_seed(0)
    fe = CosGaussFrontEnd(8, 16000, 400, 160, 129, path=path, learn_bandwidth=True)
    x = torch.randn(2, 4000)
    calls = []
    compute = fe._compute_gain_t
    fe._compute_gain_t = lambda: calls.append(1) or compute()
    with torch.no_grad():
        first = fe(x)
        assert torch.equal(fe(x), first) and len(calls) == 1  # reused
        # a change that bypasses autograd's version counter is still seen
        fe.filterbank.mu.data[3] += 0.05
        changed = fe(x)
        fe.filterbank.log_width.data[0] = 0.2
        widened = fe(x)
    assert len(calls) == 3
    assert not torch.equal(changed, first) and not torch.equal(widened, changed)
    # the kept weights are exactly those computed afresh, with autograd on
    torch.testing.assert_close(fe(x), widened, rtol=0, atol=0)
    assert len(calls) == 4
    # another dtype is another set of weights
    with torch.no_grad():
        as_double = fe.double()(x.double())
    assert as_double.dtype == torch.float64 and len(calls) == 5


def test_training_never_uses_kept_filter_weights():
    fe = CosGaussFrontEnd(8, 16000, 400, 160, 129, path="analytic")
    x = torch.randn(2, 4000)
    with torch.no_grad():
        fe(x)
    fe(x).sum().backward()  # weights kept without autograd carry no graph
    assert fe.filterbank.mu.grad is not None and torch.all(fe.filterbank.mu.grad != 0)
