"""Shared fixtures: seeded data built once per session."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn


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
