"""``lvdyn report``: the page, its figures beside it, and one-line errors."""

from __future__ import annotations

import re

import pytest

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import race


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    ds = race.train(**race.canonical_case("exclusion"), steps=1500, log_every=5, seeds=(0, 1, 2))
    traces = lvdyn.save_traces(ds, folder / "race.nc")
    lv = lvdyn.save_model(lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds), folder / "lv.nc")
    linear = lvdyn.save_model(lvdyn.fit_traces(lvdyn.LinearODE(), ds), folder / "linear.nc")
    return {"traces": str(traces), "lv": str(lv), "linear": str(linear), "folder": folder}


@pytest.mark.slow  # six figures as PNG and SVG, sympy, prediction folds: ~15 s
def test_report_with_models_and_prediction(files, capsys) -> None:
    out = files["folder"] / "page"
    argv = ["report", files["traces"], files["lv"], files["linear"], "--out", str(out),
            "--prefixes", "100,300", "--methods", "last-value,lv-equilibrium"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().err.strip() == f"wrote {out / 'report.html'} (race.nc, 2 models)"
    page = (out / "report.html").read_text()
    for name in ("traces", "lv-fit", "lv-interactions", "lv-spectrum", "linear-fit", "prediction"):
        assert (out / f"{name}.png").stat().st_size > 5_000, name
        assert f'href="{name}.svg"' in page, name  # SVG linked relative to the page
    assert page.count("data:image/png;base64,") == len(list(out.glob("*.png")))
    # the exclusion race: the fitted LV model settles with pathway 2 extinct (NNLS (5/3, 5/3, 0))
    assert re.search(r"predicted survivors</td><td>\[0, 1\]</td>", page)
    assert "Model lv" in page and "Model linear" in page and "lv-equilibrium" in page


def test_report_traces_only_quiet(files, capsys) -> None:
    out = files["folder"] / "alone"
    assert main(["report", files["traces"], "--out", str(out), "--quiet", "--title", "T<1>"]) == 0
    assert capsys.readouterr().err == ""
    page = (out / "report.html").read_text()
    assert "<h1>T&lt;1&gt;</h1>" in page
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "traces.png", "traces.svg"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{lv}"], "exactly one traces file"),
        (["{traces}", "{traces}"], "exactly one traces file"),
        (["{traces}", "{lv}", "{lv}"], "distinct names"),
        (["{traces}", "--prefixes", "1,x"], "--prefixes"),
        (["{traces}", "--methods", "nope", "--prefixes", "100"], "`--methods` must be"),
        (["{folder}/none.nc"], "no file at"),
    ],
)
def test_report_bad_input_is_one_line_exit_2(files, capsys, argv, message) -> None:
    out = files["folder"] / "bad"
    assert main(["report", *[a.format(**files) for a in argv], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lvdyn: error:") and err.count("\n") == 1, err
    assert message in err
    assert not (out / "report.html").exists()


def test_report_out_must_be_a_folder(files, capsys) -> None:
    assert main(["report", files["traces"], "--out", files["lv"]]) == 2
    assert "must be a folder" in capsys.readouterr().err
