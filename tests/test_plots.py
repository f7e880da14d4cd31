"""Figures: each function draws what it says, and files are written as PNG and SVG."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg

import lvdyn
from lvdyn.plots import (
    plot_circles,
    plot_fit,
    plot_interactions,
    plot_prediction_scores,
    plot_spectrum,
    plot_traces,
    save_figure,
)
from lvdyn.plots._circles import circle_coordinates
from lvdyn.producers import synthetic


@pytest.fixture(scope="module")
def lv_traces() -> xr.Dataset:
    system = synthetic.exclusion_lotka_volterra(6, 2, seed=0)
    x0 = np.random.default_rng(0).uniform(0.05, 0.3, size=(2, 6))
    return synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=100, dt=0.2)


def test_traces_plot_colours_survivors_only(lv_traces) -> None:
    mask = np.array([True, False, False, True, False, False])
    ax = plot_traces(lv_traces, run=1, survivors=mask).axes[0]
    grey = [line for line in ax.lines if line.get_color() == "#b8b8b8"]
    assert len(grey) == 4 and len(ax.lines) == 6
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "3"]


def test_traces_plot_rejects_unknown_run(lv_traces) -> None:
    with pytest.raises(ValueError, match="`run` must be one of"):
        plot_traces(lv_traces, run="nope")


def test_fit_plot_has_a_panel_per_component(lv_traces) -> None:
    fig = plot_fit(lv_traces, lv_traces, components=[0, 1, 2])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3
    assert all(len(ax.lines) == 2 for ax in visible)


def test_interaction_plot_hatches_unresolved_signs() -> None:
    A = np.array([[-1.0, 0.2], [-0.4, -1.0]])
    lower, upper = A - 0.3, A + 0.3  # only the 0.2 entry's interval contains zero
    ax = plot_interactions(A, labels=["a", "b"], lower=lower, upper=upper).axes[0]
    assert len(ax.patches) == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]


@pytest.mark.parametrize("n", [3, 10, 29])
def test_interaction_plot_labels_stay_inside_the_figure_and_apart(n) -> None:
    # Long labels ("frequency_12"): the y labels and the axis label are drawn inside the
    # figure (not clipped), and the column labels do not overlap one another.
    names = [f"frequency_{k + 1}" for k in range(n)]
    fig = plot_interactions(np.eye(n) - 0.1, labels=names)
    canvas = FigureCanvasAgg(fig)  # the layout is computed when the figure is drawn
    canvas.draw()
    renderer = canvas.get_renderer()
    ax, inside = fig.axes[0], fig.bbox
    pieces = [ax.yaxis.label, ax.xaxis.label, *ax.get_yticklabels(), *ax.get_xticklabels()]
    for text in pieces:
        box = text.get_window_extent(renderer)
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1, text.get_text()
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1, text.get_text()
    columns = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert all(a.x1 <= b.x0 for a, b in pairwise(columns))


def test_spectrum_separates_growing_modes() -> None:
    ax = plot_spectrum([-1.0, 0.5, -0.2 + 1j]).axes[0]
    stable, unstable = ax.collections
    assert stable.get_offsets().shape == (2, 2) and unstable.get_offsets().shape == (1, 2)


def test_circle_coordinates_of_a_pure_circle() -> None:
    p, k = 11, 3
    t = np.arange(p)
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(8, 2)))[0]  # an orthonormal plane in R^8
    E = np.stack([np.cos(2 * np.pi * k * t / p), np.sin(2 * np.pi * k * t / p)], 1) @ basis.T
    xy = circle_coordinates(E, k)
    np.testing.assert_allclose(np.hypot(*xy.T), 1.0, atol=1e-12)  # all tokens on the unit ring
    fig = plot_circles(E, [k, 1])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_prediction_plot_and_files(tmp_path) -> None:
    scores = xr.Dataset(
        {"f1": (("predictor", "prefix"), [[0.5, 0.8], [0.4, 0.6]])},
        coords={"predictor": ["lv", "signal"], "prefix": [100, 200]},
    )
    fig = plot_prediction_scores(scores)
    paths = save_figure(fig, tmp_path / "f1")
    assert [p.name for p in paths] == ["f1.png", "f1.svg"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in paths[1].read_bytes()[:500]
    with pytest.raises(ValueError, match="`metric`"):
        plot_prediction_scores(scores, metric="auc")


def test_plots_are_not_imported_by_lvdyn() -> None:
    assert "lvdyn.plots" not in lvdyn.__dict__
