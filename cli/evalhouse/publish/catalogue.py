"""`evalhouse docs`: a static, offline HTML catalogue of what the warehouse holds.

dbt's `docs generate` for an evaluation warehouse: every table and view with what it is
(the comment a build writes from the YAML or the model file), its columns and types, the
relations it reads and the ones that read it, and every metric with its definition. One
file, read from the warehouse (read-only) and target/manifest.json (the lineage of the
last compile or build); the page has filter boxes, no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ProjectError
from evalhouse.files import write_text_atomic
from evalhouse.publish.report.context import Section
from evalhouse.publish.report.html import esc, long_table, page, table_html

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

CATALOGUE_FILE = "catalogue.html"


@dataclass
class Catalogue:
    path: Path
    relations: int
    columns: int
    metrics: int


def _lineage(target_dir: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(relation name -> the relations it reads, -> the relations that read it), from
    the manifest the last compile or build wrote; empty without one."""
    manifest = target_dir / "manifest.json"
    if not manifest.is_file():
        return {}, {}
    nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    names = {uid: node["name"] for uid, node in nodes.items() if node.get("kind") in ("model", "seed")}
    upstream: dict[str, list[str]] = {}
    downstream: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if uid not in names:
            continue
        parents = sorted(names[p] for p in node.get("depends_on", []) if p in names)
        upstream[names[uid]] = parents
        for parent in parents:
            downstream.setdefault(parent, []).append(names[uid])
    return upstream, {name: sorted(children) for name, children in downstream.items()}


def _rows(connection: Any, sql: str) -> list[dict[str, Any]]:
    relation = connection.execute(sql)
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def _names(items: Iterable[str]) -> str:
    return ", ".join(items)


def write_catalogue(project: LoadedProject, path: Path | None = None) -> Catalogue:
    """Read the warehouse and the manifest, write the page (default target/catalogue.html)."""
    from evalhouse.targets.duckdb.journal import is_internal
    from evalhouse.targets.duckdb.warehouse import Warehouse

    with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True,
                   allowed=project.sandbox_paths()) as warehouse:
        connection = warehouse.connection
        relations = [r for r in _rows(connection, """
            select schema_name, table_name as name, 'table' as kind, comment, estimated_size as rows
            from duckdb_tables() where database_name = current_database()
            union all
            select schema_name, view_name, 'view', comment, null
            from duckdb_views() where database_name = current_database() and not internal
            order by schema_name <> 'main', schema_name, name""") if not is_internal(r["name"])]
        columns = _rows(connection, """
            select table_name as relation, column_name as name, data_type as type, comment
            from duckdb_columns() where database_name = current_database() order by table_name, column_index""")
        has_definitions = any(r["name"] == "metric_definitions" for r in relations)
        metrics = _rows(connection, "select * from metric_definitions order by position") if has_definitions else []
    if not relations:
        raise ProjectError("the warehouse holds no table yet", path=project.warehouse_path,
                           hint="run 'evalhouse build' first")
    upstream, downstream = _lineage(project.target_dir)
    sections = [
        Section("metrics", "Metrics", f"{len(metrics)} metrics, from metric_definitions (the YAML beside each "
                "metric model).", "Direction says which way is better; a range end left empty is open.",
                html=[table_html(["metric", "display name", "family", "direction", "range", "what it measures"],
                                 [(m["metric"], m["display_name"], m["family"], m["direction"],
                                   f"[{_bound(m['range_min'])}, {_bound(m['range_max'])}]", m["description"])
                                  for m in metrics], table_id="table-metrics", limit=10_000)]),
        Section("relations", "Tables and views", f"{len(relations)} relations of {project.warehouse_path.name}: "
                f"{_by_schema(relations)}.",
                "main holds the results an analyst reads; intermediate, the rows and helpers that make them "
                "(evalhouse query finds either by its bare name). Reads and read by come from "
                "target/manifest.json (the last compile or build).",
                html=[long_table("every relation", ["schema", "relation", "kind", "rows (estimate)", "what it holds",
                                                    "reads", "read by"],
                                 [(r["schema_name"], r["name"], r["kind"], r["rows"], r["comment"] or "",
                                   _names(upstream.get(r["name"], [])), _names(downstream.get(r["name"], [])))
                                  for r in relations], table_id="table-relations", open_=True, limit=100_000)]),
        Section("columns", "Columns", f"{len(columns)} columns; a description comes from the YAML beside a model.",
                "Type a relation's name in the filter to see its columns.",
                html=[long_table("every column", ["relation", "column", "type", "description"],
                                 [(c["relation"], c["name"], c["type"], c["comment"] or "") for c in columns
                                  if not is_internal(c["relation"])],
                                 table_id="table-columns", limit=1_000_000)]),
    ]
    html = page(f"{project.config.name}: warehouse catalogue", esc(str(project.warehouse_path.name)), sections, "")
    path = path or project.target_dir / CATALOGUE_FILE
    project.note_written(path)
    write_text_atomic(path, html)
    return Catalogue(path, len(relations), len(columns), len(metrics))


def _by_schema(relations: list[dict[str, Any]]) -> str:
    """'44 in main, 81 in intermediate': the relations counted by schema, main first."""
    counts: dict[str, int] = {}
    for relation in relations:
        counts[relation["schema_name"]] = counts.get(relation["schema_name"], 0) + 1
    return ", ".join(f"{count} in {schema}" for schema, count in counts.items())


def _bound(value: Any) -> str:
    return "" if value is None else f"{value:g}"
