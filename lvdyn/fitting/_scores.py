"""`score_traces`: derivative and trajectory R^2, per component and pooled, with AIC and BIC."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.fitting._derivatives import DerivativeMethod
from lvdyn.fitting._design import Design, Window, select_traces, trace_times
from lvdyn.fitting._fitting import model_design
from lvdyn.fitting._provenance import fit_settings
from lvdyn.fitting._simulate import initial_states
from lvdyn.models import AbstractODEModel, LinearODE, LotkaVolterra, SINDy
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import COMPONENT, RUN, STEP

__all__ = [
    "DerivativeScores",
    "derivative_scores",
    "interaction_sign_score",
    "n_parameters",
    "parameter_scores",
    "score_traces",
]


def n_parameters(model: AbstractODEModel) -> int:
    """Number of nonzero fitted parameters (the ``k`` of AIC and BIC)."""
    if isinstance(model, LinearODE):
        return int(np.count_nonzero(model.A_) + np.count_nonzero(model.b_))
    if isinstance(model, LotkaVolterra):
        return int(
            np.count_nonzero(model.interaction_matrix_) + np.count_nonzero(model.growth_rates_)
        )
    if isinstance(model, SINDy):
        return int(np.count_nonzero(model.coef_))
    raise ValueError(f"`model` must be an lvdyn estimator; got {type(model).__name__}.")


def _r2(
    truth: np.ndarray, pred: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Per-column R^2 and the pooled R^2 (all entries, each column centred on its mean).

    With ``mask`` (n, K), only the entries where it is True count.
    """
    use = np.ones(truth.shape, dtype=bool) if mask is None else mask
    count = use.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, (truth * use).sum(axis=0) / count, 0.0)
    resid = (np.where(use, truth - pred, 0.0) ** 2).sum(axis=0)
    total = (np.where(use, truth - mean, 0.0) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(total > 0, 1.0 - resid / total, np.nan)
    pooled = 1.0 - resid.sum() / total.sum() if total.sum() > 0 else np.nan
    return per, float(pooled)


@dataclass(frozen=True)
class DerivativeScores:
    """How well a fitted model predicts the derivative samples of a `Design`.

    ``r2`` per component and ``r2_pooled`` (see `_r2`); ``aic`` and ``bic`` from the Gaussian
    likelihood of all n residuals, ``n log(RSS / n) + 2k`` and ``n log(RSS / n) + k log n``.
    """

    r2: np.ndarray
    r2_pooled: float
    aic: float
    bic: float
    n_parameters: int


def derivative_scores(model: AbstractODEModel, design: Design) -> DerivativeScores:
    """R^2, AIC and BIC of ``model``'s predicted derivatives on ``design``."""
    pred = model.predict(design.X)
    r2, pooled = _r2(design.y, pred, design.mask)
    n = int(design.mask.sum())
    rss = float((np.where(design.mask, design.y - pred, 0.0) ** 2).sum())
    k = n_parameters(model)
    term = n * np.log(rss / n) if rss > 0 else -np.inf
    return DerivativeScores(r2, pooled, term + 2 * k, term + k * np.log(n), k)


def score_traces(
    model: AbstractODEModel,
    ds: xr.Dataset,
    *,
    window: Window | str = "fit",
    runs: Any = None,
    derivative: str | DerivativeMethod | None = None,
    time: str | None = None,
    simulate: bool = True,
) -> xr.Dataset:
    """Score a fitted model on traces: usually held-out runs (``runs``) or steps (``window``).

    Parameters
    ----------
    model : fitted lvdyn estimator
    ds : xarray.Dataset
        Traces.
    window, runs, derivative, time
        As in `fit_traces`. By default the steps, derivative method and time axis stored with
        the fit (``model.fit_info_``, kept in its file); ``window=None`` scores every step
        and a window of held-out steps scores those. A ``time`` other than the fitted one
        warns (`lvdyn.FitSettingsWarning`): the rates would be in another unit.
    simulate : bool
        Also simulate each run from its first sample in the window and score the trajectory.

    Returns
    -------
    xarray.Dataset
        ``r2_derivative`` and ``r2_trajectory`` per component; ``r2_derivative_pooled``,
        ``r2_trajectory_pooled``, ``aic``, ``bic``, ``n_samples`` and ``n_parameters``.
        AIC and BIC use the Gaussian likelihood of the derivative residuals,
        ``n log(RSS / n) + 2k`` and ``n log(RSS / n) + k log n``, over all n residuals
        (each equation's own samples). When ``ds`` holds the ground truth ``true_A`` (and
        ``true_r`` or ``true_b``) of a `LinearODE` or `LotkaVolterra`, also ``sign_score``
        (`interaction_sign_score`), ``error_A`` and ``error_r``: relative errors of the
        fitted matrix and vector.

    Examples
    --------
    >>> import lvdyn
    >>> from lvdyn.producers import synthetic
    >>> ds = synthetic.linear(A=[[-0.5]], b=[0.5], x0=[[0.0], [2.0]], steps=100, dt=0.1)
    >>> truth = lvdyn.LinearODE.from_params([[-0.5]], [0.5])
    >>> scores = score_traces(truth, ds, time="time", derivative="central4")
    >>> round(float(scores.r2_trajectory_pooled), 6), round(float(scores.r2_derivative_pooled), 6)
    (1.0, 1.0)
    """
    info = getattr(model, "fit_info_", None) or {}
    if isinstance(window, str):
        if window != "fit":
            raise ValueError(
                f"`window` must be 'fit', None, a (first_step, last_step) pair or a slice; "
                f"got {window!r}."
            )
        window = tuple(info["fit_window"]) if "fit_window" in info else None
    if derivative is None:
        stored = info.get("fit_derivative")
        derivative = stored if isinstance(stored, str) and "(" not in stored else "auto"
    _, time = fit_settings(model, window=None, time=time, what="score_traces")
    design = model_design(model, ds, window=window, runs=runs, derivative=derivative, time=time)
    scores = derivative_scores(model, design)
    labels = ds[COMPONENT].values
    out = xr.Dataset(
        {
            "r2_derivative": (COMPONENT, scores.r2, {"long_name": "R^2 of the derivatives"}),
            "r2_derivative_pooled": ((), scores.r2_pooled),
            "aic": ((), scores.aic),
            "bic": ((), scores.bic),
            "n_samples": ((), design.X.shape[0]),
            "n_parameters": ((), scores.n_parameters),
        },
        coords={COMPONENT: labels},
        attrs={"model": type(model).__name__},
    )
    if simulate:
        sub = select_traces(ds, runs=runs, window=window)
        times = trace_times(sub, time)
        observed = sub["strength"].transpose(RUN, STEP, COMPONENT).values
        x0 = initial_states(sub)
        sims = np.empty_like(observed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i in range(observed.shape[0]):
                sims[i] = model.simulate(x0[i], times[i])
        both = np.isfinite(observed).all(axis=2)
        truth, sim = observed[both], sims[both]
        sim = np.where(np.isfinite(sim), sim, np.nan)
        diverged = ~np.isfinite(sim).all(axis=1)
        if diverged.any():  # a diverged simulation scores as badly as it is: R^2 = -inf
            r2_t = np.full(truth.shape[1], -np.inf)
            pooled = -np.inf
        else:
            r2_t, pooled = _r2(truth, sim)
        out["r2_trajectory"] = (COMPONENT, r2_t, {"long_name": "R^2 of simulated trajectories"})
        out["r2_trajectory_pooled"] = ((), pooled)
    for name, value in parameter_scores(model, ds).items():
        out[name] = ((), value)
    return add_history(out, f"score_traces({type(model).__name__})")


def interaction_sign_score(estimated: Any, true: Any) -> float:
    """Sign score of an estimated interaction matrix against the true one, in [0, 1].

    Over the true non-zero entries, each estimated entry counts +1 when its sign matches,
    -1 when it is opposite and 0 when it is exactly zero; the sum is rescaled as
    ``(matches - opposites + n) / (2 n)`` with ``n`` the number of true non-zeros. 1 is
    every sign right, 0.5 an all-zero estimate (or as many right as wrong), 0 every sign
    wrong. True zeros do not enter. The diagonal counts like any other entry.

    Examples
    --------
    >>> interaction_sign_score([[-1.0, 0.2], [0.0, -0.5]], [[-1.0, -0.3], [0.1, -1.0]])
    0.625
    """
    est = np.asarray(estimated, dtype=np.float64)
    truth = np.asarray(true, dtype=np.float64)
    if est.shape != truth.shape or est.ndim != 2:
        raise ValueError(
            f"`estimated` and `true` must be matrices of the same shape; got {est.shape} "
            f"and {truth.shape}."
        )
    nonzero = truth != 0
    n = int(nonzero.sum())
    if n == 0:
        raise ValueError("`true` has no non-zero entry; the sign score is undefined.")
    signs = np.sign(est[nonzero]) * np.sign(truth[nonzero])
    return float((np.sum(signs > 0) - np.sum(signs < 0) + n) / (2 * n))


def parameter_scores(model: AbstractODEModel, ds: xr.Dataset) -> dict[str, float]:
    """Sign score and relative errors of a fitted matrix model against ``true_A``/``true_r``.

    Returns ``{"sign_score", "error_A", "error_r"}`` (relative Frobenius / Euclidean errors)
    for the truths present in ``ds`` (``true_b`` stands for ``r`` with `LinearODE`); empty
    when ``ds`` has no ``true_A``.
    """
    if "true_A" not in ds or not isinstance(model, LinearODE | LotkaVolterra):
        return {}
    lv = isinstance(model, LotkaVolterra)
    A = model.interaction_matrix_ if lv else model.A_
    truth = ds["true_A"].values
    out = {
        "sign_score": interaction_sign_score(A, truth),
        "error_A": float(np.linalg.norm(A - truth) / np.linalg.norm(truth)),
    }
    key, vector = ("true_r", model.growth_rates_) if lv else ("true_b", model.b_)
    if key in ds and np.linalg.norm(ds[key].values) > 0:
        out["error_r"] = float(
            np.linalg.norm(vector - ds[key].values) / np.linalg.norm(ds[key].values)
        )
    return out
