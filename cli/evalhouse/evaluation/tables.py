"""Read the evaluation tables (by their contract names) that the report and MLflow publish.

The names are a contract with the evaluation project: `metrics`, `leaderboard`,
`recall_curve`, ... Any of them may be missing (a project that computes no A/B test has
no `ab_results`); readers ask `has(name)` and skip what is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.project.nodes import quote

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

# every table the report or MLflow may read, in the order the report shows them
CONTRACT_TABLES = (
    "leaderboard",
    "metrics",
    "recall_curve",
    "roc_curve",
    "pr_curve",
    "metrics_by_slice",
    "comparisons",
    "ab_results",
    "ab_tests",
    "gate_results",
    "stability",
    "metrics_history",
    "user_metrics",
)


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def has_columns(self, *names: str) -> bool:
        return all(name in self.columns for name in names)

    def __len__(self) -> int:
        return len(self.rows)


class EvaluationTables:
    """The contract tables present in one warehouse, read through one DuckDB cursor."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        found: dict[str, tuple[str, str]] = {}
        for schema, name in cursor.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = current_database() order by table_schema <> 'main', table_schema"
        ).fetchall():
            found.setdefault(name, (schema, name))
        self._relations = {name: f"{quote(s)}.{quote(n)}" for name, (s, n) in found.items()}

    @classmethod
    @contextmanager
    def open(cls, project: LoadedProject) -> Iterator[EvaluationTables]:
        """The project's warehouse, opened read-only; `export` may write under target/ only."""
        from evalhouse.targets.duckdb.warehouse import Warehouse

        with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True,
                       allowed=[project.target_dir]) as warehouse:
            yield cls(warehouse.cursor())

    def has(self, name: str) -> bool:
        return name in self._relations

    def present(self) -> list[str]:
        return [name for name in CONTRACT_TABLES if self.has(name)]

    def read(self, name: str, *, order_by: str | None = None, where: str | None = None,
             limit: int | None = None) -> Table | None:
        """The rows of a table, or None when the warehouse has no such table."""
        if not self.has(name):
            return None
        sql = f"select * from {self._relations[name]}"
        if where:
            sql += f" where {where}"
        if order_by:
            sql += f" order by {order_by}"
        if limit is not None:
            sql += f" limit {int(limit)}"
        relation = self.cursor.execute(sql)
        columns = [d[0] for d in relation.description]
        # DECIMAL literals (`0.05 as p`) read as Decimal: make every number a plain float
        rows = [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in relation.fetchall()]
        return Table(name, columns, rows)

    def cold_start_users(self) -> tuple[int, int] | None:
        """(cold, labelled): the users in `labels`, and those of them without a row in
        `train` (no history to personalise from); None without both tables or their user_id."""
        if not (self.has("labels") and self.has("train")):
            return None
        for name in ("labels", "train"):
            if "user_id" not in self.read(name, limit=0).columns:
                return None
        cold, labelled = self.cursor.execute(
            f"select count(*) filter (where not exists (select 1 from {self._relations['train']} as t"
            f" where t.user_id = l.user_id)), count(*)"
            f" from (select distinct user_id from {self._relations['labels']}) as l").fetchone()
        return int(cold), int(labelled)

    def count(self, name: str, at_most: int | None = None) -> int:
        """The table's rows; with `at_most`, min(rows, at_most), which a view computes only
        that far."""
        relation = self._relations[name]
        if at_most is not None:
            relation = f"(select 1 from {relation} limit {int(at_most)}) as bounded"
        return int(self.cursor.execute(f"select count(*) from {relation}").fetchone()[0])

    def export(self, name: str, path: Path, fmt: str) -> None:
        """Write a table as CSV or Parquet with DuckDB's own writers."""
        path.parent.mkdir(parents=True, exist_ok=True)
        options = "format csv, header true" if fmt == "csv" else "format parquet"
        target = str(path).replace("'", "''")
        self.cursor.execute(f"copy (select * from {self._relations[name]}) to '{target}' ({options})")


_VERDICT_COLUMNS = ("passed", "pass", "ok", "verdict", "status", "result", "outcome")
_PASS_WORDS = {"pass", "passed", "ok", "success", "true", "green", "go"}
_FAIL_WORDS = {"fail", "failed", "error", "false", "red", "no-go", "no_go", "blocked"}


def gate_verdict(table: Table | None) -> str | None:
    """'pass' when every gate row passed, 'fail' when any failed, None when it cannot tell.

    Reads the first column named like a verdict (passed, status, verdict, ...), either a
    boolean or words such as pass/fail.
    """
    if table is None or not table.rows:
        return None
    for column in _VERDICT_COLUMNS:
        if column not in table.columns:
            continue
        index = table.columns.index(column)
        values = [row[index] for row in table.rows]
        words = {str(v).strip().lower() for v in values if v is not None}
        if words & _FAIL_WORDS:
            return "fail"
        if words and words <= _PASS_WORDS | {"warn", "warning", "skipped"}:
            return "pass"
    return None
