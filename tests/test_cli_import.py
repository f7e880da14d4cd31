"""``lvdyn import``: long tables (CSV, parquet) become traces files; errors are one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lvdyn
from lvdyn.cli import main


def _long_table() -> pd.DataFrame:
    rows = [
        {
            "trial": r,
            "iteration": s,
            "mode": f"m{c}",
            "value": 0.1 * (r + s + c),
            "loss": 1.0 / (s + 1),
        }
        for r in range(2)
        for s in range(3)
        for c in range(2)
    ]
    return pd.DataFrame(rows)


def test_import_csv_with_column_names(tmp_path) -> None:
    path = tmp_path / "t.csv"
    _long_table().to_csv(path, index=False)
    out = tmp_path / "t.nc"
    args = [
        "import",
        str(path),
        "--out",
        str(out),
        "--run",
        "trial",
        "--step",
        "iteration",
        "--component",
        "mode",
        "--value",
        "value",
        "-q",
    ]
    assert main(args) == 0
    ds = lvdyn.open_traces(out)
    assert dict(ds.strength.sizes) == {"run": 2, "step": 3, "component": 2}
    assert ds.loss.dims == ("run", "step")  # constant within (run, step)
    np.testing.assert_allclose(ds.strength.sel(run=1, step=2, component="m1"), 0.4)


def test_import_parquet(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    table = _long_table().rename(
        columns={"trial": "run", "iteration": "step", "mode": "component", "value": "strength"}
    )
    path = tmp_path / "t.parquet"
    table.to_parquet(path)
    assert main(["import", str(path), "--out", str(tmp_path / "t.nc"), "-q"]) == 0
    assert lvdyn.open_traces(tmp_path / "t.nc").sizes["component"] == 2


def test_import_missing_column_is_a_one_line_error(tmp_path, capsys) -> None:
    path = tmp_path / "t.csv"
    _long_table().to_csv(path, index=False)
    assert main(["import", str(path), "--out", str(tmp_path / "t.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lvdyn: error:") and "missing columns" in err and err.count("\n") == 1


def test_wide_array_through_make_traces() -> None:
    # a wide (step, component) array from any framework: make_traces is the entry point
    wide = np.linspace(0.1, 1.0, 12).reshape(4, 3)
    ds = lvdyn.make_traces(wide, step=[0, 10, 20, 30], component=["a", "b", "c"])
    assert ds.strength.sel(component="c").values.ravel().tolist() == wide[:, 2].tolist()
