"""The command line: the demo runs, and user errors exit with status 2 and one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lvdyn
from lvdyn.cli import main


@pytest.mark.slow
def test_demo_quick_writes_traces_figures_and_report(tmp_path, capsys) -> None:
    import re

    assert main(["demo", "--quick", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    ds = lvdyn.open_traces(tmp_path / "traces.nc")
    assert ds.sizes["component"] == 11  # p = 23 has 11 frequencies
    assert ds.seed.values.tolist() == list(range(1000, 1006))  # held out from seeds 0-15
    assert [m["model"].split()[0] for m in summary["models"]] == [
        "mean-field",
        "linear",
        "Lotka-Volterra",
        "SINDy",
    ]
    for name in ("traces", "fit", "interactions", "spectrum", "circles", "prediction"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000, name
        assert (tmp_path / f"{name}.svg").exists()
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 6
    # the survivors printed are those read from the saved traces
    actual = lvdyn.survivors(ds)
    first = str(ds.run.values[0])
    assert summary["survivors"][first] == ds.component.values[actual.isel(run=0).values].tolist()
    # the pooled fits are saved, and say what they were fitted with
    lv = lvdyn.load_model(tmp_path / "models" / "lv.nc")
    assert lv.fit_info_["fit_penalty"] == "ridge"
    assert lv.fit_info_["fit_constraints"] == (
        "diagonal=nonpositive, stability=dissipative (margin 0.001)"
    )
    # p = 23: no shipped coefficients apply, so the mean-field model is fitted in two folds
    # and every run is predicted by parameters fitted on the other fold
    forecast = summary["mean_field"]
    assert forecast["source"] == "fitted"
    runs = ds.run.values.tolist()
    for i, name in enumerate(runs):
        record = forecast["runs"][name]
        assert name not in record["shared_from"] and runs[1 - i % 2] in record["shared_from"]
        assert record["actual"] == summary["survivors"][name]
    saved = json.loads((tmp_path / "models" / "mean_field.json").read_text())
    assert saved["runs"] == forecast["runs"]
    # the report shows the model, and its figure's caption agrees with the per-run table
    assert "The model that holds: mean-field competition" in report
    assert "A = -a I - c 1 1ᵀ over the 11 circles" in report
    caption = re.search(
        rf"Held-out run {first}: mean-field model \(dashed\) from step (\d+); predicted (\d+) "
        r"survivors, (\d+) of the (\d+) actual ones \(F1 ([\d.]+)\)",
        report,
    )
    assert caption, "the fit figure's caption"
    step, n_pred, hits, n_true, f1 = caption.groups()
    shown = forecast["runs"][first]
    assert int(step) == forecast["prefix_step"]
    assert int(n_pred) == len(shown["predicted"]) and int(n_true) == len(shown["actual"])
    assert int(hits) == len(set(shown["predicted"]) & set(shown["actual"]))
    assert f1 == f"{shown['f1']:.2f}"
    assert f'<td class="num">{f1}</td>' in report
    # the model table's mean-field row is the pooled R^2 of the forecast
    row = summary["models"][0]
    assert row["R2 from prefix"] == pytest.approx(forecast["r2_pooled"])
    assert row["parameters"] == "5 shared + 11 per run"


def test_help_lists_commands(capsys) -> None:
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


def _help_pages() -> list[list[str]]:
    import typer

    from lvdyn.cli import app
    from lvdyn.cli._app import _register_commands

    _register_commands()

    def walk(command, path):
        yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    return list(walk(typer.main.get_command(app), []))


@pytest.mark.parametrize("path", _help_pages(), ids=lambda p: " ".join(p) or "lvdyn")
def test_help_labels_read_as_a_user_types_them(path, capsys, monkeypatch) -> None:
    # Typer's own labels: `{traces}` in the usage line, `<bool>` beside flags and --help,
    # `<int range>`, `<list[Path]>`; rich markup also swallows a help text's `[default: x]`.
    monkeypatch.setenv("COLUMNS", "100")
    assert main([*path, "--help"]) == 0
    page = capsys.readouterr().out
    for odd in ("{", "}", "<bool>", "range>", "list[", "--no-freeze", "--no-diff-vocab"):
        assert odd not in page, f"`lvdyn {' '.join(path)} --help` shows {odd!r}"
    usage = next(line for line in page.splitlines() if "Usage:" in line).split()
    arguments = [word for word in usage[usage.index("[OPTIONS]") + 1 :] if word != "[ARGS]..."]
    assert all(word.rstrip(".").isupper() for word in arguments), usage


def test_help_names_arguments_and_lists_commands_in_workflow_order(capsys) -> None:
    assert main(["plot", "--help"]) == 0
    assert "Usage: lvdyn plot [OPTIONS] INPUTS..." in capsys.readouterr().out
    assert main(["fit"]) == 2  # the argument named as in the usage line
    assert "Missing argument 'TRACES'" in capsys.readouterr().err
    assert main(["--help"]) == 0
    listing = capsys.readouterr().out.split("Commands", 1)[1]
    commands = [line[2:].split()[0] for line in listing.splitlines() if line[2:3].isalpha()]
    assert commands[:5] == ["demo", "train", "import", "import-checkpoints", "fit"]


def test_unknown_option_is_a_usage_error() -> None:
    assert main(["demo", "--nope"]) == 2


def test_user_error_is_one_line_without_traceback(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = subprocess.run(
        [sys.executable, "-m", "lvdyn", "demo", "--out", str(blocker)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("lvdyn: error:")
    assert "Traceback" not in out.stderr
