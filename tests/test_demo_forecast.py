"""The demo's headline model: every run forecast by a mean-field model it was not fitted on,
and the figure, the tables and the report say the same numbers."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.app import _forecast_text as text
from lvdyn.app._forecast import _shipped_for, forecast_mean_field, write_forecast
from lvdyn.app._report import write_report
from lvdyn.models import MeanFieldLV
from lvdyn.prediction import _mean_field as mf

SYSTEM = {"a": 2e-3, "c": 4e-4, "floor": 1.5, "decay": 0.01}


def _runs(n_runs: int = 4, seed: int = 1) -> xr.Dataset:
    """Runs of one mean-field system, each with its own permutation of the growth rates
    (labels carry no identity across runs), with the decay recorded as lr * weight_decay."""
    rng = np.random.default_rng(seed)
    steps = np.arange(0.0, 600.0, 3.0)
    base = np.array([0.005, 0.01, 0.015, 0.05, 0.06, 0.07]) + SYSTEM["decay"]  # 3 win
    paths = []
    for _ in range(n_runs):
        truth = MeanFieldLV.from_params(rng.permutation(base), **SYSTEM)
        paths.append(truth.simulate(1.5 + rng.uniform(8.0, 25.0, size=6), steps))
    return lvdyn.make_traces(np.stack(paths), step=steps.astype(np.int64),
                             component=np.arange(1, 7), run=[f"run{i}" for i in range(n_runs)],
                             lr=[0.01] * n_runs,
                             weight_decay=[1.0] * n_runs)  # fmt: skip


@pytest.fixture(scope="module")
def forecast():
    """The forecast of `_runs`, with the shared parameters fitted by derivative matching
    (exact on these noise-free runs without saturation, and fast; the shooting route that
    the demo uses is tested in test_mean_field.py)."""
    ds = _runs()
    real = mf.fit_mean_field
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mf, "fit_mean_field", lambda train: real(train, route="derivative"))
        return ds, forecast_mean_field(ds)


def test_every_run_is_forecast_by_parameters_fitted_on_the_other_fold(forecast) -> None:
    ds, fc = forecast
    assert fc.source == "fitted"
    names = [str(r) for r in ds.run.values]
    for i, run in enumerate(fc.runs):
        used = run.fitted_on.removeprefix("fitted on ").split(", ")
        assert names[i] not in used  # held out
        assert used == names[1 - i % 2 :: 2]  # the other fold: the runs of the other parity
    # noise-free runs of the model itself: from 20 % of the settle step the forecast
    # reproduces them closely (a wrong sign or a missing term gives R^2 far below 0.9)
    assert fc.r2_pooled > 0.9 and min(r.r2 for r in fc.runs) > 0.9
    assert fc.f1_mean == pytest.approx(1.0)


def test_the_figure_title_says_what_the_table_and_the_record_say(forecast, tmp_path) -> None:
    from lvdyn.app._figures import forecast_figure

    ds, fc = forecast
    for index in (0, 1):
        title = forecast_figure(ds, fc, index).axes[0].get_title()
        found = re.search(
            r"Held-out run (\S+): .* from step (\d+)\npredicted (\d+) survivors, (\d+) of the "
            r"(\d+) actual ones \(F1 ([\d.]+)\); trajectory R² ([\d.-]+)",
            title,
        )
        assert found, title
        run, step, n_pred, hits, n_true, f1, r2 = found.groups()
        header, rows = text.forecast_table(fc)
        row = dict(zip(header, rows[index], strict=True))
        assert run == row["run"] == str(ds.run.values[index]) and int(step) == fc.step
        assert int(n_pred) == len(row["predicted"].split(", "))
        assert int(n_true) == len(row["actual"].split(", "))
        assert f1 == row["F1"] and float(r2) == pytest.approx(float(row["R² (run)"]), abs=0.006)
        shown = fc.runs[index]
        assert int(hits) == int((shown.predicted & shown.actual).sum())
    record = json.loads(write_forecast(fc, tmp_path / "mf.json").read_text())
    first = record["runs"][str(ds.run.values[0])]
    assert f"{first['f1']:.2f}" == text.forecast_table(fc)[1][0][3]
    assert record["r2_pooled"] == pytest.approx(fc.r2_pooled)


def test_the_readout_names_the_parameters_and_balances_at_the_equilibrium(forecast) -> None:
    _, fc = forecast
    lines = text.parameter_lines(fc)
    assert [line.split()[0] for line in lines] == ["a", "c", "floor", "K", "λ", "r_k"]
    model = fc.runs[0].model
    # printed to 3 significant digits: within 0.5 % of the value
    assert float(lines[0].split()[2]) == pytest.approx(model.self_limitation_, rel=5e-3)
    # recovered from the other fold: central differences at step 3 bias a by ~1.5 %
    assert float(lines[0].split()[2]) == pytest.approx(SYSTEM["a"], rel=0.03)
    assert float(lines[4].split()[2]) == pytest.approx(SYSTEM["decay"])  # lr * weight_decay
    equations = text.survivor_equations(fc)
    survivors = fc.labels(fc.runs[0].actual)
    assert [line.split(" = ")[0] for line in equations[:-1]] == [f"dS{k}/dt" for k in survivors]
    # the excess over the floor stays one symbol per circle, defined once on the last line
    assert all(
        line.startswith(f"dS{k}/dt = z{k}*(") for k, line in zip(survivors, equations, strict=False)
    )
    assert equations[-1].startswith(f"where z{survivors[0]} = S{survivors[0]} - ")
    # at the equilibrium a survivor's push equals decay + self-limitation + competition
    balance = text.interaction_lines(fc)[1]
    push, decay, own, competition = (
        float(re.search(pattern, balance).group(1))  # type: ignore[union-attr]
        for pattern in (r"h\(z_k\) = ([\d.e-]+)", r"λ = ([\d.e-]+)", r"a z_k = ([\d.e-]+)",
                        r"c Σ_j z_j = ([\d.e-]+)")
    )  # fmt: skip
    assert push == pytest.approx(decay + own + competition, rel=0.01)  # 3 digits printed


def test_the_report_shows_the_model_and_the_forecast(forecast, tmp_path) -> None:
    from lvdyn.app._figures import forecast_figure
    from lvdyn.plots import save_figure

    ds, fc = forecast
    png, _ = save_figure(forecast_figure(ds, fc), tmp_path / "fit")
    page = write_report(tmp_path / "r.html", title="t", sections=text.forecast_sections(fc, png))
    html = page.read_text()
    assert "The model that holds: mean-field competition" in html
    assert "A = -a I - c 1 1ᵀ over the 6 circles" in html
    assert "floor = " in html and "dS" in html
    caption = text.forecast_title(fc).replace("\n", "; ")
    assert f'alt="{caption}"' in html
    # the caption's F1 is the one in the table's row of the same run
    f1 = re.search(r"\(F1 ([\d.]+)\)", caption).group(1)  # type: ignore[union-attr]
    assert f"<td>{fc.runs[0].run}</td>" in html and f'<td class="num">{f1}</td>' in html


def test_shipped_coefficients_only_for_their_settings_and_unseen_seeds() -> None:
    applies = {k: [v] for k, v in mf._shipped()["applies_to"].items() if k != "producer"}
    ds = lvdyn.make_traces(np.ones((1, 3, 2)), step=[0, 1, 2], **applies, seed=[1000],
                           producer_config={"producer": "modadd"})  # fmt: skip
    model, _ = _shipped_for(ds)
    assert model is not None and model.self_limitation_ == mf._shipped()["a"]
    model, reason = _shipped_for(ds.assign_coords(seed=("run", [3])))  # seed 3 was in the fit
    assert model is None and "seeds" in reason
    model, reason = _shipped_for(ds.assign_coords(d_embed=("run", [32])))
    assert model is None and "other settings" in reason


def test_the_command_line_prints_the_model_and_its_held_out_forecast(
    forecast, tmp_path, monkeypatch, capsys
) -> None:
    from lvdyn.app import _demo
    from lvdyn.cli import main

    ds, fc = forecast
    prediction = lvdyn.evaluate_survival_prediction(ds, [30], ["last-value"])

    def finished(out, settings, progress=None, threads=None):  # what run_demo returns
        rows = [text.forecast_row(fc)]
        paths = (tmp_path / "traces.nc", tmp_path / "report.html")
        return _demo.DemoResult(*paths, rows, fc, lvdyn.survivors(ds), prediction)

    monkeypatch.setattr(_demo, "run_demo", finished)
    monkeypatch.setenv("COLUMNS", "200")  # tables on one line each
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "The model that holds: mean-field competition" in printed
    assert text.GENERAL_FORM in printed and "Its interaction structure" in printed
    for line in text.survivor_equations(fc):
        assert line in printed
    for run, predicted, actual, f1, r2 in text.forecast_table(fc)[1]:
        assert re.search(rf"{run}\W+{predicted}\W+{actual}\W+{f1}\W+{r2}", printed)
    assert f"mean F1 {fc.f1_mean:.2f}" in printed and "5 shared + 6 per run" in printed
