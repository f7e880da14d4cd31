"""The standard figures of a traces file and of fitted models.

`lvdyn demo`, `lvdyn plot` and `lvdyn report` draw their figures here, so the three show the
same thing the same way. Each function takes data (a traces dataset, a fitted model) and
returns a matplotlib ``Figure``; `lvdyn.plots` holds the lower-level drawing functions.
``import lvdyn`` does not import this module (it imports matplotlib).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from lvdyn import plots
from lvdyn.core._types import FittedODEModel, LinearLike, LotkaVolterraLike

if TYPE_CHECKING:
    from lvdyn.app._forecast import MeanFieldForecast
    from lvdyn.models import AbstractODEModel

__all__ = [
    "FIGURE_KINDS",
    "circles_figure",
    "fit_figure",
    "forecast_figure",
    "interactions_figure",
    "prediction_figure",
    "spectrum_figure",
    "traces_figure",
]


def _run(ds: xr.Dataset, run: Any) -> Any:
    """``run`` as a label of ``ds`` (default: the first run), accepting its text form."""
    labels = ds.run.values.tolist()
    if run is None:
        return labels[0]
    for label in labels:
        if label == run or str(label) == str(run):
            return label
    raise ValueError(f"`run` must be one of {labels[:10]}; got {run!r}.")


def _labels(model: FittedODEModel, ds: xr.Dataset | None = None) -> list[Any]:
    labels = getattr(model, "component_labels_", None)
    if labels is None and ds is not None:
        labels = ds.component.values
    if labels is None:
        labels = np.arange(int(model.n_features_in_))
    return np.asarray(labels).tolist()


#: With at most this many components every one is drawn in colour; with more, only survivors.
COLOUR_ALL = 10

#: Colour of a circle the model predicts to survive but that loses (forecast figure).
WRONG_COLOUR = "#404040"

#: Readable model names for titles.
MODEL_NAMES = {"LinearODE": "Linear", "LotkaVolterra": "Lotka-Volterra", "SINDy": "SINDy"}


def traces_figure(
    ds: xr.Dataset,
    *,
    run: Any = None,
    survivors: xr.DataArray | None = None,
    rule: str | None = None,
    value: float | None = None,
    title: str = "",
) -> Figure:
    """Every component's strength in one run.

    With more than `COLOUR_ALL` components the survivors (``lvdyn.survivors`` by ``rule``
    and ``value``, default the traces' own rule, or ``survivors``) are drawn in colour and
    the rest in grey; with fewer, every component is coloured.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.linspace(1, 2, 30).reshape(10, 3), step=np.arange(10))
    >>> len(traces_figure(ds).axes[0].lines)
    3
    """
    from lvdyn.traces._survival import survivors as read_survivors

    label = _run(ds, run)
    if ds.sizes["component"] <= COLOUR_ALL and survivors is None:
        return plots.plot_traces(
            ds,
            run=label,
            survivors=np.ones(ds.sizes["component"], dtype=bool),
            title=title or f"Component strengths, run {label}",
            legend_title="component",
        )
    alive = read_survivors(ds, rule, value=value) if survivors is None else survivors
    return plots.plot_traces(
        ds,
        run=label,
        survivors=alive.sel(run=label).values,
        title=title or f"Component strengths, run {label} (survivors in colour)",
    )


def circles_figure(
    ds: xr.Dataset,
    *,
    run: Any = None,
    frequencies: Any = None,
    rule: str | None = None,
    value: float | None = None,
    title: str = "",
) -> Figure:
    """Tokens on the Fourier planes of the final embedding snapshot (modular addition).

    ``frequencies`` default to the run's survivors by ``rule`` and ``value`` (default the
    traces' own rule; at most four; the three strongest when fewer than two survive).
    """
    from lvdyn.traces._survival import survivors as read_survivors

    if "embedding" not in ds:
        raise ValueError(
            "`--kind circles` needs embedding snapshots in the traces; got none. Train with "
            "`lvdyn train modadd --snapshot-steps 0,STEPS`."
        )
    label = _run(ds, run)
    one = ds.sel(run=label)
    if frequencies is None:
        chosen = read_survivors(ds, rule, value=value, warn=False)
        alive = one.component.values[chosen.sel(run=label).values]
        if alive.size < 2:
            alive = np.sort(
                one.component.values[np.argsort(-one.strength.isel(step=-1).values)[:3]]
            )
        frequencies = alive[:4]
    final = one.embedding.isel(snapshot_step=-1).values
    return plots.plot_circles(
        final,
        frequencies,
        title=title or f"Final embedding of run {label} on its strongest frequencies",
    )


def fit_figure(
    ds: xr.Dataset,
    model: AbstractODEModel,
    *,
    run: Any = None,
    time: str | None = None,
    window: tuple[int | None, int | None] | None = None,
    max_panels: int = 8,
    title: str = "",
) -> Figure:
    """The model simulated from the run's first state (lines) against the traces (points).

    ``window`` (first, last step; either may be None) restricts the traces first, so the
    simulation starts where a windowed fit started; by default the steps and the time axis
    stored with the fit (a different one warns, `lvdyn.FitSettingsWarning`). The panels
    show the ``max_panels`` components with the largest values over the last 5 % of the
    steps.
    """
    from lvdyn.fitting._provenance import fit_settings
    from lvdyn.fitting._simulate import simulate_traces

    window, time = fit_settings(model, window=window, time=time, what="the fit figure")

    labels = _labels(model, ds)
    if len(labels) != ds.sizes["component"] or [str(v) for v in labels] != [
        str(v) for v in ds.component.values
    ]:
        raise ValueError(
            f"`model` must have the traces' components {ds.component.values.tolist()[:10]}; "
            f"got {labels[:10]}. Fit the model to these traces."
        )
    label = _run(ds, run)
    one = ds.sel(run=[label])
    if window is not None:
        one = one.sel(step=slice(*window))
        if one.sizes["step"] < 2:
            raise ValueError(f"`window` must hold at least two steps; got {window}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a diverging fit is drawn as it is
        simulated = simulate_traces(model, one, time=time)
    values = one.strength.isel(run=0).values  # (step, component)
    final = np.nanmax(
        np.where(np.isfinite(values), values, -np.inf)[-max(1, len(values) // 20) :], 0
    )
    top = one.component.values[np.argsort(-final, kind="stable")[:max_panels]]
    return plots.plot_fit(
        one,
        simulated,
        run=label,
        components=list(top),
        title=title
        or f"{MODEL_NAMES.get(type(model).__name__, type(model).__name__)} model "
        f"(lines, from the first state) against the traces (points), run {label}",
    )


def forecast_figure(ds: xr.Dataset, forecast: MeanFieldForecast, index: int = 0) -> Figure:
    """One held-out run's strengths (survivors in colour, losers grey) and the mean-field
    model simulated from the prefix (dashed), with a vertical line at the prefix."""
    from lvdyn.app._forecast_text import forecast_title
    from lvdyn.plots._figure import DEAD_COLOUR, SURVIVOR_COLOURS, finish, new_axes

    run = forecast.runs[index]
    observed = ds["strength"].sel(run=run.run).transpose("step", "component").values
    steps = forecast.steps.astype(float)
    shown = np.where(steps > 0, steps, steps[steps > 0][0] / 2)  # log axis: step 0 at half
    ax = new_axes(None, figsize=(8.0, 4.6))
    wrong = run.predicted & ~run.actual  # predicted to survive, lost: dark grey, labelled
    order = np.lexsort((wrong, run.actual))  # grey first, then wrong ones, then survivors
    n_before = int((~run.actual).sum())
    for i, k in enumerate(order):
        label = forecast.components[k]
        if run.actual[k]:
            colour = SURVIVOR_COLOURS[(i - n_before) % len(SURVIVOR_COLOURS)]
            name, width, z = f"{label} ({'predicted' if run.predicted[k] else 'missed'})", 1.8, 3
        elif wrong[k]:
            colour, name, width, z = WRONG_COLOUR, f"{label} (predicted, lost)", 1.2, 2
        else:
            colour, name, width, z = DEAD_COLOUR, None, 0.8, 1
        ax.plot(shown, observed[:, k], color=colour, lw=width, zorder=z, label=name)
        ax.plot(shown[forecast.position :], run.simulated[:, k], color=colour, ls="--",
                lw=max(width - 0.4, 0.8), zorder=z + 0.5)  # fmt: skip
    ax.plot([], [], color=DEAD_COLOUR, lw=0.8, label="the other circles")
    ax.plot([], [], color="0.3", ls="--", lw=1.2, label="model from the prefix")
    ax.axvline(shown[forecast.position], color="black", lw=0.9, zorder=5)
    ax.annotate(f" prefix: step {forecast.step}", (shown[forecast.position], 1.0),
                xycoords=("data", "axes fraction"), va="top", fontsize=9)  # fmt: skip
    ax.set_xscale("log")
    ax.legend(title="circles", fontsize=8, title_fontsize=8, ncols=2, loc="lower left")
    return finish(
        ax,
        xlabel=f"training step (log axis; step 0 drawn at {shown[0]:g})",
        ylabel="strength S_k",
        title=forecast_title(forecast, index),
    )


def interactions_figure(model: FittedODEModel, *, labels: Any = None, title: str = "") -> Figure:
    """Heat map of the interaction matrix (Lotka-Volterra ``A``) or the linear model's ``A``.

    ``labels`` default to the model's component labels (set by `lvdyn.load_model`).
    """
    if isinstance(model, LotkaVolterraLike):
        matrix = model.interaction_matrix_
        default = "Lotka-Volterra interaction matrix A"
    elif isinstance(model, LinearLike):
        matrix = model.A_
        default = "Linear model: coupling matrix A of dx/dt = A x + b"
    else:
        raise ValueError(
            f"`--kind interactions` needs a linear or Lotka-Volterra model; got "
            f"{type(model).__name__}. Fit with --model lv or --model linear."
        )
    names = _labels(model) if labels is None else list(labels)
    return plots.plot_interactions(matrix, labels=names, title=title or default)


def spectrum_figure(model: FittedODEModel, *, title: str = "") -> Figure:
    """Eigenvalues of the Jacobian: of ``A`` for a linear model, else at the settled state."""
    from lvdyn.analysis import find_equilibria, stability
    from lvdyn.analysis._equilibria import settled_state

    if isinstance(model, LinearLike):
        return plots.plot_spectrum(
            np.linalg.eigvals(model.A_), title=title or "Eigenvalues of the linear model's A"
        )
    state = settled_state(find_equilibria(model))
    if state is None:
        raise ValueError(
            f"`--kind spectrum` needs an equilibrium of the model; the {type(model).__name__} "
            "fit has no finite one. Try --kind interactions."
        )
    spectrum = stability(model, state)
    eigenvalues = spectrum.eigenvalue_real.values + 1j * spectrum.eigenvalue_imag.values
    return plots.plot_spectrum(
        eigenvalues,
        title=title
        or f"Jacobian spectrum at the settled state ({spectrum.attrs['classification']})",
    )


def prediction_figure(prediction: xr.Dataset, *, title: str = "") -> Figure:
    """F1 of each survival predictor against prefix length (from
    `lvdyn.evaluate_survival_prediction`)."""
    return plots.plot_prediction_scores(prediction, title=title or None)


#: Figure kind -> (what it needs, how it is drawn). Needs: "traces", "model" or both.
FIGURE_KINDS: dict[str, tuple[tuple[str, ...], Callable[..., Figure]]] = {
    "traces": (("traces",), traces_figure),
    "circles": (("traces",), circles_figure),
    "fit": (("traces", "model"), fit_figure),
    "interactions": (("model",), interactions_figure),
    "spectrum": (("model",), spectrum_figure),
}
