"""A single self-contained HTML report: sections of text, tables and embedded figures."""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lvdyn.core._atomic import atomic_path
from lvdyn.traces._history import history_line

__all__ = ["ReportSection", "write_report"]

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 1280px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; color: #1f4e79; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f5f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: .7rem; overflow-x: auto; font-size: .85rem; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
figure { margin: .5rem 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; display: block; }
figcaption { font-size: .85rem; color: #555; max-width: 36rem; }
.meta { color: #777; font-size: .8rem; }
"""


@dataclass(frozen=True)
class ReportSection:
    """One section: a title, paragraphs, tables (header + rows), preformatted text, figures.

    Figures are PNG paths; each is embedded in the HTML (base64), and an SVG next to it with
    the same name is linked, so the report stays readable when moved on its own.
    """

    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[tuple[Sequence[str], Sequence[Sequence[object]]]] = ()
    preformatted: Sequence[str] = ()
    figures: Sequence[tuple[str | os.PathLike[str], str]] = field(default_factory=tuple)


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table; a column whose cells are all numbers is right-aligned."""
    numeric = [all(_is_number(row[j]) for row in rows if j < len(row)) for j in range(len(header))]
    opening = ['<td class="num">' if is_number else "<td>" for is_number in numeric]
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"{opening[j] if j < len(opening) else '<td>'}{html.escape(str(c))}</td>"
            for j, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _display_width(png: bytes) -> str:
    """A ``width`` attribute that shows the figure at its size in inches (96 CSS px per inch),
    read from the PNG header and its pHYs chunk (matplotlib writes the dpi there)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return ""
    width = int.from_bytes(png[16:20], "big")
    at = png.find(b"pHYs")
    per_metre = int.from_bytes(png[at + 4 : at + 8], "big") if at > 0 else 0
    dpi = per_metre * 0.0254 if png[at + 12 : at + 13] == b"\x01" else 0.0
    return f' width="{round(width * 96 / dpi)}"' if dpi > 0 else ""


def _figure(path: Path, caption: str, folder: Path) -> str:
    png = path.read_bytes()
    data = base64.b64encode(png).decode("ascii")
    svg = path.with_suffix(".svg")
    link = ""
    if svg.exists():
        rel = os.path.relpath(svg, folder)
        link = f' (<a href="{html.escape(rel)}">SVG</a>)'
    return (
        f'<figure><img alt="{html.escape(caption)}"{_display_width(png)} '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(caption)}{link}</figcaption></figure>"
    )


def write_report(
    path: str | os.PathLike[str], *, title: str, sections: Sequence[ReportSection]
) -> Path:
    """Write the report to ``path`` atomically and return it.

    Examples
    --------
    >>> import tempfile
    >>> out = write_report(tempfile.mkdtemp() + "/r.html", title="T",
    ...                    sections=[ReportSection("Fit", paragraphs=["R^2 = 0.99"],
    ...                                            tables=[(["k", "r"], [[1, 0.5]])])])
    >>> '<td class="num">0.5</td>' in out.read_text()
    True
    """
    target = Path(path)
    folder = target.parent
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{html.escape(history_line("report"))}</p>',
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in section.paragraphs)
        parts.extend(_table(h, rows) for h, rows in section.tables)
        parts.extend(f"<pre>{html.escape(t)}</pre>" for t in section.preformatted)
        if section.figures:
            parts.append('<div class="figures">')
            parts.extend(_figure(Path(p), c, folder) for p, c in section.figures)
            parts.append("</div>")
    parts.append("</body></html>")
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return target
