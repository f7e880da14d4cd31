"""A fitted model that blows up stops with a warning and NaN rows, not overflow noise."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn


def test_finite_time_blow_up_stops_cleanly() -> None:
    # x' = x (1 + x) from x(0) = 1 has x(t) = (e^t / 2) / (1 - e^t / 2): infinite at ln 2.
    model = lvdyn.LotkaVolterra.from_params([1.0], [[1.0]])
    times = np.linspace(0.0, 2.0, 41)
    with pytest.warns(RuntimeWarning, match="norm exceeded max_norm") as caught:
        path = model.simulate([1.0], times, max_norm=1e6)
    assert len(caught) == 1  # one clear warning, no overflow or invalid-value warnings
    half = np.exp(times) / 2
    finite = times < np.log(2) - 0.01  # the state passes 1e6 within 1e-6 of ln 2
    # rtol 1e-5: the solver's 1e-8 local tolerance is amplified near the pole, where the
    # sensitivity to earlier errors grows like x^2 (about 500 at the last row, x = 22.7)
    np.testing.assert_allclose(path[finite, 0], half[finite] / (1 - half[finite]), rtol=1e-5)
    assert np.isnan(path[times > np.log(2), 0]).all()


def test_a_stable_model_runs_to_the_end_without_warning() -> None:
    model = lvdyn.LotkaVolterra.from_params([1.0], [[-1.0]])
    path = model.simulate([0.5], np.linspace(0.0, 20.0, 11))
    # logistic growth to the carrying capacity 1
    assert np.isfinite(path).all() and abs(path[-1, 0] - 1.0) < 1e-6
