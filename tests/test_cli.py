"""The command line: the demo runs, and user errors exit with status 2 and one line."""

from __future__ import annotations

import subprocess
import sys

import lvdyn
from lvdyn.cli import main


def test_demo_writes_and_reloads_traces(tmp_path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    ds = lvdyn.open_traces(tmp_path / "traces.nc")
    assert ds.sizes["component"] == 8
    assert "true survivor" in capsys.readouterr().out


def test_help_lists_commands(capsys) -> None:
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out


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
