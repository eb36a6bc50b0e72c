"""Self-contained static HTML pages: one style, one script (sortable tables), nothing fetched from elsewhere.

The listening page of separations (:mod:`mgdm_audio.audio.evaluation.page`) and the picture page of image
restorations (:mod:`mgdm_audio.image.restoration.page`) are built from these pieces, so both open from the file
system with no server and no network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path


@dataclass(frozen=True)
class Cell:
    """A table cell: ``text`` is shown (escaped), ``value`` sorts the column (a number, or text); a number's text
    is kept on one line."""

    text: str
    value: float | str

    def html(self) -> str:
        if isinstance(self.value, str):
            return f"<td data-value='{html.escape(self.value, quote=True)}'>{html.escape(self.text)}</td>"
        value = "" if math.isnan(self.value) else f"{self.value:.6f}"
        return f"<td class='number' data-value='{value}'>{html.escape(self.text)}</td>"


def number_cell(mean: float, ci95: float | None = None, digits: int = 2, sign: bool = False) -> Cell:
    """``mean ± ci95`` (or ``mean`` alone), sorted by the mean; "–" for NaN."""
    if math.isnan(mean):
        return Cell("–", math.nan)
    text = f"{mean:{'+' if sign else ''}.{digits}f}"
    if ci95 is not None and not math.isnan(ci95):
        text += f" ± {ci95:.{digits}f}"
    return Cell(text, mean)


def sortable_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], name: str) -> str:
    """A table whose rows sort by any column when its header is clicked (again: the other way). ``name`` is the
    table's class, by which tests and styles find it."""
    head = "".join(f"<th onclick='sortTable(this)'>{html.escape(header)}</th>" for header in headers)
    body = "".join(f"<tr>{''.join(cell.html() for cell in row)}</tr>" for row in rows)
    return f"<table class='{name}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(media: str, caption: str) -> str:
    """``media`` (an <audio> or <img> element) above an escaped caption."""
    return f"<figure>{media}<figcaption>{html.escape(caption)}</figcaption></figure>"


def write_document(path: Path, title: str, body: str) -> Path:
    """Write ``path`` (atomically): an HTML document of ``body`` with the pages' style and script."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        Path(temporary).write_text(_TEMPLATE.format(title=html.escape(title), body=body), encoding="utf-8")
    return path


def folder_megabytes(folder: Path) -> float:
    """Size of every file under ``folder``, in MB (10^6 bytes)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; }}
th {{ cursor: pointer; background: #f0f0f0; }}
td.number {{ white-space: nowrap; }}
th[data-order="ascending"]::after {{ content: " \\25B2"; }}
th[data-order="descending"]::after {{ content: " \\25BC"; }}
figure {{ display: inline-block; margin: 0 0.6em 0.6em 0; vertical-align: top; }}
figcaption {{ color: #444; font-size: 0.85em; max-width: 20em; }}
audio {{ width: 16em; display: block; }}
img.pixelated {{ image-rendering: pixelated; }}
.row-title {{ font-weight: bold; min-width: 9em; }}
</style>
<script>
function sortTable(header) {{
  const table = header.closest("table"), column = header.cellIndex, body = table.tBodies[0];
  const ascending = header.dataset.order !== "ascending";
  const value = row => {{
    const text = row.cells[column].dataset.value, number = parseFloat(text);
    return text === "" ? -Infinity : isNaN(number) ? text : number;
  }};
  const rows = Array.from(body.rows);
  rows.sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0) * (ascending ? 1 : -1));
  rows.forEach(row => body.appendChild(row));
  header.parentNode.querySelectorAll("th").forEach(other => delete other.dataset.order);
  header.dataset.order = ascending ? "ascending" : "descending";
}}
</script></head>
<body>
{body}
</body></html>
"""
