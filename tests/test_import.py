"""`import lvdyn` stays light: no torch, no sympy, and the public names are all there."""

from __future__ import annotations

import json
import subprocess
import sys

import lvdyn


def test_import_does_not_pull_heavy_dependencies() -> None:
    code = (
        "import sys, json, lvdyn; "
        "print(json.dumps(sorted(m for m in ('torch', 'sympy', 'matplotlib', 'pysindy', "
        "'distributed') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_resolve() -> None:
    for name in lvdyn.__all__:
        assert getattr(lvdyn, name) is not None, name


def test_version_is_the_installed_one() -> None:
    from importlib.metadata import version

    assert lvdyn.__version__ == version("lvdyn")
