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
