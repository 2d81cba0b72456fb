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
    sources = {}
    for uid in graph.ancestors(node.unique_id):
        upstream = compiled.nodes[uid]
        key = _relation_key(upstream.config.schema, upstream.identifier)
        by_relation[key] = upstream.name
        if upstream.kind == "model" and upstream.sql:
            sources[key] = upstream.sql
    try:
        root = sqlglot_lineage(column, node.sql or "", schema=warehouse_columns or {}, sources=sources,
                               dialect="duckdb")
    except Exception as exc:  # sqlglot raises plain errors for unknown columns
        raise SqlError(
            f"cannot trace column '{column}' of {node.name}: {exc}",
            path=node.path,
            hint="check the column name with 'evalhouse show " + node.name + "'",
        ) from None
    seen = set()
    for step in root.walk():
        expression = step.expression
        result.steps.append(f"{step.name}: {expression.sql(dialect='duckdb')[:120]}")
        if step.downstream:
            continue
        if isinstance(step.source, exp.Table):
            table = step.source
            key = _relation_key(table.db or "main", table.name)
            owner = by_relation.get(key, table.name)
            leaf = (owner, step.name.split(".")[-1].strip('"'))
            if leaf not in seen:
                seen.add(leaf)
                result.column_sources.append(leaf)
    return result
