"""What the demo says about its mean-field forecast: the equations with their parameters
named and explained, the interaction structure in words and numbers, and the per-run table
of predicted against actual survivors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lvdyn.app._forecast import MeanFieldForecast, RunForecast
from lvdyn.app._report import ReportSection

__all__ = [
    "GENERAL_FORM",
    "forecast_row",
    "forecast_sections",
    "forecast_table",
    "forecast_title",
    "interaction_lines",
    "parameter_lines",
    "survivor_equations",
    "survivors_heading",
]

#: The model's equation with its parameters named (`lvdyn.MeanFieldLV`).
GENERAL_FORM = (
    "dS_k/dt = -λ z_k + z_k (r_k h(z_k) - a z_k - c Σ_j z_j),   "
    "z_k = S_k - floor,   h(z) = z / (z + K)"
)


def parameter_lines(forecast: MeanFieldForecast, index: int = 0) -> list[str]:
    """One line per shared parameter of run ``index``'s model: value, unit, meaning."""
    run = forecast.runs[index]
    m = run.model
    lines = [
        (
            f"a     = {m.self_limitation_:<9.3g} per step per unit strength: self-limitation, a "
            "circle's own excess z_k slows its growth by a z_k"
        ),
        (
            f"c     = {m.competition_:<9.3g} per step per unit strength: competition, every "
            "circle's excess slows every circle alike, by c Σ_j z_j"
        ),
        (
            f"floor = {m.floor_:<9.3g} strength: where a losing circle settles (z = 0); dead "
            "circles keep a noise-level strength"
        ),
        (
            f"K     = {m.saturation_:<9.3g} strength: saturation of the push, a circle gets half "
            "its growth rate r_k at excess K and loses it near the floor"
        ),
        (
            f"λ     = {m.decay_:<9.3g} per step: decay, lr × weight_decay, the pull of weight "
            "decay on every circle"
        ),
    ]
    alive = run.actual
    rates = ", ".join(
        f"r_{k} = {r:.3g}"
        for k, r in zip(forecast.labels(alive), m.growth_rates_[alive], strict=True)
    )
    lines.append(
        f"r_k   per step, one per circle and run: the push of the loss, read from the run's "
        f"own first {forecast.step} steps; for its survivors {rates or '(none)'}"
    )
    return lines


def _shown_components(run: RunForecast) -> np.ndarray:
    """The run's survivors, or its 3 strongest circles at the end when fewer than 2 survive."""
    keep = np.flatnonzero(run.actual)
    if keep.size < 2:
        keep = np.sort(np.argsort(-run.simulated[-1])[:3])
    return keep


def survivor_equations(forecast: MeanFieldForecast, index: int = 0) -> list[str]:
    """`lvdyn.equations` of run ``index``'s model restricted to its survivors.

    The losers sit at the floor (``z = 0``) once the competition is decided, so they drop
    out of every survivor's ``Σ_j z_j``.
    """
    from lvdyn.models import MeanFieldLV
    from lvdyn.symbolic import equations

    m = forecast.runs[index].model
    keep = _shown_components(forecast.runs[index])
    reduced = MeanFieldLV.from_params(m.growth_rates_[keep], a=m.self_limitation_,
                                      c=m.competition_, floor=m.floor_, decay=m.decay_,
                                      saturation=m.saturation_)  # fmt: skip
    labels = [f"S{k}" for k in forecast.components[keep]]
    return equations(reduced, precision=3, labels=labels)


def interaction_lines(forecast: MeanFieldForecast, index: int = 0) -> list[str]:
    """``A = -a I - c 1 1^T`` in words and numbers, and the balance at the predicted end."""
    run = forecast.runs[index]
    m = run.model
    k = forecast.components.size
    a, c = m.self_limitation_, m.competition_
    lines = [
        (
            f"A = -a I - c 1 1ᵀ over the {k} circles: each circle holds itself back by a + c = "
            f"{a + c:.3g} and is held back by every other circle by c = {c:.3g} per step per unit "
            f"strength (c/a = {c / a:.2g}), the same for every pair. No circle helps another and "
            "no pair is special: the growth rates r_k and the state at the prefix decide who wins."
        )
    ]
    z = np.maximum(run.equilibrium - m.floor_, 0.0)
    alive = run.predicted & (z > 0)
    if alive.any():
        h = z / (z + m.saturation_) if m.saturation_ > 0 else np.ones_like(z)
        push = float(np.mean((m.growth_rates_ * h)[alive]))
        lines.append(
            f"Where the model settles for run {run.run} ({int(alive.sum())} predicted "
            f"survivors, mean excess z = {float(z[alive].mean()):.3g}), a survivor's push "
            f"r_k h(z_k) = {push:.3g} per step is balanced by the decay λ = {m.decay_:.3g}, its "
            f"self-limitation a z_k = {a * float(z[alive].mean()):.3g} and the competition "
            f"c Σ_j z_j = {c * float(z.sum()):.3g} (means over the survivors)."
        )
    return lines


def forecast_row(forecast: MeanFieldForecast) -> dict[str, Any]:
    """The mean-field row of the demo's model table (keys as in `lvdyn.app._demo`)."""
    return {
        "model": "mean-field (held out)",
        "parameters": f"5 shared + {forecast.components.size} per run",
        "derivative R2": float("nan"),
        "trajectory R2": float("nan"),
        "R2 from prefix": forecast.r2_pooled,
        "AIC": float("nan"),
    }


def forecast_table(forecast: MeanFieldForecast) -> tuple[list[str], list[list[str]]]:
    """Per run: predicted and actual survivors, F1 and trajectory R^2 after the prefix."""
    header = ["run", "predicted", "actual", "F1", "R² (run)"]
    rows = [
        [
            str(r.run),
            ", ".join(str(v) for v in forecast.labels(r.predicted)) or "none",
            ", ".join(str(v) for v in forecast.labels(r.actual)) or "none",
            f"{r.f1:.2f}" if np.isfinite(r.f1) else "n/a",
            f"{r.r2:.3f}" if np.isfinite(r.r2) else "diverged",
        ]
        for r in forecast.runs
    ]
    return header, rows


def forecast_title(forecast: MeanFieldForecast, index: int = 0) -> str:
    """The forecast figure's title: the run is held out, predicted against actual survivors."""
    run = forecast.runs[index]
    return (
        f"Held-out run {run.run}: mean-field model (dashed) from step {forecast.step}\n"
        f"{run.summary()}; trajectory R² {run.r2:.2f}"
    )


INTRO = (
    "lvdyn.MeanFieldLV: every circle limits itself and competes with all the others alike; "
    "only its growth rate r_k, read from the run's own prefix, tells one circle from another. "
    "Frequencies carry no identity across runs (frequency 7 of one run has nothing to do with "
    "frequency 7 of another), so only the five parameters below are shared across runs."
)


def survivors_heading(forecast: MeanFieldForecast, index: int = 0) -> str:
    """The line above `survivor_equations`: which run, which survivors, why only they."""
    run = forecast.runs[index]
    names = ", ".join(f"S{k}" for k in forecast.components[_shown_components(run)])
    return (
        f"Run {run.run} among its survivors {names} (lvdyn.equations; the losers sit at the "
        "floor, z = 0, and drop out of Σ_j z_j):"
    )


def forecast_sections(forecast: MeanFieldForecast, figure: Path) -> list[ReportSection]:
    """The report's sections: the model and its readout, its interaction structure, and the
    forecast of the held-out runs with the fit figure."""
    model = ReportSection(
        "The model that holds: mean-field competition among the circles",
        paragraphs=[INTRO, forecast.description],
        preformatted=[
            "\n".join(
                [
                    GENERAL_FORM,
                    "",
                    *parameter_lines(forecast),
                    "",
                    survivors_heading(forecast),
                    *survivor_equations(forecast),
                ]
            )
        ],
    )
    structure = ReportSection("Its interaction structure", paragraphs=interaction_lines(forecast))
    held_out = ReportSection(
        f"Predicted survivors of held-out runs, from step {forecast.step} "
        f"({forecast.fraction:.0%} of the median settle step)",
        paragraphs=[
            (
                f"Each run's model is simulated from its state at step {forecast.step} to the "
                f"end of training; the survivors of its equilibrium (read by the traces' "
                f"survival rule) are set against the actual ones. Mean F1 over the runs: "
                f"{forecast.f1_mean:.2f}. R² (run), as in benchmarks/bench_mean_field.py: the "
                "share of the run's spread of strengths after the prefix (around their mean) "
                "that the simulation reproduces. Pooled over all runs with each circle centred "
                f"on its own mean (the model table's 'R2 from prefix'): {forecast.r2_pooled:.3f}."
            )
        ],
        tables=[forecast_table(forecast)],
        figures=[(figure, forecast_title(forecast).replace("\n", "; "))],
    )
    return [model, structure, held_out]
