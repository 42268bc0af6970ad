"""Checks on the estimator's parameters (sklearn_mhr._params) and the lengths they give."""

import re

import numpy as np
import pytest
from tasks import noise_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr._lengths import sample_lengths


@pytest.fixture(scope="module")
def data():
    return noise_task()


@pytest.mark.parametrize("rate, window, hop, kernel, expected", [
    (16000, 0.0464, 0.0232, 0.016, (742, 371, 257)),
    (44100, 0.0464, 0.0232, 0.016, (2046, 1023, 706 | 1)),
    (8000, 0.004, 1e-9, 0.001, (32, 1, 9)),
])
def test_sample_lengths_round_and_keep_kernels_odd(rate, window, hop, kernel, expected):
    lengths = sample_lengths(rate, window, hop, kernel)
    assert lengths == expected and lengths.kernel_size % 2 == 1

def test_new_parameters_are_checked(data):
    X, y = data
    with pytest.raises(ValueError) as info:
        MHRAudioClassifier(optimizer="rmsprop", lr_schedule="step", mixup_alpha=-1,
                           freq_mask_width=-2, random_crop=0, momentum=1.5,
                           restart_period=0).fit(X, y)
    message = str(info.value)
    for name in ("optimizer", "lr_schedule", "mixup_alpha", "freq_mask_width", "random_crop",
                 "momentum", "restart_period"):
        assert name in message


@pytest.mark.parametrize("params, message", [
    (dict(sample_rate=float("inf")), "sample_rate must be a positive number, got inf"),
    (dict(window_duration=float("inf")), "window_duration must be a positive number, got inf"),
    (dict(lr=float("nan")), "lr must be a positive number, got nan"),
    (dict(random_crop=float("inf")), "random_crop must be None or a positive number, got inf"),
    (dict(device="cudaXYZ"), "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'cudaXYZ'"),
    (dict(device="cuda:"), "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
])
def test_non_finite_numbers_and_malformed_devices_are_refused(data, params, message):
    X, y = data
    with pytest.raises(ValueError, match=re.escape(message)):
        MHRAudioClassifier(**params).fit(X, y)


def test_a_validation_fraction_too_small_to_stratify_names_the_parameter(data):
    X, y = data
    with pytest.raises(ValueError, match=r"validation_fraction=0.01 cannot hold out a stratified "
                                         r"validation set from 24 clips of 3 classes"):
        MHRAudioClassifier(validation_fraction=0.01).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"hop_duration": 1e-9}, r"hop_duration=1e-09 s is under one sample at sample_rate=16000"),
    ({"sample_rate": 10**12}, r"gives frames of 46400000000 samples, more than the 4194304"),
    ({"n_filters": 10**6}, r"n_filters=1000000 exceeds the 372 frequency bins of a frame of 742"),
])
def test_lengths_a_network_cannot_have(params, message):
    X, y = np.zeros((6, 400), np.float32), np.array(list("ababab"))
    with pytest.raises(ValueError, match=message):
        MHRAudioClassifier(**params).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"sample_rate": 8000.5}, r"sample_rate must be a whole number of Hz, as every audio reader "
                              r"takes, got 8000.5"),
    ({"kernel_duration": 1e-9}, r"kernel_duration=1e-09 s gives 1 tap\(s\) at sample_rate=16000; "
                                r"a filter needs at least 5 taps"),
    ({"random_crop": 1e-9}, r"random_crop=1e-09 s is shorter than one window"),
    ({"n_filters": 16, "freq_mask_width": 1000}, r"freq_mask_width=1000 exceeds n_filters=16"),
])
def test_settings_that_make_no_sense_are_refused(params, message):
    X, y = np.zeros((6, 4000), np.float32), np.array(list("ababab"))
    with pytest.raises(ValueError, match=message):
        MHRAudioClassifier(max_epochs=1, **params).fit(X, y)


@pytest.mark.parametrize("params, message", [
    ({"random_crop": 100}, r"random_crop=100 s is longer than the longest training clip "
                           r"\(0.5 s\): every clip would be repeated up to it"),
    ({"time_mask_width": 10**6}, r"time_mask_width=1000000 frames exceeds the 63 frames of the "
                                 r"longest training clip \(0.5 s\); a mask covers at most a fifth "
                                 r"of a clip's frames, so use at most 12"),
    ({"time_mask_width": 30, "random_crop": 0.2}, r"the 26 frames of the longest training crop "
                                                  r"\(0.2 s\).*use at most 5"),
])
def test_settings_longer_than_the_clips_are_refused(data, params, message):
    X, y = data  # 0.5 s at 8 kHz
    with pytest.raises(ValueError, match=message):
        MHRAudioClassifier(**{"sample_rate": 8000, "hop_duration": 0.008,
                              "window_duration": 0.016, "kernel_duration": 0.004,
                              "n_filters": 8, "max_epochs": 1, **params}).fit(X, y)


def test_one_long_clip_warns_of_the_batch_memory_it_takes():
    import warnings

    from sklearn_mhr._fit_lengths import FitMemoryWarning, batch_bytes, warn_if_long_clips

    est = MHRAudioClassifier()  # 16 kHz
    short = [np.zeros(16000, np.float32)] * 40
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_long_clips(est, short, np.arange(40))
    clips = [np.zeros(16000 * 600, np.float32), *short]
    with pytest.warns(FitMemoryWarning, match=r"the longest training clip \(600.0 s, the typical "
                                              r"one 1.0 s\) makes its batch take about [\d.]+ GiB"):
        warn_if_long_clips(est, clips, np.arange(41))
    assert batch_bytes(est, 16000 * 600) > 100 * batch_bytes(est, 16000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # crops bound the batches; a held-out long clip is unseen
        warn_if_long_clips(est.set_params(random_crop=1.0), clips, np.arange(41))
        warn_if_long_clips(est.set_params(random_crop=None), clips, np.arange(1, 41))


def test_fit_warns_before_training_on_a_long_clip(monkeypatch):
    import sklearn_mhr._fit_lengths as fit_lengths

    monkeypatch.setattr(fit_lengths, "_WARN_BYTES", 1)
    X = [np.zeros(4000, np.float32)] * 5 + [np.zeros(40000, np.float32)]
    y = np.array(list("ababab"))
    with pytest.warns(fit_lengths.FitMemoryWarning, match="5.0 s"):
        MHRAudioClassifier(sample_rate=8000, n_filters=8, kernel_duration=0.004, max_epochs=1,
                           head_hidden=4, back_end_width=4).fit(X, y)
