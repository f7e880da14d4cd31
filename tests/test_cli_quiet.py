"""``--quiet`` silences a command's normal output but not its errors; the work is still done."""

from __future__ import annotations

import sys

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import race


def test_fit_quiet_writes_the_model_and_prints_nothing(tmp_path, capsys) -> None:
    ds = race.train(**race.canonical_case("interior"), steps=400, log_every=4)
    traces = lvdyn.save_traces(ds, tmp_path / "race.nc")
    out = tmp_path / "lv.nc"
    assert main(["fit", str(traces), "--model", "lv", "--quiet", "--out", str(out)]) == 0
    assert capsys.readouterr() == ("", "")
    assert lvdyn.load_model(out).interaction_matrix_.shape == (3, 3)
    assert main(["fit", str(tmp_path / "none.nc"), "--quiet", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("lvdyn: error:")


def test_progress_off_a_terminal_is_plain_periodic_lines(monkeypatch, capsys) -> None:
    """Piped to a log, training prints one plain line per PLAIN_EVERY seconds (here 0 s),
    never rich control codes; disabled (--quiet) it prints nothing."""
    import io

    from lvdyn.producers import _progress

    monkeypatch.setattr(_progress, "PLAIN_EVERY", 0.0)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    with _progress.TrainingProgress(100, None, "modadd p=7") as bar:
        for step in (0, 50, 100):
            bar.update(step, test_acc=0.5, live=float(step > 0), force=step == 100)
    lines = sys.stderr.getvalue().splitlines()
    assert lines == [
        line for line in lines if line.startswith("modadd p=7: step ") and "\x1b" not in line
    ]
    assert len(lines) == 2 and lines[-1].startswith("modadd p=7: step 100/100 (100%)")
    assert "test acc 0.500" in lines[-1] and "circles alive 1" in lines[-1]
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with _progress.TrainingProgress(100, False) as bar:
        bar.update(100, test_acc=0.5, live=1.0, force=True)
    assert sys.stderr.getvalue() == ""
