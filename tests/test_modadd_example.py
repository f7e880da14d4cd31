"""The reproduction example runs end to end in its quick mode."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "modadd_reproduction.py"


def test_reproduction_example_quick(tmp_path, monkeypatch, capsys) -> None:
    import lvdyn

    out = tmp_path / "repro.nc"
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), "--quick", "--out", str(out)])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    text = capsys.readouterr().out
    assert "Number of circles against d" in text and "Lasso(0.01)" in text
    ds = lvdyn.open_traces(out)
    assert ds.sizes["run"] == 4 and set(ds.d_embed.values.tolist()) == {8, 16}
