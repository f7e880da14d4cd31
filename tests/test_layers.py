"""Imports run one way, from the command line down to the foundations (docs/development.md).

Every module under ``lvdyn/`` is parsed with `ast` (imports inside functions included,
docstrings and doctests not) and each ``lvdyn`` import is checked against the layer map:
a module may import its own layer and the layers below it, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lvdyn"

#: Layer of each top-level part of the package; a module may import parts of lower or equal
#: rank. Equal ranks are siblings that must not import each other, listed in SIBLINGS.
RANKS = {
    "core": 0,
    "_version": 0,
    "traces": 1,
    "models": 2,
    "fitting": 3,
    "analysis": 3,
    "prediction": 4,
    "symbolic": 4,
    "plots": 4,
    "producers": 5,
    "sweeps": 6,
    "app": 7,
    "cli": 8,
    "__main__": 9,
}
#: Parts of one rank that are independent of each other.
SIBLINGS = {
    frozenset({"fitting", "analysis"}),
    frozenset({"prediction", "symbolic"}),
    frozenset({"prediction", "plots"}),
    frozenset({"symbolic", "plots"}),
}
#: The public facade: may import everything below the application layers.
FACADE = {"__init__", "_accessor"}
#: Third-party packages a part must not import.
FORBIDDEN_PACKAGES = {"models": {"xarray", "torch", "sympy", "pandas"}}


def _part(module: str) -> str:
    """``lvdyn.traces._io`` -> ``traces``; ``lvdyn`` -> ``""`` (the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _from_root(name: str) -> str:
    """What ``from lvdyn import name`` imports: the part ``lvdyn.name``, or the root."""
    is_part = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return f"lvdyn.{name}" if is_part else "lvdyn"


def imports_of(source: str, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in ``source``, relative ones resolved."""
    found = []
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "lvdyn":  # `from lvdyn import plots` imports a part; other names the root
                found.extend((node.lineno, _from_root(alias.name)) for alias in node.names)
            else:
                found.append((node.lineno, name))
    return found


def violations(source: str, module: str) -> list[str]:
    """Every import in ``source`` (the module ``module``) that breaks the layer map."""
    me = _part(module)
    problems = []
    for line, name in imports_of(source, module):
        where = f"{module}:{line} imports {name}"
        top = name.split(".")[0]
        if top in FORBIDDEN_PACKAGES.get(me, ()):
            problems.append(f"{where}: `{me}` must not import {top}")
        if top != "lvdyn":
            continue
        if name == "lvdyn":
            problems.append(f"{where}: no module imports the package root")
            continue
        other = _part(name)
        if me in FACADE:
            if other in ("app", "cli", "__main__"):
                problems.append(f"{where}: the public facade must not import `{other}`")
            continue
        if other in FACADE:
            problems.append(f"{where}: only tests and examples use the public facade")
            continue
        if other == me:
            continue
        if other in ("app", "cli") and me not in ("cli", "__main__"):
            problems.append(f"{where}: only `cli` imports `{other}`")
        elif RANKS[other] > RANKS[me]:
            problems.append(f"{where}: `{me}` (layer {RANKS[me]}) imports the higher `{other}`")
        elif RANKS[other] == RANKS[me] and frozenset({me, other}) in SIBLINGS:
            problems.append(f"{where}: siblings `{me}` and `{other}` are independent")
    return problems


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        out.append((".".join(relative.parts), path))
    return out


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(module) for module, _ in _modules()} - {""}
    assert parts - set(RANKS) - FACADE == set()


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_follow_the_layers(module: str, path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize(
    ("module", "source", "complaint"),
    [
        ("lvdyn.models._linear", "import xarray as xr", "must not import xarray"),
        ("lvdyn.traces._io", "def f():\n    from lvdyn.fitting import fit_traces", "higher"),
        ("lvdyn.analysis._lcp", "import lvdyn", "package root"),
        ("lvdyn.fitting._design", "from lvdyn import fit_traces", "package root"),
        ("lvdyn.plots._figure", "from lvdyn._accessor import LvdynAccessor", "public facade"),
        ("lvdyn.sweeps._fit", "from lvdyn.app._report import write_report", "only `cli`"),
        ("lvdyn.producers.race", "from lvdyn.cli import main", "only `cli`"),
        ("lvdyn.plots._traces", "from lvdyn.prediction import _prediction", "siblings"),
        ("lvdyn.analysis._models", "from lvdyn.fitting._design import design", "siblings"),
        ("lvdyn.core._atomic", "from ..traces import _io", "higher"),
    ],
)
def test_a_wrong_import_is_reported(module: str, source: str, complaint: str) -> None:
    (problem,) = violations(source, module)
    assert complaint in problem and module in problem


def test_allowed_imports_pass() -> None:
    assert violations("from lvdyn.core._errors import FitError", "lvdyn.models._base") == []
    assert violations("from lvdyn.app._demo import run_demo", "lvdyn.cli._demo") == []
    assert violations("from lvdyn import _accessor", "lvdyn.__init__") == []
