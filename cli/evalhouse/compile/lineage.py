"""Table lineage from the graph, column lineage from `sqlglot.lineage`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage

from evalhouse.compile.compiler import compile_project
from evalhouse.errors import ProjectError, SqlError, did_you_mean

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject


@dataclass
class LineageResult:
    model: str
    column: str | None
    upstream: list[str] = field(default_factory=list)  # models and seeds, parents first
    downstream: list[str] = field(default_factory=list)
    column_sources: list[tuple[str, str]] = field(default_factory=list)  # (model, column)
    steps: list[str] = field(default_factory=list)  # how the column is computed, outermost first


def _relation_key(schema: str, name: str) -> str:
    return f"{schema}.{name}"


def lineage(project: LoadedProject, target: str,
            warehouse_columns: dict[str, dict[str, dict[str, str]]] | None = None) -> LineageResult:
    """Upstream and downstream models of `target` (model or model.column); for a column, the
    steps that compute it. `warehouse_columns` (schema -> table -> column -> type) lets
    `select *` over built tables be traced."""
    model_name, _, column = target.partition(".")
    compiled = compile_project(project, check_sql=False)
    node = compiled.by_name(model_name)
    if node is None or node.kind == "test":
        names = [n.name for n in compiled.nodes.values() if n.kind != "test"]
        raise ProjectError(
            f"no model or seed named '{model_name}'",
            hint=did_you_mean(model_name, names) or "list them with 'evalhouse ls'",
        )
    graph = compiled.graph
    def names(uids: set[str]) -> list[str]:
        return [compiled.nodes[u].name for u in graph.order(uids) if compiled.nodes[u].kind != "test"]

    result = LineageResult(
        model=node.name,
        column=column or None,
        upstream=names(graph.ancestors(node.unique_id)),
        downstream=names(graph.descendants(node.unique_id)),
    )
    if not column or node.kind == "seed":
        return result
    by_relation = {}
    for uid in graph.ancestors(node.unique_id):
        upstream = compiled.nodes[uid]
        by_relation[_relation_key(upstream.config.schema, upstream.identifier)] = upstream
    tracer = _ColumnTracer(by_relation, warehouse_columns or {})
    try:
        result.steps, result.column_sources = tracer.trace(node, column)
    except _UntraceableColumn as exc:
        raise SqlError(
            f"cannot trace column '{column}' of {node.name}: {exc}",
            path=node.path,
            hint="check the column name with 'evalhouse show " + node.name + "'",
        ) from None
    return result


class _UntraceableColumn(Exception):
    pass


class _ColumnTracer:
    """Traces a column one model at a time: sqlglot follows it through the model's own SQL
    to columns of the relations it reads, and each of those that is a model is traced the
    same way, once (memoized). Handing sqlglot every upstream model's SQL at once instead
    makes it inline them all into one query, which took minutes on the demo's deepest
    models (comparisons)."""

    def __init__(self, by_relation: dict, warehouse_columns: dict) -> None:
        self.by_relation = by_relation
        self.warehouse_columns = warehouse_columns
        self.done: dict[tuple[str, str], tuple[list[str], list[tuple[str, str]]]] = {}

    def trace(self, node, column: str) -> tuple[list[str], list[tuple[str, str]]]:
        key = (node.unique_id, column)
        if key not in self.done:
            self.done[key] = ([], [])  # a guard; the graph has no cycles
            self.done[key] = self._trace(node, column)
        return self.done[key]

    def _trace(self, node, column: str) -> tuple[list[str], list[tuple[str, str]]]:
        try:
            root = sqlglot_lineage(column, node.sql or "", schema=self.warehouse_columns, dialect="duckdb")
        except Exception as exc:  # sqlglot raises plain errors for unknown columns
            raise _UntraceableColumn(str(exc)) from None
        steps: list[str] = []
        sources: list[tuple[str, str]] = []
        for step in root.walk():
            steps.append(f"{node.name}.{step.name}: {step.expression.sql(dialect='duckdb')[:120]}")
            if step.downstream or not isinstance(step.source, exp.Table):
                continue
            table = step.source
            name = step.name.split(".")[-1].strip('"')
            upstream = self.by_relation.get(_relation_key(table.db or "main", table.name))
            if upstream is None:  # a relation the project does not build: a leaf as it is
                leaves = [(table.name, name)]
            elif upstream.kind != "model" or not upstream.sql:
                leaves = [(upstream.name, name)]
            else:
                try:
                    deeper, leaves = self.trace(upstream, name)
                except _UntraceableColumn:  # SQL sqlglot cannot follow: stop at that model
                    deeper, leaves = [], [(upstream.name, name)]
                steps.extend(deeper)
            sources.extend(leaf for leaf in leaves if leaf not in sources)
        return steps, sources
