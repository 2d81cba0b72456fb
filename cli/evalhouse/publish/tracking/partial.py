"""What one command built, so that a partial run (`run -s tag:metric`) logs only that.

A command that did not build every model of the project leaves the other tables as an
earlier build made them. Logging them as this command's results would pass old numbers
off as new ones (a `metrics` table of last week in a run of today), so a partial run's
MLflow runs hold only what the command built: the metrics of the tables it built, those
tables as artifacts, tagged `evalhouse.partial` and `evalhouse.selection`. A command that
built none of the tables MLflow logs from logs nothing, with a note that says so.

Facts come from target/run_results.json (what ran, with which selection) and
target/manifest.json (every model), so `evalhouse log` sees the last command the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalhouse.evaluation.tables import CONTRACT_TABLES, EvaluationTables

TAG_PARTIAL = "evalhouse.partial"
TAG_SELECTION = "evalhouse.selection"
# tables of results: read from the warehouse only when this command built them. The
# others (metric_definitions: what each metric is; gate_results: filtered by build id)
# describe rather than measure, and stay readable. The leaderboard is read for its column
# names only (which metric@K are key: the parent run's metrics), its values come from
# `metrics`; it is an artifact only when built.
RESULT_TABLES = frozenset(CONTRACT_TABLES) - {"gate_results"} | {"inputs_manifest"}
READ_FOR_COLUMNS = frozenset({"leaderboard"})


@dataclass(frozen=True)
class BuildScope:
    partial: bool
    selection: str = ""  # the command's --select and --exclude, as typed
    built: frozenset[str] = field(default_factory=frozenset)  # names of the tables it built

    def tags(self) -> dict[str, str]:
        tags = {TAG_PARTIAL: str(self.partial).lower()}
        if self.partial:
            tags[TAG_SELECTION] = self.selection or "(not every model)"
        return tags

    def note(self, command: str) -> str:
        return (f"nothing logged: this {command} ({self.selection or 'a selection'}) built none of the "
                "tables MLflow logs from (metrics, metrics_by_slice, comparisons, leaderboard, ...); "
                "'evalhouse build' logs a full run")


def build_scope(target_dir: Path) -> BuildScope:
    """Whether the last command built every model of the project, and which tables it built."""
    try:
        results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
        nodes = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        return BuildScope(partial=False)
    ran = {r.get("unique_id") for r in results.get("results", []) if r.get("status") == "success"}
    # an ephemeral model is never run on its own (it is inlined where it is used)
    models = {uid for uid, node in nodes.items() if node.get("kind") == "model"
              and (node.get("config") or {}).get("materialized") != "ephemeral"}
    built = frozenset(_table_name(nodes[uid]) for uid in ran if uid in nodes and nodes[uid].get("kind") in ("model",
                                                                                                          "seed"))
    args = results.get("args", {})
    selection = " ".join([*(args.get("select") or []), *(f"--exclude {e}" for e in args.get("exclude") or [])])
    return BuildScope(partial=not models <= ran, selection=selection, built=built)


def _table_name(node: dict[str, Any]) -> str:
    relation = node.get("relation") or ""
    return relation.rsplit(".", 1)[-1].strip('"') if relation else node.get("name", "")


class BuiltTables(EvaluationTables):
    """The warehouse's evaluation tables as one command sees them: result tables it did not build are absent."""

    def __init__(self, tables: EvaluationTables, built: frozenset[str]) -> None:
        self.cursor = tables.cursor
        self.built = built
        self._relations = {name: relation for name, relation in tables._relations.items()
                           if name not in RESULT_TABLES or name in built or name in READ_FOR_COLUMNS}

    def present(self) -> list[str]:
        """The contract tables this command built: its artifacts."""
        return [name for name in super().present() if name in self.built]


def restrict(tables: EvaluationTables, scope: BuildScope) -> EvaluationTables | None:
    """What a command may log: every table after a full build; after a partial one the tables it
    built, or None when it built none MLflow logs from."""
    if not scope.partial:
        return tables
    seen = BuiltTables(tables, scope.built)
    return seen if any(name in RESULT_TABLES for name in seen.present()) else None
