"""What a fitted model says, in one record: its equations, where it settles, its stability
and the components that survive there. `lvdyn analyze` prints it; `lvdyn report` shows it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lvdyn.core._types import FittedODEModel

__all__ = ["ModelSummary", "summarize_model"]


@dataclass(frozen=True)
class ModelSummary:
    """The analysis of one fitted model (plain Python values, ready for JSON)."""

    model: str
    labels: list[Any]
    symbols: str | None
    equations: list[str]
    equilibria_status: str
    settled_state: list[float] | None
    stability: str | None
    max_real_eigenvalue: float | None
    survivors: list[Any] | None
    parameters: dict[str, Any]
    fit: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (for ``--json``)."""
        return asdict(self)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _parameters(model: Any) -> dict[str, Any]:
    """The fitted parameters as nested lists (rows follow ``labels``)."""
    from lvdyn.analysis._models import family, linear_params, lv_params

    kind = family(model)
    if kind == "lotka_volterra":
        r, A = lv_params(model)
        return {"r": r.tolist(), "A": A.tolist()}
    if kind == "linear":
        A, b = linear_params(model)
        return {"A": A.tolist(), "b": b.tolist()}
    if hasattr(model, "coef_") and hasattr(model, "feature_names_"):
        return {
            "coef": np.asarray(model.coef_, dtype=np.float64).tolist(),
            "terms": [str(t) for t in model.feature_names_],
        }
    return {}


def summarize_model(model: FittedODEModel, *, precision: int = 3) -> ModelSummary:
    """Equations, the settled state, its stability and the predicted survivors of ``model``.

    Components are named by the model's ``component_labels_`` (as in `lvdyn.equations`);
    ``symbols`` says which symbol stands for which label where they differ.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-2.0, -1.0]])
    >>> summary = summarize_model(model)
    >>> summary.stability, summary.survivors
    ('stable node', [0])
    """
    from lvdyn.analysis import find_equilibria, predict_survivors, stability
    from lvdyn.analysis._equilibria import settled_state
    from lvdyn.analysis._models import component_labels
    from lvdyn.symbolic import equations
    from lvdyn.traces._symbols import symbol_mapping

    label_list = [_plain(v) for v in component_labels(model).tolist()]
    lines = equations(model, precision=precision)
    equilibria = find_equilibria(model)
    state = settled_state(equilibria)
    spectrum = stability(model, state) if state is not None else None
    try:
        alive = np.asarray(predict_survivors(model), dtype=bool)
    except (ValueError, RuntimeError):
        alive = None
    return ModelSummary(
        model=type(model).__name__,
        labels=label_list,
        symbols=symbol_mapping(label_list),
        equations=lines,
        equilibria_status=str(equilibria.attrs.get("status", "")),
        settled_state=None if state is None else state.tolist(),
        stability=None if spectrum is None else str(spectrum.attrs.get("classification", "")),
        max_real_eigenvalue=None
        if spectrum is None
        else float(np.max(spectrum["eigenvalue_real"].values)),
        survivors=None
        if alive is None
        else [label for label, a in zip(label_list, alive, strict=True) if a],
        parameters=_parameters(model),
        fit=dict(getattr(model, "fit_info_", None) or {}),
    )
