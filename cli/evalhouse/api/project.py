"""The Python API: `Project.load(path)` and one method per operation.

The CLI calls these and prints what they return; nothing here prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalhouse.project.loaded import LoadedProject

# `clean --all` waits this long for a background MLflow send to finish (the demo's takes seconds)
CLEAN_WAITS_FOR_SENDER_SECONDS = 60.0

if TYPE_CHECKING:
    from evalhouse.compile.compiler import CompiledProject
    from evalhouse.compile.lineage import LineageResult
    from evalhouse.evaluation.checks import CheckResult
    from evalhouse.evaluation.gate import GateResult
    from evalhouse.execute.options import RunOptions
    from evalhouse.execute.query_result import QueryResult
    from evalhouse.execute.runner import RunResult
    from evalhouse.project.nodes import Node
    from evalhouse.project.written import CleanResult


class Project(LoadedProject):
    """A loaded project and the operations on it.

    The steps load on first use (duckdb, sqlglot and mlflow are slow to import), so that
    `evalhouse --help` and `ls` stay quick.
    """

    # -- operations ------------------------------------------------------------------------
    def compile(self, *, write: bool = True, check_sql: bool = True) -> CompiledProject:
        from evalhouse.api.operations import compile_only

        return compile_only(self, write=write, check_sql=check_sql)

    def check(self, *, overlap: bool = True) -> CheckResult:
        """The input checks every run and build starts with: raises a ConfigError for a
        missing column or an unreadable file, returns the warnings; with overlap, also each
        candidate file's share of the label users (a NodeError when it is 0)."""
        from evalhouse.api.operations import check

        return check(self, overlap=overlap)

    def list(self, select: list[str] | None = None, exclude: list[str] | None = None) -> list[Node]:
        from evalhouse.api.operations import prepare_inputs
        from evalhouse.compile.compiler import compile_project
        from evalhouse.compile.selector import select_nodes

        prepare_inputs(self)  # what is enabled depends on the input files' columns
        compiled = compile_project(self, check_sql=False)
        chosen = select_nodes(compiled.nodes, compiled.graph, select, exclude)
        return [compiled.nodes[uid] for uid in compiled.graph.order(chosen)]

    def seed(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("seed", options)

    def run(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("run", options)

    def test(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("test", options)

    def build(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("build", options)

    def _execute(self, command: str, options: RunOptions | None) -> RunResult:
        from evalhouse.api.operations import execute
        from evalhouse.execute.options import RunOptions

        return execute(self, command, options or RunOptions())

    def show(
        self, model: str | None = None, *, inline: str | None = None, limit: int = 10, wait_seconds: float = 0.0
    ) -> QueryResult:
        from evalhouse.api.operations import show

        return show(self, model=model, inline=inline, limit=limit, wait_seconds=wait_seconds)

    def query(self, sql: str, *, wait_seconds: float = 0.0) -> QueryResult:
        from evalhouse.api.operations import query

        return query(self, sql, wait_seconds=wait_seconds)

    def lineage(self, target: str) -> LineageResult:
        from evalhouse.api.operations import prepare_inputs
        from evalhouse.compile.lineage import lineage
        from evalhouse.targets.duckdb.warehouse import warehouse_columns

        prepare_inputs(self)
        return lineage(self, target, warehouse_columns(self.warehouse_path, self.config.duckdb))

    def gate(self, candidate: str, *, write: bool = True, wait_seconds: float = 0.0) -> GateResult:
        """The deployment gate's checks for a candidate (project.yml `gate:`), recorded in
        gate_results unless write is False; `.passed` is the verdict."""
        from evalhouse.evaluation.gate import run_gate

        return run_gate(self, candidate, write=write, wait_seconds=wait_seconds)

    def clean(self, *, include_warehouse: bool = False) -> CleanResult:
        """Remove what evalhouse wrote under target/; the warehouse stays unless asked.

        Only the entries recorded in target/.evalhouse-written are removed (the known names
        evalhouse writes, in a target folder an older version wrote without the record):
        anything else there is left and reported in `not_ours`, symlinks are removed as
        links, and nothing outside the target folder is touched.

        The warehouse holds history (snapshots, metric trends), and so do the local MLflow
        store and the builds not yet sent to MLflow: losing them should take a deliberate
        flag, not a routine clean.
        """
        from evalhouse.project.written import clean_target, top_entry
        from evalhouse.publish.tracking.settings import KEPT_BY_CLEAN

        keep: set[str] = set()
        if not include_warehouse:
            warehouse = self.warehouse_path
            entries = (top_entry(self.target_dir, p) for p in (warehouse, warehouse.with_name(warehouse.name + ".wal")))
            keep = {*KEPT_BY_CLEAN, *(name for name in entries if name is not None)}
            return clean_target(self.target_dir, keep)
        # --all deletes the MLflow store and the pending builds: not under a background sender's feet
        from evalhouse.errors import ProjectError
        from evalhouse.publish.tracking.background import SenderBusy, sender_lock
        from evalhouse.publish.tracking.settings import SENDER_DIR

        if not (self.target_dir / SENDER_DIR).is_dir():
            return clean_target(self.target_dir, keep)
        try:
            with sender_lock(self.target_dir, timeout=CLEAN_WAITS_FOR_SENDER_SECONDS):
                return clean_target(self.target_dir, keep)
        except SenderBusy:
            raise ProjectError("a build is still being sent to MLflow in the background; clean --all would delete "
                               "what it sends and where", hint="wait for it with 'evalhouse log', then clean") from None
