"""Time derivatives of one run's states: finite differences, smoothers and exact discrete maps.

Everything here works on plain numpy arrays of one run, ``x`` of shape (T, K) sampled at
strictly increasing times ``t`` of shape (T,); `lvdyn.fit_traces` calls it once per run (and
per gap-free stretch of a run), so a derivative never spans a run boundary or a missing sample.

Each method returns `RunDerivatives`: the rows of ``x`` it could differentiate (``index``), the
states to regress on at those rows and the derivative estimates. Smoothers regress on the
smoothed states, which removes most of the errors-in-variables bias that noisy regressors cause.

Methods, by name (``derivative=`` in `lvdyn.fit_traces`):

======================  ===========================================================================
``"forward"``           one-step forward difference ``(x[k+1] - x[k]) / dt``: the exact target of a
                        discrete-time map ``x[k+1] = x[k] + f(x[k])`` (Ding et al. 2024 use it)
``"forward2"``,         forward differences of orders 2 and 4 (stencils of 3 and 5 samples)
``"forward4"``
``"central"``           second-order central difference (any spacing)
``"central4"``          fourth-order central difference (five-sample stencil)
``"savgol"``            Savitzky-Golay derivative (`SavitzkyGolay`; uniform spacing only)
``"spline"``            smoothing spline with its penalty chosen by GCV (`SmoothingSpline`)
``"sqrt_ratio"``        the exact target of the gradient-descent Lotka-Volterra map:
                        ``x[k] * 2 (sqrt(x[k+1] / x[k]) - 1) / dt``
``"midpoint"``          gradient matching between consecutive samples (`Midpoint`): ``dx / dt``
                        over each interval, regressed on the interval's midpoint state
                        (geometric mean for ``log=True``); any spacing, two samples suffice
``"integral"``          ``"midpoint"`` refined by integral matching (``Midpoint(bridge=8,
                        tol=1e-4)``): the regressor becomes the state's mean over the interval
                        along the fitted model's path, bridged to both samples, refitted
                        until the fit settles (in `lvdyn.fit_traces`)
======================  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "DERIVATIVE_METHODS",
    "FiniteDifference",
    "Midpoint",
    "RunDerivatives",
    "SavitzkyGolay",
    "SmoothingSpline",
    "SqrtRatio",
    "differentiate",
    "resolve_derivative",
]


@dataclass(frozen=True)
class FiniteDifference:
    """Finite differences of a given order of accuracy on any (possibly non-uniform) grid.

    The weights at each sample are solved from the Taylor conditions on the stencil's actual
    time offsets, so a non-uniform grid keeps the nominal order.

    Parameters
    ----------
    order : {1, 2, 4}
        Order of accuracy. Central differences have orders 2 and 4 only.
    kind : {"forward", "central"}
        Stencil placement: ``x[k], ..., x[k+order]`` or symmetric around ``x[k]``.
    """

    order: int = 2
    kind: Literal["forward", "central"] = "central"

    def __post_init__(self) -> None:
        allowed = {"forward": (1, 2, 4), "central": (2, 4)}
        if self.kind not in allowed:
            raise ValueError(f"`kind` must be 'forward' or 'central'; got {self.kind!r}.")
        if self.order not in allowed[self.kind]:
            raise ValueError(
                f"`order` must be one of {allowed[self.kind]} for {self.kind} differences; "
                f"got {self.order!r}."
            )

    @property
    def offsets(self) -> np.ndarray:
        """Stencil offsets in samples relative to the differentiated sample."""
        if self.kind == "forward":
            return np.arange(self.order + 1)
        half = self.order // 2
        return np.arange(-half, half + 1)


@dataclass(frozen=True)
class SavitzkyGolay:
    """Savitzky-Golay smoothing and differentiation (`scipy.signal.savgol_filter`).

    Parameters
    ----------
    window_length : int
        Odd number of samples in each local polynomial fit.
    polyorder : int
        Degree of the local polynomial, below ``window_length``.
    """

    window_length: int = 9
    polyorder: int = 3

    def __post_init__(self) -> None:
        if self.window_length < 3 or self.window_length % 2 == 0:
            raise ValueError(
                f"`window_length` must be an odd integer >= 3; got {self.window_length!r}."
            )
        if not 1 <= self.polyorder < self.window_length:
            raise ValueError(
                f"`polyorder` must be between 1 and window_length - 1 = "
                f"{self.window_length - 1}; got {self.polyorder!r}."
            )


@dataclass(frozen=True)
class SmoothingSpline:
    """Cubic smoothing spline (`scipy.interpolate.make_smoothing_spline`) and its derivative.

    Parameters
    ----------
    lam : float or None
        Roughness penalty; ``None`` chooses it per component by generalised cross-validation.
    """

    lam: float | None = None


@dataclass(frozen=True)
class SqrtRatio:
    """Exact target of the gradient-descent Lotka-Volterra map.

    Plain gradient descent on the producers of research note §4 gives
    ``sqrt(x[k+1] / x[k]) - 1 = (dt / 2) (r + A x[k])``; the target ``x[k] * 2 (sqrt(x[k+1] /
    x[k]) - 1) / dt`` therefore recovers the per-step ``r`` and ``A`` without discretisation bias.
    """


@dataclass(frozen=True)
class Midpoint:
    """Gradient matching between consecutive samples, on each run's own time coordinate.

    Each interval ``[t[k], t[k+1]]`` gives one sample: the rate ``(x[k+1] - x[k]) / dt`` at the
    midpoint state ``(x[k] + x[k+1]) / 2``; with ``log=True`` (Lotka-Volterra) the per-capita
    rate ``(log x[k+1] - log x[k]) / dt`` at the geometric mean ``sqrt(x[k] x[k+1])``. Both are
    second-order accurate at the interval's midpoint for any spacing and need only two
    samples, which suits short, irregularly sampled series (ecology's standard baseline).

    Parameters
    ----------
    bridge : int
        Most iterations of integral matching in `lvdyn.fit_traces` (``"integral"``: 8;
        plain gradient matching, ``"midpoint"``: 0). Each replaces the midpoint regressor by
        the mean of the state over the interval along the fitted model's path from ``x[k]``,
        bridged to end at ``x[k+1]``, and refits. On coarse sampling the midpoint state is
        a biased stand-in for that mean; the bridged mean is exact at the true model. When
        the penalty is cross-validated, it is chosen again on the bridged regressors and a
        second pass of at most ``bridge // 2`` iterations follows (it starts near the
        fixed point).
    tol : float
        Stop iterating once the fitted parameters (growth rates and matrix together) change
        by less than ``tol`` relative to their norm in one iteration (``"integral"``: 1e-4;
        0 runs all ``bridge`` iterations).
    """

    bridge: int = 0
    tol: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.bridge, bool) or not isinstance(self.bridge, int) or self.bridge < 0:
            raise ValueError(f"`bridge` must be a non-negative integer; got {self.bridge!r}.")
        number = isinstance(self.tol, int | float) and not isinstance(self.tol, bool)
        if not number or not 0.0 <= self.tol < float("inf"):
            raise ValueError(f"`tol` must be a non-negative finite number; got {self.tol!r}.")


DerivativeMethod = FiniteDifference | SavitzkyGolay | SmoothingSpline | SqrtRatio | Midpoint

#: Method names accepted wherever a derivative method is expected.
DERIVATIVE_METHODS: dict[str, DerivativeMethod] = {
    "forward": FiniteDifference(1, "forward"),
    "forward2": FiniteDifference(2, "forward"),
    "forward4": FiniteDifference(4, "forward"),
    "central": FiniteDifference(2, "central"),
    "central4": FiniteDifference(4, "central"),
    "savgol": SavitzkyGolay(),
    "spline": SmoothingSpline(),
    "sqrt_ratio": SqrtRatio(),
    "midpoint": Midpoint(),
    "integral": Midpoint(bridge=8, tol=1e-4),
}


def resolve_derivative(method: str | DerivativeMethod) -> DerivativeMethod:
    """Turn a method name (or a method object) into a method object.

    ``"auto"`` means second-order central differences here; `lvdyn.fit_traces` resolves it
    from the data first (`choose_derivative`).

    Examples
    --------
    >>> resolve_derivative("central4")
    FiniteDifference(order=4, kind='central')
    """
    if isinstance(
        method, FiniteDifference | SavitzkyGolay | SmoothingSpline | SqrtRatio | Midpoint
    ):
        return method
    if method == "auto":
        return DERIVATIVE_METHODS["central"]
    if isinstance(method, str) and method in DERIVATIVE_METHODS:
        return DERIVATIVE_METHODS[method]
    names = ", ".join(repr(n) for n in ["auto", *DERIVATIVE_METHODS])
    raise ValueError(
        f"`derivative` must be one of {names} or a method object such as "
        f"lvdyn.SavitzkyGolay(window_length=11); got {method!r} ({type(method).__name__})."
    )


@dataclass(frozen=True)
class RunDerivatives:
    """Derivative estimates at some rows of one run.

    Attributes
    ----------
    index : numpy.ndarray of int, shape (n,)
        Rows of the input that received an estimate.
    states : numpy.ndarray, shape (n, K)
        The states to regress on at those rows (smoothed for smoothing methods).
    rates : numpy.ndarray, shape (n, K)
        The estimated ``dx/dt`` at those rows.
    """

    index: np.ndarray
    states: np.ndarray
    rates: np.ndarray


def min_samples(method: DerivativeMethod) -> int:
    """The fewest samples for which ``method`` yields at least one estimate."""
    if isinstance(method, FiniteDifference):
        return int(method.offsets.size)
    if isinstance(method, SavitzkyGolay):
        return method.window_length
    if isinstance(method, SmoothingSpline):
        return 5
    return 2


def _fd_weights(offsets_time: np.ndarray) -> np.ndarray:
    """First-derivative weights for stencils with time offsets ``(n, s)`` (Taylor conditions)."""
    n, s = offsets_time.shape
    scale = np.abs(offsets_time).max(axis=1, keepdims=True)
    h = offsets_time / scale
    powers = np.arange(s)
    # V[q, m] = h_m ** q / q!; the weights solve V w = e_1 (first derivative, unit spacing).
    factorial = np.cumprod(np.concatenate([[1.0], np.arange(1, s)]))
    vander = h[:, np.newaxis, :] ** powers[np.newaxis, :, np.newaxis] / factorial[:, np.newaxis]
    rhs = np.zeros((n, s))
    rhs[:, 1] = 1.0
    weights = np.linalg.solve(vander, rhs[..., np.newaxis])[..., 0]
    return weights / scale


def _finite_difference(x: np.ndarray, t: np.ndarray, method: FiniteDifference) -> RunDerivatives:
    offsets = method.offsets
    lo, hi = -int(offsets.min()), int(offsets.max())
    index = np.arange(lo, x.shape[0] - hi)
    stencil = index[:, np.newaxis] + offsets[np.newaxis, :]
    weights = _fd_weights(t[stencil] - t[index][:, np.newaxis])
    rates = np.einsum("ns,nsk->nk", weights, x[stencil])
    return RunDerivatives(index=index, states=x[index], rates=rates)


def _uniform_spacing(t: np.ndarray, what: str) -> float:
    steps = np.diff(t)
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=0.0):
        raise ValueError(
            f"`derivative={what!r}` needs uniformly spaced samples; this run's spacing varies "
            f"from {steps.min():g} to {steps.max():g}. Use derivative='spline' or 'central', "
            "which handle any spacing."
        )
    return float(steps[0])


def _savgol(x: np.ndarray, t: np.ndarray, method: SavitzkyGolay) -> RunDerivatives:
    from scipy.signal import savgol_filter

    dt = _uniform_spacing(t, "savgol")
    opts = dict(window_length=method.window_length, polyorder=method.polyorder, axis=0)
    smooth = savgol_filter(x, mode="interp", **opts)
    rates = savgol_filter(x, deriv=1, delta=dt, mode="interp", **opts)
    return RunDerivatives(index=np.arange(x.shape[0]), states=smooth, rates=rates)


def _spline(x: np.ndarray, t: np.ndarray, method: SmoothingSpline) -> RunDerivatives:
    from scipy.interpolate import make_smoothing_spline

    smooth = np.empty_like(x)
    rates = np.empty_like(x)
    for k in range(x.shape[1]):
        spline = make_smoothing_spline(t, x[:, k], lam=method.lam)
        smooth[:, k] = spline(t)
        rates[:, k] = spline.derivative()(t)
    return RunDerivatives(index=np.arange(x.shape[0]), states=smooth, rates=rates)


def midpoint_rates(
    x: np.ndarray, t: np.ndarray, *, log: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint states and rates of every interval of ``x`` (T, K); NaN where undefined.

    With ``log=True`` the state is the geometric mean (0 when either end is 0) and the rate is
    ``x_mid * d(log x)/dt``, NaN where either end is not positive.
    """
    dt = np.diff(t)[:, np.newaxis]
    a, b = x[:-1], x[1:]
    if not log:
        return 0.5 * (a + b), (b - a) / dt
    with np.errstate(invalid="ignore", divide="ignore"):
        states = np.sqrt(a * b)
        per_capita = (np.log(b) - np.log(a)) / dt
    per_capita[~((a > 0) & (b > 0))] = np.nan
    return states, states * per_capita


def _sqrt_ratio(x: np.ndarray, t: np.ndarray) -> RunDerivatives:
    if np.any(x <= 0):
        row, col = np.argwhere(x <= 0)[0]
        raise ValueError(
            "`derivative='sqrt_ratio'` needs positive states (it takes sqrt(x[k+1] / x[k])); "
            f"this run has values <= 0, first at sample {row} (time {t[row]:g}) in column {col} "
            f"(value {x[row, col]:g}). Fit the samples before it, or use a finite difference."
        )
    dt = np.diff(t)[:, np.newaxis]
    per_capita = 2.0 * (np.sqrt(x[1:] / x[:-1]) - 1.0) / dt
    index = np.arange(x.shape[0] - 1)
    return RunDerivatives(index=index, states=x[:-1], rates=x[:-1] * per_capita)


def differentiate(
    x: np.ndarray, t: np.ndarray, method: str | DerivativeMethod = "auto", *, log: bool = False
) -> RunDerivatives:
    """Estimate ``dx/dt`` for one run without NaN.

    Parameters
    ----------
    x : numpy.ndarray, shape (T, K)
        States of one run, all finite.
    t : numpy.ndarray, shape (T,)
        Strictly increasing times of the rows.
    method : str or method object
        See the module docstring.
    log : bool
        Differentiate ``log x`` and return ``x * d(log x)/dt`` (states must be positive). With
        multiplicative noise this is the better-conditioned route to Lotka-Volterra per-capita
        rates. Ignored by ``"sqrt_ratio"``, which is already a log-ratio.

    Returns
    -------
    RunDerivatives

    Examples
    --------
    >>> t = np.linspace(0.0, 1.0, 11)
    >>> x = np.stack([t**2, np.exp(t)], axis=1)
    >>> d = differentiate(x, t, "central4")
    >>> bool(np.allclose(d.rates[:, 0], 2 * t[d.index]))
    True
    """
    spec = resolve_derivative(method)
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if x.ndim != 2 or t.shape != (x.shape[0],):
        raise ValueError(
            f"`x` must have shape (T, K) and `t` shape (T,); got {x.shape} and {t.shape}."
        )
    if x.shape[0] < min_samples(spec):
        return RunDerivatives(np.zeros(0, dtype=np.int64), x[:0], x[:0])
    if isinstance(spec, SqrtRatio):
        return _sqrt_ratio(x, t)
    if isinstance(spec, Midpoint):
        if log and np.any(x <= 0):
            raise ValueError("`log=True` needs positive states; this run has values <= 0.")
        states, rates = midpoint_rates(x, t, log=log)
        return RunDerivatives(np.arange(x.shape[0] - 1), states, rates)
    if log:
        if np.any(x <= 0):
            raise ValueError("`log=True` needs positive states; this run has values <= 0.")
        inner = differentiate(np.log(x), t, spec)
        states = np.exp(inner.states)
        return RunDerivatives(inner.index, states, states * inner.rates)
    if isinstance(spec, FiniteDifference):
        return _finite_difference(x, t, spec)
    if isinstance(spec, SavitzkyGolay):
        return _savgol(x, t, spec)
    return _spline(x, t, spec)
