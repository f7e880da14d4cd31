"""Access to fitted models by their interface: which family, parameters, labels, restriction.

Analysis works with anything that has the fitted-model interface (`FittedODEModel`:
``rhs``, ``jacobian``, ``n_features_in_``). A model with Lotka-Volterra
parameters (`LotkaVolterraLike`) is treated as Lotka-Volterra, one with linear parameters
(`LinearLike`) as linear; anything else (SINDy) is generic and analysed numerically through
``rhs`` and ``jacobian`` only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lvdyn.core._types import ArrayLike, FittedODEModel, LinearLike, LotkaVolterraLike
from lvdyn.models import LinearODE, LotkaVolterra

__all__ = ["component_labels", "family", "lv_params", "linear_params", "restrict"]

Family = Literal["lotka_volterra", "linear", "generic"]


def family(model: FittedODEModel) -> Family:
    """The model family: ``"lotka_volterra"``, ``"linear"`` or ``"generic"``."""
    if not isinstance(model, FittedODEModel):
        raise ValueError(
            "`model` must be a fitted lvdyn model (with rhs, jacobian and n_features_in_); "
            f"got {type(model).__name__}. Fit it first, or build it with from_params."
        )
    if isinstance(model, LotkaVolterraLike):
        return "lotka_volterra"
    if isinstance(model, LinearLike):
        return "linear"
    return "generic"


def lv_params(model: FittedODEModel) -> tuple[np.ndarray, np.ndarray]:
    """``(r, A)`` of a Lotka-Volterra model as float arrays."""
    if not isinstance(model, LotkaVolterraLike):
        raise ValueError(f"`model` must be a Lotka-Volterra model; got {type(model).__name__}.")
    return (
        np.asarray(model.growth_rates_, dtype=np.float64),
        np.asarray(model.interaction_matrix_, dtype=np.float64),
    )


def linear_params(model: FittedODEModel) -> tuple[np.ndarray, np.ndarray]:
    """``(A, b)`` of a linear model as float arrays."""
    if not isinstance(model, LinearLike):
        raise ValueError(f"`model` must be a linear model; got {type(model).__name__}.")
    return np.asarray(model.A_, dtype=np.float64), np.asarray(model.b_, dtype=np.float64)


def component_labels(model: FittedODEModel, labels: ArrayLike | None = None) -> np.ndarray:
    """Component labels: ``labels`` if given, else the ``component_labels_`` that
    `fit_traces` and `load_model` store, else ``feature_names_in_``, else 0..K-1."""
    n = int(model.n_features_in_)
    if labels is None:
        for attribute in ("component_labels_", "feature_names_in_"):
            stored = getattr(model, attribute, None)
            if stored is not None and np.shape(stored) == (n,):
                return np.asarray(stored)
        return np.arange(n)
    array = np.asarray(labels)
    if array.shape != (n,):
        raise ValueError(
            f"`labels` must hold one label per component ({n}); got shape {array.shape}. "
            "Pass the component coordinate of the traces the model was fitted on."
        )
    return array


def restrict(model: FittedODEModel, keep: np.ndarray) -> FittedODEModel:
    """A new model on the components ``keep`` (the others removed, i.e. held at zero)."""
    kind = family(model)
    index = np.flatnonzero(keep)
    if kind == "lotka_volterra":
        r, A = lv_params(model)
        return LotkaVolterra.from_params(r[index], A[np.ix_(index, index)])
    if kind == "linear":
        A, b = linear_params(model)
        return LinearODE.from_params(A[np.ix_(index, index)], b[index])
    raise ValueError(
        f"removing components needs a linear or Lotka-Volterra model; got {type(model).__name__}."
    )
