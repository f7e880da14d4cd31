"""Local stability: the Jacobian spectrum at a state and its classification."""

from __future__ import annotations

import numpy as np
import xarray as xr

from lvdyn.analysis._models import component_labels, family, lv_params
from lvdyn.core._types import ArrayLike, FittedODEModel
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import COMPONENT, COMPONENT_J

__all__ = ["CLASSES", "classify_spectrum", "stability"]

MODE = "mode"

CLASSES = (
    "stable node",
    "stable focus",
    "saddle",
    "unstable node",
    "unstable focus",
    "centre",
    "marginal",
    "non-isolated",
    "not an equilibrium",
)


def classify_spectrum(
    eigenvalues: np.ndarray, *, rtol: float = 1e-8, line_of_equilibria: bool = False
) -> str:
    """Name the class of an equilibrium from its Jacobian eigenvalues.

    An eigenvalue counts as zero (or on the imaginary axis) when its modulus (real part) is
    at most ``rtol`` times the largest modulus. Zero eigenvalues whose eigenvectors are lines
    of equilibria (``line_of_equilibria``) make the equilibrium ``"non-isolated"``; other
    zero or imaginary-axis eigenvalues with nothing unstable make it ``"marginal"``
    (``"centre"`` when every eigenvalue is imaginary and none is zero).

    Examples
    --------
    >>> classify_spectrum(np.array([-1.0, -2.0]))
    'stable node'
    >>> classify_spectrum(np.array([-1 + 2j, -1 - 2j]))
    'stable focus'
    >>> classify_spectrum(np.array([1.0, -2.0]))
    'saddle'
    >>> classify_spectrum(np.array([0.0, -2.0]), line_of_equilibria=True)
    'non-isolated'
    """
    eig = np.asarray(eigenvalues, dtype=np.complex128)
    scale = float(np.abs(eig).max(initial=0.0))
    tol = rtol * scale
    positive, negative = eig.real > tol, eig.real < -tol
    complex_ = np.abs(eig.imag) > tol
    zero = np.abs(eig) <= tol
    if positive.any() and negative.any():
        return "saddle"
    if positive.any():
        return "unstable focus" if (complex_ & positive).any() else "unstable node"
    on_axis = ~negative
    if on_axis.any():
        if zero.any():
            return "non-isolated" if line_of_equilibria else "marginal"
        return "centre" if on_axis.all() else "marginal"
    return "stable focus" if complex_.any() else "stable node"


def _is_line(
    model: FittedODEModel, x: np.ndarray, jac: np.ndarray, eig: np.ndarray, tol: float
) -> bool:
    """Do the zero-eigenvalue directions at ``x`` consist of equilibria (to second order)?"""
    zero = np.abs(eig) <= tol
    if not zero.any():
        return False
    _, _, vh = np.linalg.svd(jac)
    null = vh[-int(zero.sum()) :]
    step = 1e-3 * max(float(np.linalg.norm(x)), 1.0)
    jac_scale = max(float(np.abs(jac).max()), 1e-300)
    base = model.rhs(x)
    for direction in null:
        for sign in (1.0, -1.0):
            moved = model.rhs(x + sign * step * direction)
            if np.linalg.norm(moved - base) > 1e-7 * step * jac_scale:
                return False
    return True


def stability(
    model: FittedODEModel,
    x: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    rtol: float = 1e-8,
    equilibrium_rtol: float = 1e-8,
) -> xr.Dataset:
    """Jacobian spectrum at the state ``x`` and the class of the equilibrium there.

    Parameters
    ----------
    model : fitted lvdyn model
        Anything with ``rhs``, ``jacobian`` and ``n_features_in_``.
    x : array_like, shape (K,)
        The state, usually an equilibrium from `find_equilibria`.
    labels : array_like, optional
        Component labels (default: ``feature_names_in_`` or 0..K-1).
    rtol : float
        Relative size below which an eigenvalue's real part counts as zero.
    equilibrium_rtol : float
        ``x`` is an equilibrium when ``|rhs(x)| <= equilibrium_rtol * max(1, |J|) * max(1, |x|)``.

    Returns
    -------
    xarray.Dataset
        ``state`` and ``rhs`` (component), ``jacobian`` (component, component_j),
        ``eigenvalue_real`` and ``eigenvalue_imag`` (mode, sorted by decreasing real part).
        For Lotka-Volterra models also ``present`` (component, ``x_i > 0``) and
        ``invasion_rate`` (component): the per-capita growth rate ``r_i + (A x)_i`` of each
        absent component (NaN for present ones); an absent component with a positive rate
        can invade. Attributes: ``classification`` (one of `CLASSES`), ``is_equilibrium``
        (0 or 1), ``max_real_part``, ``status``.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -2.0], [-2.0, -1.0]])
    >>> ds = lvdyn.stability(model, [1.0, 0.0])
    >>> ds.attrs["classification"], float(ds.invasion_rate[1])
    ('stable node', -1.0)
    >>> lvdyn.stability(model, [1 / 3, 1 / 3]).attrs["classification"]
    'saddle'
    """
    kind = family(model)
    state = np.asarray(x, dtype=np.float64)
    n = int(model.n_features_in_)
    if state.shape != (n,):
        raise ValueError(
            f"`x` must be one state with {n} components; got shape {np.shape(x)}. "
            "Pass a row of find_equilibria(model).state."
        )
    names = component_labels(model, labels)
    coords = {COMPONENT: names, COMPONENT_J: names}
    if not np.all(np.isfinite(state)):
        raise ValueError("`x` must be finite; it contains NaN or inf.")
    jac = np.asarray(model.jacobian(state), dtype=np.float64)
    rhs = np.asarray(model.rhs(state), dtype=np.float64)
    finite = bool(np.all(np.isfinite(jac)))
    eig = np.linalg.eigvals(jac) if finite else np.full(n, np.nan, dtype=np.complex128)
    eig = eig[np.lexsort((-eig.imag, -eig.real))]
    scale = max(1.0, float(np.abs(jac).max(initial=0.0)) if finite else 1.0)
    is_eq = bool(
        np.linalg.norm(rhs) <= equilibrium_rtol * scale * max(1.0, float(np.linalg.norm(state)))
    )
    if not finite:
        status, label = "nonfinite_jacobian", "not an equilibrium"
    elif not is_eq:
        status, label = "ok", "not an equilibrium"
    else:
        tol = rtol * float(np.abs(eig).max(initial=0.0))
        line = _is_line(model, state, jac, eig, tol)
        status, label = "ok", classify_spectrum(eig, rtol=rtol, line_of_equilibria=line)
    ds = xr.Dataset(
        {
            "state": (COMPONENT, state, {"long_name": "state", "units": "1"}),
            "rhs": (COMPONENT, rhs, {"long_name": "time derivative at the state", "units": "1"}),
            "jacobian": ((COMPONENT, COMPONENT_J), jac, {"long_name": "d rhs_i / d x_j"}),
            "eigenvalue_real": (MODE, eig.real, {"long_name": "real part of eigenvalue"}),
            "eigenvalue_imag": (MODE, eig.imag, {"long_name": "imaginary part of eigenvalue"}),
        },
        coords={**coords, MODE: np.arange(n)},
    )
    if kind == "lotka_volterra":
        r, A = lv_params(model)
        present = state > 0
        rate = np.where(present, np.nan, r + A @ state)
        ds["present"] = (COMPONENT, present, {"long_name": "component present (x_i > 0)"})
        ds["invasion_rate"] = (
            COMPONENT,
            rate,
            {"long_name": "per-capita growth rate r_i + (A x)_i of absent components"},
        )
    ds.attrs.update(
        classification=label,
        is_equilibrium=int(is_eq),
        max_real_part=float(eig.real.max()) if finite else float("nan"),
        status=status,
        model=type(model).__name__,
    )
    return add_history(ds, f"stability({type(model).__name__}, K={n})")
