"""Figures (matplotlib): traces, fits, interaction matrices, spectra, circles, prediction scores.

Every function draws on a given ``ax`` (or a new figure) and returns the matplotlib ``Figure``;
`save_figure` writes PNG and SVG atomically. ``import lvdyn`` does not import this module.
"""

from lvdyn.plots._circles import plot_circles as plot_circles
from lvdyn.plots._figure import save_figure as save_figure
from lvdyn.plots._matrix import plot_interactions as plot_interactions
from lvdyn.plots._prediction import plot_prediction_scores as plot_prediction_scores
from lvdyn.plots._spectrum import plot_spectrum as plot_spectrum
from lvdyn.plots._traces import plot_fit as plot_fit
from lvdyn.plots._traces import plot_traces as plot_traces

__all__ = [
    "plot_circles",
    "plot_fit",
    "plot_interactions",
    "plot_prediction_scores",
    "plot_spectrum",
    "plot_traces",
    "save_figure",
]
