"""Survivors from a prefix with the mean-field Lotka-Volterra model (`lvdyn.MeanFieldLV`).

The shared parameters (self-limitation ``a``, competition ``c``, floor ``f``) come from
runs other than the one predicted: ``train`` runs when given, else coefficients that ship
with lvdyn for modular addition at the paper's settings (`SHIPPED_COEFFICIENTS`), else (with
a warning) the prefixes being predicted themselves. Each run's growth rates come from its
own prefix; the decay ``lambda`` is the optimiser's decoupled weight decay,
``lr * weight_decay``, when the traces record both (``0`` otherwise).
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.fitting import fit_traces
from lvdyn.fitting._design import traces_design
from lvdyn.models import MeanFieldLV
from lvdyn.traces._rules import SurvivalRule

__all__ = [
    "SHIPPED_COEFFICIENTS",
    "MeanFieldRangeWarning",
    "fit_mean_field",
    "mean_field_decay",
    "prefix_growth_model",
    "shipped_mean_field",
]

#: Resource file (in ``lvdyn.prediction``) of the coefficients fitted on lvdyn's own runs.
SHIPPED_COEFFICIENTS = "mean_field_modadd.json"

#: Fraction of the prefix (at its end) whose samples estimate a run's growth rates.
GROWTH_WINDOW = 0.4


class MeanFieldRangeWarning(UserWarning):
    """The shipped coefficients were fitted on runs with other settings than these traces."""


def mean_field_decay(ds: xr.Dataset) -> float:
    """``lr * weight_decay`` of the traces (one value for all runs), or 0 without them.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.ones((1, 3, 2)), step=[0, 1, 2], lr=[0.01], weight_decay=[0.5])
    >>> mean_field_decay(ds)
    0.005
    """
    if "lr" not in ds.coords or "weight_decay" not in ds.coords:
        return 0.0
    values = np.unique(np.asarray(ds["lr"].values * ds["weight_decay"].values, dtype=float))
    if values.size != 1:
        raise ValueError(
            "the runs were trained with different lr * weight_decay "
            f"({values.tolist()}); predict each setting separately."
        )
    return float(values[0])


def _learning_window(ds: xr.Dataset) -> tuple[int, None] | None:
    """From the step where the mean training loss has fallen to 1% of its start, if logged.

    Before it the loss drives every component up at once (the fitting phase of training);
    the competition the model describes comes after.
    """
    if "train_loss" not in ds:
        return None
    loss = ds["train_loss"].mean("run").values
    finite = np.isfinite(loss)
    if not finite.any():
        return None
    below = np.flatnonzero(finite & (loss <= 0.01 * loss[finite][0]))
    return (int(ds["step"].values[below[0]]), None) if below.size else None


def fit_mean_field(train: xr.Dataset) -> MeanFieldLV:
    """Fit the shared mean-field parameters on full-length ``train`` runs."""
    model = MeanFieldLV(floor="fit", decay=mean_field_decay(train))
    return fit_traces(model, train, window=_learning_window(train), derivative="central")


@cache
def _shipped() -> dict[str, Any]:
    text = resources.files("lvdyn.prediction").joinpath(SHIPPED_COEFFICIENTS).read_text()
    return dict(json.loads(text))


def shipped_mean_field(ds: xr.Dataset | None = None) -> MeanFieldLV:
    """The shipped mean-field model; warns when ``ds`` was trained with other settings.

    The coefficients were fitted on lvdyn's modular-addition runs listed in the file's
    ``provenance`` (see docs/prediction.md); ``applies_to`` lists the settings they hold for.
    """
    data = _shipped()
    if ds is not None:
        differ = {
            name
            for name, value in data["applies_to"].items()
            if name != "producer"
            and (name not in ds.coords or not np.all(np.asarray(ds[name].values) == value))
        }
        if _producer(ds) != data["applies_to"]["producer"]:
            differ.add("producer")
        if differ:
            warnings.warn(
                f"the shipped mean-field coefficients were fitted on runs with "
                f"{data['applies_to']}; these traces differ in {sorted(differ)}. Pass "
                "`train=` (full-length runs with the same settings) for a model of your own.",
                MeanFieldRangeWarning,
                stacklevel=3,
            )
    return MeanFieldLV.from_params(
        np.zeros(1), a=data["a"], c=data["c"], floor=data["floor"], decay=data["decay"]
    )


def prefix_growth_model(shared: MeanFieldLV, run: xr.Dataset, last: int) -> MeanFieldLV:
    """``shared`` with the growth rates of one run, from its samples up to position ``last``.

    ``run`` holds one run (a ``run`` dimension of length 1). The samples of the last
    `GROWTH_WINDOW` of the prefix (at least three) estimate the rates; derivatives are
    one-sided at the prefix's end, so nothing after it is read.
    """
    steps = run["step"].values
    head = run.isel(step=slice(0, last + 1))
    start = steps[last] - GROWTH_WINDOW * (steps[last] - steps[0])
    first = min(int(np.searchsorted(steps, start)), max(last - 2, 0))
    window = (int(steps[first]), int(steps[last]))
    design = traces_design(head, window=window, derivative="central")
    if shared.n_features_in_ != design.X.shape[1]:
        shared = MeanFieldLV.from_params(
            np.zeros(design.X.shape[1]),
            a=shared.self_limitation_,
            c=shared.competition_,
            floor=shared.floor_,
            decay=shared.decay_,
        )
    return shared.with_growth_rates(shared.estimate_growth_rates(design.X, design.y))


def predict_mean_field(
    head: xr.Dataset,
    *,
    train: xr.Dataset | None,
    rule: SurvivalRule,
    **_: Any,
) -> np.ndarray:
    """Survivors of each run: the support of its model's equilibrium, read by ``rule``."""
    if train is not None:
        shared = fit_mean_field(train)
    elif _shipped()["applies_to"].get("producer") == _producer(head):
        shared = shipped_mean_field(head)
    else:
        warnings.warn(
            "no training runs and no shipped coefficients for these traces: the shared "
            "mean-field parameters are fitted on the prefixes being predicted. Pass "
            "`train=` (full-length runs of the same task) for a better model.",
            MeanFieldRangeWarning,
            stacklevel=3,
        )
        shared = fit_mean_field(head)
    out = []
    for r in range(head.sizes["run"]):
        one = head.isel(run=r)
        last = int(np.flatnonzero(np.isfinite(one["strength"].values).all(axis=1))[-1])
        model = prefix_growth_model(shared, head.isel(run=[r]), last)
        state = model.equilibrium()
        out.append(rule.apply(state, rule.baseline_at(one, last, state)))
    return np.array(out)


def _producer(ds: xr.Dataset) -> str | None:
    try:
        return str(json.loads(str(ds.attrs.get("producer_config", "{}"))).get("producer"))
    except (ValueError, AttributeError):
        return None
