"""``ds.lvdyn``: one-line sugar over the public functions, registered once ``import lvdyn``
and xarray have both been imported (`lvdyn.__init__` imports this module then).

Type checkers cannot see accessor attributes, so the functions remain the real API; each
method here only forwards to one of them.

Examples
--------
>>> import numpy as np, lvdyn
>>> ds = lvdyn.make_traces(np.array([[1.0, 1.0, 1.0], [9.0, 0.5, 0.1]]), step=[0, 1])
>>> ds.lvdyn.survivors().values.tolist()
[[True, False, False]]
"""

from __future__ import annotations

import os
from typing import Any

import xarray as xr

__all__ = ["TracesAccessor"]


@xr.register_dataset_accessor("lvdyn")
class TracesAccessor:
    """Verbs on a traces dataset: ``validate``, ``save``, ``fit``, ``simulate``,
    ``survivors``, ``predict``, ``evaluate``, ``plot``."""

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def validate(self) -> xr.Dataset:
        """`lvdyn.validate_traces` (ds)."""
        from lvdyn.traces._schema import validate_traces

        return validate_traces(self._ds)

    def save(self, path: str | os.PathLike[str]) -> Any:
        """`lvdyn.save_traces` (ds, path)."""
        from lvdyn.traces._io import save_traces

        return save_traces(self._ds, path)

    def fit(self, model: Any, **kwargs: Any) -> Any:
        """`lvdyn.fit_traces` (model, ds, ...)."""
        from lvdyn.fitting._fitting import fit_traces

        return fit_traces(model, self._ds, **kwargs)

    def simulate(self, model: Any, steps: Any = None, **kwargs: Any) -> xr.Dataset:
        """`lvdyn.simulate_traces` (model, ds, steps, ...)."""
        from lvdyn.fitting._simulate import simulate_traces

        return simulate_traces(model, self._ds, steps, **kwargs)

    def survivors(self, rule: str | None = None, **kwargs: Any) -> xr.DataArray:
        """`lvdyn.survivors` (ds, rule, ...)."""
        from lvdyn.traces._survival import survivors

        return survivors(self._ds, rule, **kwargs)

    def predict(self, prefix: int, method: str = "classifier", **kwargs: Any) -> xr.DataArray:
        """`lvdyn.predict_survivors_from_prefix` (ds, prefix, method, ...)."""
        from lvdyn.prediction._prediction import predict_survivors_from_prefix

        return predict_survivors_from_prefix(self._ds, prefix, method, **kwargs)

    def evaluate(self, prefixes: Any, methods: Any = None, **kwargs: Any) -> xr.Dataset:
        """`lvdyn.evaluate_survival_prediction` (ds, prefixes, methods, ...)."""
        from lvdyn.prediction._prediction import evaluate_survival_prediction

        return evaluate_survival_prediction(self._ds, prefixes, methods, **kwargs)

    def plot(self, **kwargs: Any) -> Any:
        """`lvdyn.plots.plot_traces` (ds, ...)."""
        from lvdyn.plots import plot_traces

        return plot_traces(self._ds, **kwargs)
