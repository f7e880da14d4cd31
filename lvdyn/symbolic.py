"""Symbolic readout of fitted models: sympy objects, readable equations, LaTeX, lambdify.

This is the only lvdyn module that imports sympy; ``import lvdyn`` does not load it. The
names are also reachable as ``lvdyn.to_sympy``, ``lvdyn.equations``, ``lvdyn.to_latex`` and
``lvdyn.lambdify_rhs`` (imported on first use).

Rounding (``precision``) and rationalising (``rational=True``) change only the displayed
expressions, never the model.

Examples
--------
>>> import lvdyn
>>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.8], [[-1.0, -0.3], [-0.2, -1.0]])
>>> for line in lvdyn.equations(model, precision=2, labels=["a", "b"]):
...     print(line)
da/dt = a*(1.0 - 1.0*a - 0.3*b)
db/dt = b*(0.8 - 0.2*a - 1.0*b)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from lvdyn.analysis._models import component_labels, family, linear_params, lv_params
from lvdyn.models import MeanFieldLV
from lvdyn.traces._symbols import symbol_names

__all__ = ["SymbolicModel", "equations", "lambdify_rhs", "to_latex", "to_sympy"]

TIME = sympy.Symbol("t", real=True)


@dataclass(frozen=True)
class SymbolicModel:
    """A model as sympy objects.

    Attributes
    ----------
    symbols : tuple of sympy.Symbol
        One state symbol per component, named after the component labels.
    rhs : sympy.Matrix
        Column of right-hand sides in those symbols.
    equations : tuple of sympy.Eq
        ``Eq(Derivative(x_i(t), t), rhs_i)``.
    A, r, b : sympy.Matrix or None
        Interaction matrix and growth rates (Lotka-Volterra), matrix and constant (linear).
    coef : sympy.Matrix or None
        Coefficients over ``features`` (SINDy and other library models).
    features : tuple of sympy.Expr
        The library terms (empty for linear and Lotka-Volterra models).
    parameters : dict of str to sympy.Expr
        The shared parameters of a `lvdyn.MeanFieldLV` (``a``, ``c``, ``floor``, ``decay``,
        and ``K`` when it saturates); empty for other models.
    compact : sympy.Matrix or None
        The right-hand sides in the auxiliary symbols of ``definitions`` (a `MeanFieldLV`:
        the excess ``z_k = S_k - floor`` and the total ``Z = sum_k z_k``), the form
        `equations` prints; substituting ``definitions`` gives ``rhs``.
    definitions : dict of sympy.Symbol to sympy.Expr
        What each auxiliary symbol of ``compact`` stands for; empty for other models.
    """

    symbols: tuple[sympy.Symbol, ...]
    rhs: sympy.Matrix
    equations: tuple[sympy.Eq, ...]
    A: sympy.Matrix | None = None
    r: sympy.Matrix | None = None
    b: sympy.Matrix | None = None
    coef: sympy.Matrix | None = None
    features: tuple[sympy.Expr, ...] = ()
    parameters: dict[str, sympy.Expr] | None = None
    compact: sympy.Matrix | None = None
    definitions: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict)


def _number(value: float, precision: int | None, rational: bool) -> sympy.Expr:
    if precision is not None:
        if int(precision) != precision or precision < 1:
            raise ValueError(f"`precision` must be a positive integer; got {precision!r}.")
        text = f"{value:.{int(precision)}g}"
        if rational:
            return sympy.Rational(text)
        rounded = float(text)
        if rounded.is_integer() and abs(rounded) < 1e15:
            digits = len(str(abs(int(rounded)))) + 1  # print 2 as 2.0, not 2.
        else:
            mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
            digits = max(len(mantissa), 1)  # print 0.5 as 0.5, not 0.500
        return sympy.Float(text, digits)
    if rational:
        return sympy.nsimplify(value, rational=True)
    return sympy.Float(value)


def _matrix(values: np.ndarray, precision: int | None, rational: bool) -> sympy.Matrix:
    array = np.atleast_2d(values) if values.ndim == 1 else values
    rows = [[_number(float(v), precision, rational) for v in row] for row in array]
    matrix = sympy.Matrix(rows)
    return matrix.T if values.ndim == 1 else matrix


def _feature_terms(model: Any, symbols: list[sympy.Symbol], names: list[str]) -> list[sympy.Expr]:
    powers = getattr(model, "powers_", None)
    if powers is not None and np.shape(powers) == (len(model.feature_names_), len(symbols)):
        # Exact terms from the exponents (no parsing, no clash between labels and x0, x1).
        return [
            sympy.Mul(*[s ** int(e) for s, e in zip(symbols, row, strict=True) if e])
            for row in np.asarray(powers)
        ]
    local: dict[str, Any] = {f"x{i}": s for i, s in enumerate(symbols)}
    local.update(dict(zip(names, symbols, strict=True)))
    terms = []
    for feature in model.feature_names_:
        text = str(feature).strip().replace("^", "**")
        text = re.sub(r"(?<=[\w)])\s+(?=[\w(])", "*", text)
        try:
            terms.append(sympy.sympify(text, locals=local))
        except (sympy.SympifyError, SyntaxError, TypeError) as exc:
            raise ValueError(
                f"feature name {feature!r} of the model could not be read as an expression "
                f"({exc}); expected names such as 'x0', 'x0^2' or 'x0 x1'."
            ) from exc
    return terms


def _term_key(term: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> tuple[int, int]:
    used = [i for i, symbol in enumerate(symbols) if term.has(symbol)]
    return (len(used), used[0] if used else -1)


def _format(
    expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...], latex: bool, keep_order: bool = False
) -> str:
    """Print with the constant first and terms in component order (sympy sorts otherwise);
    ``keep_order`` prints an unevaluated sum's terms in the order they were built."""

    def show(e: sympy.Expr) -> str:
        return sympy.latex(e) if latex else sympy.sstr(e)

    if expr.is_Add:
        terms = list(expr.args)
        if not keep_order:
            terms.sort(key=lambda t: _term_key(t, symbols))
        text = show(terms[0])
        for term in terms[1:]:
            negative = term.could_extract_minus_sign()
            text += (" - " if negative else " + ") + show(-term if negative else term)
        return text
    if expr.is_Mul and sum(arg.is_Add for arg in expr.args) == 1:
        inner = next(arg for arg in expr.args if arg.is_Add)
        outer = expr / inner
        if latex:
            return rf"{show(outer)} \left({_format(inner, symbols, latex, keep_order)}\right)"
        return f"{show(outer)}*({_format(inner, symbols, latex, keep_order)})"
    return show(expr)


def _excess_name(name: str) -> str:
    """``S7`` -> ``z7``, ``x_0`` -> ``z_0``, ``k`` -> ``z_k``: the excess of a component."""
    match = re.fullmatch(r"[A-Za-z]+([0-9_].*)", name)
    return f"z{match.group(1)}" if match else f"z_{name}"


def _mean_field_rhs(
    symbols: list[sympy.Symbol], names: list[str], p: dict[str, sympy.Expr], r: sympy.Matrix
) -> dict[str, Any]:
    """A `MeanFieldLV`'s right-hand sides in the excess ``z_k`` and the total ``Z``."""
    taken = set(names)
    excess = []
    for name in names:
        z = _excess_name(name)
        while z in taken:
            z += "_"
        taken.add(z)
        excess.append(sympy.Symbol(z, real=True))
    total = sympy.Symbol("Z" if "Z" not in taken else "Z_total", real=True)
    compact = sympy.Matrix(
        [
            z * sympy.Add(rate * (z / (z + p["K"]) if "K" in p else 1), -p["decay"],
                          -p["a"] * z, -p["c"] * total, evaluate=False)
            for z, rate in zip(excess, r, strict=True)
        ]
    )  # fmt: skip
    definitions = {z: x - p["floor"] for z, x in zip(excess, symbols, strict=True)}
    definitions[total] = sympy.Add(*excess).subs(definitions)
    return {"compact": compact, "definitions": definitions}


def to_sympy(
    model: Any, *, labels: Any = None, precision: int | None = None, rational: bool = False
) -> SymbolicModel:
    """The model's equations and parameters as sympy objects.

    Parameters
    ----------
    model : fitted lvdyn model
        `LinearODE`, `LotkaVolterra`, or a library model with ``coef_`` and
        ``feature_names_`` (SINDy; names such as ``x0``, ``x0^2``, ``x0 x1``).
    labels : array_like, optional
        Component labels for the symbols (default the model's ``component_labels_``, which
        `fit_traces` and `load_model` set, else 0..K-1); labels that are not identifiers
        become ``x_<label>`` (see `lvdyn.traces.symbol_names`).
    precision : int, optional
        Round every coefficient to this many significant digits (display only).
    rational : bool
        Show coefficients as exact rationals (after rounding, if ``precision`` is given).

    Returns
    -------
    SymbolicModel

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LinearODE.from_params([[-1.0, 0.5], [0.0, -2.0]], [1.0, 0.25])
    >>> sym = lvdyn.to_sympy(model, labels=["u", "v"], rational=True)
    >>> sym.A, sym.b
    (Matrix([
    [-1, 1/2],
    [ 0,  -2]]), Matrix([
    [  1],
    [1/4]]))
    >>> sym.rhs[0]
    -u + v/2 + 1
    """
    kind = family(model)
    names = symbol_names(component_labels(model, labels).tolist())
    symbols = [sympy.Symbol(name, real=True) for name in names]
    state = sympy.Matrix(symbols)
    fields: dict[str, Any] = {}
    if isinstance(model, MeanFieldLV):
        values = {
            "a": model.self_limitation_,
            "c": model.competition_,
            "floor": model.floor_,
            "decay": model.decay_,
        }
        if model.saturation_ > 0:
            values["K"] = model.saturation_
        p = {k: _number(float(v), precision, rational) for k, v in values.items()}
        fields["parameters"] = p
        fields["r"] = _matrix(np.asarray(model.growth_rates_), precision, rational)
        fields.update(_mean_field_rhs(symbols, names, p, fields["r"]))
        rhs = fields["compact"].subs(fields["definitions"])
    elif kind == "lotka_volterra":
        r, A = lv_params(model)
        fields["r"], fields["A"] = _matrix(r, precision, rational), _matrix(A, precision, rational)
        rates = fields["r"] + fields["A"] * state
        rhs = sympy.Matrix([s * rate for s, rate in zip(symbols, rates, strict=True)])
    elif kind == "linear":
        A, b = linear_params(model)
        fields["A"], fields["b"] = _matrix(A, precision, rational), _matrix(b, precision, rational)
        rhs = fields["A"] * state + fields["b"]
    elif hasattr(model, "coef_") and hasattr(model, "feature_names_"):
        terms = _feature_terms(model, symbols, names)
        coef = np.asarray(model.coef_, dtype=np.float64)
        fields["coef"] = _matrix(coef, precision, rational)
        fields["features"] = tuple(terms)
        rhs = fields["coef"] * sympy.Matrix(terms)
    else:
        raise ValueError(
            f"`model` must be a LinearODE, LotkaVolterra or a library model with coef_ and "
            f"feature_names_; got {type(model).__name__}."
        )
    equations_ = tuple(
        sympy.Eq(sympy.Derivative(sympy.Function(name)(TIME), TIME), expr)
        for name, expr in zip(names, rhs, strict=True)
    )
    return SymbolicModel(tuple(symbols), rhs, equations_, **fields)


def equations(
    model: Any, precision: int | None = 3, *, labels: Any = None, rational: bool = False
) -> list[str]:
    """One readable line per component, ``dx/dt = ...``, coefficients to ``precision``
    significant digits.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LinearODE.from_params([[-1.2345]], [0.5])
    >>> lvdyn.equations(model, precision=2)
    ['dx_0/dt = 0.5 - 1.2*x_0']
    """
    sym = to_sympy(model, labels=labels, precision=precision, rational=rational)
    if sym.compact is None:
        return [
            f"d{symbol}/dt = {_format(expr, sym.symbols, latex=False)}"
            for symbol, expr in zip(sym.symbols, sym.rhs, strict=True)
        ]
    lines = [
        f"d{symbol}/dt = {_format(expr, sym.symbols, latex=False, keep_order=True)}"
        for symbol, expr in zip(sym.symbols, sym.compact, strict=True)
    ]
    return [*lines, _where(sym, latex=False)]


def _where(sym: SymbolicModel, *, latex: bool) -> str:
    """``where z7 = S7 - 8.93, ... and Z = z7 + ...``: the auxiliary symbols in words."""
    show = sympy.latex if latex else sympy.sstr
    words = (lambda text: rf"\text{{{text}}}") if latex else (lambda text: text)
    *excess, total = sym.definitions
    pairs = ", ".join(f"{show(z)} = {show(sym.definitions[z])}" for z in excess)
    summed = " + ".join(show(z) for z in excess)
    return (f"{words('where ')}{pairs}{words(' (excess over the floor) and ')}"
            f"{show(total)} = {summed}")  # fmt: skip


def to_latex(
    model: Any, precision: int | None = 3, *, labels: Any = None, rational: bool = False
) -> str:
    r"""The equations as a LaTeX ``aligned`` block.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LinearODE.from_params([[-2.0]], [1.0])
    >>> print(lvdyn.to_latex(model, precision=2, labels=["u"]))
    \begin{aligned}
    \frac{d u}{d t} &= 1.0 - 2.0 u
    \end{aligned}
    """
    sym = to_sympy(model, labels=labels, precision=precision, rational=rational)
    compact = sym.compact is not None
    rhs = sym.rhs if sym.compact is None else sym.compact
    lines = [
        rf"\frac{{d {sympy.latex(symbol)}}}{{d t}} &= "
        f"{_format(expr, sym.symbols, latex=True, keep_order=compact)}"
        for symbol, expr in zip(sym.symbols, rhs, strict=True)
    ]
    if compact:
        lines.append(f"&{_where(sym, latex=True)}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def lambdify_rhs(model: Any) -> Callable[[Any], np.ndarray]:
    """A numpy function of states, built from the symbolic right-hand side.

    The function takes one state (K,) or rows of states (n, K) like ``model.rhs`` and
    agrees with it to rounding error.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, 0.2], [-0.3, -1.0]])
    >>> f = lvdyn.lambdify_rhs(model)
    >>> x = np.array([[0.5, 0.2], [1.0, 2.0]])
    >>> bool(np.allclose(f(x), model.rhs(x)))
    True
    """
    sym = to_sympy(model)
    compiled = sympy.lambdify(sym.symbols, list(sym.rhs), modules="numpy")

    def rhs(x: Any) -> np.ndarray:
        states = np.asarray(x, dtype=np.float64)
        rows = np.atleast_2d(states)
        values = compiled(*rows.T)
        out = np.stack([np.broadcast_to(np.asarray(v, float), rows.shape[:1]) for v in values], -1)
        return out[0] if states.ndim == 1 else out

    return rhs
