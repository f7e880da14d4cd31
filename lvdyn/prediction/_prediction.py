"""Predict the surviving components of each run from the early part of its training.

Methods use only the steps up to the prefix of each run. Trained methods (thresholds and
classifiers) learn from *other* runs, passed as ``train``; `evaluate_survival_prediction`
does this by cross-validation over runs, so no run is scored by a method that saw it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.analysis import MultistabilityWarning, predict_survivors
from lvdyn.core import FitError
from lvdyn.core._types import LotkaVolterraLike, SimulatingODEModel
from lvdyn.fitting import fit_traces
from lvdyn.models import LinearODE, LotkaVolterra
from lvdyn.prediction._mean_field import predict_mean_field
from lvdyn.prediction._prefix_features import FEATURE_NAMES, prefix_features, truncate
from lvdyn.traces._history import add_history
from lvdyn.traces._rules import SurvivalRule, survival_rule
from lvdyn.traces._survival import settle_step, survivors

__all__ = [
    "OPTIONAL_TRAINING",
    "PREDICTION_METHODS",
    "evaluate_survival_prediction",
    "predict_leave_one_run_out",
    "predict_survivors_from_prefix",
]

# --- methods --------------------------------------------------------------------------------


def _last_value(head: xr.Dataset, *, rule: SurvivalRule, **_: Any) -> np.ndarray:
    out = []
    for r in range(head.sizes["run"]):
        one = head.isel(run=r)
        last = np.flatnonzero(np.isfinite(one.strength.values).all(axis=1))[-1]
        out.append(rule.apply(one.strength.values[last], rule.baseline_at(one, last)))
    return np.array(out)


def _fit_and_settle(
    head: xr.Dataset, kind: str, horizon: int | None, rule: SurvivalRule
) -> np.ndarray:
    out = []
    for r in range(head.sizes["run"]):
        one = head.isel(run=[r])
        # Unconstrained: on short prefixes a sign constraint on the diagonal pins weakly
        # identified self-interactions to zero and picks the wrong basin; an unbounded fit is
        # handled in _lv_support.
        # Central differences, whatever the prefix length ("auto" would switch to integral
        # matching below 20 samples): the prefix methods were tuned and measured with them.
        model = fit_traces(
            LotkaVolterra() if kind.startswith("lv") else LinearODE(), one, derivative="central"
        )
        valid = np.isfinite(one.strength.values[0]).all(axis=1)
        last = np.flatnonzero(valid)[-1]
        x_last = one.strength.values[0, last]
        if kind == "lv-equilibrium":
            # x0 picks the basin when the fitted system is multistable (founder control).
            out.append(_lv_support(model, one.isel(run=0), last, rule))
            continue
        span = float((horizon or 10 * int(one.step.values[last])) - one.step.values[last])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            path = model.simulate(x_last, np.array([0.0, max(span, 1.0)]))
        final = path[-1]
        if not np.all(np.isfinite(final)):
            # The fitted model blew up; fall back on its saturated equilibrium when it has one.
            if kind.startswith("lv"):
                out.append(_lv_support(model, one.isel(run=0), last, rule))
            else:
                out.append(np.zeros(final.size, dtype=bool))
            continue
        out.append(rule.apply(final, rule.baseline_at(one.isel(run=0), last, final)))
    return np.array(out)


def _lv_support(
    model: SimulatingODEModel, run: xr.Dataset, last: int, rule: SurvivalRule
) -> np.ndarray:
    """Survivors of a fitted LV model followed from the prefix's last state.

    The support of the stable saturated equilibrium; when the fitted system is multistable
    (the analysis warns), the state reached by simulating from ``x_last`` decides, since the
    basin it starts in matters. If the fitted system has no saturated equilibrium (it grows
    without bound), the survival rule at ``x_last``, the state at step position ``last``
    of ``run``.
    """
    x_last = run.strength.values[last]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MultistabilityWarning)
            # No x0 here: the analysis would then simulate to a long horizon, which for a
            # stiff or unstable fitted system costs minutes; the bounded simulation below
            # runs only when the basin matters.
            support = np.asarray(predict_survivors(model), dtype=bool)
    except (FitError, ValueError):
        return rule.apply(x_last, rule.baseline_at(run, last))
    multistable = any(issubclass(w.category, MultistabilityWarning) for w in caught)
    if not multistable or not isinstance(model, LotkaVolterraLike):
        return support
    rates = np.abs(np.asarray(model.growth_rates_))
    horizon = 200.0 / max(float(rates.max()), 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        final = model.simulate(
            x_last, np.array([0.0, horizon]), rtol=1e-6, atol=1e-9, max_norm=1e6
        )[-1]
    if not np.all(np.isfinite(final)):
        return support
    return rule.apply(final, rule.baseline_at(run, last, final))


def _labels_for(train: xr.Dataset, rule: SurvivalRule) -> np.ndarray:
    labels = survivors(train, rule, warn=False)
    return np.asarray(labels.transpose("run", "component").values)


def _best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold on ``scores`` that maximises pooled F1 on the training runs."""
    candidates = np.unique(scores)
    best, best_f1 = candidates[-1], -1.0
    for t in candidates:
        pred = scores >= t
        tp = np.sum(pred & labels)
        f1 = 2 * tp / max(np.sum(pred) + np.sum(labels), 1)
        if f1 > best_f1:
            best, best_f1 = t, f1
    return float(best)


def _threshold_method(feature: str) -> Callable[..., np.ndarray]:
    def method(
        head: xr.Dataset, *, train: xr.Dataset | None, prefix: int, rule: SurvivalRule, **_: Any
    ) -> np.ndarray:
        train = _require_train(train, feature)
        score_train = prefix_features(train, prefix).sel(feature=feature).values
        threshold = _best_threshold(score_train.ravel(), _labels_for(train, rule).ravel())
        return prefix_features(head, prefix).sel(feature=feature).values >= threshold

    method.__doc__ = f"Threshold on the within-run z-score of `{feature}`, learned on `train`."
    return method


def _classifier(
    head: xr.Dataset,
    *,
    train: xr.Dataset | None,
    prefix: int,
    rule: SurvivalRule,
    seed: int = 0,
    **_: Any,
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = _require_train(train, "classifier")
    X = prefix_features(train, prefix).values.reshape(-1, len(FEATURE_NAMES))
    y = _labels_for(train, rule).ravel()
    if y.all() or not y.any():
        return np.full((head.sizes["run"], head.sizes["component"]), bool(y.all()))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, random_state=seed))
    model.fit(X, y)
    proba_train = model.predict_proba(X)[:, 1]
    threshold = _best_threshold(proba_train, y.astype(bool))
    features = prefix_features(head, prefix).values
    proba = model.predict_proba(features.reshape(-1, len(FEATURE_NAMES)))[:, 1]
    return (proba >= threshold).reshape(features.shape[:2])


def _require_train(train: xr.Dataset | None, name: str) -> xr.Dataset:
    if train is None:
        raise ValueError(
            f"method {name!r} learns from other runs: pass `train=` (a traces dataset of runs "
            "not being predicted, with their full length), or use "
            "evaluate_survival_prediction, which cross-validates over runs."
        )
    return train


#: name -> (function, needs training runs)
PREDICTION_METHODS: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    "last-value": (_last_value, False),
    "lv-equilibrium": (
        lambda head, horizon=None, rule=None, **_: _fit_and_settle(
            head, "lv-equilibrium", horizon, rule
        ),
        False,
    ),
    "lv-simulate": (
        lambda head, horizon=None, rule=None, **_: _fit_and_settle(
            head, "lv-simulate", horizon, rule
        ),
        False,
    ),
    "linear-simulate": (
        lambda head, horizon=None, rule=None, **_: _fit_and_settle(
            head, "linear-simulate", horizon, rule
        ),
        False,
    ),
    "signal": (_threshold_method("initial_signal"), True),
    "gradient": (_threshold_method("early_gradient"), True),
    "growth": (_threshold_method("total_growth"), True),
    "classifier": (_classifier, True),
    "mean-field": (predict_mean_field, True),
}

#: Methods that learn from other runs when given them, and run without (on one run alone).
OPTIONAL_TRAINING = frozenset({"mean-field"})


def predict_survivors_from_prefix(
    ds: xr.Dataset,
    prefix: int,
    method: str = "mean-field",
    *,
    train: xr.Dataset | None = None,
    horizon: int | None = None,
    rule: str | None = None,
    value: float | None = None,
    seed: int = 0,
) -> xr.DataArray:
    """Predict, per run, which components survive, from the steps up to ``prefix`` only.

    Parameters
    ----------
    ds : xarray.Dataset
        Traces of the runs to predict; only the steps ``<= prefix`` are read.
    prefix : int
        Last training step that may be used.
    method : str
        One of `PREDICTION_METHODS`: ``"last-value"`` (the survival rule at the prefix),
        ``"lv-equilibrium"`` (per-run Lotka-Volterra fit, support of its saturated
        equilibrium), ``"lv-simulate"`` / ``"linear-simulate"`` (fit, then simulate to
        ``horizon``), the paper's baselines ``"signal"`` (initial signal) and ``"gradient"``
        (early gradient) with a threshold learned on ``train``, ``"growth"``, and
        ``"classifier"`` (logistic regression on all prefix features, trained on ``train``),
        and ``"mean-field"`` (the default: `lvdyn.MeanFieldLV` with its shared parameters
        fitted on ``train``, or without ``train`` the coefficients shipped for modular
        addition; each run's growth rates from its own prefix; the survivors are the
        support of the model's globally stable equilibrium).
    train : xarray.Dataset, optional
        Other runs, with their full length, for the trained methods.
    horizon : int, optional
        Step to simulate to (default: ten times the prefix).
    rule, value : str, float, optional
        Survival rule (default: the traces' own, see `lvdyn.survivors`) used to label
        ``train`` and to read survivors off a predicted state.

    Returns
    -------
    xarray.DataArray
        Booleans with dims (run, component).
    """
    if method not in PREDICTION_METHODS:
        raise ValueError(f"`method` must be one of {sorted(PREDICTION_METHODS)}; got {method!r}.")
    head = truncate(ds, prefix)
    resolved = survival_rule(ds, rule, value)
    function, _ = PREDICTION_METHODS[method]
    predicted = function(
        head, train=train, prefix=prefix, horizon=horizon, rule=resolved, seed=seed
    )
    return xr.DataArray(
        np.asarray(predicted, dtype=bool),
        dims=("run", "component"),
        coords={"run": ds.run.values, "component": ds.component.values},
        name="predicted_survivor",
        attrs={"method": method, "prefix": int(prefix), "rule": resolved.describe()},
    )


def predict_leave_one_run_out(
    ds: xr.Dataset, prefix: int, method: str, *, rule: str | None = None, value: float | None = None
) -> xr.DataArray:
    """Predictions for each run by ``method``, trained (if it learns) on the other runs."""
    alone = ds.sizes["run"] == 1 and method in OPTIONAL_TRAINING
    if not PREDICTION_METHODS[method][1] or alone:
        return predict_survivors_from_prefix(ds, prefix, method, rule=rule, value=value)
    parts = [
        predict_survivors_from_prefix(
            ds.isel(run=[i]), prefix, method, train=ds.drop_isel(run=i), rule=rule, value=value
        )
        for i in range(ds.sizes["run"])
    ]
    return xr.concat(parts, dim="run").assign_attrs(method=method, prefix=prefix)


def _scores(pred: np.ndarray, true: np.ndarray) -> dict[str, np.ndarray]:
    """Per-run scores; precision, recall and F1 are NaN (undefined) when both sets are empty.

    Examples
    --------
    >>> out = _scores(np.array([[1, 0], [0, 0]], bool), np.array([[1, 1], [0, 0]], bool))
    >>> [round(float(v), 3) for v in out["f1"]], out["exact"].tolist()
    ([0.667, nan], [0.0, 1.0])
    """
    tp = np.sum(pred & true, axis=1).astype(float)
    n_pred, n_true = pred.sum(axis=1), true.sum(axis=1)
    both_empty = (n_pred == 0) & (n_true == 0)
    precision = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0.0)
    recall = np.where(n_true > 0, tp / np.maximum(n_true, 1), 1.0)
    f1 = 2 * tp / np.maximum(n_pred + n_true, 1)
    precision, recall, f1 = (np.where(both_empty, np.nan, v) for v in (precision, recall, f1))
    exact = np.all(pred == true, axis=1).astype(float)
    return dict(precision=precision, recall=recall, f1=f1, exact=exact)


def evaluate_survival_prediction(
    ds: xr.Dataset,
    prefixes: Sequence[int],
    methods: Sequence[str] | None = None,
    *,
    n_folds: int = 5,
    rule: str | None = None,
    value: float | None = None,
    horizon: int | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Score methods against the actual survivors, for several prefix lengths.

    Trained methods are cross-validated over runs (``n_folds`` folds, at most one per run):
    each run is predicted by a method trained on the other folds only.

    Returns
    -------
    xarray.Dataset
        ``precision``, ``recall``, ``f1`` and ``exact`` (exact-set accuracy) with dims
        (predictor, prefix, run), and their mean and standard deviation across runs as
        ``<score>_mean`` and ``<score>_std`` with dims (predictor, prefix). (The dimension
        is not called ``method`` because ``ds.sel(method=...)`` means something else.)
        ``settle_step`` (run) is the step from which each run's survivor set is final (see
        `lvdyn.settle_step`), and the coordinate ``prefix_fraction`` is each prefix divided
        by the median settle step: the scale on which the prediction goal is stated.
        Precision, recall and F1 are NaN for a run where neither set holds a component
        (undefined); the means skip them (NaN when every run is such a run).
        ``rule``, ``value``: the survival rule (default: the traces' own; see
        `lvdyn.survivors`), stored in the ``rule`` attribute.
    """
    methods = list(methods or PREDICTION_METHODS)
    unknown = [m for m in methods if m not in PREDICTION_METHODS]
    if unknown:
        raise ValueError(
            f"`methods` must be names from {sorted(PREDICTION_METHODS)}; got unknown {unknown}."
        )
    prefixes = [int(p) for p in prefixes]
    resolved = survival_rule(ds, rule, value)
    truth = np.asarray(survivors(ds, resolved).transpose("run", "component").values)
    n_run = ds.sizes["run"]
    folds = np.random.default_rng(seed).permutation(n_run) % max(1, min(n_folds, n_run))
    results = {
        name: np.full((len(methods), len(prefixes), n_run), np.nan)
        for name in ("precision", "recall", "f1", "exact")
    }
    for i, method in enumerate(methods):
        trained = PREDICTION_METHODS[method][1]
        for j, prefix in enumerate(prefixes):
            predicted = np.zeros_like(truth)
            for fold in np.unique(folds) if trained else [None]:
                test = np.flatnonzero(folds == fold) if trained else np.arange(n_run)
                train = ds.isel(run=np.flatnonzero(folds != fold)) if trained else None
                if trained and (train is None or train.sizes["run"] == 0):
                    raise ValueError(
                        "cross-validation needs at least 2 runs for trained "
                        f"method {method!r}; got {n_run}."
                    )
                predicted[test] = predict_survivors_from_prefix(
                    ds.isel(run=test),
                    prefix,
                    method,
                    train=train,
                    horizon=horizon,
                    rule=rule,
                    value=value,
                    seed=seed,
                ).values
            for name, values in _scores(predicted, truth).items():
                results[name][i, j] = values
    out = xr.Dataset(
        {name: (("predictor", "prefix", "run"), values) for name, values in results.items()},
        coords={"predictor": methods, "prefix": prefixes, "run": ds.run.values},
    )
    for name in list(results):
        out[f"{name}_mean"] = out[name].mean("run")
        out[f"{name}_std"] = out[name].std("run")
    settled = settle_step(ds, resolved)
    out["settle_step"] = ("run", settled.values)
    out = out.assign_coords(
        prefix_fraction=("prefix", np.asarray(prefixes) / max(float(np.median(settled)), 1.0))
    )
    out["prefix_fraction"].attrs["long_name"] = "prefix / median settle step over runs"
    out.attrs.update(rule=resolved.describe(), n_folds=int(min(n_folds, n_run)))
    return add_history(out, f"evaluate_survival_prediction(prefixes={prefixes}, methods={methods})")
