"""`evalhouse debug`: versions, paths and a check that the project and warehouse open."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from evalhouse.errors import EvalhouseError
from evalhouse.version import __version__

if TYPE_CHECKING:
    from evalhouse.project.nodes import Node


def diagnose(project_dir: str, vars: dict[str, Any],
             given: dict[str, str] | None = None) -> Iterator[tuple[str, str, bool]]:
    """Yield (what, value, ok) lines; never raises for a broken project. `given`: which
    option set each var (--vars, --vars-file), to warn of a key nothing reads."""
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
    from evalhouse.compile.vars_check import unread_vars

    for warning in unread_vars(project, given or {}):
        yield "vars", f"warning: {warning}", True
    # the nodes as `ls` lists them: what compile makes of the files (enabled ones, and a
    # test per data test a YAML file declares), so the two commands agree
    try:
        compiled = project.compile(write=False)
    except EvalhouseError as exc:
        yield "nodes", node_counts(project.nodes.values(), compiled=False), True
        yield "compile", exc.render(), False
    else:
        yield "nodes", node_counts(compiled.nodes.values(), compiled=True, disabled=len(compiled.disabled)), True
        yield "compile", "every model renders and parses", True
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


def node_counts(nodes: Iterable[Node], *, compiled: bool, disabled: int = 0) -> str:
    """"109 models (2 ephemeral), 20 tests (3 in tests/, 17 declared in YAML), 3 seeds; 1
    disabled, not counted": the counts `ls` lists, and what each one holds."""
    nodes = list(nodes)
    parts = []
    models = [n for n in nodes if n.kind == "model"]
    if models:
        ephemeral = sum(1 for n in models if n.config.materialized == "ephemeral")
        parts.append(f"{len(models)} models" + (f" ({ephemeral} ephemeral: inlined, never built)" if ephemeral else ""))
    tests = [n for n in nodes if n.kind == "test"]
    if tests:
        declared = sum(1 for n in tests if n.test_name)
        parts.append(f"{len(tests)} tests ({len(tests) - declared} in test files, {declared} declared in YAML)")
    seeds = sum(1 for n in nodes if n.kind == "seed")
    if seeds:
        parts.append(f"{seeds} seeds")
    text = ", ".join(parts) or "none"
    if disabled:
        text += f"; {disabled} disabled, not counted"
    if compiled:
        return text + " (as 'evalhouse ls' lists them)"
    return text + " (the files found; the tests YAML files declare are counted once the project compiles)"
