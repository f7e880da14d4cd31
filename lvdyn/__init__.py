"""lvdyn: representations inside a training network as species in an ecosystem.

Record competitions as traces (per-component strength over training steps), fit linear,
Lotka-Volterra and SINDy differential equations to them, analyse the fitted systems, and
predict the survivors from early training.

``import lvdyn`` imports neither torch nor sympy; the producers that need torch and the
symbolic readout import them when used.
"""

from lvdyn import _accessor  # noqa: F401  (registers ds.lvdyn)
from lvdyn._version import __version__ as __version__
from lvdyn.analysis import MultistabilityWarning as MultistabilityWarning
from lvdyn.analysis import find_equilibria as find_equilibria
from lvdyn.analysis import growth_rates as growth_rates
from lvdyn.analysis import interaction_matrix as interaction_matrix
from lvdyn.analysis import interaction_table as interaction_table
from lvdyn.analysis import keystoneness as keystoneness
from lvdyn.analysis import predict_survivors as predict_survivors
from lvdyn.analysis import settle_step as settle_step
from lvdyn.analysis import solve_lcp as solve_lcp
from lvdyn.analysis import stability as stability
from lvdyn.analysis import survivors as survivors
from lvdyn.core._errors import DataError as DataError
from lvdyn.core._errors import DegenerateFitWarning as DegenerateFitWarning
from lvdyn.core._errors import DivergenceWarning as DivergenceWarning
from lvdyn.core._errors import FitError as FitError
from lvdyn.core._errors import FitSettingsWarning as FitSettingsWarning
from lvdyn.core._errors import IllConditionedWarning as IllConditionedWarning
from lvdyn.core._errors import MissingValuesWarning as MissingValuesWarning
from lvdyn.core._errors import NumericalError as NumericalError
from lvdyn.core._errors import SchemaError as SchemaError
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
from lvdyn.models import LinearODE as LinearODE
from lvdyn.models import LotkaVolterra as LotkaVolterra
from lvdyn.models import MeanFieldLV as MeanFieldLV
from lvdyn.models import SINDy as SINDy
from lvdyn.prediction._prediction import (
    evaluate_survival_prediction as evaluate_survival_prediction,
)
from lvdyn.prediction._prediction import (
    predict_survivors_from_prefix as predict_survivors_from_prefix,
)
from lvdyn.traces._io import open_traces as open_traces
from lvdyn.traces._io import save_traces as save_traces
from lvdyn.traces._make import combine_traces as combine_traces
from lvdyn.traces._make import make_traces as make_traces
from lvdyn.traces._rules import SurvivalWarning as SurvivalWarning
from lvdyn.traces._rules import set_survival_rule as set_survival_rule
from lvdyn.traces._schema import SCHEMA_VERSION as SCHEMA_VERSION
from lvdyn.traces._schema import validate_traces as validate_traces
from lvdyn.traces._tables import (
    read_traces_table as read_traces_table,
)
from lvdyn.traces._tables import (
    traces_from_dataframe as traces_from_dataframe,
)

__all__ = [
    "__version__",
    # errors and warnings
    "DataError",
    "DegenerateFitWarning",
    "FitError",
    "FitSettingsWarning",
    "MissingValuesWarning",
    "NumericalError",
    "SchemaError",
    # traces
    "SCHEMA_VERSION",
    "combine_traces",
    "make_traces",
    "open_traces",
    "read_traces_table",
    "save_traces",
    "set_survival_rule",
    "traces_from_dataframe",
    "validate_traces",
    # models
    "LinearODE",
    "LotkaVolterra",
    "MeanFieldLV",
    "SINDy",
    # fitting
    "FiniteDifference",
    "SavitzkyGolay",
    "Midpoint",
    "SmoothingSpline",
    "SqrtRatio",
    "fit_traces",
    "simulate_traces",
    # analysis
    "MultistabilityWarning",
    "find_equilibria",
    "growth_rates",
    "interaction_matrix",
    "interaction_table",
    "keystoneness",
    "predict_survivors",
    "settle_step",
    "solve_lcp",
    "stability",
    "survivors",
    "SurvivalWarning",
    # survival prediction
    "evaluate_survival_prediction",
    "predict_survivors_from_prefix",
    # symbolic readout (lazy: sympy is imported on first use)
    "equations",
    "lambdify_rhs",
    "to_latex",
    "to_sympy",
    # traces from checkpoints (lazy: reading .pt files imports torch)
    "traces_from_checkpoints",
    # fitting results
    "interaction_sign_score",
    "score_traces",
    "coefficients",
    "save_model",
    "load_model",
    "IllConditionedWarning",
    "refine_trajectories",
    "bootstrap_traces",
    "regularization_path",
    "DivergenceWarning",
]

_SYMBOLIC = ("equations", "lambdify_rhs", "to_latex", "to_sympy")
_CHECKPOINTS = ("traces_from_checkpoints",)


def __getattr__(name: str) -> object:
    """Import the symbolic readout (sympy) and the checkpoint reader only when used."""
    if name in _SYMBOLIC:
        from lvdyn import symbolic

        return getattr(symbolic, name)
    if name in _CHECKPOINTS:
        from lvdyn.producers import checkpoints

        return getattr(checkpoints, name)
    raise AttributeError(f"module 'lvdyn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SYMBOLIC) | set(_CHECKPOINTS))
