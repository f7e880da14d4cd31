"""Per-component features of the early part of training, for survival prediction.

Every feature is computed per run from the steps up to the prefix only, and standardised
within the run (survival is relative: it depends on how a component compares with the others).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["FEATURE_NAMES", "prefix_features", "truncate"]

FEATURE_NAMES = (
    "initial_signal",  # log strength at the first step
    "current_signal",  # log strength at the prefix's last step
    "early_gradient",  # (S(4) - S(3)) / S(0), the paper's "gradient" (0 if steps 3-4 missing)
    "total_growth",  # log S(prefix) - log S(0)
    "late_growth",  # log-growth rate over the last quarter of the prefix
    "rank",  # rank at the prefix's last step, 1 = strongest, scaled to [0, 1]
)


def truncate(ds: xr.Dataset, prefix: int, *, allow_last: bool = True) -> xr.Dataset:
    """The steps ``<= prefix`` of ``ds``; raise if the prefix is beyond the data.

    A prefix at the last logged step is allowed: a run still in progress ends at its
    prefix, and predicting its survivors from there is a prediction. ``allow_last=False``
    refuses it (where the survivors are read from the same final step).
    """
    steps = ds.step.values
    if isinstance(prefix, bool) or not isinstance(prefix, int | np.integer):
        raise ValueError(
            f"`prefix` must be an integer training step; got {prefix!r} ({type(prefix).__name__})."
        )
    if steps.size < 2:
        raise ValueError(
            f"`ds` must have at least 2 logged steps to predict from a prefix; got "
            f"{steps.size} (step {steps.tolist()}). Log more steps."
        )
    last = steps[-1] if allow_last else steps[-1] - 1
    if prefix < steps[0] or prefix > last:
        raise ValueError(
            f"`prefix` must lie within the logged steps ({steps[0]}..{last}); got {prefix}. "
            "Use a shorter prefix."
        )
    out = ds.sel(step=slice(None, prefix))
    if out.sizes["step"] < 2:
        raise ValueError(f"`prefix` {prefix} leaves fewer than 2 logged steps; use a longer one.")
    return out


def _zscore(values: np.ndarray) -> np.ndarray:
    """Standardise along the last axis (components), per run."""
    mean = np.nanmean(values, axis=-1, keepdims=True)
    std = np.nanstd(values, axis=-1, keepdims=True)
    return np.where(std > 0, (values - mean) / np.where(std > 0, std, 1.0), 0.0)


def prefix_features(ds: xr.Dataset, prefix: int) -> xr.DataArray:
    """Features of each (run, component) from the steps up to ``prefix``.

    Returns a DataArray with dims (run, component, feature).

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> x = np.exp(np.linspace(0, 1, 10))[:, None] * np.array([1.0, 2.0, 0.5])
    >>> ds = lvdyn.make_traces(x, step=np.arange(10))
    >>> f = prefix_features(ds, 8)
    >>> f.dims, f.sel(feature="rank").values.round(2).tolist()
    (('run', 'component', 'feature'), [[0.5, 0.0, 1.0]])
    """
    head = truncate(ds, prefix)
    S = head.strength.values  # (run, step, component)
    floor = np.nanmax(S) * 1e-12 if np.isfinite(S).any() else 1e-12
    logS = np.log(np.maximum(S, floor))
    steps = head.step.values
    first = logS[:, 0]
    # last finite sample of each run (runs may be NaN-padded)
    valid = np.isfinite(S).all(axis=2)
    last_index = np.array([np.flatnonzero(v)[-1] if v.any() else 0 for v in valid])
    runs = np.arange(S.shape[0])
    last = logS[runs, last_index]
    quarter_start = np.array(
        [np.searchsorted(steps, steps[i] - 0.25 * (steps[i] - steps[0])) for i in last_index]
    )
    span = np.maximum(steps[last_index] - steps[quarter_start], 1)
    late = (last - logS[runs, quarter_start]) / span[:, None]
    gradient = np.zeros_like(first)
    positions = {int(s): i for i, s in enumerate(steps)}
    if all(s in positions for s in (0, 3, 4)):
        s0, s3, s4 = (S[:, positions[s]] for s in (0, 3, 4))
        gradient = (s4 - s3) / s0
    order = np.argsort(np.argsort(-last, axis=1), axis=1)
    rank = order / max(S.shape[2] - 1, 1)
    stacked = np.stack(
        [
            _zscore(first),
            _zscore(last),
            _zscore(gradient),
            _zscore(last - first),
            _zscore(late),
            rank,
        ],
        axis=-1,
    )
    return xr.DataArray(
        stacked,
        dims=("run", "component", "feature"),
        coords={
            "run": ds.run.values,
            "component": ds.component.values,
            "feature": list(FEATURE_NAMES),
        },
        name="prefix_features",
    )
