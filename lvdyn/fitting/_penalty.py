"""The penalty strength chosen by cross-validation grouped by run (so no run is in two folds).

`fit_traces` calls `choose_penalty` when the regression is ill-posed (`ill_posed`: few samples
per unknown, or collinear regressors) and the model's penalty was left to the data
(``penalty=None``), or always with ``cv=True``. Folds come from
`sklearn.model_selection.GroupKFold` with the runs as groups. The score is the held-out mean
squared error of each equation's regression target (per-capita rates for Lotka-Volterra),
over the samples that equation uses. Ridge paths are solved for every alpha at once from one
eigendecomposition per fold and equation; other penalties and constrained models refit the
estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from lvdyn.fitting._conditioning import design_condition_number
from lvdyn.fitting._design import Design
from lvdyn.models import LotkaVolterra
from lvdyn.models._matrix import MatrixODEModel

__all__ = [
    "MAX_FOLDS",
    "SAMPLES_PER_UNKNOWN",
    "PenaltyChoice",
    "choose_penalty",
    "ill_posed",
    "run_folds",
]

#: Fewer samples than this per unknown (in the equation with the fewest) counts as ill-posed.
SAMPLES_PER_UNKNOWN = 50
#: A standardised design with a larger condition number counts as collinear (the threshold at
#: which `fit_traces` warns that the design is nearly singular).
MAX_CONDITION = 1e8
#: Folds of the grouped cross-validation (fewer when there are fewer runs).
MAX_FOLDS = 5
#: Relative grids: ridge alphas are multiples of the mean eigenvalue of the centred Gram
#: matrix, L1 alphas fractions of the smallest alpha that zeroes every coefficient.
RIDGE_GRID = np.logspace(-7, 1, 17)
L1_GRID = np.logspace(-4, 0, 13)


@dataclass(frozen=True)
class PenaltyChoice:
    """The result of `choose_penalty`: the penalty, its strength and the CV curve."""

    penalty: str
    alpha: float
    alphas: np.ndarray
    scores: np.ndarray  # held-out mean squared error of the targets, per alpha
    n_splits: int


def ill_posed(design: Design) -> str | None:
    """Why the regression of ``design`` is ill-posed, or None when it is not."""
    n_comp = design.X.shape[1]
    per_unknown = float(design.mask.sum(axis=0).min()) / (n_comp + 1)
    if per_unknown < SAMPLES_PER_UNKNOWN:
        return (
            f"few samples per unknown: {per_unknown:.3g} in the sparsest equation "
            f"(< {SAMPLES_PER_UNKNOWN})"
        )
    condition = design_condition_number(design.X)
    if condition > MAX_CONDITION:
        return f"collinear regressors: condition number {condition:.3g} (> {MAX_CONDITION:g})"
    return None


def _targets(model: MatrixODEModel, design: Design) -> np.ndarray:
    if isinstance(model, LotkaVolterra):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(design.mask, design.y / design.X, 0.0)
    return design.y


def _ridge_errors(
    X: np.ndarray,
    T: np.ndarray,
    W: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    alphas: np.ndarray,
    fit_intercept: bool,
) -> np.ndarray:
    """Summed weighted squared held-out errors per alpha, over every equation."""
    total = np.zeros(alphas.size)
    Xtr, Xte = X[train], X[test]
    columns, group = np.unique(W[train].T, axis=0, return_inverse=True)
    for g, w in enumerate(columns):
        outputs = np.flatnonzero(group.ravel() == g)
        if w.sum() <= 0:
            continue
        if fit_intercept:
            x_mean = w @ Xtr / w.sum()
            t_mean = w @ T[train][:, outputs] / w.sum()
        else:
            x_mean, t_mean = np.zeros(X.shape[1]), np.zeros(outputs.size)
        root = np.sqrt(w)[:, np.newaxis]
        Xc = (Xtr - x_mean) * root
        Tc = (T[train][:, outputs] - t_mean) * root
        eig, vec = np.linalg.eigh(Xc.T @ Xc)
        proj = vec.T @ (Xc.T @ Tc)  # (p, outputs)
        # coef[:, o, a] = vec @ (proj[:, o] / (eig + alpha_a))
        coef = np.einsum("pq,qoa->poa", vec, proj[:, :, None] / (eig[:, None, None] + alphas))
        pred = np.einsum("np,poa->noa", Xte - x_mean, coef) + t_mean[None, :, None]
        err = (pred - T[test][:, outputs, None]) ** 2
        total += np.einsum("no,noa->a", W[test][:, outputs], err)
    return total


def _refit_errors(
    model: MatrixODEModel,
    design: Design,
    T: np.ndarray,
    W: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    penalty: str,
    alphas: np.ndarray,
) -> np.ndarray:
    total = np.zeros(alphas.size)
    lv = isinstance(model, LotkaVolterra)
    for a, alpha in enumerate(alphas):
        fitted = clone(model).set_params(penalty=penalty, alpha=float(alpha))
        fitted.fit(design.X[train], design.y[train], sample_weight=W[train])
        pred = fitted.predict(design.X[test])
        if lv:
            with np.errstate(divide="ignore", invalid="ignore"):
                pred = np.where(design.mask[test], pred / design.X[test], 0.0)
        total[a] = float((W[test] * (pred - T[test]) ** 2).sum())
    return total


def _grid(penalty: str, X: np.ndarray, T: np.ndarray, W: np.ndarray) -> np.ndarray:
    w = W.mean(axis=1)
    centred = (X - w @ X / w.sum()) * np.sqrt(w)[:, np.newaxis]
    if penalty == "ridge":
        scale = float(np.trace(centred.T @ centred)) / X.shape[1]
        return RIDGE_GRID * max(scale, np.finfo(float).tiny)
    target = (T - w @ T / w.sum()) * np.sqrt(w)[:, np.newaxis]
    top = float(np.abs(centred.T @ target).max()) / w.sum()
    return L1_GRID * max(top, np.finfo(float).tiny)


def run_folds(runs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of `GroupKFold` over ``runs``: no run is in both."""
    from sklearn.model_selection import GroupKFold  # imported on use: it is slow to import

    n_splits = min(MAX_FOLDS, np.unique(runs).size)
    return list(GroupKFold(n_splits=n_splits).split(runs, groups=runs))


def choose_penalty(model: MatrixODEModel, design: Design) -> PenaltyChoice | None:
    """Choose the penalty strength of ``model`` by run-grouped CV; None with under 3 runs.

    The penalty family is the model's (ridge when it has none); ``alpha`` is chosen from a
    grid scaled to the data, by the lowest held-out mean squared error.
    """
    groups = design.run
    n_runs = np.unique(groups).size
    if n_runs < 3:
        return None
    penalty = "ridge" if model.penalty in (None, "ols") else str(model.penalty)
    T = _targets(model, design)
    W = design.equation_weight()
    alphas = _grid(penalty, design.X, T, W)
    folds = run_folds(groups)
    fast = penalty == "ridge" and model.support is None and model.sign is None
    fast = fast and model.diagonal is None
    intercept = bool(getattr(model, "fit_intercept", True))
    errors = np.zeros(alphas.size)
    for train, test in folds:
        if fast:
            errors += _ridge_errors(design.X, T, W, train, test, alphas, intercept)
        else:
            errors += _refit_errors(model, design, T, W, train, test, penalty, alphas)
    scores = errors / W.sum()
    best = int(np.argmin(scores))
    return PenaltyChoice(penalty, float(alphas[best]), alphas, scores, len(folds))


def coefficient_stderr(model: MatrixODEModel, design: Design) -> np.ndarray:
    """Approximate standard errors of the fitted matrix (K, K): ridge sandwich per equation.

    For equation ``i`` on its own rows, with ``G`` the centred, weighted Gram matrix,
    ``var = s^2 diag(G^+)`` with ``s^2`` the residual variance of the fit over ``n_i - dof``
    (``dof`` the trace of the ridge hat matrix, plus the intercept), infinite for entries in
    a direction the data leave unseen (a zero eigenvalue of ``G``). A Gaussian approximation
    that ignores the regressors' own noise; NaN for equations with no more samples than
    degrees of freedom.
    """
    T = _targets(model, design)
    W = design.equation_weight()
    lv = isinstance(model, LotkaVolterra)
    A = model.interaction_matrix_ if lv else model.A_
    intercept = model.growth_rates_ if lv else model.b_
    alpha = (
        float(getattr(model, "alpha_", 0.0)) if getattr(model, "penalty_", "") == "ridge" else 0.0
    )
    out = np.full(A.shape, np.nan)
    for i in range(A.shape[0]):
        w = W[:, i]
        rows = w > 0
        if rows.sum() < 2:
            continue
        X, t, w = design.X[rows], T[rows, i], w[rows]
        centred = (X - w @ X / w.sum()) * np.sqrt(w)[:, np.newaxis]
        gram = centred.T @ centred
        eig, vec = np.linalg.eigh(gram)
        shrink = eig / (eig + alpha) if alpha > 0 else (eig > eig.max() * 1e-12).astype(float)
        dof = float(shrink.sum()) + 1.0
        resid = t - (X @ A[i] + intercept[i])
        if rows.sum() <= dof:
            continue
        s2 = float(w @ resid**2) / (rows.sum() - dof)
        # The data's own information, (G^+)_jj, not the ridge's: a penalty shrinks the
        # variance of a direction the data do not see, and so would hide that it is unseen.
        kept = eig > eig.max() * 1e-10
        inv = np.where(kept, 1.0 / np.where(kept, eig, 1.0), 0.0)
        free = (vec[:, ~kept] ** 2).sum(axis=1) > 1e-12
        out[i] = np.where(free, np.inf, np.sqrt(np.maximum(s2 * (vec**2 @ inv), 0.0)))
    return out
