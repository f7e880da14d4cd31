"""Traces from long tables: CSV, parquet and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lvdyn
from lvdyn import SchemaError


def long_table() -> pd.DataFrame:
    rows = []
    for run, n_steps in (("r0", 3), ("r1", 2)):
        for step in range(n_steps):
            for comp in ("a", "b"):
                rows.append(
                    dict(
                        run=run,
                        step=step * 10,
                        component=comp,
                        strength=1.0 + step + (comp == "b"),
                        seed=int(run[1]),
                        train_loss=1.0 / (1 + step),
                    )
                )
    return pd.DataFrame(rows)


def test_long_table_to_traces() -> None:
    ds = lvdyn.traces_from_dataframe(long_table())
    assert dict(ds.sizes) == {"run": 2, "step": 3, "component": 2}
    assert ds.seed.dims == ("run",) and ds.seed.values.tolist() == [0, 1]
    assert ds.train_loss.dims == ("run", "step")
    assert np.isnan(ds.strength.sel(run="r1", step=20)).all()  # ragged run padded
    assert float(ds.strength.sel(run="r0", step=20, component="b")) == 4.0
    assert "traces_from_dataframe" in ds.attrs["history"].splitlines()[0]


def test_csv_and_parquet_round_trip(tmp_path) -> None:
    table = long_table()
    table.to_csv(tmp_path / "t.csv", index=False)
    table.to_parquet(tmp_path / "t.parquet")
    from_csv = lvdyn.read_traces_table(tmp_path / "t.csv")
    from_parquet = lvdyn.read_traces_table(tmp_path / "t.parquet")
    np.testing.assert_array_equal(from_csv.strength.values, from_parquet.strength.values)
    assert from_csv.attrs["source"] == "table:t.csv"


def test_custom_column_names_and_single_run() -> None:
    df = pd.DataFrame({"t": [0, 0, 5, 5], "freq": [1, 2, 1, 2], "S": [1.0, 2.0, 3.0, 4.0]})
    ds = lvdyn.traces_from_dataframe(df, step="t", component="freq", value="S")
    assert ds.sizes["run"] == 1
    assert ds.component.values.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("df", "match"),
    [
        (pd.DataFrame(), "no rows"),
        (pd.DataFrame({"step": [0], "strength": [1.0]}), r"missing columns \['component'\]"),
        (pd.DataFrame({"step": [0, 0], "component": [1, 1], "strength": [1.0, 2.0]}), "repeat a"),
        (pd.DataFrame({"step": [0.5], "component": [1], "strength": [1.0]}), "whole numbers"),
        (pd.DataFrame({"step": [0], "component": [1], "strength": ["high"]}), "numeric"),
        (
            pd.DataFrame({"step": [0, 1], "component": [1, None], "strength": [1.0, 1.0]}),
            "empty cells",
        ),
    ],
)
def test_bad_tables(df: pd.DataFrame, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        lvdyn.traces_from_dataframe(df)


def test_empty_csv(tmp_path) -> None:
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(SchemaError, match="empty"):
        lvdyn.read_traces_table(tmp_path / "e.csv")
