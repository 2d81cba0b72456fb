"""Which leaderboard columns a person sees first.

The `leaderboard` table keeps one column per metric@K (125 on the demo) for queries; what
`build` prints and the report shows is a handful: the metric the board is sorted by, then
`leaderboard.metrics` from project.yml in its order, or by default the metrics whose YAML
says `key: true`, at the sort metric's K, up to `leaderboard.max_columns`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

ROW_COLUMNS = ("candidate", "n_users")
# columns of the table that are neither shown first nor a metric: the conventions profile
# (one value for the whole board, as in `metrics`)
DESCRIPTIVE_COLUMNS = ("conventions",)


@dataclass
class ColumnChoice:
    columns: list[str]  # the row columns, then the metric@K columns, in order
    left_out: int  # metric columns of the table not shown
    unknown: list[str] = field(default_factory=list)  # configured names the table lacks


def _label(metric: str, k: Any) -> str:
    return metric if k is None else f"{metric}@{int(k)}"


def choose_columns(table_columns: Sequence[str], definitions: Iterable[dict[str, Any]], sort_by: tuple[str, Any],
                   configured: Sequence[str] | None = None, max_columns: int = 10) -> ColumnChoice:
    """The columns to show of a leaderboard with `table_columns`."""
    metric_columns = [c for c in table_columns if c not in ROW_COLUMNS and c not in DESCRIPTIVE_COLUMNS]
    available = set(metric_columns)
    primary = _label(*sort_by)
    if configured:
        wanted = [primary] + [c for c in configured if c != primary]
        unknown = [c for c in configured if c not in available]
    else:
        unknown = []
        keys = sorted((d for d in definitions if d.get("is_key") or d.get("key")),
                      key=lambda d: d.get("position") or 0)  # metric_definitions' display order
        k = sort_by[1]
        wanted = [primary]
        for d in keys:
            at_k = _label(str(d["metric"]), k)
            wanted.append(at_k if at_k in available else str(d["metric"]))
    chosen: list[str] = []
    for column in wanted:
        if column in available and column not in chosen:
            chosen.append(column)
    if not configured:
        chosen = chosen[:max_columns]
    if not chosen:  # no metadata, no sort column: the first columns, as the table has them
        chosen = metric_columns[:max_columns]
    rows = [c for c in ROW_COLUMNS if c in table_columns]
    return ColumnChoice(rows + chosen, len(metric_columns) - len(chosen), unknown)


def project_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], chosen: Sequence[str]) -> list[tuple]:
    index = [list(columns).index(c) for c in chosen]
    return [tuple(row[i] for i in index) for row in rows]


def sort_metric(vars: dict[str, Any]) -> tuple[str, Any]:
    """The metric@K the leaderboard is sorted by: var leaderboard_order, else ndcg@10."""
    order = vars.get("leaderboard_order") or {}
    if not isinstance(order, dict):
        return "ndcg", 10
    return str(order.get("metric", "ndcg")), order.get("k", 10)


def key_columns(project: LoadedProject, table_columns: Sequence[str],
                definitions: Iterable[dict[str, Any]]) -> ColumnChoice:
    """The project's choice (project.yml `leaderboard:`) of a leaderboard's columns: what
    `build` prints, the report shows and MLflow's build run holds."""
    settings = project.config.leaderboard
    return choose_columns(table_columns, definitions, sort_metric(project.vars), settings.metrics,
                          settings.max_columns)
