"""The HTML report: sections follow the tables, one self-contained file, and it draws
every chart in headless Chromium with the network cut off."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tiny_evaluation as tiny
from browser import Browser
from click.testing import CliRunner
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.cli import main

EVERY_SECTION = ["leaderboard", "accuracy", "classification", "coverage", "diversity", "popularity", "slices",
                 "comparisons", "ab", "gate", "stability", "trend"]
EVERY_CHART = ["recall_curve", "metrics_by_k", "roc_curve", "pr_curve", "coverage", "diversity", "popularity",
               "slices", "comparisons", "ab_results", "trend"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "target" / "test-artifacts"


@pytest.fixture(autouse=True)
def no_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALHOUSE_MLFLOW", "false")


def build(root: Path, **options) -> tuple[Project, object]:
    project = Project.load(root)
    return project, project.build(RunOptions(**options))


class References(HTMLParser):
    """Every URL an element of the page points at (src, href, ...), and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action", "data", "poster")]


def test_every_build_writes_the_report_with_a_section_per_table(make_project):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    _, result = build(root)
    assert result.success and result.warnings == []
    assert result.report.path == root / "target/report.html"
    assert result.report.sections == EVERY_SECTION
    assert list(result.report.charts) == EVERY_CHART
    page = result.report.path.read_text(encoding="utf-8")
    # the project's own gate_results model is rebuilt by each build: its verdicts are current
    assert 'data-candidate="cooc">PASS<' in page
    assert "ndcg@10 within each user segment" in page  # slices follow leaderboard_order
    assert page.count("<tr class=\"better\">") == 9 and page.count("<tr class=\"worse\">") == 9


def test_the_report_is_one_file_that_fetches_nothing(make_project):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    _, result = build(root)
    page = result.report.path.read_text(encoding="utf-8")
    parser = References()
    parser.feed(page)
    assert [url for url in parser.urls if not url.startswith("#")] == []  # only links within the page
    assert "link" not in parser.tags and "iframe" not in parser.tags and "@import" not in page
    assert page.count("* plotly.js v") == 1  # plotly.js inlined once, shared by every chart
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert 1_000_000 < result.report.size_bytes < 10_000_000


def test_sections_whose_tables_are_absent_are_left_out(make_project):
    root = make_project(tiny.files(with_extras=False, with_history=False), tiny.PROJECT_YML)
    _, result = build(root)
    assert result.report.sections == ["accuracy", "coverage", "diversity", "popularity"]
    page = result.report.path.read_text(encoding="utf-8")
    for absent in ("leaderboard", "classification", "slices", "comparisons", "gate", "trend"):
        assert f'data-section="{absent}"' not in page


def test_a_project_without_evaluation_tables_gets_a_report_only_when_asked(make_project):
    root = make_project({"models/m.sql": "select 1 as x"})
    _, result = build(root)
    assert result.success and result.report is None and not (root / "target/report.html").exists()
    out = CliRunner().invoke(main, ["report", "--project-dir", str(root)])
    assert out.exit_code == 0, out.output
    assert "sections: none" in out.output
    assert "Nothing to show yet" in (root / "target/report.html").read_text(encoding="utf-8")


def test_report_command_writes_where_asked(make_project, tmp_path):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    build(root, report=False)
    assert not (root / "target/report.html").exists()
    out = CliRunner().invoke(main, ["report", "--project-dir", str(root), "-o", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    assert "sections: leaderboard, accuracy" in out.output and (tmp_path / "r.html").is_file()


def test_a_report_that_fails_is_a_warning_not_a_failed_build(make_project, monkeypatch):
    root = make_project(tiny.files(), tiny.PROJECT_YML)

    def broken(*args, **kwargs):
        raise ValueError("a chart went wrong")

    monkeypatch.setattr("evalhouse.publish.report.render_report", broken)
    out = CliRunner().invoke(main, ["build", "--project-dir", str(root)])
    assert out.exit_code == 0, out.output
    assert "warning: the report could not be written: ValueError: a chart went wrong" in out.output
    assert out.output.count("warning:") == 1


def test_metrics_history_keeps_one_row_per_build_candidate_metric_and_k(make_project):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    ids = []
    for _ in range(3):
        project, result = build(root)
        assert result.success
        ids.append(json.loads((root / "target/run_results.json").read_text())["metadata"]["invocation_id"])
    with read_warehouse(str(root / "target/warehouse.duckdb")) as con:
        builds = con.execute("select build_id, count(*), count(distinct (candidate, metric, k)) from metrics_history"
                             " group by build_id order by min(built_at)").fetchall()
        assert [b[0] for b in builds] == ids  # the invocation ids of target/run_results.json, in order
        assert all(count == distinct == 66 for _, count, distinct in builds)
        trend = con.execute("select value from metrics_history where candidate = 'cooc' and metric = 'ndcg'"
                            " and k = 10").fetchall()
        assert len(set(trend)) == 1 and len(trend) == 3
    assert "3 builds in metrics_history" in result.report.path.read_text(encoding="utf-8")
    full = build(root, full_refresh=True)[1]  # a full refresh starts the history again
    assert full.success


def test_the_report_draws_every_chart_in_headless_chromium(make_project, tmp_path):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    build(root)
    build(root)  # two builds: the trend has a line
    report = root / "target/report.html"
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><img src="http://example.invalid/pixel.png">', encoding="utf-8")
    with Browser(tmp_path / "chromium-profile") as browser:
        # the request log sees what a page fetches (here: a request the cut-off network refuses)
        browser.open(control.as_uri())
        browser.wait_until("document.readyState === 'complete'")
        assert "http://example.invalid/pixel.png" in browser.requested_urls()
        browser.events.clear()

        browser.open(report.as_uri())
        drawn = browser.wait_until(
            "Array.from(document.querySelectorAll('.chart')).every(c => c.querySelector('svg.main-svg'))")
        charts = browser.evaluate("""Array.from(document.querySelectorAll('.chart')).map(c => {
            const plot = c.querySelector('.js-plotly-plot');
            return {id: c.dataset.chart, svg: !!plot.querySelector('svg.main-svg'),
                    traces: (plot.data || []).length,
                    marks: plot.querySelectorAll('.scatterlayer .trace path, .barlayer .trace path, .point').length,
                    width: plot.getBoundingClientRect().width};
        })""")
        # the folded table opens and its filter box hides the rows without every word typed
        filtered = browser.evaluate("""(() => {
            const details = document.querySelector('details[data-table=table-comparisons-rest]');
            const closed = !details.open;
            details.open = true;
            const box = details.querySelector('input.filter');
            box.value = 'random ndcg';
            box.dispatchEvent(new Event('input', {bubbles: true}));
            const rows = Array.from(details.querySelectorAll('tbody tr'));
            const shown = rows.filter(r => !r.hidden && r.getBoundingClientRect().height > 0);
            return [closed, rows.length, shown.map(r => r.cells[2].textContent + ' ' + r.cells[0].textContent)];
        })()""")
        layout = browser.evaluate("[document.documentElement.scrollWidth, window.innerWidth,"
                                  " document.querySelector('[data-candidate=cooc]').textContent]")
        shot = browser.screenshot(tmp_path / "report.png")
        requests = browser.requested_urls()
        errors = browser.console_errors()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shot, ARTIFACTS / "report.png")

    assert drawn
    assert errors == []
    assert requests == [report.as_uri()]  # the page itself, nothing else
    assert [c["id"] for c in charts] == EVERY_CHART
    for chart in charts:
        assert chart["svg"] and chart["traces"] > 0 and chart["marks"] > 0 and chart["width"] > 300, chart
    assert filtered == [True, 12, ["ndcg@5 random", "ndcg@20 random"]]
    assert layout[0] <= layout[1] and layout[2] == "PASS"  # nothing wider than the window
    assert shot.stat().st_size > 50_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_trend_compares_builds_of_the_latest_configuration_only():
    from evalhouse.publish.report.sections import like_the_latest

    def row(build, at, fingerprint, value):
        return {"build_id": build, "built_at": at, "config_fingerprint": fingerprint, "candidate": "a",
                "metric": "ndcg", "k": 10, "value": value}

    rows = [row("b1", "2026-01-01", "x", 0.28), row("b2", "2026-01-02", "y", 0.40), row("b3", "2026-01-03", "x", 0.28)]
    kept, left_out = like_the_latest(rows)
    assert [r["build_id"] for r in kept] == ["b1", "b3"] and left_out == 1  # b2 used other labels
    legacy = [{k: v for k, v in r.items() if k != "config_fingerprint"} for r in rows]
    assert like_the_latest(legacy) == (legacy, 0)


def test_metrics_history_records_the_configuration(demo):
    project, _ = demo
    fingerprints = project.query("select distinct config_fingerprint from metrics_history").rows
    assert len(fingerprints) == 1 and len(fingerprints[0][0]) == 16
    assert fingerprints[0][0] == project.configuration_fingerprint()
    assert project.configuration_fingerprint() != Project.load(project.dir, vars={"rel_threshold": 3.0}) \
        .configuration_fingerprint()


# --- readable at a glance: relative deltas, axis titles, folded tables, the cold-start caveat ---


def comparison(metric, baseline_value, delta, direction, k=10, candidate="cooc"):
    return {"candidate": candidate, "baseline": "popular", "metric": metric, "k": k, "direction": direction,
            "baseline_value": baseline_value, "delta": delta, "ci_low": delta - 0.01, "ci_high": delta + 0.01}


def test_the_forest_draws_relative_deltas_coloured_by_each_metrics_direction():
    from evalhouse.publish.report.figures import DIRECTION_COLOURS, comparison_forest

    rows = [comparison("avg_popularity", 200.0, -100.0, "lower"),  # raw -100 would squash the rest
            comparison("ndcg", 0.2, 0.01, "higher"), comparison("recall", 0.1, -0.02, "higher"),
            comparison("mape_zero_actual_pairs", 4.0, 1.0, "neutral"), comparison("seen_rate", 0.0, 0.1, "lower")]
    fig = comparison_forest(rows, "K = 10")
    points = {y: (trace.name, trace.marker.color, x, plus, minus) for trace in fig.data
              for y, x, plus, minus in zip(trace.y, trace.x, trace.error_x.array, trace.error_x.arrayminus,
                                           strict=True)}
    assert set(points) == {"avg_popularity@10 · cooc", "ndcg@10 · cooc", "recall@10 · cooc",
                           "mape_zero_actual_pairs@10 · cooc"}  # a zero baseline has no relative delta
    assert points["avg_popularity@10 · cooc"][1:3] == (DIRECTION_COLOURS["better"], -0.5)  # less popular: good
    assert points["ndcg@10 · cooc"][1:3] == (DIRECTION_COLOURS["better"], pytest.approx(0.05))
    assert points["recall@10 · cooc"][1:3] == (DIRECTION_COLOURS["worse"], pytest.approx(-0.2))
    assert points["mape_zero_actual_pairs@10 · cooc"][1:3] == (DIRECTION_COLOURS["neutral"], 0.25)
    # the interval is scaled by the same baseline value: +-0.01 around ndcg's 0.2 is +-5%
    assert points["ndcg@10 · cooc"][3:] == (pytest.approx(0.05), pytest.approx(0.05))
    assert points["avg_popularity@10 · cooc"][3:] == (pytest.approx(0.00005), pytest.approx(0.00005))
    assert fig.layout.xaxis.tickformat == "+.0%" and fig.layout.xaxis.title.text == "delta / baseline value"
    assert {t.name for t in fig.data} == {"in the better direction", "in the worse direction",
                                          "no better direction (or no change)"}


def axis_titles(figure_json: str) -> dict[str, str]:
    layout = json.loads(figure_json)["layout"]
    return {name: (axis.get("title") or {}).get("text", "") for name, axis in layout.items()
            if name.startswith(("xaxis", "yaxis"))}


def test_every_chart_axis_has_a_title_and_long_tables_fold(make_project):
    root = make_project(tiny.files(), tiny.PROJECT_YML)
    _, result = build(root)
    for chart, figure in result.report.charts.items():
        titles = axis_titles(figure)
        assert titles and all(titles.values()), (chart, titles)
    page = result.report.path.read_text(encoding="utf-8")
    # the comparisons at the leaderboard's K are shown; every other K is folded, with a filter box
    key_table = page.split('id="table-comparisons"')[1].split("</table>")[0]
    assert key_table.count("<tr") == 1 + 6 and "ndcg@10" in key_table and "ndcg@5" not in key_table
    folded = page.split('<details data-table="table-comparisons-rest">')[1].split("</details>")[0]
    assert "Every other K (12 rows)" in folded and 'class="filter"' in folded and "ndcg@5" in folded
    assert page.count('document.addEventListener("input"') == 1  # the filter script, inline, once
    assert page.count('<p class="how"><b>How to read this:</b>') == len(result.report.sections)
    assert "Cold start" not in page  # this warehouse has no labels or train: nothing to warn about


COLD_FILES = {
    "models/labels.sql": "{{ config(materialized='table') }}\n"
    "select range as user_id, 1 as item_id, 1.0 as relevance from range(1, 5)\n",
}


@pytest.mark.parametrize(("train_users", "warned"), [("1, 2, 3, 4", False), ("1, 2", False), ("1", True)])
def test_the_cold_start_caveat_shows_when_most_labelled_users_have_no_train_rows(make_project, train_users,
                                                                                  warned):
    files = {**tiny.files(), **COLD_FILES, "models/train.sql": "{{ config(materialized='table') }}\n"
             f"select unnest([{train_users}]) as user_id, 2 as item_id\n"}
    root = make_project(files, tiny.PROJECT_YML)
    _, result = build(root)
    page = result.report.path.read_text(encoding="utf-8")
    cold = 4 - len(train_users.split(","))
    assert ('class="caveat">Cold start: 3 of 4 labelled users (75%)' in page) == warned, cold
    for section in ("accuracy", "classification"):
        body = page.split(f'data-section="{section}"')[1].split("</section>")[0]
        assert ("Cold start:" in body) == warned
    assert page.count("Cold start:") == (2 if warned else 0)  # not in the other sections


def test_the_demo_report_warns_of_cold_start_and_uses_each_metrics_range(demo, tmp_path):
    from evalhouse.publish.publisher import report

    project, result = demo
    assert result.success
    written = report(project, tmp_path / "report.html")
    page = written.path.read_text(encoding="utf-8")
    assert page.count("Cold start: 88 of 116 labelled users (76%) have no training interactions") == 2
    for chart, figure in written.charts.items():
        assert all(axis_titles(figure).values()), chart
    panels = json.loads(written.charts["coverage"])["layout"]
    ranges = {panels[f"yaxis{n or ''}"]["title"]["text"]: panels[f"yaxis{n or ''}"].get("range")
              for n in range(5) if n != 1 and f"yaxis{n or ''}" in panels}
    assert ranges["user_coverage"] == [0, 1]  # not plotly's 0-2 around a single value of 1
    popularity = json.loads(written.charts["popularity"])["layout"]
    assert [a["range"] for a in popularity.values() if isinstance(a, dict) and a.get("title", {}).get("text")
            == "seen_rate"] == [[0, 1]]
    # relative deltas: avg_popularity's -200 no longer squashes ndcg; less popularity is green
    forest = json.loads(written.charts["comparisons"])
    better = next(t for t in forest["data"] if t["name"] == "in the better direction")
    assert "avg_popularity@10 · random" in better["y"] and max(abs(x) for t in forest["data"] for x in t["x"]) <= 2
    # a delta beyond +-200% (serendipity against popular's near-zero) sits at the edge as an arrow
    clipped = [(y, v) for t in forest["data"] for y, x, v in zip(t["y"], t["x"], t["customdata"], strict=True)
               if abs(v) > 2]
    assert all(abs(x) == 2 for t in forest["data"] for x, v in zip(t["x"], t["customdata"], strict=True) if abs(v) > 2)
    assert all(y.startswith(("serendipity", "tail_share", "inverse_user_frequency")) for y, _ in clipped), clipped
    other_k = project.query("select count(*) from comparisons where k is not null and k <> 10").rows[0][0]
    assert page.count("<details") >= 2 and f"Every other K ({other_k} rows)" in page
