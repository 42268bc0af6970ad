import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def seeds_fixed():
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
