"""The DuckDB target: seeds, models and tests on one warehouse file, a cursor per thread."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import duckdb

from evalhouse.compile.sql_functions import calls_functions
from evalhouse.errors import NodeError, SqlError
from evalhouse.execute.materialize import execute_in_transaction, materialize
from evalhouse.execute.seeds import load_seed
from evalhouse.execute.target import SAMPLE_ROWS, NodeOutcome, compiled_path
from evalhouse.project.config import SeedConfig
from evalhouse.project.nodes import Node
from evalhouse.targets.duckdb.journal import Journal
from evalhouse.targets.duckdb.warehouse import Warehouse

# DuckDB's words when a query outgrew memory_limit and could not spill the rest to disk
# (the spill folder is full, capped by max_temp_directory_size, or cannot be written)
_SPILL = re.compile(r"no space left on device|could not write to temp|temp(orary)? (directory|file)"
                    r"|failed to create directory|max_temp_directory_size", re.IGNORECASE)
RESOURCES_HINT = ("give DuckDB more room in project.yml: raise duckdb.memory_limit (such as 4GB or 75%), "
                  "point duckdb.temp_directory at a writable disk with free space, or raise "
                  "duckdb.max_temp_directory_size; fewer --threads also needs less memory")


def _resources_now(connection: duckdb.DuckDBPyConnection | None) -> str:
    """What the build had when it ran out: the settings in force and the spill files it held,
    so the user sees how far to raise them ('' when the connection cannot say)."""
    if connection is None:
        return ""
    try:
        limit, folder, cap, threads = connection.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('max_temp_directory_size'), current_setting('threads')").fetchone()
        spilled = connection.execute("select coalesce(sum(size), 0) from duckdb_temporary_files()").fetchone()[0]
    except duckdb.Error:
        return ""
    return (f" (it had memory_limit {limit}, {threads} threads, temp_directory {folder or '(none)'} "
            f"holding {spilled / 2**30:.2f} GiB of max_temp_directory_size {cap})")


def _resources_error(node: Node, exc: duckdb.Error,
                     connection: duckdb.DuckDBPyConnection | None = None) -> NodeError | None:
    """Out of memory or spill space: no fault of the SQL, so the hint names the settings and
    the message says what the build had."""
    message = str(exc)
    if not isinstance(exc, duckdb.OutOfMemoryException) and not _SPILL.search(message):
        return None
    what = "memory" if isinstance(exc, duckdb.OutOfMemoryException) else "spill space"
    return NodeError(f"{node.kind} {node.name} ran out of {what}: {message.splitlines()[0]}"
                     f"{_resources_now(connection)}", path=node.path, hint=RESOURCES_HINT)


class DuckDBTarget:
    name = "duckdb"

    def __init__(self, warehouse: Warehouse, project_dir: Path, seed_configs: dict[str, SeedConfig],
                 build_id: str | None = None) -> None:
        self.warehouse = warehouse
        self.build_id = build_id  # recorded as the warehouse's current build when the command passes
        self.project_dir = project_dir
        self.seed_configs = seed_configs
        self._existing = {rel: info.kind for rel, info in warehouse.relations().items()}
        self._lock = threading.Lock()
        self.journal = Journal(warehouse.connection)
        self.journal.start()
        self._cursors: set[duckdb.DuckDBPyConnection] = set()

    def _existing_kind(self, node: Node) -> str | None:
        with self._lock:
            return self._existing.get(node.relation)

    def _record(self, node: Node, kind: str) -> None:
        with self._lock:
            self._existing[node.relation] = kind

    def run_node(self, node: Node, full_refresh: bool) -> NodeOutcome:
        # the scipy-backed functions are added when a node calls one; a node that reads a
        # view calling one (built by an earlier command) finds out from DuckDB, and retries
        self.warehouse.add_functions(node.sql or "")
        try:
            return self._run_node(node, full_refresh)
        except duckdb.CatalogException as exc:
            if not calls_functions(str(exc)) or self.warehouse.functions_added:
                raise
            self.warehouse.add_functions()
            return self._run_node(node, full_refresh)

    def _run_node(self, node: Node, full_refresh: bool) -> NodeOutcome:
        cursor = self.warehouse.cursor()
        with self._lock:
            self._cursors.add(cursor)
        try:
            if node.kind == "seed":
                config = self.seed_configs.get(node.name) or SeedConfig()
                rows = load_seed(cursor, node, self.project_dir, config, self._existing_kind(node), self.journal)
                self._record(node, "table")
                return NodeOutcome(rows=rows)
            if node.kind == "model":
                rows = materialize(cursor, node, self._existing_kind(node), full_refresh, self.journal)
                self._record(node, "view" if node.config.materialized == "view" else "table")
                return NodeOutcome(rows=rows)
            return self._run_test(cursor, node)
        finally:
            with self._lock:
                self._cursors.discard(cursor)
            cursor.close()

    def interrupt(self) -> None:
        """Stop the statements running now (Ctrl-C, SIGTERM): each fails within moments
        with DuckDB's interrupt error, and its node's transaction rolls back."""
        with self._lock:
            cursors = list(self._cursors)
        for cursor in cursors:
            try:
                cursor.interrupt()
            except duckdb.Error:
                pass

    def retire_moved(self, nodes: list[Node], sources: set[tuple[str, str]]) -> list[str]:
        """A relation of a node's name in another schema is what an earlier layout left (a
        model moved to intermediate leaves its old table in main, which a bare name would
        read first): set aside by the journal, so that a build that fails puts it back."""
        building = {n.identifier.lower(): n.config.schema for n in nodes if n.kind in ("model", "seed")
                    and n.config.materialized != "ephemeral"}
        moved = [info for info in self.warehouse.relations().values()
                 if building.get(info.name.lower(), info.schema) != info.schema
                 and (info.schema.lower(), info.name.lower()) not in sources]
        for info in moved:
            statements, entry = self.journal.set_aside(info.schema, info.name, info.kind)
            try:
                execute_in_transaction(self.warehouse.connection, statements)
            except BaseException:
                self.journal.failed(entry)
                raise
            with self._lock:
                self._existing.pop(info.relation, None)
        return [info.relation for info in moved]

    def finish(self, passed: bool) -> int:
        """The build is over: keep what it built (passed) or put every relation it replaced
        or created back as it was. Returns the number of relations dropped or put back."""
        return self.journal.commit(self.build_id) if passed else self.journal.restore()

    @staticmethod
    def _run_test(cursor: duckdb.DuckDBPyConnection, node: Node) -> NodeOutcome:
        failures = int(cursor.execute(f"select count(*) from (\n{node.sql}\n) as failures").fetchone()[0])
        if failures == 0:
            return NodeOutcome(failures=0)
        relation = cursor.execute(f"select * from (\n{node.sql}\n) as failures limit {SAMPLE_ROWS}")
        columns = [d[0] for d in relation.description]
        return NodeOutcome(failures=failures, sample=[dict(zip(columns, row, strict=False)) for row in relation.fetchall()])

    def node_error(self, node: Node, exc: Exception) -> NodeError | None:
        if not isinstance(exc, duckdb.Error):
            return None
        resources = _resources_error(node, exc, self.warehouse.connection)
        if resources is not None:
            return resources
        from evalhouse.compile.sqlcheck import (  # sqlglot loads on this error path only
            error_line,
            source_line,
        )

        message = str(exc)
        compiled_line = error_line(message)
        if compiled_line is not None:
            # every statement we run wraps the compiled SQL after one line of our own
            compiled_line = max(1, compiled_line - 1)
        line = source_line(node.raw, node.sql or "", compiled_line) if node.raw else None
        return SqlError(
            f"{node.kind} {node.name} failed: {message.splitlines()[0]}"
            + (f" (line {compiled_line} of the compiled SQL)" if compiled_line else ""),
            path=node.path,
            line=line,
            hint=f"the compiled SQL is in {compiled_path(node)}",
        )
