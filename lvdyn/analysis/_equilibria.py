"""Equilibria of fitted models: exact for linear and Lotka-Volterra, numerical otherwise."""

from __future__ import annotations

import itertools

import numpy as np
import xarray as xr
from scipy.linalg import null_space
from scipy.optimize import root

from lvdyn.analysis._lcp import solve_lcp
from lvdyn.analysis._models import component_labels, family, linear_params, lv_params
from lvdyn.analysis._stability import _is_line, classify_spectrum
from lvdyn.core._types import ArrayLike, FittedODEModel
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import COMPONENT

__all__ = ["EQUILIBRIUM", "find_equilibria", "lv_spectrum", "settled_state"]

EQUILIBRIUM = "equilibrium"
DIRECTION = "direction"


def lv_spectrum(r: np.ndarray, A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Jacobian eigenvalues of a Lotka-Volterra system at a state with support ``x > 0``.

    Rows of absent components are ``(r + A x)_i e_i``, so the spectrum is the invasion rates
    of the absent components together with ``eig(diag(x_S) A_SS)``: only the support block
    is diagonalised.
    """
    present = x > 0
    invasion = (r + A @ x)[~present]
    block = x[present, np.newaxis] * A[np.ix_(present, present)]
    inner = np.linalg.eigvals(block) if block.size else np.empty(0, dtype=np.complex128)
    eig = np.concatenate([inner.astype(np.complex128), invasion.astype(np.complex128)])
    return eig[np.lexsort((-eig.imag, -eig.real))]


def _classify(
    model: FittedODEModel, x: np.ndarray, eig: np.ndarray, rtol: float, lines: bool
) -> str:
    tol = rtol * float(np.abs(eig).max(initial=0.0))
    line = lines and _is_line(model, x, model.jacobian(x), eig, tol)
    return classify_spectrum(eig, rtol=rtol, line_of_equilibria=line)


def _enumerate_lv(r: np.ndarray, A: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Every feasible equilibrium ``x_S = -A_SS^{-1} r_S > 0``, one per support S.

    The faces of one size are solved together as a stack of small systems; faces whose
    block has a Hadamard ratio ``|det A_SS| / prod_i |row_i|`` below 1e-12 are counted as
    singular and skipped.
    """
    n = r.size
    found, singular = [np.zeros(n)], 0
    for size in range(1, n + 1):
        index = np.array(list(itertools.combinations(range(n), size)), dtype=np.intp)
        blocks = A[index[:, :, np.newaxis], index[:, np.newaxis, :]]
        # Hadamard ratio |det B| / prod |row_i| (LU, much cheaper than an SVD per block)
        sign, logdet = np.linalg.slogdet(blocks)
        rows = np.log(np.maximum(np.linalg.norm(blocks, axis=2), 1e-300)).sum(axis=1)
        ok = (sign != 0) & (logdet - rows > np.log(1e-12))
        singular += int((~ok).sum())
        blocks[~ok] = np.eye(size)
        values = np.linalg.solve(blocks, -r[index][..., np.newaxis])[..., 0]
        feasible = ok & np.all(values > 0, axis=1)
        for support, value in zip(index[feasible], values[feasible], strict=True):
            state = np.zeros(n)
            state[support] = value
            found.append(state)
    return found, singular


def _lv_dataset(model: FittedODEModel, method: str, max_enumerate: int, rtol: float) -> xr.Dataset:
    r, A = lv_params(model)
    n = r.size
    lcp = solve_lcp(-r, -A, method=method)
    scale = max(1.0, float(np.abs(A).max(initial=0.0)), float(np.abs(r).max(initial=0.0)))
    if n <= max_enumerate:
        states, singular = _enumerate_lv(r, A)
        complete = 1
    else:
        states, singular, complete = [], 0, 0
    saturated_state = lcp.z if lcp.status == "ok" else np.full(n, np.nan)
    if lcp.status == "ok" and not any(np.allclose(s, lcp.z, atol=1e-9 * scale) for s in states):
        states.insert(0, lcp.z)
    states_array = np.array(states).reshape(len(states), n)
    rates = states_array @ A.T + r
    support = states_array > 0
    tol = 1e-9 * scale
    saturated = np.all(np.where(support, True, rates <= tol), axis=1)
    spectra = [lv_spectrum(r, A, s) for s in states_array]
    max_real = np.array([float(e.real.max(initial=-np.inf)) for e in spectra])
    check_lines = n <= max_enumerate  # the line test needs an SVD; skip it for large K
    classes = [
        _classify(model, s, e, rtol, check_lines)
        for s, e in zip(states_array, spectra, strict=True)
    ]
    stable = np.array([c in ("stable node", "stable focus") for c in classes], dtype=bool)
    order = np.lexsort((-support.sum(axis=1), ~(saturated & stable)))
    ds = xr.Dataset(
        {
            "state": ((EQUILIBRIUM, COMPONENT), states_array[order], {"long_name": "equilibrium"}),
            "support": ((EQUILIBRIUM, COMPONENT), support[order], {"long_name": "x_i > 0"}),
            "invasion_rate": (
                (EQUILIBRIUM, COMPONENT),
                rates[order],
                {"long_name": "per-capita growth rate r_i + (A x)_i (zero on the support)"},
            ),
            "saturated": (EQUILIBRIUM, saturated[order], {"long_name": "no absent invader grows"}),
            "stable": (EQUILIBRIUM, stable[order], {"long_name": "all eigenvalues Re < 0"}),
            "max_real_eigenvalue": (EQUILIBRIUM, max_real[order]),
            "classification": (EQUILIBRIUM, np.array(classes, dtype=str)[order]),
            "saturated_state": (
                COMPONENT,
                saturated_state,
                {"long_name": "saturated equilibrium (solution of the LCP)"},
            ),
        }
    )
    ds.attrs.update(
        status="ok" if lcp.status == "ok" else f"lcp_{lcp.status}",
        complete=complete,
        method=lcp.method,
        lcp_pivots=lcp.n_pivots,
        lcp_residual=lcp.residual,
        n_singular_supports=singular,
    )
    return ds


def _linear_dataset(model: FittedODEModel, rtol: float) -> xr.Dataset:
    A, b = linear_params(model)
    n = b.size
    eig = np.linalg.eigvals(A)
    eig = eig[np.lexsort((-eig.imag, -eig.real))]
    basis = null_space(A, rcond=rtol)
    state, *_ = np.linalg.lstsq(A, -b, rcond=None)
    scale = float(np.linalg.norm(A, 2)) * float(np.linalg.norm(state)) + float(np.linalg.norm(b))
    consistent = float(np.linalg.norm(A @ state + b)) <= 1e-9 * max(scale, 1e-300)
    if basis.shape[1] == 0:
        status = "unique"
    else:
        status = "affine_set" if consistent else "none"
    states = state[np.newaxis] if consistent or basis.shape[1] == 0 else np.empty((0, n))
    label = classify_spectrum(eig, rtol=rtol, line_of_equilibria=basis.shape[1] > 0)
    ds = xr.Dataset(
        {
            "state": (
                (EQUILIBRIUM, COMPONENT),
                states,
                {"long_name": "equilibrium (minimum-norm point of the set when A is singular)"},
            ),
            "stable": (EQUILIBRIUM, np.full(len(states), label.startswith("stable"))),
            "max_real_eigenvalue": (EQUILIBRIUM, np.full(len(states), eig.real.max())),
            "classification": (EQUILIBRIUM, np.full(len(states), label)),
            "null_space": (
                (COMPONENT, DIRECTION),
                basis,
                {"long_name": "orthonormal basis of the directions along which equilibria move"},
            ),
        }
    )
    ds.attrs.update(status=status, complete=1, method="linear_algebra")
    return ds


def _generic_dataset(
    model: FittedODEModel,
    starts: ArrayLike | None,
    n_starts: int,
    scale: float,
    seed: int,
    rtol: float,
) -> xr.Dataset:
    n = int(model.n_features_in_)
    if starts is None:
        rng = np.random.default_rng(seed)
        points = np.vstack(
            [np.zeros(n), np.full(n, scale), rng.uniform(0, 2 * scale, (n_starts, n))]
        )
    else:
        points = np.atleast_2d(np.asarray(starts, dtype=np.float64))
        if points.shape[1] != n:
            raise ValueError(f"`starts` must have shape (n, {n}); got {points.shape}.")
    found: list[np.ndarray] = []
    failures = 0
    for start in points:
        with np.errstate(all="ignore"):
            sol = root(
                lambda x: model.rhs(x), start, jac=lambda x: model.jacobian(x), method="hybr"
            )
        x = sol.x
        norm = max(1.0, float(np.linalg.norm(x)))
        ok = bool(np.all(np.isfinite(x))) and float(np.linalg.norm(model.rhs(x))) <= 1e-9 * norm
        if not ok:
            failures += 1
            continue
        if not any(np.linalg.norm(x - y) <= 1e-6 * norm for y in found):
            found.append(x)
    states = np.array(found).reshape(len(found), n)
    spectra = [np.linalg.eigvals(model.jacobian(x)) for x in states]
    classes = [_classify(model, x, e, rtol, True) for x, e in zip(states, spectra, strict=True)]
    max_real = [float(e.real.max()) for e in spectra]
    ds = xr.Dataset(
        {
            "state": ((EQUILIBRIUM, COMPONENT), states, {"long_name": "equilibrium"}),
            "stable": (EQUILIBRIUM, np.array([c.startswith("stable") for c in classes], bool)),
            "max_real_eigenvalue": (EQUILIBRIUM, np.array(max_real)),
            "classification": (EQUILIBRIUM, np.array(classes, dtype=str)),
        }
    )
    ds.attrs.update(
        status="numerical" if found else "none_found",
        complete=0,
        method="scipy.optimize.root(hybr)",
        n_starts=len(points),
        n_failed_starts=failures,
    )
    return ds


def find_equilibria(
    model: FittedODEModel,
    *,
    method: str = "auto",
    max_enumerate: int = 15,
    labels: ArrayLike | None = None,
    starts: ArrayLike | None = None,
    n_starts: int = 20,
    scale: float = 1.0,
    seed: int = 0,
    rtol: float = 1e-8,
) -> xr.Dataset:
    """Equilibria of a fitted model, with their stability, as a Dataset over ``equilibrium``.

    * **Lotka-Volterra**: for ``K <= max_enumerate`` components every feasible equilibrium
      (support enumeration over the ``2^K`` faces; non-invertible faces are counted in the
      ``n_singular_supports`` attribute and skipped), and for any ``K`` the *saturated*
      equilibrium: the solution of the linear complementarity problem ``x >= 0``,
      ``r + A x <= 0``, ``x_i (r + A x)_i = 0``, in ``saturated_state``. ``method="auto"``
      solves it by non-negative least squares when ``-A`` is symmetric positive definite
      (the equilibrium then minimises ``1/2 x'(-A)x - r'x`` over ``x >= 0``), otherwise by
      block principal pivoting (a few dense solves on the support), falling back to
      Lemke's algorithm with a lexicographic (degeneracy-safe) ratio test, which always
      terminates and finds the solution whenever ``-A`` is a P-matrix. Otherwise the LCP
      can have several solutions (multistability) and ``saturated_state`` is one of them,
      possibly a saddle; the enumerated ``saturated & stable`` rows list the stable ones.
    * **Linear** ``dx/dt = A x + b``: the unique equilibrium ``-A^{-1} b``; when ``A`` is
      singular, the affine set of equilibria (its minimum-norm point in ``state`` and an
      orthonormal basis of its directions in ``null_space``), or none when ``A x = -b`` is
      inconsistent (status ``"none"``).
    * **Any other model** (SINDy): roots of ``rhs`` found by ``scipy.optimize.root`` with the
      analytic Jacobian from the zero state, the all-``scale`` state and ``n_starts`` random
      states in ``[0, 2 scale]^K`` (or from ``starts``); duplicates are merged. The list may
      be incomplete (``complete = 0``).

    Parameters
    ----------
    model : fitted lvdyn model
    method : {"auto", "lemke", "principal_pivoting", "nnls"}
        LCP solver for Lotka-Volterra models.
    max_enumerate : int
        Largest ``K`` for which every feasible Lotka-Volterra equilibrium is listed.
    labels : array_like, optional
        Component labels (default ``feature_names_in_`` or 0..K-1).
    starts, n_starts, scale, seed
        Starting points of the numerical search for generic models.
    rtol : float
        Relative tolerance for zero eigenvalues in the classification.

    Returns
    -------
    xarray.Dataset
        ``state`` (equilibrium, component), ``stable``, ``max_real_eigenvalue`` and
        ``classification`` (equilibrium). Lotka-Volterra adds ``support``,
        ``invasion_rate`` (equilibrium, component), ``saturated`` (equilibrium) and
        ``saturated_state`` (component); saturated stable equilibria come first.
        Linear adds ``null_space`` (component, direction). Attributes: ``status``,
        ``complete`` (1 when the list is exhaustive), ``method``.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-0.5, -1.0]])
    >>> eq = lvdyn.find_equilibria(model)
    >>> eq.saturated_state.values.round(4).tolist(), eq.sizes["equilibrium"]
    ([0.6667, 0.6667], 4)
    >>> str(eq.classification[0].values)
    'stable node'
    """
    kind = family(model)
    names = component_labels(model, labels)
    if kind == "lotka_volterra":
        ds = _lv_dataset(model, method, max_enumerate, rtol)
    elif kind == "linear":
        ds = _linear_dataset(model, rtol)
    else:
        ds = _generic_dataset(model, starts, n_starts, scale, seed, rtol)
    ds = ds.assign_coords({COMPONENT: names, EQUILIBRIUM: np.arange(ds.sizes[EQUILIBRIUM])})
    ds.attrs["model"] = type(model).__name__
    return add_history(ds, f"find_equilibria({type(model).__name__}, K={names.size})")


def settled_state(equilibria: xr.Dataset) -> np.ndarray | None:
    """Where a fitted system settles, from `find_equilibria`'s result: the saturated state of
    a Lotka-Volterra model, else the first equilibrium; None when there is no finite one.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-2.0, -1.0]])
    >>> settled_state(find_equilibria(model)).round(3).tolist()  # component 1 is excluded
    [1.0, 0.0]
    """
    for name in ("saturated_state", "state", "point"):
        if name in equilibria:
            values = np.asarray(equilibria[name].values, dtype=float)
            values = values if values.ndim == 1 else values.reshape(-1, values.shape[-1])[0]
            return values if np.all(np.isfinite(values)) else None
    return None
