"""The HTML report is self-contained: figures embedded, text escaped, written atomically."""

from __future__ import annotations

import base64

from lvdyn.app._report import ReportSection, write_report
from lvdyn.plots import plot_spectrum, save_figure


def test_report_embeds_figures_and_escapes_text(tmp_path) -> None:
    png, _svg = save_figure(plot_spectrum([-1.0, -2.0]), tmp_path / "spectrum")
    out = write_report(
        tmp_path / "report.html",
        title="Demo <1>",
        sections=[
            ReportSection(
                "Spectrum",
                paragraphs=["a < b & c"],
                tables=[(["component", "r"], [["k=1", 0.25]])],
                preformatted=["dx/dt = A x"],
                figures=[(png, "the spectrum")],
            )
        ],
    )
    text = out.read_text()
    assert "Demo &lt;1&gt;" in text and "a &lt; b &amp; c" in text
    assert base64.b64encode(png.read_bytes()).decode()[:200] in text
    assert 'href="spectrum.svg"' in text
    assert "<td>k=1</td>" in text and '<td class="num">0.25</td>' in text  # numbers right
    # shown at the figure's size in inches: 6 in at 96 CSS px per inch
    assert '<img alt="the spectrum" width="576"' in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.html",
        "spectrum.png",
        "spectrum.svg",
    ]
