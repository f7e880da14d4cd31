"""`import lvdyn` stays light: no torch, no sympy, and the public names are all there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import lvdyn


def test_import_does_not_pull_heavy_dependencies() -> None:
    code = (
        "import sys, json, lvdyn; "
        "print(json.dumps(sorted(m for m in ('torch', 'sympy', 'matplotlib', 'pysindy', "
        "'distributed') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


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
