"""Shared pytest set-up: keep torch to the machine's cores and the tests deterministic where possible."""

import os

import pytest
import torch

# Tests are written for a 2-core CPU machine; more threads only adds contention between test processes.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
