"""`lvdyn analyze` and `lvdyn predict` on files written by the other commands."""

from __future__ import annotations

import json

import numpy as np

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import synthetic


def test_analyze_reports_the_known_survivors(tmp_path, capsys) -> None:
    system = synthetic.exclusion_lotka_volterra(5, 2, seed=1)
    x0 = np.random.default_rng(0).uniform(0.05, 0.5, size=(4, 5))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=300, dt=0.25)
    lvdyn.save_traces(ds, tmp_path / "t.nc")
    assert (
        main(
            [
                "fit",
                str(tmp_path / "t.nc"),
                "--model",
                "lv",
                "--out",
                str(tmp_path / "m.nc"),
                "--json",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "m.nc"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # Noise-free data from a system with a unique, globally stable saturated equilibrium:
    # the fitted model must have the same survivors and be stable there.
    assert summary["survivors"] == np.flatnonzero(system.survivors).tolist()
    assert summary["max_real_eigenvalue"] < 0
    assert len(summary["equations"]) == 5


def test_predict_command_and_its_errors(tmp_path, capsys) -> None:
    system = synthetic.exclusion_lotka_volterra(4, 2, seed=2)
    x0 = np.random.default_rng(1).uniform(0.05, 0.5, size=(3, 4))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=200, dt=0.25)
    lvdyn.save_traces(ds, tmp_path / "t.nc")
    assert (
        main(
            [
                "predict",
                str(tmp_path / "t.nc"),
                "--prefix",
                "40",
                "--method",
                "lv-equilibrium",
                "--json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["runs"]
    truth = np.flatnonzero(system.survivors).tolist()
    assert [row["predicted"] for row in rows] == [truth] * 3
    assert main(["predict", str(tmp_path / "t.nc"), "--prefix", "40", "--method", "x"]) == 2
    assert main(["predict", str(tmp_path / "t.nc"), "--prefix", "5000"]) == 2
