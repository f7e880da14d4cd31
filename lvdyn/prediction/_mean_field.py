"""Survivors from a prefix with the mean-field Lotka-Volterra model (`lvdyn.MeanFieldLV`).

The shared parameters (self-limitation ``a``, competition ``c``, floor ``f``, saturation
``K``) come from runs other than the one predicted: ``train`` runs when given, else
coefficients that ship with lvdyn for modular addition at the paper's settings
(`SHIPPED_COEFFICIENTS`), else (with a warning) the prefixes being predicted themselves.
Each run's growth rates come from its own prefix (`lvdyn.prediction._prefix_growth`); the
decay ``lambda`` is the optimiser's decoupled weight decay, ``lr * weight_decay``, when the
traces record both (``0`` otherwise). The survivors are those of the equilibrium the model
reaches from the run's state at the prefix.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.fitting import fit_traces
from lvdyn.models import MeanFieldLV
from lvdyn.prediction._prefix_growth import SharedParameters, prefix_growth_rates
from lvdyn.prediction._prefix_shooting import fit_by_shooting
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


class MeanFieldRangeWarning(UserWarning):
    """The shipped coefficients were fitted on runs with other settings than these traces.

    Silence it where that is intended (for example to study how far they carry):

    >>> import warnings, lvdyn
    >>> warnings.simplefilter("ignore", lvdyn.MeanFieldRangeWarning)
    """


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


def fit_mean_field(
    train: xr.Dataset, *, route: str = "shooting", decay: float | None = None
) -> MeanFieldLV:
    """Fit the shared mean-field parameters on full-length ``train`` runs.

    ``decay``: the known ``lambda``; default `mean_field_decay` of ``train`` (``lr *
    weight_decay``, the pull on a circle's norm; a state that is an energy, such as Clock and
    Pizza's, decays at twice it).

    ``route="derivative"``: derivative matching (`lvdyn.MeanFieldLV.fit`, no saturation),
    from the step where the training loss has fallen to 1 % of its start.
    ``route="shooting"`` (default): from there, ``a``, ``c``, the floor and the saturation
    ``K`` by shooting from prefixes of the runs (`lvdyn.prediction._prefix_shooting`).
    """
    if route not in ("shooting", "derivative"):
        raise ValueError(f"`route` must be 'shooting' or 'derivative'; got {route!r}.")
    model = MeanFieldLV(floor="fit", decay=mean_field_decay(train) if decay is None else decay)
    window = _learning_window(train)
    model = fit_traces(model, train, window=window, derivative="central")
    if route == "derivative":
        return model
    found = fit_by_shooting(train, _shared(model), first_step=None if window is None else window[0])
    return MeanFieldLV.from_params(np.zeros(model.n_features_in_), a=found.a, c=found.c,
                                   floor=found.floor, decay=found.decay,
                                   saturation=found.saturation)  # fmt: skip


def _shared(model: MeanFieldLV) -> SharedParameters:
    return SharedParameters(model.self_limitation_, model.competition_, model.floor_,
                            model.saturation_, model.decay_)  # fmt: skip


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
        np.zeros(1),
        a=data["a"],
        c=data["c"],
        floor=data["floor"],
        decay=data["decay"],
        saturation=data.get("saturation", 0.0),
    )


def prefix_growth_model(shared: MeanFieldLV, run: xr.Dataset, last: int) -> MeanFieldLV:
    """``shared`` with the growth rates of one run, from its samples up to position ``last``.

    ``run`` holds one run (a ``run`` dimension of length 1); its ``loss_push``, when
    logged, calibrates the rates (`lvdyn.prediction._prefix_growth`).
    """
    strength = run["strength"].transpose("run", "step", "component").values
    push = None
    if "loss_push" in run:
        push = run["loss_push"].transpose("run", "step", "component").values
    rates = prefix_growth_rates(strength, run["step"].values, last, _shared(shared), push=push)
    return shared.with_growth_rates(rates[0])


def predict_mean_field(
    head: xr.Dataset,
    *,
    train: xr.Dataset | None,
    rule: SurvivalRule,
    **_: Any,
) -> np.ndarray:
    """Survivors of each run: the support of its model's equilibrium, read by ``rule``."""
    if train is not None:
        shared = _fit_once(train)
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
        state = model.equilibrium(one["strength"].values[last])
        out.append(rule.apply(state, rule.baseline_at(one, last, state)))
    return np.array(out)


#: Shared models fitted during this process, by the content of their training runs.
_FITTED: dict[str, MeanFieldLV] = {}


def _fit_once(train: xr.Dataset) -> MeanFieldLV:
    """`fit_mean_field` of ``train``, fitted once per content (evaluation refits the same
    folds for every prefix)."""
    digest = hashlib.sha256()
    for name in ("strength", "loss_push", "train_loss", "step", "lr", "weight_decay"):
        if name in train.variables:
            digest.update(np.ascontiguousarray(train[name].values).tobytes())
    digest.update(repr(train["run"].values.tolist()).encode())
    key = digest.hexdigest()
    if key not in _FITTED:
        if len(_FITTED) >= 16:
            _FITTED.pop(next(iter(_FITTED)))
        _FITTED[key] = fit_mean_field(train)
    return _FITTED[key]


def _producer(ds: xr.Dataset) -> str | None:
    try:
        return str(json.loads(str(ds.attrs.get("producer_config", "{}"))).get("producer"))
    except (ValueError, AttributeError):
        return None
