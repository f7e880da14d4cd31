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
    equations: list[str]
    equilibria_status: str
    settled_state: list[float] | None
    stability: str | None
    max_real_eigenvalue: float | None
    survivors: list[Any] | None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (for ``--json``)."""
        return asdict(self)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def summarize_model(model: FittedODEModel, *, precision: int = 3) -> ModelSummary:
    """Equations, the settled state, its stability and the predicted survivors of ``model``.

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
    from lvdyn.symbolic import equations

    labels = getattr(model, "component_labels_", None)
    names = None if labels is None else [f"x_{v}" for v in np.asarray(labels).tolist()]
    lines = equations(model, precision=precision, labels=names)
    equilibria = find_equilibria(model)
    state = settled_state(equilibria)
    spectrum = stability(model, state) if state is not None else None
    try:
        alive = np.asarray(predict_survivors(model), dtype=bool)
    except (ValueError, RuntimeError):
        alive = None
    label_list = list(labels) if labels is not None else list(range(model.n_features_in_))
    return ModelSummary(
        model=type(model).__name__,
        equations=lines,
        equilibria_status=str(equilibria.attrs.get("status", "")),
        settled_state=None if state is None else state.tolist(),
        stability=None if spectrum is None else str(spectrum.attrs.get("classification", "")),
        max_real_eigenvalue=None
        if spectrum is None
        else float(np.max(spectrum["eigenvalue_real"].values)),
        survivors=None
        if alive is None
        else [_plain(label) for label, a in zip(label_list, alive, strict=True) if a],
    )
