"""scikit-learn conformance of every estimator, run with ``y`` of shape (n, K).

An lvdyn estimator regresses derivatives ``y`` of shape (n, K) on states ``X`` of shape (n, K):
``y[:, i]`` is the time derivative of ``X[:, i]``. scikit-learn's common checks mostly pass a
1-D ``y`` (or fewer target columns than ``X`` has), which such a model cannot take. So the
checks run on a thin subclass of each estimator (`_Checked`) that changes nothing but that:

- ``fit`` repeats the columns of the check's ``y`` until there is one per state, (n, K);
- ``predict`` returns the columns the check's ``y`` had (column 0 of a 1-D ``y``, raveled);
- for Lotka-Volterra, an ``X`` without negative values is moved up by 1 before it reaches
  the estimator: positive-only checks shift ``X`` to a minimum of exactly 0, and a
  Lotka-Volterra state must be > 0. An ``X`` with negative values passes unchanged, so the
  refusal of negative states is still checked.

Everything else (parameters, validation of ``X``, ``y`` and the weights, fitted attributes,
``predict``'s checks of its input, pickling) is the estimator's own, so every check that can
apply to a derivative regressor runs on the real code, and all of them pass.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import lvdyn


def _n_states(X: Any) -> int | None:
    """The number of columns of ``X``, or None when ``X`` is not a 2-D table."""
    try:
        shape = np.asarray(X).shape
    except ValueError:  # ragged lists
        return None
    return int(shape[1]) if len(shape) == 2 else None


def _like(original: Any, values: np.ndarray) -> Any:
    """``values`` in the container type of ``original`` (list, pandas, array-like wrapper)."""
    if isinstance(original, list):
        return values.tolist()
    if hasattr(original, "iloc"):  # pandas Series or DataFrame
        import pandas as pd

        index = original.index
        if values.ndim == 1:
            return pd.Series(values, index=index)
        columns = getattr(original, "columns", None)
        if columns is not None and len(columns) == values.shape[1]:
            return pd.DataFrame(values, index=index, columns=columns)
        return pd.DataFrame(values, index=index)
    if isinstance(original, np.ndarray):
        if not original.flags.writeable:  # the read-only (memmap) checks
            values.setflags(write=False)
        return values
    return type(original)(values)  # scikit-learn's _NotAnArray


class _Checked:
    """Mixin over an lvdyn estimator: the check's ``y`` repeated into (n, K) columns."""

    _shift_positive = False

    def _states_for(self, X: Any) -> Any:
        if not self._shift_positive or X is None or hasattr(X, "tocsr"):  # sparse: unchanged
            return X
        values = np.asarray(X)
        if values.dtype.kind not in "fiub" and values.dtype != object:  # complex, strings
            return X
        try:
            numbers = values.astype(np.float64)
        except (TypeError, ValueError):  # strings: the estimator's own error is checked
            return X
        if numbers.size == 0 or not np.nanmin(numbers) >= 0:
            return X
        return _like(X, values + 1)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        k = _n_states(X)
        if y is not None and k is not None:
            target = np.asarray(y)
            self._target_columns = None if target.ndim == 1 else target.shape[1]
            columns = target if target.ndim == 2 else target[:, np.newaxis]
            if target.ndim in (1, 2) and columns.shape[1] > 0:
                y = _like(y, np.ascontiguousarray(columns[:, np.arange(k) % columns.shape[1]]))
        return super().fit(self._states_for(X), y, sample_weight)  # type: ignore[misc]

    def predict(self, X: Any) -> np.ndarray:
        rates = super().predict(self._states_for(X))  # type: ignore[misc]
        columns = getattr(self, "_target_columns", None)
        return rates[:, 0] if columns is None else rates[:, :columns]


class CheckedLinearODE(_Checked, lvdyn.LinearODE):
    pass


class CheckedLotkaVolterra(_Checked, lvdyn.LotkaVolterra):
    _shift_positive = True


class CheckedSINDy(_Checked, lvdyn.SINDy):
    pass


ESTIMATORS = [
    CheckedLinearODE(),
    CheckedLinearODE(penalty="elasticnet", alpha=0.01, diagonal="nonpositive"),
    CheckedLotkaVolterra(),
    CheckedLotkaVolterra(penalty="lasso", alpha=0.1),  # 0.01 needs > 5000 sweeps on p > n
    CheckedLotkaVolterra(stability="dissipative"),
    CheckedLinearODE(penalty="ridge", stability="dissipative"),
    CheckedSINDy(),
]


def _expected_failures(estimator: object) -> dict[str, str]:
    """Checks that must fail, with the reason; ``xfail_strict=True`` fails the suite if one
    of them passes, so a stale reason cannot linger."""
    if isinstance(estimator, lvdyn.SINDy):
        return {}
    return {
        # The check's X has two features and expects sample_weight of shape (n, 2) to be
        # refused; LinearODE and LotkaVolterra take (n, K) weights (one column per
        # equation, for per-equation masking), so (n, 2) is valid input here by design.
        "check_sample_weights_shape": "(n, K) per-equation weights are accepted by design",
    }


@parametrize_with_checks(ESTIMATORS, xfail_strict=True, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_predict_refuses_non_finite_one_d_and_misshaped_states() -> None:
    X = np.random.default_rng(0).uniform(0.5, 1.5, size=(12, 3))
    for model in (lvdyn.LinearODE(), lvdyn.LotkaVolterra(), lvdyn.SINDy(degree=1)):
        model.fit(X, X[:, ::-1] * 0.1)
        bad = X.copy()
        bad[4, 2] = np.nan
        with pytest.raises(ValueError, match=r"1 NaN and 0 inf values \(first at row 4, comp"):
            model.predict(bad)
        bad[4, 2] = -np.inf
        with pytest.raises(ValueError, match="0 NaN and 1 inf"):
            model.predict(bad)
        with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
            model.predict(X[0])
        with pytest.raises(ValueError, match=r"X has 2 features, but \w+ is expecting 3"):
            model.predict(X[:, :2])
        np.testing.assert_array_equal(model.predict(X[:1]), model.rhs(X[0])[np.newaxis])


@pytest.mark.parametrize(
    "model",
    [lvdyn.LinearODE(penalty="lasso", alpha=0.01), lvdyn.LotkaVolterra(), lvdyn.SINDy()],
    ids=type,
)
def test_fit_with_distinct_derivative_columns(model) -> None:
    """Pickling, idempotence, sample order and integer weights, on a real (n, K) target."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0.2, 2.0, size=(40, 3))
    truth = lvdyn.LotkaVolterra.from_params(
        [1.0, 0.4, -0.3], [[-1.0, 0.5, 0.0], [-0.2, -0.7, 0.3], [0.6, 0.0, -0.9]]
    )
    Y = truth.rhs(X) + 0.01 * rng.normal(size=X.shape)
    fitted = model.fit(X, Y)
    pred = fitted.predict(X)
    # Round-off only: the same arithmetic on the same (or reordered) numbers.
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), pred)
    np.testing.assert_allclose(model.fit(X, Y).predict(X), pred, rtol=1e-12, atol=1e-12)
    # Coordinate descent visits the coefficients in the same order whatever the order of the
    # samples, so reordered or repeated samples change the fits by round-off only (~1e-12).
    order = rng.permutation(40)
    np.testing.assert_allclose(model.fit(X[order], Y[order]).predict(X), pred, atol=1e-8)
    weight = rng.integers(0, 4, size=40)
    weight[0] = 1
    repeated = model.fit(np.repeat(X, weight, axis=0), np.repeat(Y, weight, axis=0)).predict(X)
    weighted = model.fit(X, Y, sample_weight=weight).predict(X)
    np.testing.assert_allclose(weighted, repeated, atol=1e-8)
    assert not np.allclose(pred[:, 0], pred[:, 1])  # the columns are distinct equations
