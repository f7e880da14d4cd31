"""A single self-contained HTML report: sections of text, tables and embedded figures."""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lvdyn._atomic import atomic_path
from lvdyn._history import history_line

__all__ = ["ReportSection", "write_report"]

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; color: #1f4e79; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
th { background: #f2f5f8; } td:first-child, th:first-child { text-align: left; }
pre { background: #f7f7f7; padding: .7rem; overflow-x: auto; font-size: .85rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; }
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


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(path: Path, caption: str, folder: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    svg = path.with_suffix(".svg")
    link = ""
    if svg.exists():
        rel = os.path.relpath(svg, folder)
        link = f' (<a href="{html.escape(rel)}">SVG</a>)'
    return (
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
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
    >>> "<td>0.5</td>" in out.read_text()
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
        parts.extend(_figure(Path(p), c, folder) for p, c in section.figures)
    parts.append("</body></html>")
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return target
