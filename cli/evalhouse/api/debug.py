"""`evalhouse debug`: versions, paths and a check that the project and warehouse open."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from typing import Any

from evalhouse.errors import EvalhouseError
from evalhouse.version import __version__


def diagnose(project_dir: str, vars: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """Yield (what, value, ok) lines; never raises for a broken project."""
    import duckdb
    import jinja2
    import sqlglot

    yield "evalhouse", __version__, True
    yield "python", f"{platform.python_version()} ({sys.executable})", True
    yield "duckdb", duckdb.__version__, True
    yield "sqlglot", sqlglot.__version__, True
    yield "jinja2", jinja2.__version__, True
    from evalhouse.api.project import Project

    try:
        project = Project.load(project_dir, vars=vars)
    except EvalhouseError as exc:
        yield "project", exc.render(), False
        return
    yield "project", f"{project.config.name} at {project.dir}", True
    counts: dict[str, int] = {}
    for node in project.nodes.values():
        counts[node.kind] = counts.get(node.kind, 0) + 1
    yield "nodes", ", ".join(f"{v} {k}s" for k, v in sorted(counts.items())) or "none", True
    try:
        project.compile(write=False)
        yield "compile", "every model renders and parses", True
    except EvalhouseError as exc:
        yield "compile", exc.render(), False
    path = project.warehouse_path
    if not path.exists():
        yield "warehouse", f"{path} (not built yet)", True
        return
    from evalhouse.targets.duckdb.warehouse import Warehouse

    try:
        with Warehouse(path, project.config.duckdb, read_only=True) as warehouse:
            yield "warehouse", f"{path} ({len(warehouse.relations())} relations)", True
    except EvalhouseError as exc:
        yield "warehouse", exc.render(), False
