"""What every section builder reads: the tables, the candidates' colours, the key
metric@K, each metric's definition (direction, range) and the share of cold-start users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.report import figures

PREFERRED_KEY_METRICS = ("ndcg", "recall", "precision", "map", "mrr", "hit_rate")
# above this share of cold-start labelled users the accuracy and classification sections
# say so: pooled numbers are then mostly about users no model can personalise for
COLD_START_CAVEAT_SHARE = 0.5


@dataclass
class Chart:
    id: str
    figure: Any


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    how: str = ""  # "how to read this": one or two sentences
    caveats: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Context:
    tables: EvaluationTables
    style: figures.Style
    baseline: str
    key_metric: tuple[str, Any]  # (metric, k) that ranks the leaderboard
    metrics: list[dict[str, Any]]  # rows of `metrics`, [] when absent
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric -> metric_definitions row
    cold_start: tuple[int, int] | None = None  # (cold, labelled) users
    board_metrics: list[str] | None = None  # project.yml leaderboard.metrics
    board_max_columns: int = 10

    @property
    def key_label(self) -> str:
        metric, k = self.key_metric
        return metric if k is None else f"{metric}@{k}"

    def ranges(self) -> dict[str, tuple[float | None, float | None]]:
        return {m: (d.get("range_min"), d.get("range_max")) for m, d in self.definitions.items()}

    def direction(self, metric: str) -> str:
        return str(self.definitions.get(metric, {}).get("direction") or "higher")

    def cold_start_caveat(self) -> str:
        """A warning when most labelled users are cold-start, else ''."""
        if not self.cold_start or not self.cold_start[1]:
            return ""
        cold, labelled = self.cold_start
        if cold / labelled <= COLD_START_CAVEAT_SHARE:
            return ""
        return (f"Cold start: {cold} of {labelled} labelled users ({cold / labelled:.0%}) have no training "
                "interactions, so no model can personalise for them and the pooled numbers here mostly measure "
                "how each candidate ranks for strangers; a non-personalised or random list can then look as good "
                "as a personalised one. Compare within the slices (the 'cold' segment apart) before trusting a "
                "ranking.")


def key_metric(vars: dict[str, Any], metrics: list[dict[str, Any]]) -> tuple[str, Any]:
    """The metric@K the leaderboard ranks by (var leaderboard_order), else ndcg@10, else the first."""
    from evalhouse.evaluation.leaderboard import sort_metric

    wanted = sort_metric(vars)
    available = [(str(r["metric"]), r["k"]) for r in metrics]
    if not available or wanted in available:
        return wanted
    for metric in PREFERRED_KEY_METRICS:
        for candidate in available:
            if candidate[0] == metric:
                return candidate
    return available[0]


def build_context(tables: EvaluationTables, vars: dict[str, Any], baseline: str, settings: Any = None) -> Context:
    """`settings`: project.yml's leaderboard block (metrics, max_columns), or None."""
    metrics_table = tables.read("metrics")
    metrics = (metrics_table.dicts() if metrics_table is not None
               and metrics_table.has_columns("candidate", "metric", "k", "value") else [])
    candidates = {str(r["candidate"]) for r in metrics}
    board = tables.read("leaderboard")
    if board is not None and "candidate" in board.columns:
        candidates |= {str(r["candidate"]) for r in board.dicts()}
    definitions = tables.read("metric_definitions")
    by_metric = ({str(d["metric"]): d for d in definitions.dicts()}
                 if definitions is not None and definitions.has_columns("metric") else {})
    return Context(tables, figures.Style(candidates, baseline), baseline, key_metric(vars, metrics), metrics,
                   by_metric, tables.cold_start_users(), getattr(settings, "metrics", None),
                   getattr(settings, "max_columns", 10))


