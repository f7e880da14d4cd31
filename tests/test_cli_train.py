"""``lvdyn train dln|race|clockpizza``: files written, ground truth kept, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lvdyn
from lvdyn.cli import main


def test_train_dln_writes_traces_with_ground_truth(tmp_path, capsys) -> None:
    out = tmp_path / "dln.nc"
    code = main(
        ["train", "dln", "--singular-values", "2,1", "--hidden", "4", "--n-in", "4",
         "--n-out", "4", "--lr", "0.02", "--steps", "1500", "--seeds", "0-1", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    assert f"wrote {out}: 2 runs x 1501 logged steps x 2 components" in capsys.readouterr().err
    ds = lvdyn.open_traces(out)
    # decoupled start, lr * s <= 0.04: every mode reaches its singular value to 1e-6
    np.testing.assert_allclose(ds.strength.isel(step=-1).values, [[2.0, 1.0]] * 2, atol=1e-6)
    np.testing.assert_allclose(ds.true_r.values, [0.08, 0.04])


def test_train_race_case_and_json(tmp_path, capsys) -> None:
    out = tmp_path / "race.nc"
    assert main(["train", "race", "--case", "exclusion", "--steps", "300", "--json",
                 "--out", str(out)]) == 0  # fmt: skip
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["sizes"] == {"run": 1, "step": 301, "component": 3, "component_j": 3}
    assert captured.err == ""
    ds = lvdyn.open_traces(out)
    # the exclusion case: the Lotka-Volterra law's NNLS point (5/3, 5/3, 0) is a saddle of the
    # network, which ends at its zero-loss minimum (2, 2, -1)
    np.testing.assert_allclose(ds.lv_equilibrium.values, [5 / 3, 5 / 3, 0.0], atol=1e-9)
    np.testing.assert_allclose(ds.true_equilibrium.values, [2.0, 2.0, -1.0], atol=1e-9)


def test_train_race_custom_gates_quiet(tmp_path, capsys) -> None:
    out = tmp_path / "r.nc"
    argv = ["train", "race", "--gates", "1,1;1,0;0,1", "--strengths", "2,2",
            "--init-scale", "0.01", "--steps", "50", "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    ds = lvdyn.open_traces(out)
    assert json.loads(ds.attrs["producer_config"])["gates"] == [[1, 1], [1, 0], [0, 1]]


@pytest.mark.slow  # torch start-up and the 100-triple metric: ~7 s
def test_train_clockpizza_small(tmp_path) -> None:
    out = tmp_path / "cp.nc"
    argv = ["train", "clockpizza", "--p", "11", "--d-model", "16", "--steps", "10",
            "--log-every", "5", "--alpha", "0", "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    ds = lvdyn.open_traces(out)
    assert ds.sizes["component"] == 5 and ds.alpha.values.tolist() == [0.0]
    assert int(ds.grad_symmetricity.notnull().sum()) >= 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "race", "--gates", "1,1;1", "--strengths", "2,2"], "--gates"),
        (["train", "race", "--gates", "1,1;1,0"], "--strengths"),
        (["train", "dln", "--singular-values", "5,x"], "--singular-values"),
        (["train", "dln", "--lr", "-1"], "`--lr` must be a positive number"),
        (["train", "dln", "--seeds", "a-b"], "--seeds"),
        (["train", "clockpizza", "--p", "10", "--steps", "2"], "p"),
    ],
)
def test_train_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, message) -> None:
    assert main([*argv, "--out", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lvdyn: error:") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "x.nc").exists()


def test_train_out_must_be_writable(tmp_path, capsys) -> None:
    assert main(["train", "dln", "--steps", "5", "--out", str(tmp_path / "no" / "x.nc")]) == 2
    assert "--out" in capsys.readouterr().err


@pytest.mark.slow  # torch start-up: ~7 s
def test_clockpizza_progress_bar_counts_all_runs_steps(capsys) -> None:
    from lvdyn.producers import clockpizza

    clockpizza.train(p=11, d_model=8, steps=4, log_every=2, seeds=(0, 1), progress=True)
    err = capsys.readouterr().err
    assert "clockpizza alpha=1" in err and "8/8" in err  # 2 runs x 4 steps
    clockpizza.train(p=11, d_model=8, steps=4, log_every=2, progress=False)
    assert capsys.readouterr().err == ""


def test_train_routing_decoupled_stores_the_reduction(tmp_path, capsys) -> None:
    out = tmp_path / "routing.nc"
    argv = ["train", "routing", "--domains", "3", "--trained-per-input", "2", "--hidden", "6",
            "--init", "decoupled", "--init-scale", "0.1,0.2,0.1", "--steps", "20", "--json",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sizes"]["component"] == 3 * 3 * 4  # pathways x modes
    ds = lvdyn.open_traces(out)
    assert ds.layer_kind.values.tolist() == ["input", "shared", "output"]
    # an unbalanced start (0.1, 0.2, 0.1): the reduction begins at the product 0.002
    np.testing.assert_allclose(ds.reduction_strength.isel(step=0), 0.002)
    np.testing.assert_allclose(ds.strength.isel(run=0, step=0), 0.002, rtol=1e-12)


def test_train_routing_rejects_unknown_layer(tmp_path, capsys) -> None:
    argv = ["train", "routing", "--layers", "input,middle", "--out", str(tmp_path / "r.nc")]
    assert main(argv) == 2
    assert "`layers` must be two or more" in capsys.readouterr().err
