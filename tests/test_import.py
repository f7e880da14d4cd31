"""`import lvdyn` and `lvdyn --help` stay light, and the public names are all there."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import lvdyn

#: What neither `import lvdyn` nor `lvdyn --help` may import (seconds of start-up between them).
HEAVY = (
    "xarray",
    "pandas",
    "sklearn",
    "scipy",
    "scipy.integrate",
    "torch",
    "sympy",
    "matplotlib",
    "pysindy",
    "distributed",
)
_LOADED = f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"


def _python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout


def test_import_does_not_pull_heavy_dependencies() -> None:
    assert json.loads(_python(f"import sys, json, lvdyn; {_LOADED}")) == []


def test_help_of_every_command_does_not_pull_heavy_dependencies() -> None:
    # `lvdyn --help` and the help of each (sub)command, through the entry point `main`;
    # the command modules import the library inside the commands, not at the top.
    code = f"""
import contextlib, io, json, sys
import typer
from lvdyn.cli import app, main
from lvdyn.cli._app import _register_commands
_register_commands()
def walk(command, path):
    yield path
    for name, sub in getattr(command, "commands", {{}}).items():
        yield from walk(sub, [*path, name])
paths = list(walk(typer.main.get_command(app), []))
for path in paths:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main([*path, "--help"]) == 0, path
    assert "Usage: lvdyn" in out.getvalue(), path
print(len(paths))
{_LOADED}
"""
    count, loaded = _python(code).splitlines()
    assert int(count) >= 15  # the root, 11 commands, train's 5 producers, experiment modadd
    assert json.loads(loaded) == []


def test_the_accessor_is_registered_whichever_is_imported_first() -> None:
    # `ds.lvdyn` works after `import lvdyn` whether xarray came before it, after it, or
    # only through lvdyn.
    for code in (
        "import xarray as xr, lvdyn; print(type(xr.Dataset().lvdyn).__name__)",
        "import lvdyn, xarray as xr; print(type(xr.Dataset().lvdyn).__name__)",
        (
            "import numpy as np, lvdyn; "
            "print(type(lvdyn.make_traces(np.ones((2, 1)), step=[0, 1]).lvdyn).__name__)"
        ),
    ):
        assert _python(code).strip() == "TracesAccessor", code


def test_lazy_names_match_the_names_type_checkers_see() -> None:
    # `lvdyn/__init__.py` lists each public name twice: in `_LAZY` (runtime) and in the
    # `if TYPE_CHECKING:` imports (mypy, IDEs). Both must name the same module.
    tree = ast.parse(Path(lvdyn.__file__).read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n)]
    seen = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == lvdyn._HOME
    assert set(seen) == set(lvdyn.__all__) - {"__version__"}
    assert set(lvdyn.__all__) <= set(dir(lvdyn))


def test_public_names_resolve_to_their_own_objects() -> None:
    # Each class and function is bound to its own name (not, say, LinearODE = LotkaVolterra),
    # comes from lvdyn, and has an entry in the API reference (docs/api/*.md).
    pages = (Path(__file__).parents[1] / "docs" / "api").glob("*.md")
    api = "\n".join(page.read_text() for page in pages) + "\n"
    assert len(set(lvdyn.__all__)) == len(lvdyn.__all__)
    for name in lvdyn.__all__:
        value = getattr(lvdyn, name)
        if name == "__version__":
            assert isinstance(value, str) and value[0].isdigit()
            continue
        if name == "SCHEMA_VERSION":
            assert value == 1
            continue
        assert value.__name__ == name, f"lvdyn.{name} is {value!r}"
        assert value.__module__.startswith("lvdyn."), f"lvdyn.{name} from {value.__module__}"
        entry = rf"::: lvdyn\.{name}\n|::: {value.__module__}\n.*\n.*members: \[[^\]]*\b{name}\b"
        assert re.search(entry, api), f"lvdyn.{name} has no entry in docs/api/"


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert lvdyn.__version__ == version("lvdyn")
