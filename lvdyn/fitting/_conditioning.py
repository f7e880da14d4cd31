"""Diagnose an ill-conditioned regression design and name the components responsible."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from lvdyn.core._errors import IllConditionedWarning

__all__ = ["check_conditioning", "design_condition_number"]

#: Relative spread (std / mean magnitude) below which a component counts as constant.
CONSTANT_SPREAD = 1e-6
#: Correlation above which two components count as identical.
IDENTICAL_CORRELATION = 1.0 - 1e-9
#: Condition number of the standardised design above which the fit is flagged.
MAX_CONDITION = 1e8


def design_condition_number(X: np.ndarray) -> float:
    """Condition number of ``[X, 1]`` with the columns of ``X`` standardised."""
    spread = X.std(axis=0)
    scaled = (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    design = np.hstack([scaled, np.ones((X.shape[0], 1))])
    s = np.linalg.svd(design, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def check_conditioning(X: np.ndarray, labels: Sequence[Any], *, stacklevel: int = 3) -> float:
    """Warn with `IllConditionedWarning` when ``X`` cannot identify every parameter.

    Returns the condition number of the standardised design.
    """
    problems = []
    labels = list(labels)
    scale = np.abs(X).mean(axis=0)
    spread = X.std(axis=0)
    constant = spread <= CONSTANT_SPREAD * np.where(scale > 0, scale, 1.0)
    if constant.any():
        names = [labels[int(i)] for i in np.flatnonzero(constant)]
        problems.append(
            f"components {names} are constant over the fitted samples (saturated), so they are "
            "collinear with the intercept; widen the window to cover their transition"
        )
    varying = np.flatnonzero(~constant)
    if varying.size > 1:
        corr = np.corrcoef(X[:, varying], rowvar=False)
        i, j = np.nonzero(np.triu(corr, 1) > IDENTICAL_CORRELATION)
        if i.size:
            pairs = [
                (labels[int(varying[a])], labels[int(varying[b])])
                for a, b in zip(i, j, strict=True)
            ]
            problems.append(
                f"components {pairs[:5]} have identical trajectories, so only sums of their "
                "interactions are identifiable; break the symmetry (other initial states) or "
                "pool runs where they differ"
            )
    condition = design_condition_number(X[:, ~constant]) if (~constant).any() else float("inf")
    if not problems and condition > MAX_CONDITION:
        problems.append(
            f"the standardised design has condition number {condition:.3g}; pool more runs, "
            "use a window covering the transitions, or add a ridge penalty"
        )
    if problems:
        warnings.warn(
            "ill-conditioned fit: " + "; ".join(problems) + ".",
            IllConditionedWarning,
            stacklevel=stacklevel,
        )
    return condition
