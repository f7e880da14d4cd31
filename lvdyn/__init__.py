"""lvdyn: representations inside a training network as species in an ecosystem.

Record competitions as traces (per-component strength over training steps), fit linear,
Lotka-Volterra and SINDy differential equations to them, analyse the fitted systems, and
predict the survivors from early training.

``import lvdyn`` is light: it imports none of xarray, scikit-learn, scipy, torch, sympy or
matplotlib. Each public name imports its module on first use (``lvdyn.fit_traces``,
``from lvdyn import fit_traces``), and the ``ds.lvdyn`` accessor is registered as soon as
xarray is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from typing import TYPE_CHECKING, Any

from lvdyn._version import __version__ as __version__

if TYPE_CHECKING:  # the names as type checkers and IDEs see them; `_LAZY` below must agree
    from lvdyn.analysis import MultistabilityWarning as MultistabilityWarning
    from lvdyn.analysis import find_equilibria as find_equilibria
    from lvdyn.analysis import growth_rates as growth_rates
    from lvdyn.analysis import interaction_matrix as interaction_matrix
    from lvdyn.analysis import interaction_table as interaction_table
    from lvdyn.analysis import keystoneness as keystoneness
    from lvdyn.analysis import predict_survivors as predict_survivors
    from lvdyn.analysis import solve_lcp as solve_lcp
    from lvdyn.analysis import stability as stability
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
    from lvdyn.prediction._mean_field import MeanFieldRangeWarning as MeanFieldRangeWarning
    from lvdyn.prediction._prediction import (
        evaluate_survival_prediction as evaluate_survival_prediction,
    )
    from lvdyn.prediction._prediction import (
        predict_survivors_from_prefix as predict_survivors_from_prefix,
    )
    from lvdyn.producers.checkpoints import traces_from_checkpoints as traces_from_checkpoints
    from lvdyn.symbolic import equations as equations
    from lvdyn.symbolic import lambdify_rhs as lambdify_rhs
    from lvdyn.symbolic import to_latex as to_latex
    from lvdyn.symbolic import to_sympy as to_sympy
    from lvdyn.traces._io import open_traces as open_traces
    from lvdyn.traces._io import save_traces as save_traces
    from lvdyn.traces._make import combine_traces as combine_traces
    from lvdyn.traces._make import make_traces as make_traces
    from lvdyn.traces._rules import SurvivalWarning as SurvivalWarning
    from lvdyn.traces._rules import set_survival_rule as set_survival_rule
    from lvdyn.traces._schema import SCHEMA_VERSION as SCHEMA_VERSION
    from lvdyn.traces._schema import validate_traces as validate_traces
    from lvdyn.traces._survival import settle_step as settle_step
    from lvdyn.traces._survival import survivors as survivors
    from lvdyn.traces._tables import read_traces_table as read_traces_table
    from lvdyn.traces._tables import traces_from_dataframe as traces_from_dataframe

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
    "MeanFieldRangeWarning",
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

#: Module -> the public names it defines, imported on first use by `__getattr__`.
_LAZY: dict[str, tuple[str, ...]] = {
    "lvdyn.analysis": (
        "MultistabilityWarning",
        "find_equilibria",
        "growth_rates",
        "interaction_matrix",
        "interaction_table",
        "keystoneness",
        "predict_survivors",
        "solve_lcp",
        "stability",
    ),
    "lvdyn.core._errors": (
        "DataError",
        "DegenerateFitWarning",
        "DivergenceWarning",
        "FitError",
        "FitSettingsWarning",
        "IllConditionedWarning",
        "MissingValuesWarning",
        "NumericalError",
        "SchemaError",
    ),
    "lvdyn.fitting._bootstrap": ("bootstrap_traces",),
    "lvdyn.fitting._coefficients": ("coefficients", "load_model", "save_model"),
    "lvdyn.fitting._derivatives": (
        "FiniteDifference",
        "Midpoint",
        "SavitzkyGolay",
        "SmoothingSpline",
        "SqrtRatio",
    ),
    "lvdyn.fitting._fitting": ("fit_traces",),
    "lvdyn.fitting._path": ("regularization_path",),
    "lvdyn.fitting._refine": ("refine_trajectories",),
    "lvdyn.fitting._scores": ("interaction_sign_score", "score_traces"),
    "lvdyn.fitting._simulate": ("simulate_traces",),
    "lvdyn.models": ("LinearODE", "LotkaVolterra", "MeanFieldLV", "SINDy"),
    "lvdyn.prediction._mean_field": ("MeanFieldRangeWarning",),
    "lvdyn.prediction._prediction": (
        "evaluate_survival_prediction",
        "predict_survivors_from_prefix",
    ),
    "lvdyn.producers.checkpoints": ("traces_from_checkpoints",),
    "lvdyn.symbolic": ("equations", "lambdify_rhs", "to_latex", "to_sympy"),
    "lvdyn.traces._io": ("open_traces", "save_traces"),
    "lvdyn.traces._make": ("combine_traces", "make_traces"),
    "lvdyn.traces._rules": ("SurvivalWarning", "set_survival_rule"),
    "lvdyn.traces._schema": ("SCHEMA_VERSION", "validate_traces"),
    "lvdyn.traces._survival": ("settle_step", "survivors"),
    "lvdyn.traces._tables": ("read_traces_table", "traces_from_dataframe"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}
#: Subpackages that ``import lvdyn`` used to import eagerly; ``lvdyn.fitting`` still works.
_SUBPACKAGES = ("analysis", "core", "fitting", "models", "prediction", "traces")


def __getattr__(name: str) -> Any:
    """Import the module behind a public name (or a subpackage) on first use."""
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"lvdyn.{name}")
    else:
        raise AttributeError(f"module 'lvdyn' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME) | set(_SUBPACKAGES))


class _AccessorOnXarrayImport(importlib.abc.MetaPathFinder):
    """Registers ``ds.lvdyn`` (`lvdyn._accessor`) right after xarray is first imported.

    It finds nothing itself: for ``xarray`` it asks the other finders, and wraps the
    loader's ``exec_module`` so that the accessor module is imported once xarray is.
    """

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "xarray":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)  # once only, and not asked again below
        for finder in sys.meta_path:
            spec = getattr(finder, "find_spec", lambda *_: None)(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_then_register(module: Any) -> None:
            exec_module(module)
            from lvdyn import _accessor  # noqa: F401  (registers ds.lvdyn)

        loader.exec_module = exec_then_register
        return spec


if "xarray" in sys.modules:
    from lvdyn import _accessor  # noqa: F401  (registers ds.lvdyn)
elif not any(type(f).__name__ == "_AccessorOnXarrayImport" for f in sys.meta_path):
    sys.meta_path.insert(0, _AccessorOnXarrayImport())
