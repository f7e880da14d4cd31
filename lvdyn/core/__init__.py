"""Foundations every layer may use: lvdyn's error and warning classes, atomic file writes,
argument checks (`_checks`) and shared types (`_types`).

Nothing here imports another lvdyn subpackage.
"""

from lvdyn.core._atomic import atomic_path as atomic_path
from lvdyn.core._atomic import check_writable as check_writable
from lvdyn.core._atomic import ensure_folder as ensure_folder
from lvdyn.core._errors import DataError as DataError
from lvdyn.core._errors import DegenerateFitWarning as DegenerateFitWarning
from lvdyn.core._errors import DivergenceWarning as DivergenceWarning
from lvdyn.core._errors import FitError as FitError
from lvdyn.core._errors import FitSettingsWarning as FitSettingsWarning
from lvdyn.core._errors import IllConditionedWarning as IllConditionedWarning
from lvdyn.core._errors import MissingValuesWarning as MissingValuesWarning
from lvdyn.core._errors import NumericalError as NumericalError
from lvdyn.core._errors import SchemaError as SchemaError

__all__ = [
    "DataError",
    "DegenerateFitWarning",
    "DivergenceWarning",
    "FitError",
    "FitSettingsWarning",
    "IllConditionedWarning",
    "MissingValuesWarning",
    "NumericalError",
    "SchemaError",
    "atomic_path",
    "check_writable",
    "ensure_folder",
]
