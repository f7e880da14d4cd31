"""``SINDy``: sparse regression of the derivatives on a library of polynomial terms.

The term library and the sparse optimisers come from pysindy 2.1, imported when `SINDy.fit`
runs (never on ``import lvdyn``). The right-hand side and its Jacobian are computed here
directly from the fitted coefficients and the library's exponents, which is hundreds of times
faster than ``pysindy.SINDy.predict`` inside an ODE integrator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from lvdyn.models._base import AbstractODEModel
from lvdyn.traces._symbols import symbol_names

__all__ = ["SINDy"]

LIBRARIES = ("polynomial", "lotka_volterra")
#: Optimisers, with the pysindy class and the optional dependency it needs (if any).
OPTIMIZERS: dict[str, tuple[str, str | None]] = {
    "stlsq": ("STLSQ", None),
    "sr3": ("SR3", None),
    "constrained_sr3": ("ConstrainedSR3", "cvxpy"),
    "stable_linear_sr3": ("StableLinearSR3", "cvxpy"),
    "trapping_sr3": ("TrappingSR3", "cvxpy"),
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def _import_pysindy() -> Any:
    try:
        import pysindy
    except ImportError as exc:  # pragma: no cover - pysindy is a core dependency
        raise ImportError(
            "lvdyn.SINDy needs pysindy 2.1: pip install 'pysindy>=2.1,<2.2'."
        ) from exc
    return pysindy


class SINDy(AbstractODEModel):
    """Sparse identification of nonlinear dynamics over a polynomial term library.

    Parameters
    ----------
    library : {"polynomial", "lotka_volterra"}
        ``"polynomial"``: all monomials up to ``degree`` (with a constant if
        ``include_bias``). ``"lotka_volterra"``: the terms ``x_i`` and ``x_i x_j`` only
        (degree 2, no constant), the library in which a Lotka-Volterra system is sparse.
    degree : int
        Highest total degree of the polynomial library.
    include_bias : bool
        Include the constant term in the polynomial library.
    optimizer : {"stlsq", "sr3", "constrained_sr3", "stable_linear_sr3", "trapping_sr3"}
        Sparse optimiser from pysindy. The last three need cvxpy
        (``pip install 'pysindy[cvxpy]'``).
    threshold : float
        Coefficients below it are cut (STLSQ); for SR3 the L0 weight is
        ``threshold**2 / (2 * relax_coeff_nu)`` (pysindy's conversion).
    alpha : float
        Ridge weight inside STLSQ.
    relax_coeff_nu : float
        SR3 relaxation parameter.
    max_iter : int
        Optimiser iterations.
    normalize_columns : bool
        Scale library columns to unit norm before thresholding.

    Attributes
    ----------
    coef_ : ndarray of shape (K, n_terms)
        Coefficient of each term (columns) in each equation (rows).
    feature_names_ : list of str
        Term names, such as ``"x0 x1"``; `equations` uses component labels instead.
    powers_ : ndarray of int, shape (n_terms, K)
        Exponent of each component in each term.
    n_iter_ : int
        Iterations the optimiser ran (thresholding sweeps for STLSQ), at most ``max_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform(0.1, 1.0, size=(60, 2))
    >>> y = np.stack([X[:, 0] - X[:, 0] ** 2, -0.5 * X[:, 1] * X[:, 0]], axis=1)
    >>> model = SINDy(library="lotka_volterra", threshold=0.05).fit(X, y)
    >>> model.equations()
    ['dx_0/dt = 1 x_0 - 1 x_0^2', 'dx_1/dt = -0.5 x_0 x_1']
    """

    def __init__(
        self,
        library: str = "polynomial",
        *,
        degree: int = 2,
        include_bias: bool = True,
        optimizer: str = "stlsq",
        threshold: float = 0.1,
        alpha: float = 0.05,
        relax_coeff_nu: float = 1.0,
        max_iter: int = 20,
        normalize_columns: bool = False,
    ) -> None:
        self.library = library
        self.degree = degree
        self.include_bias = include_bias
        self.optimizer = optimizer
        self.threshold = threshold
        self.alpha = alpha
        self.relax_coeff_nu = relax_coeff_nu
        self.max_iter = max_iter
        self.normalize_columns = normalize_columns

    # --- construction of the pysindy parts -----------------------------------------------

    def _make_library(self, ps: Any) -> Any:
        if self.library not in LIBRARIES:
            raise ValueError(
                f"`library` must be 'polynomial' or 'lotka_volterra'; got {self.library!r}."
            )
        # Every hyperparameter is checked, used or not (scikit-learn's convention).
        if not isinstance(self.degree, int | np.integer) or self.degree < 1:
            raise ValueError(f"`degree` must be a positive integer; got {self.degree!r}.")
        if not isinstance(self.include_bias, bool | np.bool_):
            raise ValueError(f"`include_bias` must be True or False; got {self.include_bias!r}.")
        if self.library == "lotka_volterra":
            return ps.PolynomialLibrary(degree=2, include_bias=False)
        return ps.PolynomialLibrary(degree=int(self.degree), include_bias=bool(self.include_bias))

    def _make_optimizer(self, ps: Any) -> Any:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"`optimizer` must be one of {sorted(OPTIMIZERS)}; got {self.optimizer!r}."
            )
        name, extra = OPTIMIZERS[self.optimizer]
        if not hasattr(ps, name):
            raise ImportError(
                f"`optimizer={self.optimizer!r}` uses pysindy.{name}, which needs the optional "
                f"dependency {extra}; install it with: pip install 'pysindy[{extra}]'."
            )
        for name in ("threshold", "alpha"):
            value = getattr(self, name)
            if not _is_number(value) or not np.isfinite(value) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative number; got {value!r}.")
        nu = self.relax_coeff_nu
        if not _is_number(nu) or not np.isfinite(nu) or nu <= 0:
            raise ValueError(f"`relax_coeff_nu` must be a positive number; got {nu!r}.")
        if (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, int | np.integer)
            or self.max_iter < 1
        ):
            raise ValueError(f"`max_iter` must be a positive integer; got {self.max_iter!r}.")
        if not isinstance(self.normalize_columns, bool | np.bool_):
            raise ValueError(
                f"`normalize_columns` must be True or False; got {self.normalize_columns!r}."
            )
        common = dict(max_iter=int(self.max_iter), normalize_columns=bool(self.normalize_columns))
        if self.optimizer == "stlsq":
            return ps.STLSQ(threshold=float(self.threshold), alpha=float(self.alpha), **common)
        lam = float(self.threshold) ** 2 / (2.0 * float(self.relax_coeff_nu))
        return getattr(ps, name)(
            reg_weight_lam=lam, relax_coeff_nu=float(self.relax_coeff_nu), **common
        )

    # --- estimator API -----------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SINDy:
        """Fit the sparse coefficients to states ``X`` (n, K) and derivatives ``y`` (n, K)."""
        X, Y, weight = self._validate_fit(X, y, sample_weight)
        ps = _import_pysindy()
        library = self._make_library(ps).fit(X)
        optimizer = self._make_optimizer(ps)
        theta = np.asarray(library.transform(X), dtype=np.float64)
        if weight is not None:
            root = np.sqrt(weight)[:, np.newaxis]
            theta, Y = theta * root, Y * root
        import warnings

        with warnings.catch_warnings():
            # STLSQ warns when the threshold removes every term; coef_ == 0 says the same.
            warnings.filterwarnings("ignore", message=".*eliminated all coefficients.*")
            optimizer.fit(theta, Y)
        self.coef_ = np.asarray(optimizer.coef_, dtype=np.float64).reshape(X.shape[1], -1)
        self.n_iter_ = len(optimizer.history_) - 1  # the first entry is the starting guess
        self.powers_ = np.asarray(library.powers_, dtype=np.int64)
        self.feature_names_ = list(library.get_feature_names())
        return self

    def _features(self, X: np.ndarray) -> np.ndarray:
        return np.prod(X[:, np.newaxis, :] ** self.powers_[np.newaxis], axis=2)

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        return self._features(X) @ self.coef_.T

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        powers = self.powers_
        n_terms, k = powers.shape
        grads = np.zeros((n_terms, k))
        for j in range(k):
            lowered = powers.copy()
            lowered[:, j] = np.maximum(lowered[:, j] - 1, 0)
            grads[:, j] = powers[:, j] * np.prod(x[np.newaxis, :] ** lowered, axis=1)
        return self.coef_ @ grads

    def equations(self, precision: int = 3, names: Any = None) -> list[str]:
        """Readable equations, one per component, using ``names`` or the component labels.

        Labels become symbol names as in `lvdyn.equations` (integer ``k`` -> ``x_k``).

        Terms whose coefficient rounds to zero at ``precision`` decimals are left out (as in
        ``pysindy.SINDy.print``).
        """
        check_is_fitted(self)
        k = self.n_features_in_
        if names is None:
            labels = getattr(self, "component_labels_", None)
            labels = range(k) if labels is None else labels
            names = symbol_names(labels)
        names = [str(n) for n in names]
        out = []
        for i in range(k):
            terms = []
            for c, p in zip(self.coef_[i], self.powers_, strict=True):
                if round(float(c), precision) == 0:
                    continue
                factors = [n if e == 1 else f"{n}^{e}" for n, e in zip(names, p, strict=True) if e]
                value = f"{c:.{precision}g}"
                terms.append(" ".join([value, *factors]))
            rhs = " + ".join(terms).replace("+ -", "- ") if terms else "0"
            out.append(f"d{names[i]}/dt = {rhs}")
        return out
