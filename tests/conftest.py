"""Shared fixtures (seeded data) and the hypothesis profiles."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr
from hypothesis import settings

import lvdyn

# Property tests draw their examples from a fixed seed in CI (the same examples on every run,
# so a red build is reproducible and never flaky), and from fresh random seeds elsewhere,
# with failures saved in .hypothesis/ and replayed first on the next run. HYPOTHESIS_PROFILE
# picks one explicitly.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def small_traces() -> xr.Dataset:
    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(2, 6, 3))
    return lvdyn.make_traces(
        x,
        step=np.arange(0, 60, 10),
        component=[1, 2, 3],
        run=["a", "b"],
        seed=[0, 1],
        train_loss=np.linspace(1, 0, 12).reshape(2, 6),
    )
