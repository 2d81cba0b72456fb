"""The `gate_results` table: what `evalhouse gate` writes, and the verdicts the report and
MLflow read from it.

Rows are keyed by build and candidate: a gate run replaces the rows of its (build,
candidate) and keeps the rest, so a verdict always says which build's tables it judged.
The report and MLflow show, per candidate, the verdict of the warehouse's current build
only; a verdict of an earlier build is stale (its build id is shown, its verdict is not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from evalhouse.evaluation.tables import Table, gate_verdict
from evalhouse.targets.duckdb.warehouse import Warehouse

if TYPE_CHECKING:
    from evalhouse.evaluation.gate import GateResult
    from evalhouse.project.loaded import LoadedProject

RESULT_COLUMNS = (
    ("build_id", "varchar"), ("candidate", "varchar"), ("baseline", "varchar"), ("category", "varchar"),
    ("check_name", "varchar"), ("status", "varchar"), ("passed", "boolean"), ("value", "double"),
    ("limit_value", "double"), ("detail", "varchar"), ("checked_at", "timestamp"),
)


def write_results(project: LoadedProject, result: GateResult, *, wait_seconds: float = 0.0) -> None:
    """Replace the rows of the result's (build, candidate) in gate_results (created when
    absent, replaced when it has another shape), in one transaction: the gate is not a
    build, so it has no journal; a failed write leaves the table as it was."""
    checked_at = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [(result.build_id, result.candidate, result.baseline, c.category, c.name, c.status, c.passed, c.value,
             c.limit, c.detail, checked_at) for c in result.checks]
    names = [name for name, _ in RESULT_COLUMNS]
    with Warehouse(project.warehouse_path, project.config.duckdb, wait_seconds=wait_seconds) as warehouse:
        connection = warehouse.connection
        connection.execute("begin transaction")
        try:
            found = connection.execute(
                "select table_type from information_schema.tables"
                " where table_schema = 'main' and table_name = 'gate_results'").fetchall()
            columns = [row[0] for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'main'"
                " and table_name = 'gate_results' order by ordinal_position").fetchall()]
            # another shape (a view, an earlier version's table without build ids): replace it
            if found and (found[0][0] == "VIEW" or columns != names):
                connection.execute(f"drop {'view' if found[0][0] == 'VIEW' else 'table'} main.gate_results")
            connection.execute("create table if not exists main.gate_results ("
                               + ", ".join(f"{name} {kind}" for name, kind in RESULT_COLUMNS) + ")")
            connection.execute("delete from main.gate_results where build_id = ? and candidate = ?",
                               [result.build_id, result.candidate])
            if rows:
                connection.executemany(
                    f"insert into main.gate_results values ({', '.join('?' for _ in names)})", rows)
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    result.written = True


@dataclass
class GateVerdicts:
    """The verdicts of gate_results that hold for the current build, per candidate ('' when
    the table has no candidate column), and the candidates whose latest verdict is stale."""

    current: dict[str, str] = field(default_factory=dict)  # candidate -> 'pass' or 'fail'
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # the current build's rows
    stale: dict[str, str] = field(default_factory=dict)  # candidate -> the build id it judged ('' unknown)


def current_verdicts(table: Table | None, build_id: str | None) -> GateVerdicts:
    """Split gate_results into the current build's verdicts and stale ones.

    A table with a build_id column is what `evalhouse gate` writes: only rows of build_id
    count. Without one, a table with checked_at is an earlier version's gate output, whose
    build is unknown (all stale); any other is the project's own gate_results model, built
    by the build itself (all current)."""
    out = GateVerdicts()
    if table is None or not table.rows:
        return out
    has_candidate = "candidate" in table.columns
    candidate_of = (lambda row: str(row[table.columns.index("candidate")])) if has_candidate else (lambda row: "")
    if "build_id" in table.columns:
        index = table.columns.index("build_id")
        current = [row for row in table.rows if build_id and row[index] == build_id]
        earlier = [row for row in table.rows if not (build_id and row[index] == build_id)]
        if "checked_at" in table.columns:  # the latest earlier run names the build
            at = table.columns.index("checked_at")
            earlier.sort(key=lambda row: (row[at] is not None, str(row[at])), reverse=True)
        for row in earlier:
            out.stale.setdefault(candidate_of(row), str(row[index] or ""))
    elif "checked_at" in table.columns:
        current = []
        out.stale = {candidate_of(row): "" for row in table.rows}
    else:
        current = list(table.rows)
    out.rows = current
    for candidate in sorted({candidate_of(row) for row in current}):
        mine = Table(table.name, table.columns, [row for row in current if candidate_of(row) == candidate])
        verdict = gate_verdict(mine)
        if verdict:
            out.current[candidate] = verdict
    for candidate in out.current:
        out.stale.pop(candidate, None)
    return out
