"""Survival rules: named, stored with the traces, resolved once, applied to states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.traces._schema import RUN, STEP

__all__ = [
    "DEFAULT_FRACTION",
    "DEFAULT_RULE",
    "LONG_RUN_RULES",
    "RULES",
    "RULE_ATTRS",
    "SurvivalRule",
    "SurvivalWarning",
    "set_survival_rule",
    "state_rule",
    "survival_rule",
]

RULES = ("2x-mean", "threshold", "fraction-of-max", "top-k")
LONG_RUN_RULES = ("2x-mean", "positive")

#: The rule for traces that name none: a component survives if it ends above
#: `DEFAULT_FRACTION` of the run's strongest component. It marks the winners of an ordinary
#: competition (where losers decline towards zero), which "2x-mean" does not: two of three
#: species cannot both exceed twice the mean.
DEFAULT_RULE = "fraction-of-max"
DEFAULT_FRACTION = 0.1

#: Global attributes through which a producer describes its survival rule.
RULE_ATTRS = (
    "survival_rule",
    "survival_value",
    "survival_baseline",
    "survival_baseline_weight",
)


class SurvivalWarning(UserWarning):
    """A survival rule marks no component, or every component, of a run as surviving."""


@dataclass(frozen=True)
class SurvivalRule:
    """A survival rule resolved for one traces dataset (see `survival_rule`).

    ``baseline`` names the (run, step) variable that replaces the mean of the listed
    components in ``"2x-mean"``; ``weight`` (a number, or the name of a per-run
    coordinate) says how much that baseline moves per unit of each listed component, used
    to carry it to states the traces do not hold (a simulated long-run state). ``origin``
    is ``"argument"``, ``"stored"`` or ``"default"``.
    """

    name: str
    value: float | None = None
    baseline: str | None = None
    weight: float | str | None = None
    origin: str = "argument"

    def describe(self) -> str:
        """The rule as one would write it on the command line (``fraction-of-max:0.1``)."""
        text = self.name if self.value is None else f"{self.name}:{self.value:g}"
        return text if self.baseline is None else f"{text} (mean: {self.baseline})"

    def explain(self) -> str:
        """What it takes to survive, in words (for tables and reports).

        Examples
        --------
        >>> SurvivalRule("fraction-of-max", 0.1).explain()
        "final strength > 0.1 × the run's largest"
        """
        v = self.value
        if self.name == "2x-mean":
            return "final strength > 2 × " + (
                f"the mean in `{self.baseline}`" if self.baseline else "the mean"
            )
        if self.name == "threshold":
            return f"final strength > {v:g}"
        if self.name == "fraction-of-max":
            return f"final strength > {DEFAULT_FRACTION if v is None else v:g} × the run's largest"
        return f"among the {v:g} largest final strengths"

    def apply(self, x: np.ndarray, mean: Any = None) -> np.ndarray:
        """Survivors of states ``x`` (..., component); ``mean`` as returned by `baseline_at`."""
        return _alive(np.asarray(x, dtype=np.float64), mean, self.name, self.value)

    def baseline_at(
        self, run: xr.Dataset, index: int, state: np.ndarray | None = None
    ) -> float | None:
        """The 2x-mean baseline of one run (dims step, component) for ``state``.

        ``None`` when the rule uses the mean of the listed components. Without ``state``
        the stored baseline at step position ``index``; with it, that value carried to
        ``state`` by ``weight`` from the logged state at ``index``.
        """
        if self.baseline is None or self.name != "2x-mean":
            return None
        stored = float(run[self.baseline].values[index])
        if state is None:
            return stored
        logged = run["strength"].values[index]
        weight = self.weight
        if weight is None:  # the baseline moves like the mean of the listed components
            weight = 1.0 / max(int(np.isfinite(logged).sum()), 1)
        elif isinstance(weight, str):
            weight = float(np.asarray(run[weight].values).ravel()[0])
        return stored + float(weight) * float(np.nansum(state) - np.nansum(logged))


def survival_rule(
    ds: xr.Dataset, rule: str | SurvivalRule | None = None, value: Any = None
) -> SurvivalRule:
    """The survival rule for ``ds``: ``rule`` if given, else the stored one, else the default.

    A `SurvivalRule` passed as ``rule`` is returned as it is.

    A producer stores its rule in the attributes `RULE_ATTRS` (see `set_survival_rule`).
    Traces without a stored rule but with ``strength_mean_all`` (modular-addition traces
    written before rules were stored) get ``"2x-mean"`` over that mean; other traces get
    `DEFAULT_RULE` with `DEFAULT_FRACTION`. A given ``rule`` still takes the stored
    ``"2x-mean"`` baseline when it is ``"2x-mean"`` too.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.ones((2, 3)), step=[0, 1])
    >>> survival_rule(ds).describe()
    'fraction-of-max:0.1'
    >>> survival_rule(set_survival_rule(ds, "top-k", value=2)).describe()
    'top-k:2'
    """
    if isinstance(rule, SurvivalRule):
        return rule
    stored = ds.attrs.get("survival_rule")
    baseline = ds.attrs.get("survival_baseline")
    if baseline is None and stored is None and "strength_mean_all" in ds:
        baseline = "strength_mean_all"
    weight = ds.attrs.get("survival_baseline_weight")
    if rule is None and stored is not None:
        rule, origin = str(stored), "stored"
        if value is None:
            value = ds.attrs.get("survival_value")
    elif rule is None:
        rule, origin = ("2x-mean", "stored") if baseline else (DEFAULT_RULE, "default")
        if rule == DEFAULT_RULE and value is None:
            value = DEFAULT_FRACTION
    else:
        origin = "argument"
    if rule not in RULES:
        where = "the traces' attribute `survival_rule`" if origin == "stored" else "`rule`"
        raise ValueError(f"{where} must be one of {RULES}; got {rule!r}.")
    if rule != "2x-mean":
        baseline = weight = None
    elif baseline is not None and baseline not in ds:
        raise ValueError(
            f"the traces' attribute `survival_baseline` names {baseline!r}, which the dataset "
            f"does not hold; it has {sorted(map(str, ds.data_vars))}."
        )
    number = None if value is None else float(value)
    return SurvivalRule(rule, number, baseline, weight, origin)


def set_survival_rule(
    ds: xr.Dataset,
    rule: str,
    *,
    value: float | None = None,
    baseline: str | None = None,
    baseline_weight: float | str | None = None,
) -> xr.Dataset:
    """A copy of ``ds`` that names its survival rule, for `survivors` to use by default.

    Parameters
    ----------
    rule : str
        One of `RULES`.
    value : float, optional
        The rule's parameter.
    baseline : str, optional
        For ``"2x-mean"``: a (run, step) variable to use as the mean (modular addition:
        ``strength_mean_all``, the mean over all p DFT rows).
    baseline_weight : float or str, optional
        How much ``baseline`` changes per unit of each listed component (a number, or the
        name of a per-run coordinate; modular addition: 2 / p).

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.array([[1.0, 1.0, 1.0], [3.0, 2.0, 0.1]]), step=[0, 9])
    >>> lvdyn.survivors(set_survival_rule(ds, "top-k", value=1)).values.tolist()
    [[True, False, False]]
    """
    out = ds.copy()
    for key in RULE_ATTRS:
        out.attrs.pop(key, None)
    out.attrs["survival_rule"] = rule
    if value is not None:
        out.attrs["survival_value"] = value
    if baseline is not None:
        out.attrs["survival_baseline"] = baseline
    if baseline_weight is not None:
        out.attrs["survival_baseline_weight"] = baseline_weight
    survival_rule(out)  # checks the rule names a known rule and an existing baseline
    if baseline is not None and out[baseline].dims != (RUN, STEP):
        raise ValueError(
            f"`baseline` must name a (run, step) variable; {baseline!r} has dims "
            f"{out[baseline].dims}."
        )
    return out


def _alive(x: np.ndarray, mean: np.ndarray | None, rule: str, value: Any) -> np.ndarray:
    """Apply a survival rule to states ``x`` of shape (..., component).

    ``mean`` (shape ``x.shape[:-1]``) is the mean used by ``"2x-mean"``; ``None`` means the
    mean over the components of ``x``.
    """
    filled = np.where(np.isfinite(x), x, -np.inf)
    if rule == "2x-mean":
        if value is not None:
            raise ValueError("`value` is not used by rule '2x-mean'; leave it unset.")
        if mean is None:  # mean over finite components; NaN rows (padding) stay NaN
            count = np.isfinite(x).sum(axis=-1)
            mean = np.where(count > 0, np.nansum(x, axis=-1) / np.maximum(count, 1), np.nan)
        return filled > 2.0 * np.asarray(mean)[..., np.newaxis]
    if rule == "threshold":
        if value is None:
            raise ValueError("rule 'threshold' needs `value`, the absolute strength level.")
        return filled > float(value)
    if rule == "fraction-of-max":
        fraction = DEFAULT_FRACTION if value is None else float(value)
        if not 0 <= fraction <= 1:
            raise ValueError(f"`value` must be a fraction in [0, 1]; got {value!r}.")
        with np.errstate(invalid="ignore"):  # 0 * -inf on all-NaN (padding) rows
            return filled > fraction * filled.max(axis=-1)[..., np.newaxis]
    if rule == "top-k":
        if value is None or int(value) != value or not 0 <= int(value) <= x.shape[-1]:
            raise ValueError(
                f"rule 'top-k' needs `value`, an integer k in [0, {x.shape[-1]}]; got {value!r}."
            )
        order = np.argsort(-filled, axis=-1, kind="stable")[..., : int(value)]
        alive = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(alive, order, True, axis=-1)
        return alive
    raise ValueError(f"`rule` must be one of {RULES}; got {rule!r}.")


def state_rule(state: np.ndarray, rule: str, *, mean: float | None = None) -> np.ndarray:
    """Survivors of one long-run state: ``"2x-mean"`` (``x_i > 2 mean(x)``) or
    ``"positive"`` (``x_i > 1e-6 max |x|``).

    ``mean`` replaces ``mean(x)`` in the 2x-mean rule when the mean is over more rows than
    ``state`` holds (for modular addition: all p DFT rows, the DC row included).

    Examples
    --------
    >>> state_rule(np.array([3.0, 1.0, 0.5, 0.5]), "2x-mean").tolist()
    [True, False, False, False]
    >>> state_rule(np.array([3.0, 1.0]), "2x-mean", mean=0.4).tolist()
    [True, True]
    """
    if rule == "2x-mean":
        return np.asarray(state > 2.0 * (state.mean() if mean is None else mean))
    if rule == "positive":
        return np.asarray(state > 1e-6 * max(float(np.abs(state).max(initial=0.0)), 1e-300))
    raise ValueError(f"`rule` must be one of {LONG_RUN_RULES}; got {rule!r}.")
