"""Shared type aliases: array-like inputs and the interface of a fitted ODE model.

The analysis, fitting and readout functions accept any object with the fitted-model
interface (`FittedODEModel`); `LotkaVolterraLike` and `LinearLike` name the parameters
that select the exact Lotka-Volterra and linear methods. The protocols are checked
structurally: ``isinstance(model, LotkaVolterraLike)`` tests for the attributes.

Examples
--------
>>> import lvdyn
>>> model = lvdyn.LotkaVolterra.from_params([1.0], [[-1.0]])
>>> isinstance(model, FittedODEModel), isinstance(model, LotkaVolterraLike)
(True, True)
>>> isinstance(model, LinearLike)
False
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "ArrayLike",
    "FittedODEModel",
    "LinearLike",
    "LotkaVolterraLike",
    "SimulatingODEModel",
]

#: Anything numpy turns into an array: lists, tuples, scalars, arrays, DataArrays.
ArrayLike: TypeAlias = npt.ArrayLike


@runtime_checkable
class FittedODEModel(Protocol):
    """A fitted model of ``dx/dt = f(x)``: lvdyn's `LinearODE`, `LotkaVolterra`, `SINDy`."""

    n_features_in_: int

    def rhs(self, x: Any) -> np.ndarray:
        """``f(x)`` for one state (K,) or a batch (n, K)."""

    def jacobian(self, x: Any) -> np.ndarray:
        """``df/dx`` at one state, shape (K, K)."""


@runtime_checkable
class SimulatingODEModel(FittedODEModel, Protocol):
    """A fitted model that also integrates itself (every lvdyn estimator does)."""

    def simulate(self, x0: Any, steps: Any, **options: Any) -> np.ndarray:
        """States at ``steps`` integrated from ``x0``, shape (len(steps), K)."""


@runtime_checkable
class LotkaVolterraLike(FittedODEModel, Protocol):
    """A fitted model with Lotka-Volterra parameters ``dx_i/dt = x_i (r_i + (A x)_i)``."""

    growth_rates_: np.ndarray
    interaction_matrix_: np.ndarray


@runtime_checkable
class LinearLike(FittedODEModel, Protocol):
    """A fitted model with linear parameters ``dx/dt = A x + b``."""

    A_: np.ndarray
    b_: np.ndarray
