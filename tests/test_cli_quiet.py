"""``--quiet`` silences a command's normal output but not its errors; the work is still done."""

from __future__ import annotations

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
