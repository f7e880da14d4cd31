"""``lvdyn plot``: every figure kind is written in the format of ``--out``; bad input exits 2."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import race


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A race traces file and Lotka-Volterra and linear models fitted to it."""
    folder = tmp_path_factory.mktemp("plot")
    ds = race.train(**race.canonical_case("interior"), steps=800, log_every=4, seeds=(0, 1))
    traces = lvdyn.save_traces(ds, folder / "race.nc")
    lv = lvdyn.save_model(lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds), folder / "lv.nc")
    linear = lvdyn.save_model(lvdyn.fit_traces(lvdyn.LinearODE(), ds), folder / "linear.nc")
    return {"traces": str(traces), "lv": str(lv), "linear": str(linear), "folder": folder}


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("inputs", "kind", "suffix"),
    [
        (("traces",), None, ".png"),
        (("traces", "lv"), None, ".svg"),
        (("lv", "traces"), "fit", ".png"),
        (("lv",), None, ".png"),
        (("lv",), "spectrum", ".pdf"),
        (("linear",), "spectrum", ".png"),
        (("linear",), "interactions", ".svg"),
    ],
)
def test_plot_writes_the_requested_format(files, inputs, kind, suffix, capsys) -> None:
    out = files["folder"] / f"{'-'.join(inputs)}-{kind}{suffix}"
    argv = ["plot", *[files[name] for name in inputs], "--out", str(out)]
    assert main(argv + (["--kind", kind] if kind else [])) == 0
    assert capsys.readouterr().err.strip() == f"wrote {out}"
    head = out.read_bytes()[:8]
    expected = {".png": head == PNG, ".svg": b"<?xml" in head, ".pdf": head.startswith(b"%PDF")}
    assert expected[suffix], head
    assert not out.with_suffix(".png" if suffix != ".png" else ".svg").exists()


def test_plot_fit_window_and_run_quiet(files, capsys) -> None:
    out = files["folder"] / "fit-window.png"
    argv = ["plot", files["traces"], files["lv"], "--window", "100:", "--run", "1", "-q"]
    assert main([*argv, "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert out.stat().st_size > 10_000


def test_plot_circles_from_embedding_snapshots(tmp_path) -> None:
    # the layout of modadd.train(..., snapshot_steps=[...]): tokens on circles of k = 1 and 3
    p, t = 11, np.arange(11)
    angles = 2 * np.pi * np.outer(t, [1, 3]) / p
    embedding = np.concatenate([np.cos(angles), np.sin(angles)], axis=1)  # (token, 4)
    strength = np.tile([4.0, 0.1, 3.0, 0.1, 0.1], (2, 1))  # k = 1 and 3 survive
    ds = lvdyn.make_traces(strength, step=[0, 10], component=[1, 2, 3, 4, 5])
    ds = ds.assign(
        embedding=(("run", "snapshot_step", "token", "embed_dim"), embedding[None, None])
    )
    ds = ds.assign_coords(snapshot_step=[10])
    path = lvdyn.save_traces(ds, tmp_path / "m.nc")
    out = tmp_path / "circles.png"
    assert main(["plot", str(path), "--kind", "circles", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{traces}", "--out", "{folder}/x.jpg"], "`--out` must end in .png, .svg, .pdf"),
        (["{traces}", "--kind", "spectrum", "--out", "{folder}/x.png"], "needs a model file"),
        (["{lv}", "--kind", "fit", "--out", "{folder}/x.png"], "needs a traces file"),
        (["{traces}", "--kind", "circles", "--out", "{folder}/x.png"], "embedding snapshots"),
        (["{traces}", "{traces}", "--out", "{folder}/x.png"], "at most one traces file"),
        (["{traces}", "--run", "9", "--out", "{folder}/x.png"], "`--run` must be one of"),
        (["{folder}/missing.nc", "--out", "{folder}/x.png"], "no file at"),
        (["{traces}", "--out", "{folder}/no/x.png"], "--out"),
    ],
)
def test_plot_bad_input_is_one_line_exit_2(files, capsys, argv, message) -> None:
    assert main(["plot", *[a.format(**files) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lvdyn: error:") and err.count("\n") == 1, err
    assert message in err
    assert not (files["folder"] / "x.png").exists()


def test_plot_fit_rejects_a_model_of_other_components(files, tmp_path, capsys) -> None:
    other = lvdyn.make_traces(np.ones((5, 2)), step=np.arange(5), component=["a", "b"])
    path = lvdyn.save_traces(other, tmp_path / "other.nc")
    assert main(["plot", str(path), files["lv"], "--out", str(tmp_path / "f.png")]) == 2
    assert "traces' components" in capsys.readouterr().err


def test_plot_reuses_the_stored_window_and_warns_when_told_otherwise(tmp_path, capsys) -> None:
    """A model fitted on steps 100.. is drawn from step 100 by default; another window warns
    on one line naming the flag, never with a Python source path."""
    ds = race.train(**race.canonical_case("interior"), steps=400, log_every=4, seeds=(0,))
    traces = lvdyn.save_traces(ds, tmp_path / "race.nc")
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, window=(100, None))
    assert model.fit_info_["fit_window"] == [100, int(ds.step.values[-1])]
    path = lvdyn.save_model(model, tmp_path / "lv.nc")
    assert lvdyn.load_model(path).fit_info_["fit_window"] == [100, int(ds.step.values[-1])]
    out = tmp_path / "fit.png"
    assert main(["plot", str(traces), str(path), "--out", str(out)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["plot", str(traces), str(path), "--window", "0:", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "lvdyn: warning: the LotkaVolterra was fitted on steps 100.." in err
    assert "`--window` (0, None)" in err and "FitSettingsWarning" in err and ".py" not in err
