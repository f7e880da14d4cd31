"""Predicting each run's survivors from the first steps of its traces, and scoring methods.

Imports `lvdyn.core`, `lvdyn.traces`, `lvdyn.models`, `lvdyn.fitting` and `lvdyn.analysis`.
"""

from lvdyn.prediction._mean_field import MeanFieldRangeWarning as MeanFieldRangeWarning
from lvdyn.prediction._prediction import (
    evaluate_survival_prediction as evaluate_survival_prediction,
)
from lvdyn.prediction._prediction import (
    predict_survivors_from_prefix as predict_survivors_from_prefix,
)

__all__ = [
    "MeanFieldRangeWarning",
    "evaluate_survival_prediction",
    "predict_survivors_from_prefix",
]
