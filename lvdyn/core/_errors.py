"""Exception types raised by lvdyn. Every other module imports from here, never the reverse."""

from __future__ import annotations

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
]


class SchemaError(ValueError):
    """A dataset, table or file does not follow the lvdyn traces schema.

    ``problems`` holds one message per problem; ``str(error)`` lists them all, so a user
    fixes everything in one pass instead of one error at a time.

    Examples
    --------
    >>> err = SchemaError(["`step` must be increasing", "`strength` is missing"])
    >>> err.problems
    ['`step` must be increasing', '`strength` is missing']
    """

    def __init__(self, problems: list[str] | str, *, what: str = "traces dataset") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = f"invalid {what}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"invalid {what} ({len(self.problems)} problems):\n{lines}"
        super().__init__(message)


class FitError(RuntimeError):
    """A model could not be fitted or simulated.

    The base of two kinds: `DataError` (the input cannot be fitted as given: states <= 0
    for Lotka-Volterra, no samples left in the window; also a `ValueError`, which is what
    scikit-learn users catch for bad input) and `NumericalError` (the computation failed on
    valid input: a simulation overflowed, an ODE solver gave up). ``except FitError`` still
    catches both.

    Examples
    --------
    >>> issubclass(DataError, ValueError), issubclass(DataError, FitError)
    (True, True)
    >>> issubclass(NumericalError, ValueError)
    False
    """


class DataError(FitError, ValueError):
    """The data cannot be fitted as given (states <= 0 for Lotka-Volterra, too few samples).

    The message says which run, step and component, and how to fix the data or the call.
    """


class NumericalError(FitError):
    """A computation failed on valid input: a simulation overflowed or a solver gave up."""


class IllConditionedWarning(UserWarning):
    """The regression design is (nearly) singular, so some fitted parameters are not identified.

    Raised by `lvdyn.fit_traces` with the components involved: constant (saturated) components,
    collinear with the intercept, and components with identical trajectories, of which only
    sums of interactions are identifiable.
    """


class DivergenceWarning(RuntimeWarning):
    """A simulated model blew up (or its ODE solver failed) before the last requested step.

    The message says when it stopped and which components were largest; the rows after the
    stop are NaN, and `lvdyn.simulate_traces` records the status per run in
    ``simulation_status``. Pass ``on_divergence="raise"`` to get a `FitError` instead.
    """


class DegenerateFitWarning(UserWarning):
    """A fit finished but its result says nothing: every coefficient is zero (a penalty or a
    threshold removed every term), or the model diverges when simulated on its own training
    data. The message gives the number and the fix (a smaller ``threshold`` or ``alpha``,
    another window)."""


class MissingValuesWarning(UserWarning):
    """Many of the values a fit or an import used are missing (NaN); the message gives the
    count and the share, and how the samples were dropped."""


class FitSettingsWarning(UserWarning):
    """A fitted model is used with another window or time axis than it was fitted on (as
    stored in its file); the message names both and how to use the stored ones."""
