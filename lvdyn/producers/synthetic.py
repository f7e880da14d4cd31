"""Seeded simulations of Lotka-Volterra and linear systems with known ground truth.

The system is integrated in continuous time ``t``; sample ``i`` is taken at ``t = i * dt``
and stored at ``step = i``, with a ``time`` coordinate on ``step``. The true parameters
(``true_r``, ``true_A``, ``true_b``) are per unit of ``time``; with the default ``dt = 1``
they are per step.

Examples
--------
>>> import numpy as np
>>> from lvdyn.producers import synthetic
>>> ds = synthetic.lotka_volterra(r=[1.0, 0.5], A=[[-1.0, -0.5], [-0.2, -1.0]],
...                               x0=[0.1, 0.1], steps=600, dt=0.1)
>>> dict(ds.sizes)
{'run': 1, 'step': 601, 'component': 2, 'component_j': 2}
>>> np.round(ds.strength.isel(run=0, step=-1).values, 3).tolist()
[0.833, 0.333]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy.linalg import expm

from lvdyn._version import __version__
from lvdyn.core._checks import check_int, check_number
from lvdyn.core._errors import NumericalError
from lvdyn.models._integrate import integrate_log_lotka_volterra
from lvdyn.producers._common import producer_config
from lvdyn.producers._studies import SAMPLINGS, glv_study, random_glv
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._rules import DEFAULT_FRACTION, DEFAULT_RULE, set_survival_rule

__all__ = [
    "SAMPLINGS",
    "LinearSystem",
    "LotkaVolterraSystem",
    "exclusion_lotka_volterra",
    "glv_study",
    "linear",
    "lotka_volterra",
    "oscillatory_linear",
    "random_glv",
    "stable_linear",
    "stable_lotka_volterra",
]

NoiseKind = Literal["multiplicative", "additive"]


@dataclass(frozen=True)
class LotkaVolterraSystem:
    """A Lotka-Volterra system ``dx_i/dt = x_i (r_i + sum_j A_ij x_j)`` and its known outcome."""

    r: np.ndarray
    A: np.ndarray
    equilibrium: np.ndarray
    survivors: np.ndarray


@dataclass(frozen=True)
class LinearSystem:
    """A linear system ``dx/dt = A x + b`` with its equilibrium ``-A^{-1} b``."""

    A: np.ndarray
    b: np.ndarray
    equilibrium: np.ndarray


def _as_matrix(name: str, value: Any, n: int | None = None) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"`{name}` must be a square matrix; got shape {array.shape}.")
    if n is not None and array.shape[0] != n:
        raise ValueError(
            f"`{name}` must be {n} x {n} to match the other parameters; got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite; it contains NaN or inf.")
    return array


def _as_vector(name: str, value: Any, n: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (n,):
        raise ValueError(f"`{name}` must have shape ({n},); got {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be finite; it contains NaN or inf.")
    return array


def _initial_states(x0: Any, n: int) -> np.ndarray:
    states = np.asarray(x0, dtype=np.float64)
    if states.ndim == 1:
        states = states[np.newaxis]
    if states.ndim != 2 or states.shape[1] != n:
        raise ValueError(f"`x0` must have shape ({n},) or (run, {n}); got {np.asarray(x0).shape}.")
    return states


def _check_common(steps: Any, dt: Any, noise: Any) -> tuple[int, float, float]:
    return (
        check_int("steps", steps),
        check_number("dt", dt),
        check_number("noise", noise, strict=False),
    )


def _add_noise(
    clean: np.ndarray, noise: float, kind: NoiseKind, rng: np.random.Generator
) -> np.ndarray:
    if noise == 0:
        return clean
    eps = rng.standard_normal(clean.shape)
    if kind == "multiplicative":
        return clean * np.exp(noise * eps)
    if kind == "additive":
        return clean + noise * eps
    raise ValueError(f"`noise_kind` must be 'multiplicative' or 'additive'; got {kind!r}.")


def _finish(
    clean: np.ndarray,
    *,
    producer: str,
    params: dict[str, np.ndarray],
    states: np.ndarray,
    dt: float,
    noise: float,
    noise_kind: NoiseKind,
    seed: int,
    truth: dict[str, Any],
) -> xr.Dataset:
    """Add noise, build the traces with their ``time`` coordinate, config and history."""
    rng = np.random.default_rng(seed)
    observed = _add_noise(clean, noise, noise_kind, rng)
    n_step = clean.shape[1]
    config = dict(
        producer=producer,
        **{name: value.tolist() for name, value in params.items()},
        x0=states.tolist(),
        steps=n_step - 1,
        dt=dt,
        noise=noise,
        seed=seed,
        noise_kind=noise_kind,
    )
    ds = make_traces(
        observed,
        step=np.arange(n_step, dtype=np.int64),
        source=f"lvdyn.producers.synthetic.{producer} {__version__}",
        producer_config=producer_config(config),
        **truth,
    )
    ds = ds.assign_coords(time=("step", np.arange(n_step) * dt))
    ds["time"].attrs.update(
        long_name="continuous time of each step", units="1", comment=f"time = {dt} * step"
    )
    if noise > 0:
        ds["clean_strength"] = (("run", "step", "component"), clean)
        ds["clean_strength"].attrs.update(long_name="strength before observation noise", units="1")
    # an excluded component decays towards zero: read survival against the strongest one
    ds = set_survival_rule(ds, DEFAULT_RULE, value=DEFAULT_FRACTION)
    return add_history(
        ds,
        f"synthetic.{producer}(K={clean.shape[2]}, runs={clean.shape[0]}, "
        f"steps={n_step - 1}, dt={dt}, noise={noise})",
    )


def lotka_volterra(
    *,
    r: Any,
    A: Any,
    x0: Any,
    steps: int,
    dt: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
    noise_kind: NoiseKind = "multiplicative",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> xr.Dataset:
    """Simulate ``dx_i/dt = x_i (r_i + sum_j A_ij x_j)`` from one or several initial states.

    Parameters
    ----------
    r : array_like, shape (K,)
        Growth rates per unit time.
    A : array_like, shape (K, K)
        Interaction matrix per unit time.
    x0 : array_like, shape (K,) or (run, K)
        Positive initial states; one run per row.
    steps : int
        Number of steps after the initial state; the traces hold ``steps + 1`` samples.
    dt : float
        Time between consecutive steps.
    noise : float
        Observation noise level: the relative size for ``noise_kind="multiplicative"``
        (``x * exp(noise * N(0, 1))``), the absolute size for ``"additive"``.
    seed : int
        Seed of the noise.
    rtol, atol : float
        Tolerances of the DOP853 integrator, which works on ``log x`` so states stay positive.

    Returns
    -------
    xarray.Dataset
        Traces with ``true_r``, ``true_A`` and, when noise was added, ``clean_strength``.
    """
    A_ = _as_matrix("A", A)
    n = A_.shape[0]
    r_ = _as_vector("r", r, n)
    states = _initial_states(x0, n)
    if np.any(states <= 0):
        raise ValueError("`x0` must be positive for a Lotka-Volterra system; got values <= 0.")
    n_steps, dt_, noise_ = _check_common(steps, dt, noise)
    times = np.arange(n_steps + 1) * dt_

    runs = [
        integrate_log_lotka_volterra(r_, A_, state, times, method="DOP853", rtol=rtol, atol=atol)
        for state in states
    ]
    return _finish(
        np.stack(runs),
        producer="lotka_volterra",
        params=dict(r=r_, A=A_),
        states=states,
        dt=dt_,
        noise=noise_,
        noise_kind=noise_kind,
        seed=seed,
        truth=dict(true_r=r_, true_A=A_),
    )


def linear(
    *,
    A: Any,
    b: Any,
    x0: Any,
    steps: int,
    dt: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
    noise_kind: NoiseKind = "additive",
) -> xr.Dataset:
    """Simulate ``dx/dt = A x + b`` exactly (matrix exponential of the augmented system).

    Parameters are as in `lotka_volterra`; ``b`` has shape (K,). The default noise is
    additive, since linear states may change sign.

    Examples
    --------
    >>> ds = linear(A=[[-1.0]], b=[2.0], x0=[0.0], steps=10, dt=1.0)
    >>> round(float(ds.strength[0, -1, 0]), 4)
    2.0
    """
    A_ = _as_matrix("A", A)
    n = A_.shape[0]
    b_ = _as_vector("b", b, n)
    states = _initial_states(x0, n)
    n_steps, dt_, noise_ = _check_common(steps, dt, noise)
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n] = A_
    augmented[:n, n] = b_
    propagator = expm(dt_ * augmented)
    clean = np.empty((states.shape[0], n_steps + 1, n))
    current = np.concatenate([states, np.ones((states.shape[0], 1))], axis=1)
    for i in range(n_steps + 1):
        clean[:, i] = current[:, :n]
        current = current @ propagator.T
    if not np.all(np.isfinite(clean)):
        raise NumericalError(
            "the linear simulation overflowed; A has eigenvalues with large "
            "positive real parts for this number of steps."
        )
    return _finish(
        clean,
        producer="linear",
        params=dict(A=A_, b=b_),
        states=states,
        dt=dt_,
        noise=noise_,
        noise_kind=noise_kind,
        seed=seed,
        truth=dict(true_A=A_, true_b=b_),
    )


def _negative_definite(n: int, rng: np.random.Generator, coupling: float) -> np.ndarray:
    """A random matrix whose symmetric part is negative definite (diagonal -1, scaled noise)."""
    off = rng.standard_normal((n, n)) * coupling / np.sqrt(n)
    np.fill_diagonal(off, 0.0)
    A = -np.eye(n) + off
    sym_max = np.linalg.eigvalsh(0.5 * (A + A.T)).max()
    if sym_max >= -0.05:  # shrink the couplings until the symmetric part is safely negative
        A = -np.eye(n) + off * (0.95 / (1.0 + sym_max))
    return A


def stable_lotka_volterra(
    n_components: int, *, seed: int = 0, coupling: float = 0.5
) -> LotkaVolterraSystem:
    """A random Lotka-Volterra system with a feasible, globally stable interior equilibrium.

    ``A + A^T`` is negative definite, so the interior equilibrium is globally stable on the
    positive orthant (Goh 1977, with a diagonal Lyapunov weight of one).

    Examples
    --------
    >>> system = stable_lotka_volterra(5, seed=1)
    >>> bool(np.all(system.equilibrium > 0)), bool(system.survivors.all())
    (True, True)
    >>> np.allclose(system.r + system.A @ system.equilibrium, 0)
    True
    """
    rng = np.random.default_rng(seed)
    A = _negative_definite(n_components, rng, coupling)
    equilibrium = rng.uniform(0.5, 1.5, n_components)
    r = -A @ equilibrium
    return LotkaVolterraSystem(
        r=r, A=A, equilibrium=equilibrium, survivors=np.ones(n_components, dtype=bool)
    )


def exclusion_lotka_volterra(
    n_components: int,
    n_survivors: int,
    *,
    seed: int = 0,
    coupling: float = 0.5,
    invasion_margin: float = 0.2,
) -> LotkaVolterraSystem:
    """A random Lotka-Volterra system in which only ``n_survivors`` components survive.

    The saturated equilibrium is built with the chosen support, and each excluded component
    gets a negative invasion rate ``r_i + (A x*)_i = -invasion_margin * U(1, 2)``. Because
    ``A + A^T`` is negative definite, that equilibrium is unique and globally stable, so every
    positive start ends with exactly the chosen survivors.

    Examples
    --------
    >>> system = exclusion_lotka_volterra(6, 2, seed=0)
    >>> int(system.survivors.sum())
    2
    """
    if not 0 <= n_survivors <= n_components:
        raise ValueError(
            f"`n_survivors` must be between 0 and n_components={n_components}; got {n_survivors}."
        )
    rng = np.random.default_rng(seed)
    A = _negative_definite(n_components, rng, coupling)
    survivors = np.zeros(n_components, dtype=bool)
    survivors[rng.choice(n_components, n_survivors, replace=False)] = True
    equilibrium = np.where(survivors, rng.uniform(0.5, 1.5, n_components), 0.0)
    invasion = -invasion_margin * rng.uniform(1.0, 2.0, n_components)
    r = -A @ equilibrium + np.where(survivors, 0.0, invasion)
    return LotkaVolterraSystem(r=r, A=A, equilibrium=equilibrium, survivors=survivors)


def stable_linear(n_components: int, *, seed: int = 0, coupling: float = 0.5) -> LinearSystem:
    """A random linear system ``dx/dt = A x + b`` whose matrix is stable (Re eig < 0).

    Examples
    --------
    >>> system = stable_linear(4, seed=0)
    >>> bool(np.linalg.eigvals(system.A).real.max() < 0)
    True
    """
    rng = np.random.default_rng(seed)
    A = _negative_definite(n_components, rng, coupling)
    equilibrium = rng.uniform(0.5, 1.5, n_components)
    b = -A @ equilibrium
    return LinearSystem(A=A, b=b, equilibrium=equilibrium)


def oscillatory_linear(
    n_components: int,
    *,
    seed: int = 0,
    decay: tuple[float, float] = (0.2, 0.5),
    frequency: tuple[float, float] = (1.0, 3.0),
) -> LinearSystem:
    """A stable linear system whose modes are lightly damped oscillations at distinct frequencies.

    ``A = Q blockdiag([[-g, w], [-w, -g]]) Q^T`` with decay rates ``g ~ U(decay)``, frequencies
    ``w ~ U(frequency)`` and a random rotation ``Q``, so ``A`` is dense; with an odd number of
    components the last mode is a real decay ``-g``. ``b = -A x*`` with ``x* ~ U(0.5, 1.5)``.

    Unlike `stable_linear`, whose eigenvalues all sit near -1, a few runs of this system
    identify ``A``: a run's states span the Krylov space of ``x0 - x*``, whose k-th direction
    is weighted by about ``(eigenvalue spread * t)^k / k!``. With eigenvalues spread over
    ``frequency`` and slow decay, every direction stays excited for several time units.

    Examples
    --------
    >>> system = oscillatory_linear(4, seed=0)
    >>> eig = np.linalg.eigvals(system.A)
    >>> bool(np.all(eig.real < 0)), bool(np.all(np.abs(eig.imag) >= 1.0))
    (True, True)
    >>> bool(np.allclose(system.A @ system.equilibrium + system.b, 0))
    True
    """
    if n_components < 1:
        raise ValueError(f"`n_components` must be a positive integer; got {n_components!r}.")
    rng = np.random.default_rng(seed)
    half = n_components // 2
    rates = rng.uniform(*decay, half + n_components % 2)
    freqs = np.sort(rng.uniform(*frequency, half))
    blocks = np.zeros((n_components, n_components))
    for k in range(half):
        blocks[2 * k : 2 * k + 2, 2 * k : 2 * k + 2] = [
            [-rates[k], freqs[k]],
            [-freqs[k], -rates[k]],
        ]
    if n_components % 2:
        blocks[-1, -1] = -rates[-1]
    rotation = np.linalg.qr(rng.standard_normal((n_components, n_components)))[0]
    A = rotation @ blocks @ rotation.T
    equilibrium = rng.uniform(0.5, 1.5, n_components)
    return LinearSystem(A=A, b=-A @ equilibrium, equilibrium=equilibrium)
