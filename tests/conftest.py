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


def pytest_collection_modifyitems(items):
    """Mark slow every test that waits on tests/test_cli.py's command-line jobs.

    The first such test runs all of them (about forty commands, each a fresh
    Python process that trains a model or reads a corpus), so ``-m "not slow"``
    leaves them out of a quick local run; CI runs everything.
    """
    for item in items:
        if "cli_jobs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
