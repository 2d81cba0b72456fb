"""One self-contained HTML page: inline CSS, plotly.js inlined once, no network at all.

A Content-Security-Policy in the page forbids every network fetch, so a chart that
tried to load something would show up as a console error instead of a silent request.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalhouse.publish.report.context import Section

CSP = ("default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
:root { --fg: #1d2330; --muted: #5d6678; --line: #e3e6ec; --bg: #f6f7f9; --pass: #1e7e34; --fail: #b52a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--fg); background: var(--bg); }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #c9cfdb; font-size: 13px; }
nav { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line);
      padding: 8px 32px; font-size: 13px; }
nav a { color: #2456b3; text-decoration: none; margin-right: 14px; white-space: nowrap; }
main { padding: 8px 32px 48px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin: 16px 0; }
section h2 { margin: 0 0 6px; font-size: 18px; }
p.intro { color: var(--muted); margin: 0 0 12px; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; white-space: nowrap; }
th { background: #fafbfc; position: sticky; top: 0; }
td.num { text-align: right; }
tr.better td { background: #eef8f0; }
tr.worse td { background: #fbefef; }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 4px 0; }
.note { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 3px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; }
.badge.pass { background: #e3f4e7; color: var(--pass); }
.badge.fail { background: #fbe4e4; color: var(--fail); }
.badge.unknown { background: #eceff3; color: var(--muted); }
.verdict { font-size: 16px; margin: 6px 0 10px; }
.chart { min-height: 200px; }
p.how { margin: 0 0 10px; font-size: 13px; }
p.caveat { margin: 0 0 12px; padding: 8px 12px; background: #fff6e0; border-left: 4px solid #e0a100; }
details { margin: 8px 0 12px; }
details > summary { cursor: pointer; color: #2456b3; font-weight: 600; }
input.filter { margin: 8px 0 0; padding: 4px 8px; width: 320px; font: inherit; border: 1px solid #c8ccd4;
               border-radius: 4px; }
"""

# The filter boxes: hide the rows of the table named by data-table that do not contain
# every word typed (case-insensitive). Inline, so the page stays one offline file.
FILTER_JS = """
document.addEventListener("input", function (event) {
  var box = event.target;
  if (!box.classList || !box.classList.contains("filter")) return;
  var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
  var rows = document.getElementById(box.dataset.table).tBodies[0].rows;
  for (var i = 0; i < rows.length; i++) {
    var text = rows[i].textContent.toLowerCase();
    rows[i].hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
  }
});
"""
# a table longer than this is folded into <details> with a filter box
LONG_TABLE = 25


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def format_value(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if column.startswith("p_") or column.startswith("p-"):
            return f"{value:.3g}"
        if value != 0 and abs(value) < 1e-4:
            return f"{value:.2e}"
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_html(columns: list[str], rows: list[tuple[Any, ...]], *, caption: str = "", limit: int = 200,
               row_classes: list[str] | None = None, table_id: str = "") -> str:
    """An HTML table; numbers right-aligned; at most `limit` rows, with a note when cut."""
    shown = rows[:limit]
    numeric = [all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in shown if r[i] is not None)
               for i in range(len(columns))]
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for n, row in enumerate(shown):
        css = f' class="{row_classes[n]}"' if row_classes and row_classes[n] else ""
        cells = "".join(
            f'<td class="num">{esc(format_value(v, columns[i]))}</td>' if numeric[i]
            else f"<td>{esc(format_value(v, columns[i]))}</td>"
            for i, v in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    ident = f' id="{esc(table_id)}"' if table_id else ""
    note = (f'<p class="note">Showing the first {limit} of {len(rows):,} rows; the full table is in the '
            "warehouse.</p>") if len(rows) > limit else ""
    return (f'<div class="table-wrap"><table{ident}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>{note}")


def long_table(summary: str, columns: list[str], rows: list[tuple[Any, ...]], *, table_id: str,
               open_: bool = False, fold_over: int = LONG_TABLE, **options: Any) -> str:
    """A table folded into <details> (`summary` names what is inside) with a filter box
    above it, when it is longer than `fold_over` rows; a short one is shown as it is."""
    table = table_html(columns, rows, table_id=table_id, **options)
    if len(rows) <= fold_over:
        return table
    box = (f'<input class="filter" type="search" data-table="{esc(table_id)}" '
           f'placeholder="filter rows: type words, e.g. a candidate or metric" aria-label="filter {esc(summary)}">')
    return (f'<details{" open" if open_ else ""} data-table="{esc(table_id)}"><summary>{esc(summary)} '
            f"({len(rows):,} rows)</summary>{box}{table}</details>")


def chart_html(chart_id: str, figure: Any) -> str:
    div = figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{chart_id}", config=PLOTLY_CONFIG)
    return f'<div class="chart" data-chart="{esc(chart_id)}">{div}</div>'


def page(title: str, meta: str, sections: list[Section], plotly_js: str) -> str:
    nav = "\n".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections)
    body = []
    for section in sections:
        parts = [f'<section id="{esc(section.key)}" data-section="{esc(section.key)}"><h2>{esc(section.title)}</h2>']
        if section.intro:
            parts.append(f'<p class="intro">{esc(section.intro)}</p>')
        if section.how:
            parts.append(f'<p class="how"><b>How to read this:</b> {esc(section.how)}</p>')
        parts.extend(f'<p class="caveat">{esc(caveat)}</p>' for caveat in section.caveats)
        parts.extend(section.html)
        for chart in section.charts:
            parts.append(chart_html(chart.id, chart.figure))
        parts.append("</section>")
        body.append("".join(parts))
    empty = "" if sections else ('<section><h2>Nothing to show yet</h2><p class="intro">The warehouse has none of '
                                 "the evaluation tables (metrics, leaderboard, ...). Build the project first."
                                 "</p></section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{esc(title)}</title>
<style>{CSS}</style>
<script>{plotly_js}</script>
<script>{FILTER_JS}</script>
</head>
<body>
<header><h1>{esc(title)}</h1><div class="meta">{meta}</div></header>
<nav>{nav}</nav>
<main>
{empty}{"".join(body)}
</main>
</body>
</html>
"""
