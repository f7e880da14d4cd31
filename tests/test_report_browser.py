"""The HTML report renders in a real browser (headless Chromium) with its figures visible."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import lvdyn
from lvdyn.app._report_sections import traces_report
from lvdyn.producers import race

CHROMIUM = next(
    (
        path
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (path := shutil.which(name))
    ),
    None,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # a report with a model (~10 s) and a browser start
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium on PATH (install it with `apt-get install chromium` to run this test)",
    ),
]


def test_report_renders_with_visible_figures(tmp_path) -> None:
    from PIL import Image

    ds = race.train(**race.canonical_case("interior"), steps=600, log_every=5, seeds=(0, 1))
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds)
    # the interior case: every pathway survives, which the report's readout says aloud
    with pytest.warns(lvdyn.SurvivalWarning, match="every component survives"):
        page = traces_report(tmp_path / "report", ds, {"lv": model}, title="browser check")
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (2400, 1280)
    # A blank or unstyled page has a handful of colours; the embedded figures (lines, heat
    # map, anti-aliased text) bring thousands.
    colours = np.unique(image.reshape(-1, 3), axis=0).shape[0]
    assert colours > 1000, colours
    # The coloured figure content (not white, not grey text): saturated pixels cover a visible
    # share of the page, and appear in both its upper and lower half (all figures shown).
    rgb = image.astype(int)
    saturated = (rgb.max(axis=2) - rgb.min(axis=2)) > 60
    assert saturated.mean() > 0.005, saturated.mean()
    assert saturated[:1200].any() and saturated[1200:].any()
