"""What a fit was made from, stored on the model (``fit_info_``) and in its file.

`fit_traces` records the steps and runs it used, the time axis and its units, the
derivative method, the penalty and constraints, the source traces (file name and SHA-256
checksums) and the lvdyn version; `save_model` writes each as a netCDF attribute (so
``ncdump -h model.nc`` shows them) and `load_model` reads them back. `lvdyn plot`,
`lvdyn report` and `score_traces` reuse the stored window and time axis by default
(`fit_settings`) and warn when told otherwise.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import FitSettingsWarning
from lvdyn.traces._schema import COMPONENT, RUN, STEP

__all__ = ["FIT_KEYS", "fit_record", "fit_settings", "parameter_units"]

#: The attributes of a model file that describe its fit, in the order they are written.
FIT_KEYS = (
    "fit_window",
    "fit_runs",
    "fit_n_samples",
    "fit_time",
    "fit_time_units",
    "fit_strength_units",
    "fit_derivative",
    "fit_method",
    "fit_penalty",
    "fit_alpha",
    "fit_constraints",
    "source_traces",
    "source_traces_sha256",
    "source_data_sha256",
    "lvdyn_version",
)

#: Files larger than this are not hashed (the data checksum still identifies the values).
MAX_HASHED_BYTES = 2**30


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_sha256(ds: xr.Dataset) -> str:
    """SHA-256 of the strengths, steps and component labels (independent of the file)."""
    digest = hashlib.sha256()
    strength = ds["strength"].transpose(RUN, STEP, COMPONENT).values
    digest.update(np.ascontiguousarray(strength, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(ds[STEP].values, dtype=np.int64).tobytes())
    digest.update(repr(ds[COMPONENT].values.tolist()).encode())
    return digest.hexdigest()


def _units(ds: xr.Dataset, time: str) -> tuple[str, str]:
    time_units = "step" if time == STEP else str(ds[time].attrs.get("units", ""))
    strength_units = str(ds["strength"].attrs.get("units", ""))
    # A dimensionless unit ("1") reads better as the quantity's name.
    return (
        time_units if time_units not in ("", "1") else time,
        strength_units if strength_units not in ("", "1") else "strength",
    )


def parameter_units(model_name: str, time_units: str, strength_units: str) -> dict[str, str]:
    """Units of each stored parameter, for the ``units`` attributes of a model file.

    Examples
    --------
    >>> parameter_units("LotkaVolterra", "step", "strength")
    {'r': '1/step', 'A': '1/(step * strength)'}
    """
    t, s = time_units, strength_units
    if model_name == "LotkaVolterra":
        return {"r": f"1/{t}", "A": f"1/({t} * {s})"}
    if model_name == "LinearODE":
        return {"A": f"1/{t}", "b": f"{s}/{t}"}
    return {"coef": f"{s}/{t} per unit of each term"}


def _constraints(params: dict[str, Any]) -> str:
    parts = []
    if params.get("diagonal") is not None:
        parts.append(f"diagonal={params['diagonal']}")
    for name in ("support", "sign"):
        if params.get(name) is not None:
            parts.append(f"{name}=given (see params)")
    if params.get("floor") is not None:
        parts.append(f"floor={params['floor']}")
    if params.get("stability") is not None:
        parts.append(f"stability={params['stability']} (margin {params['stability_margin']})")
    if "threshold" in params:
        parts.append(f"threshold={params['threshold']}")
    return ", ".join(parts) or "none"


def fit_record(
    model: Any, ds: xr.Dataset, sub: xr.Dataset, *, derivative: Any, time: str, n_samples: int
) -> dict[str, Any]:
    """The ``fit_info_`` of a model fitted to the selection ``sub`` of ``ds``."""
    from lvdyn._version import __version__

    params = model.get_params()
    steps = sub[STEP].values
    time_units, strength_units = _units(ds, time)
    runs = sub[RUN].values.tolist()
    source = ds.encoding.get("source")
    record: dict[str, Any] = {
        "fit_window": [int(steps[0]), int(steps[-1])],
        "fit_runs": "all" if sub.sizes[RUN] == ds.sizes[RUN] else [str(r) for r in runs],
        "fit_n_samples": int(n_samples),
        "fit_time": time,
        "fit_time_units": time_units,
        "fit_strength_units": strength_units,
        "fit_derivative": derivative if isinstance(derivative, str) else repr(derivative),
        "fit_method": str(getattr(model, "method_", "derivative")),
        "fit_penalty": str(params.get("penalty") or "none"),
        "fit_alpha": float(params["alpha"]) if params.get("penalty") else "unused",
        "fit_constraints": _constraints(params),
        "source_traces": str(source) if source else str(ds.attrs.get("source", "in memory")),
        "source_traces_sha256": "",
        "source_data_sha256": data_sha256(ds),
        "lvdyn_version": __version__,
    }
    if source and os.path.isfile(source) and os.path.getsize(source) <= MAX_HASHED_BYTES:
        record["source_traces_sha256"] = _file_sha256(Path(source))
    return record


def fit_settings(
    model: Any, *, window: Any = None, time: str | None = None, what: str = "draw"
) -> tuple[Any, str]:
    """The window and time axis to use with ``model``: the stored ones unless given.

    ``window`` None means "as fitted"; pass ``(None, None)`` for every step. A given window
    or time axis that differs from the stored fit warns with `FitSettingsWarning` (a
    Lotka-Volterra fit drawn from step 0 when it was fitted on steps 150.. is usually not
    what was meant; rates fitted per unit of ``time`` are wrong per step).
    """
    info = getattr(model, "fit_info_", None) or {}
    stored_window = info.get("fit_window")
    stored_time = info.get("fit_time")
    name = type(model).__name__
    if window is None:
        window = None if stored_window is None else tuple(int(v) for v in stored_window)
    elif stored_window is not None and not _same_window(window, stored_window):
        warnings.warn(
            f"the {name} was fitted on steps {stored_window[0]}..{stored_window[1]} "
            f"(stored in its file); {what} uses `window` {tuple(window)} instead. Leave "
            "`window` out to use the fitted steps.",
            FitSettingsWarning,
            stacklevel=3,
        )
    if time is None:
        time = str(stored_time) if stored_time else STEP
    elif stored_time is not None and time != stored_time:
        warnings.warn(
            f"the {name} was fitted with rates per {stored_time!r} (stored in its file); "
            f"{what} uses `time` {time!r}, so its rates are in the wrong unit. Leave `time` "
            "out to use the fitted axis.",
            FitSettingsWarning,
            stacklevel=3,
        )
    return window, time


def _same_window(window: Any, stored: Any) -> bool:
    """Whether ``window`` selects the stored steps (an open end matches any stored end)."""
    if isinstance(window, slice):
        window = (window.start, window.stop)
    return all(w is None or int(w) == int(v) for w, v in zip(window, stored, strict=True))
