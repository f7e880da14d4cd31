"""lvdyn: representations inside a training network as species in an ecosystem.

Record competitions as traces (per-component strength over training steps), fit linear,
Lotka-Volterra and SINDy differential equations to them, analyse the fitted systems, and
predict the survivors from early training.

``import lvdyn`` imports neither torch nor sympy; the producers that need torch and the
symbolic readout import them when used.
"""

from lvdyn._bootstrap import bootstrap_traces as bootstrap_traces
from lvdyn._coefficients import coefficients as coefficients
from lvdyn._coefficients import load_model as load_model
from lvdyn._coefficients import save_model as save_model
from lvdyn._derivatives import FiniteDifference as FiniteDifference
from lvdyn._derivatives import SavitzkyGolay as SavitzkyGolay
from lvdyn._derivatives import SmoothingSpline as SmoothingSpline
from lvdyn._derivatives import SqrtRatio as SqrtRatio
from lvdyn._errors import FitError as FitError
from lvdyn._errors import IllConditionedWarning as IllConditionedWarning
from lvdyn._errors import SchemaError as SchemaError
from lvdyn._fitting import fit_traces as fit_traces
from lvdyn._io import open_traces as open_traces
from lvdyn._io import save_traces as save_traces
from lvdyn._make import combine_traces as combine_traces
from lvdyn._make import make_traces as make_traces
from lvdyn._path import regularization_path as regularization_path
from lvdyn._refine import refine_trajectories as refine_trajectories
from lvdyn._schema import SCHEMA_VERSION as SCHEMA_VERSION
from lvdyn._schema import validate_traces as validate_traces
from lvdyn._scores import score_traces as score_traces
from lvdyn._simulate import simulate_traces as simulate_traces
from lvdyn._tables import (
    read_traces_table as read_traces_table,
)
from lvdyn._tables import (
    traces_from_dataframe as traces_from_dataframe,
)
from lvdyn._version import __version__ as __version__
from lvdyn.models import LinearODE as LinearODE
from lvdyn.models import LotkaVolterra as LotkaVolterra
from lvdyn.models import SINDy as SINDy

__all__ = [
    "__version__",
    # errors
    "FitError",
    "SchemaError",
    # traces
    "SCHEMA_VERSION",
    "combine_traces",
    "make_traces",
    "open_traces",
    "read_traces_table",
    "save_traces",
    "traces_from_dataframe",
    "validate_traces",
    # models
    "LinearODE",
    "LotkaVolterra",
    "SINDy",
    # fitting
    "FiniteDifference",
    "SavitzkyGolay",
    "SmoothingSpline",
    "SqrtRatio",
    "fit_traces",
    "simulate_traces",
    "score_traces",
    "coefficients",
    "save_model",
    "load_model",
    "IllConditionedWarning",
    "refine_trajectories",
    "bootstrap_traces",
    "regularization_path",
]
