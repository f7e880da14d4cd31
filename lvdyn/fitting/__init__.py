"""Fitting models to traces: derivatives, design matrices, `fit_traces`, simulation, scores,
coefficients and model files, regularisation paths, bootstrap and trajectory refinement.

Imports `lvdyn.core`, `lvdyn.traces` and `lvdyn.models`.
"""

from lvdyn.fitting._bootstrap import bootstrap_traces as bootstrap_traces
from lvdyn.fitting._coefficients import coefficients as coefficients
from lvdyn.fitting._coefficients import load_model as load_model
from lvdyn.fitting._coefficients import save_model as save_model
from lvdyn.fitting._derivatives import FiniteDifference as FiniteDifference
from lvdyn.fitting._derivatives import Midpoint as Midpoint
from lvdyn.fitting._derivatives import SavitzkyGolay as SavitzkyGolay
from lvdyn.fitting._derivatives import SmoothingSpline as SmoothingSpline
from lvdyn.fitting._derivatives import SqrtRatio as SqrtRatio
from lvdyn.fitting._fitting import fit_traces as fit_traces
from lvdyn.fitting._path import regularization_path as regularization_path
from lvdyn.fitting._refine import refine_trajectories as refine_trajectories
from lvdyn.fitting._scores import interaction_sign_score as interaction_sign_score
from lvdyn.fitting._scores import score_traces as score_traces
from lvdyn.fitting._simulate import simulate_traces as simulate_traces

__all__ = [
    "FiniteDifference",
    "Midpoint",
    "SavitzkyGolay",
    "SmoothingSpline",
    "SqrtRatio",
    "bootstrap_traces",
    "coefficients",
    "fit_traces",
    "interaction_sign_score",
    "load_model",
    "refine_trajectories",
    "regularization_path",
    "save_model",
    "score_traces",
    "simulate_traces",
]
