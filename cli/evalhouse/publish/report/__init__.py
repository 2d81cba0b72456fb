"""The HTML report: warehouse tables  ->  sections with plotly figures  ->  one file.

    context.py     what the sections read: tables, colours, key metric@K, metric definitions, cold start
    sections.py    which sections exist, built from the tables that are there
    comparison.py  the comparison with the baseline (its table and relative-delta forest)
    figures.py     plotly figures from rows
    html.py        the page: inline CSS, plotly.js inlined once, tables folded and filterable

`target/report.html` opens offline: nothing in it is fetched from the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.project.loaded import LoadedProject

REPORT_FILE = "report.html"
# the tables whose presence makes a report worth writing after a build
REPORT_TABLES = ("leaderboard", "metrics", "recall_curve", "roc_curve", "pr_curve", "metrics_by_slice",
                 "comparisons", "ab_results", "ab_tests", "gate_results", "stability", "metrics_history")


@dataclass
class Report:
    html: str
    charts: dict[str, str] = field(default_factory=dict)  # chart id -> plotly figure JSON
    sections: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


def has_report_tables(tables: EvaluationTables) -> bool:
    return any(tables.has(name) for name in REPORT_TABLES)


def render_report(project: LoadedProject, tables: EvaluationTables) -> Report:
    """Build the page in memory."""
    import plotly.offline

    from evalhouse.publish.artifacts import read_build_info
    from evalhouse.publish.report.html import esc, page
    from evalhouse.publish.report.sections import build_sections

    sections = build_sections(tables, project.vars, project.baseline_name(), project.config.leaderboard)
    meta = [f"project {esc(project.config.name)} {esc(project.config.version)}",
            f"written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"]
    if (project.target_dir / "run_results.json").is_file():
        build = read_build_info(project.target_dir)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(build["counts"].items()))
        state = "succeeded" if build["success"] else "had failures"
        meta.append(f"last {esc(build['command'])} {state} ({esc(counts)}) in {build['elapsed']:.1f} s, "
                    f"build {esc(build['invocation_id'][:8])}")
    text = page(f"{project.config.name}: evaluation report", " · ".join(meta), sections,
                plotly.offline.get_plotlyjs())
    charts = {chart.id: chart.figure.to_json() for section in sections for chart in section.charts}
    return Report(text, charts, [s.key for s in sections])


def write_report(project: LoadedProject, tables: EvaluationTables, path: Path | None = None) -> Report:
    """Render and write the page (default target/report.html), atomically."""
    from evalhouse.files import write_text_atomic

    report = render_report(project, tables)
    path = path or project.target_dir / REPORT_FILE
    project.note_written(path)
    write_text_atomic(path, report.html)
    report.path = path
    return report
