"""A user's own data, end to end (issue 18): a labelled CSV of a 3-species competition in
which two of three survive, through import, fit (linear, Lotka-Volterra, SINDy), analyze,
predict, plot and report, and the same in Python.

Checked: labelled equations identical between the command line and Python, a model file
that records its fit, and no silent degenerate output (SINDy's default threshold on per-step
data, missing cells).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import synthetic
from lvdyn.traces._io import open_netcdf

LABELS = ["alpha", "beta", "gamma"]
# Per-step rates: alpha and beta coexist at about (0.78, 0.75); gamma cannot invade there
# (0.5 - 1.5 * 0.78 - 1.5 * 0.75 < 0), so the true survivors are alpha and beta.
R = 0.05 * np.array([1.0, 0.9, 0.5])
A = 0.05 * np.array([[-1.0, -0.3, -0.2], [-0.2, -1.0, -0.3], [-1.5, -1.5, -1.0]])


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("walk")
    x0 = [[0.1, 0.1, 0.1], [0.3, 0.05, 0.2], [0.05, 0.2, 0.3]]
    ds = synthetic.lotka_volterra(r=R, A=A, x0=x0, steps=300)
    table = (
        ds.strength.rename(component="species")
        .assign_coords(species=LABELS)
        .to_dataframe(name="abundance")
        .reset_index()[["run", "step", "species", "abundance"]]
    )
    table["abundance"] = table["abundance"].map(lambda v: f"{v:.10g}")
    table.loc[[5, 11], "abundance"] = ["n/a", ""]  # two missing cells, as a user's file has
    csv = folder / "comp.csv"
    table.to_csv(csv, index=False)
    return {"folder": folder, "csv": csv, "traces": folder / "comp.nc"}


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    capsys.readouterr()
    assert main(args) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_walk_on_the_command_line_and_in_python(walk, capsys) -> None:
    folder, traces = walk["folder"], walk["traces"]
    out, _ = _cli(
        [
            "import",
            str(walk["csv"]),
            "--component",
            "species",
            "--value",
            "abundance",
            "--out",
            str(traces),
        ],
        capsys,
    )
    assert "missing values: 2 of 2709 strengths" in out  # 3 runs x 301 steps x 3 species

    models = {}
    for name in ("linear", "lv"):
        models[name] = folder / f"{name}.nc"
        _cli(["fit", str(traces), "--model", name, "--out", str(models[name]), "-q"], capsys)

    # SINDy's default threshold (0.1) on per-step rates (< 0.02) removes every term: it
    # must say so, with the number and the fix, instead of writing dx/dt = 0 silently.
    _, err = _cli(["fit", str(traces), "--model", "sindy", "--out", str(folder / "s.nc")], capsys)
    assert "DegenerateFitWarning" in err and "0 nonzero terms" in err
    assert "`--threshold` 0.1 cut every term" in err
    _, err = _cli(
        [
            "fit",
            str(traces),
            "--model",
            "sindy",
            "--threshold",
            "1e-4",
            "--out",
            str(folder / "sindy.nc"),
        ],
        capsys,
    )
    assert "DegenerateFitWarning" not in err

    # analyze: labelled equations, the same lines as Python's readout of the same file
    out, _ = _cli(["analyze", str(models["lv"]), "--json"], capsys)
    summary = json.loads(out)
    python_lines = lvdyn.equations(lvdyn.load_model(models["lv"]))
    assert summary["equations"] == python_lines
    assert python_lines[0].startswith("dalpha/dt = alpha*(")
    assert summary["labels"] == LABELS and summary["survivors"] == ["alpha", "beta"]
    # noise-free data, central differences at a step of 1 with rates <= 0.05 per step:
    # r is recovered to about 1e-3 per step
    np.testing.assert_allclose(summary["parameters"]["r"], R, atol=2e-3)
    text, _ = _cli(["analyze", str(models["lv"])], capsys)
    for line in python_lines:
        assert line in text
    assert "fitted on steps 0..300 of" in text

    # the model file records its fit
    attrs = open_netcdf(models["lv"]).attrs
    assert attrs["fit_window"].tolist() == [0, 300]
    assert attrs["fit_time"] == "step" and attrs["fit_derivative"] == "auto"
    assert attrs["source_traces"] == str(traces)
    assert attrs["source_traces_sha256"] == hashlib.sha256(traces.read_bytes()).hexdigest()
    assert attrs["lvdyn_version"] == lvdyn.__version__
    assert open_netcdf(models["lv"])["r"].attrs["units"] == "1/step"

    # predict: labels, not positions
    out, _ = _cli(
        ["predict", str(traces), "--prefix", "100", "--method", "lv-equilibrium", "--json"],
        capsys,
    )
    runs = json.loads(out)["runs"]
    assert all(set(row["predicted"]) <= set(LABELS) for row in runs)

    # plot and report reuse the stored window without a word
    _, err = _cli(["plot", str(traces), str(models["lv"]), "--out", str(folder / "f.png")], capsys)
    assert "warning" not in err
    _cli(["report", str(traces), str(models["lv"]), "--out", str(folder / "rep"), "-q"], capsys)
    assert "dalpha/dt = alpha*(" in (folder / "rep" / "report.html").read_text()

    # the same in Python
    table = pd.read_csv(walk["csv"])
    ds = lvdyn.traces_from_dataframe(table, component="species", value="abundance")
    with pytest.warns(lvdyn.DegenerateFitWarning, match="0 nonzero terms"):
        lvdyn.fit_traces(lvdyn.SINDy(), ds)
    lv = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds)
    assert lvdyn.equations(lv) == summary["equations"]
    alive = lvdyn.predict_survivors(lv)
    assert alive.component.values[alive.values].tolist() == ["alpha", "beta"]
    assert lvdyn.interaction_matrix(lv).to_pandas().columns.tolist() == LABELS
    assert lvdyn.find_equilibria(lv).component.values.tolist() == LABELS
    assert r"\alpha" in lvdyn.to_latex(lv)


def test_a_model_that_diverges_on_its_training_data_warns() -> None:
    """x' = x (1 + x) blows up before t = 1 from x = 1; simulated over the 10 steps of the
    run it was 'fitted' on, the check must say so (with the run and when)."""
    from lvdyn.fitting._degenerate import check_fit
    from lvdyn.fitting._design import traces_design

    ds = lvdyn.make_traces(np.linspace(1.0, 2.0, 10)[:, None], step=np.arange(10))
    boom = lvdyn.LotkaVolterra.from_params([1.0], [[1.0]])
    with pytest.warns(lvdyn.DegenerateFitWarning, match="diverges on its own training data"):
        check_fit(boom, ds, traces_design(ds, log=True), "step")
    calm = lvdyn.LotkaVolterra.from_params([0.1], [[-0.05]])
    check_fit(calm, ds, traces_design(ds, log=True), "step")  # warnings are errors here
