"""Exception types raised by lvdyn. Every other module imports from here, never the reverse."""

from __future__ import annotations

__all__ = ["DivergenceWarning", "FitError", "IllConditionedWarning", "SchemaError"]


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
    """A model could not be fitted or simulated (for example, all samples were NaN)."""


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
