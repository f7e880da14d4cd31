"""scikit-learn conformance of every estimator (parametrize_with_checks).

Every lvdyn estimator regresses derivatives ``y`` of shape (n, K) on states ``X`` of shape
(n, K): ``y[:, i]`` is the time derivative of ``X[:, i]``, so a ``y`` whose number of columns
differs from ``X``'s has no meaning and ``fit`` rejects it with a ValueError. scikit-learn's
common checks mostly pass a 1-D ``y`` with a multi-column ``X``; the checks below fail for
that reason only (each failure's message was inspected with ``check_estimator(...,
on_fail=None)``), and are listed as expected failures. ``fit`` validates the number of
samples, the states and the weights before the shape of ``y``, so the checks of those
(one sample, all-zero weights, negative states for Lotka-Volterra) pass.
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import lvdyn

ESTIMATORS = [
    lvdyn.LinearODE(),
    lvdyn.LinearODE(penalty="elasticnet", alpha=0.01, diagonal="nonpositive"),
    lvdyn.LotkaVolterra(),
    lvdyn.LotkaVolterra(penalty="lasso", alpha=0.01),
    lvdyn.SINDy(),
]

Y_SHAPE = "fit needs y of shape (n, K), one derivative per state; the check passes a 1-D y"

#: Checks that pass a 1-D ``y`` together with a multi-column ``X``.
ONE_D_TARGET_CHECKS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_non_transformer_estimators_n_iter",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_regressor_data_not_an_array",
    "check_regressors_int",
    "check_regressors_no_decision_function",
    "check_regressors_train",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
    "check_supervised_y_2d",
)


def _expected_failed_checks(estimator: object) -> dict[str, str]:
    expected = dict.fromkeys(ONE_D_TARGET_CHECKS, Y_SHAPE)
    if not isinstance(estimator, lvdyn.LotkaVolterra):
        expected["check_positive_only_tag_during_fit"] = Y_SHAPE  # LV rejects the X first
    else:
        expected["check_all_zero_sample_weights_error"] = (
            "the check's X has negative values, which Lotka-Volterra rejects before it looks "
            "at the weights"
        )
        expected["check_fit2d_1feature"] = (
            "the check's X contains a zero (it ignores the positive_only tag), and "
            "Lotka-Volterra per-capita rates y / X need positive states"
        )
    return expected


@pytest.mark.slow  # about 70 s for the ~300 checks
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]
