"""Ecology-style studies: many short, irregularly sampled series of one random gLV system.

Microbiome and other ecological time series are short (5 to 15 samples), sampled at times
that differ from series to series, noisy, and write a species that died out as an exact
zero. `glv_study` simulates such a study with known ``r`` and ``A`` (the design of the MTIST
benchmarks: 3, 10 or 100 species, even, random or sequential-block sampling over a fixed
horizon, 1% or 10% noise).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from lvdyn._version import __version__
from lvdyn.core._checks import check_int, check_number
from lvdyn.core._errors import FitError
from lvdyn.producers._common import producer_config
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces

__all__ = ["SAMPLINGS", "glv_study", "random_glv"]

Sampling = Literal["even", "random", "sequential"]
SAMPLINGS: tuple[str, ...] = ("even", "random", "sequential")

#: Points of the fine time grid (over the horizon) that samples are drawn from.
GRID_POINTS = 301
#: Samples per block in ``sampling="sequential"`` (consecutive points of the fine grid).
BLOCK = 5


def random_glv(
    n_species: int,
    *,
    seed: int = 0,
    coupling: float = 0.5,
    extinct_fraction: float = 0.3,
    invasion: tuple[float, float] = (0.3, 0.8),
) -> tuple[np.ndarray, np.ndarray]:
    """A random generalised Lotka-Volterra system ``(r, A)`` in which some species die out.

    ``A = -I + C`` with dense Gaussian couplings ``C`` (standard deviation ``coupling /
    sqrt(n)``, shrunk until ``A + A^T`` is negative definite, so the dynamics stay bounded and
    converge to one equilibrium). A random ``extinct_fraction`` of the species has no place at
    that equilibrium: its invasion rate is ``-U(invasion)``, so it decays exponentially.

    Examples
    --------
    >>> r, A = random_glv(4, seed=1)
    >>> r.shape, A.shape, bool(np.all(np.diag(A) < 0))
    ((4,), (4, 4), True)
    """
    n = check_int("n_species", n_species)
    if not 0 <= extinct_fraction < 1:
        raise ValueError(f"`extinct_fraction` must be in [0, 1); got {extinct_fraction!r}.")
    rng = np.random.default_rng(seed)
    off = rng.standard_normal((n, n)) * coupling / np.sqrt(n)
    np.fill_diagonal(off, 0.0)
    A = -np.eye(n) + off
    top = np.linalg.eigvalsh(0.5 * (A + A.T)).max()
    if top >= -0.05:
        A = -np.eye(n) + off * (0.95 / (1.0 + top))
    survives = rng.random(n) >= extinct_fraction
    survives[rng.integers(n)] = True
    equilibrium = np.where(survives, rng.uniform(0.5, 1.5, n), 0.0)
    r = -A @ equilibrium - np.where(survives, 0.0, rng.uniform(*invasion, n))
    return r, A


def _sample_indices(
    sampling: str, n_samples: int, n_series: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices into the fine grid, shape (n_series, n_samples), each row strictly increasing."""
    last = GRID_POINTS - 1
    if sampling == "even":
        row = np.round(np.linspace(0, last, n_samples)).astype(np.int64)
        return np.broadcast_to(row, (n_series, n_samples)).copy()
    out = np.empty((n_series, n_samples), dtype=np.int64)
    for s in range(n_series):
        if sampling == "random":
            out[s] = np.concatenate(
                [[0], np.sort(rng.choice(np.arange(1, last + 1), n_samples - 1, replace=False))]
            )
            continue
        sizes = [BLOCK] * (n_samples // BLOCK) + ([n_samples % BLOCK] if n_samples % BLOCK else [])
        # Block starts spread over the horizon: the first at 0, the others at random gaps.
        free = last + 1 - n_samples
        n_gaps = len(sizes) - 1
        gaps = np.sort(rng.choice(free + 1, n_gaps, replace=True)) if n_gaps else np.zeros(0, int)
        starts, used = [0], 0
        for b, gap in enumerate(gaps):
            used += sizes[b]
            starts.append(used + int(gap))
        out[s] = np.concatenate(
            [np.arange(a, a + size) for a, size in zip(starts, sizes, strict=True)]
        )
    return out


def _simulate(r: np.ndarray, A: np.ndarray, x0: np.ndarray, grid: np.ndarray) -> np.ndarray:
    def log_rhs(_t: float, log_x: np.ndarray) -> np.ndarray:
        return r + A @ np.exp(log_x)

    sol = solve_ivp(
        log_rhs, (grid[0], grid[-1]), np.log(x0), t_eval=grid, method="LSODA", rtol=1e-8, atol=1e-10
    )
    if not sol.success or sol.y.shape[1] != grid.size:
        raise FitError(f"the gLV simulation failed: {sol.message}")
    return np.exp(sol.y.T)


def glv_study(
    n_species: int,
    *,
    n_series: int = 25,
    n_samples: int = 15,
    sampling: Sampling = "even",
    noise: float = 0.01,
    horizon: float = 30.0,
    extinction: float = 1e-3,
    seed: int = 0,
    r: Any = None,
    A: Any = None,
) -> xr.Dataset:
    """Simulate a study of ``n_series`` short series of one random gLV system.

    Parameters
    ----------
    n_species : int
        Number of species (components).
    n_series : int
        Number of series (runs), each from its own random initial state.
    n_samples : int
        Samples per series, all within ``[0, horizon]``, the first at time 0.
    sampling : {"even", "random", "sequential"}
        ``"even"``: evenly spaced over the horizon, the same times for every series;
        ``"random"``: distinct random times per series; ``"sequential"``: blocks of 5
        consecutive points of a fine grid (spacing ``horizon / 300``) at random places.
    noise : float
        Multiplicative observation noise, ``x exp(noise N(0, 1))`` (zeros stay zero).
    horizon : float
        Time span of every series.
    extinction : float
        Abundances below it count as extinct: they are 0 from then on (the species' effect on
        the others below the threshold is neglected).
    seed : int
        Seed of the system (unless ``r`` and ``A`` are given), the initial states, the
        sampling times and the noise.
    r, A : array_like, optional
        A known system instead of `random_glv`'s.

    Returns
    -------
    xarray.Dataset
        Traces with ``step`` = sample index, a ``time`` coordinate over (run, step), and
        ``true_r``, ``true_A``; ``clean_strength`` holds the values before noise.

    Examples
    --------
    >>> ds = glv_study(3, n_series=4, n_samples=5, sampling="random", seed=0)
    >>> dict(ds.sizes), ds.time.dims
    ({'run': 4, 'step': 5, 'component': 3, 'component_j': 3}, ('run', 'step'))
    """
    k = check_int("n_species", n_species)
    series = check_int("n_series", n_series)
    samples = check_int("n_samples", n_samples)
    if samples < 2:
        raise ValueError(f"`n_samples` must be at least 2; got {n_samples!r}.")
    if sampling not in SAMPLINGS:
        raise ValueError(f"`sampling` must be one of {list(SAMPLINGS)}; got {sampling!r}.")
    noise_ = check_number("noise", noise, strict=False)
    horizon_ = check_number("horizon", horizon)
    threshold = check_number("extinction", extinction, strict=False)
    if (r is None) != (A is None):
        raise ValueError("`r` and `A` go together: pass both or neither.")
    if r is None:
        r_, A_ = random_glv(k, seed=seed)
    else:
        r_, A_ = np.asarray(r, dtype=np.float64), np.asarray(A, dtype=np.float64)
        if A_.shape != (k, k) or r_.shape != (k,):
            raise ValueError(
                f"`r` and `A` must have shapes ({k},) and ({k}, {k}); got {r_.shape}, {A_.shape}."
            )
    rng = np.random.default_rng([seed, 1])
    grid = np.linspace(0.0, horizon_, GRID_POINTS)
    index = _sample_indices(sampling, samples, series, rng)
    x0 = np.exp(rng.uniform(np.log(0.05), np.log(1.5), size=(series, k)))
    clean = np.empty((series, samples, k))
    for s in range(series):
        path = _simulate(r_, A_, x0[s], grid)
        extinct = np.maximum.accumulate(path < threshold, axis=0)
        clean[s] = np.where(extinct, 0.0, path)[index[s]]
    observed = clean * np.exp(noise_ * rng.standard_normal(clean.shape))
    config = dict(
        producer="glv_study",
        n_species=k,
        n_series=series,
        n_samples=samples,
        sampling=sampling,
        noise=noise_,
        horizon=horizon_,
        extinction=threshold,
        seed=seed,
        r=r_.tolist(),
        A=A_.tolist(),
    )
    ds = make_traces(
        observed,
        step=np.arange(samples, dtype=np.int64),
        source=f"lvdyn.producers.synthetic.glv_study {__version__}",
        producer_config=producer_config(config),
        true_r=r_,
        true_A=A_,
    )
    ds = ds.assign_coords(time=(("run", "step"), grid[index]))
    ds["time"].attrs.update(long_name="sampling time of each series", units="1")
    ds["clean_strength"] = (("run", "step", "component"), clean)
    ds["clean_strength"].attrs.update(long_name="strength before observation noise", units="1")
    return add_history(
        ds,
        f"synthetic.glv_study(K={k}, series={series}, samples={samples}, "
        f"sampling={sampling}, noise={noise_})",
    )
