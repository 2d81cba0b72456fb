"""Render every node once, wire the graph, inline ephemerals, and check the SQL."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.compile.contracts import contract_errors
from evalhouse.compile.graph import Graph
from evalhouse.compile.readscache import ReadsCache
from evalhouse.compile.render import Renderer
from evalhouse.compile.statements import check_node_statements, hooks_of
from evalhouse.compile.template_context import EPHEMERAL_PREFIX, RenderContext
from evalhouse.errors import GraphError, SandboxError, SqlError, TemplateError
from evalhouse.project.folder_config import apply_settings
from evalhouse.project.nodes import Node, NodeConfig, checksum
from evalhouse.project.secrets import mask_text

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

BUILTIN_TESTS = "<evalhouse>/generic_tests.sql"
_LEADING_WITH = re.compile(r"^(\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*)with\s+(?!recursive\b)", re.IGNORECASE | re.DOTALL)


@dataclass
class CompiledProject:
    nodes: dict[str, Node]
    graph: Graph
    warnings: list[str] = field(default_factory=list)
    vars_read: frozenset[str] = frozenset()  # the names the templates called var() with
    disabled: list[str] = field(default_factory=list)  # nodes enabled=false left out, by name

    def by_name(self, name: str) -> Node | None:
        for node in self.nodes.values():
            if node.name == name:
                return node
        return None


def _builtin_tests() -> str:
    return resources.files("evalhouse").joinpath("builtin/generic_tests.sql").read_text(encoding="utf-8")


def make_renderer(project: LoadedProject, context: RenderContext, nodes: dict[str, Node] | None = None) -> Renderer:
    nodes_by_name = {node.name: node for node in (nodes or project.nodes).values()}
    renderer = Renderer(context, {}, nodes_by_name, project.properties.sources)
    for path in project.macro_files:
        renderer.add_source(path.as_posix(), (project.dir / path).read_text(encoding="utf-8"))
    renderer.load_macros([p.as_posix() for p in project.macro_files])
    # built-in generic tests come last, so a project may define its own of the same name
    renderer.add_source(BUILTIN_TESTS, _builtin_tests())
    builtin = renderer.env.get_template(BUILTIN_TESTS).make_module()
    for name, value in vars(builtin).items():
        if name.startswith("test_") and name not in renderer.env.globals:
            renderer.env.globals[name] = value
            renderer.macros[name] = BUILTIN_TESTS
    return renderer


def _asks_for_tags(node: Node) -> bool:
    return "models_tagged" in node.raw or "metric_definitions" in node.raw


def _render_again_moved_refs(models: list[Node], before: dict[str, str], renderer: Renderer) -> None:
    """A model whose own config() names another schema or alias moves its relation only once
    it has rendered: a model rendered before it read ref() at the old place, so it renders
    again now (its config cannot move it a second time)."""
    moved = {n.name for n in models if n.relation != before.get(n.name)}
    if not moved:
        return
    for node in models:
        if moved & set(node.refs):
            state = renderer.render_node(node)
            apply_settings(node.config, state.config)


def _render_models(nodes: dict[str, Node], renderer: Renderer) -> dict[str, dict[str, list[str]]]:
    """Render every model; return the columns each union asked of the models it unions
    (models_tagged(tag, columns=...)), for compile to check."""
    models = [n for n in nodes.values() if n.kind == "model"]
    # Models that union other models by tag render last, once every tag is known. One of
    # them may itself carry a tag another one asks for (set by config() in its own file),
    # so a model whose models_tagged() answer changed once all were rendered renders
    # again, until the answers settle.
    late = [n for n in models if _asks_for_tags(n)]
    queries: dict[str, dict[str, list[str]]] = {}
    contracts: dict[str, dict[str, list[str]]] = {}
    relations_before = {n.name: n.relation for n in nodes.values()}
    for node in [n for n in models if not _asks_for_tags(n)] + late:
        state = renderer.render_node(node)
        apply_settings(node.config, state.config)
        queries[node.name], contracts[node.name] = state.tag_queries, state.tag_columns
    _render_again_moved_refs(models, relations_before, renderer)
    for _ in range(len(late)):
        stale = [
            n for n in late
            if any(renderer.models_with_tag(tag, excluding=n.name) != answer
                   for tag, answer in queries[n.name].items())
        ]
        if not stale:
            return contracts
        for node in stale:
            state = renderer.render_node(node)
            apply_settings(node.config, state.config)
            queries[node.name], contracts[node.name] = state.tag_queries, state.tag_columns
    if late:
        raise GraphError(
            "models_tagged() answers keep changing: models that ask for a tag also set it on each other",
            hint="give the models that union others by tag a tag of their own that none of them asks for",
        )
    return contracts


def _generic_test_nodes(project: LoadedProject, nodes: dict[str, Node], renderer: Renderer) -> list[Node]:
    tests: list[Node] = []
    used: set[str] = {n.name for n in nodes.values()}
    by_name = {n.name: n for n in nodes.values()}
    for spec in project.properties.tests:
        owner = by_name.get(spec.attached_to)
        if owner is None:
            raise GraphError(
                f"data tests are declared for '{spec.attached_to}', which is no model or seed",
                path=spec.path,
                line=spec.line,
                hint="fix the name, or remove the entry",
            )
        parts = [spec.test_name, spec.attached_to] + ([spec.column_name] if spec.column_name else [])
        name = spec.name or "_".join(parts)
        if name in used:
            name = f"{name}_{checksum(repr(sorted(spec.kwargs.items())))[:8]}"
        used.add(name)
        node = Node(
            kind="test",
            name=name,
            path=spec.path,
            raw="",
            config=NodeConfig(materialized="test", severity=spec.severity),
            attached_to=owner.unique_id,
            test_name=spec.test_name,
            test_kwargs=dict(spec.kwargs),
            column_name=spec.column_name,
            description=spec.description,
        )
        kwargs: dict[str, Any] = {"model": f"ref('{owner.name}')", **spec.kwargs}
        if spec.column_name:
            kwargs["column_name"] = spec.column_name
        where = f"{spec.path.as_posix()}:{spec.line}" if spec.line else spec.path.as_posix()
        state = renderer.render_call(node, f"test_{spec.test_name}", kwargs, where)
        node.refs = list(dict.fromkeys(state.refs))
        node.sources = list(dict.fromkeys(state.sources))
        node.checksum = checksum(node.sql or "")
        tests.append(node)
    return tests


def _inline_ephemerals(node: Node, nodes_by_name: dict[str, Node], graph: Graph) -> str:
    sql = node.sql or ""
    ephemerals = [
        uid
        for uid in graph.order(graph.ancestors(node.unique_id))
        if uid.startswith("model.") and nodes_by_name[uid.split(".", 1)[1]].config.materialized == "ephemeral"
    ]
    if not ephemerals:
        return sql
    ctes = []
    for uid in ephemerals:
        eph = nodes_by_name[uid.split(".", 1)[1]]
        ctes.append(f'"{EPHEMERAL_PREFIX}{eph.name}" as (\n{(eph.sql or "").strip()}\n)')
    prefix = "with " + ",\n".join(ctes)
    match = _LEADING_WITH.match(sql)
    if match:
        return match.group(1) + prefix + ",\n" + sql[match.end():]
    return prefix + "\n" + sql


def check_reads(node: Node, project_relations: dict[str, str], allowed: set[str], dialect: str = "duckdb",
                cache: ReadsCache | None = None) -> None:
    """A model must read the project's tables through ref() or source(), or the graph lies."""
    tables = cache.get(node.sql or "", dialect) if cache is not None else None
    if tables is None:
        from evalhouse.compile.sqlcheck import (  # sqlglot loads only when checking
            duckdb_syntax_error,
            parse,
            source_line,
        )

        parsed = parse(node.sql or "", dialect)
        if parsed.error is not None:
            duck = duckdb_syntax_error(node.sql or "")
            if duck is None:
                return  # DuckDB reads it even though sqlglot cannot; trust the engine
            message, line = duck
            raise SqlError(
                f"SQL syntax error in {node.kind} {node.name}: {message.splitlines()[0]}",
                path=node.path,
                line=source_line(node.raw, node.sql or "", line) if node.raw else None,
                hint=f"see the compiled SQL in target/compiled/{node.path.as_posix()}",
            )
        tables = parsed.tables
        if cache is not None:
            cache.put(node.sql or "", dialect, tables)
    for table in sorted(tables):
        owner = project_relations.get(table)
        if owner is not None and owner not in allowed and owner != node.name:
            raise GraphError(
                f"{node.kind} {node.name} reads the project's table '{table}' without ref()",
                path=node.path,
                hint=f"write {{{{ ref('{owner}') }}}} instead of {table}, so it builds after {owner}",
            )


def compile_project(
    project: LoadedProject,
    *,
    existing_relations: frozenset[str] = frozenset(),
    full_refresh: bool = False,
    check_sql: bool = True,
    target: str = "duckdb",
    invocation_id: str = "",
    raise_sql_errors: bool = True,
) -> CompiledProject:
    from datetime import datetime, timezone

    project.note_written(project.target_dir / "jinja_bytecode", *([project.target_dir / "sql_reads.json"] if check_sql else []))
    context = RenderContext(
        project_name=project.config.name,
        project_dir=project.dir,
        vars=project.vars,
        evaluation=project.evaluation_context(),
        target=target,
        existing_relations=existing_relations,
        full_refresh=full_refresh,
        invocation_id=invocation_id,
        config_fingerprint=project.configuration_fingerprint(),
        run_started_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        bytecode_dir=project.target_dir / "jinja_bytecode",
        render_timeout_seconds=project.config.render.timeout_seconds,
        render_max_output_mb=project.config.render.max_output_mb,
        metric_meta={model: [m.as_row() for m in metas] for model, metas in project.properties.metrics.items()},
        metrics_from_tag=dict(project.properties.metrics_from_tag),
    )
    # render into copies: a Project can be compiled again (for another command) unchanged
    all_nodes = copy.deepcopy(project.nodes)
    renderer = make_renderer(project, context, all_nodes)
    contracts = _render_models(all_nodes, renderer)
    nodes = {uid: n for uid, n in all_nodes.items() if n.config.enabled}
    _check_unique_identifiers(nodes)
    for node in nodes.values():
        if node.kind == "test":
            state = renderer.render_node(node)
            apply_settings(node.config, state.config)
    for test in _generic_test_nodes(project, nodes, renderer):
        nodes[test.unique_id] = test
    by_name = {n.name: n for n in nodes.values()}
    for node in nodes.values():
        for ref in node.refs:
            target_node = by_name.get(ref)
            if target_node is None:  # disabled
                raise GraphError(
                    f"{node.name} refers to '{ref}', which is disabled",
                    path=node.path,
                    hint=f"enable {ref} or remove the ref",
                )
            node.depends_on.add(target_node.unique_id)
    graph = Graph({uid: n.depends_on for uid, n in nodes.items()})
    graph.check_acyclic()
    inlined = {
        uid: _inline_ephemerals(node, by_name, graph)
        for uid, node in nodes.items()
        if node.kind != "seed" and not (node.kind == "model" and node.config.materialized == "ephemeral")
    }
    for uid, sql in inlined.items():
        nodes[uid].sql = sql
    if check_sql:
        relations = {n.identifier.lower(): n.name for n in nodes.values() if n.kind in ("model", "seed")}
        reads_cache = ReadsCache(project.target_dir / "sql_reads.json")
        for node in nodes.values():
            if node.kind == "seed":
                continue
            # project SQL may not leave the project: refused before anything runs (exit 2)
            check_node_statements(node)
            if node.kind == "model" and node.config.materialized == "ephemeral":
                continue
            allowed = set(node.refs) | _ancestor_names(node, graph, by_name)
            for source_name, table in node.sources:
                allowed.add(project.properties.sources[(source_name, table)].identifier.lower())
            try:
                check_reads(node, relations, allowed, "duckdb", reads_cache)
                for hook in hooks_of(node):
                    # a hook passes the model's table check; {{ this }} is the model's own table
                    try:
                        check_reads(replace(node, sql=hook, raw=""), relations, allowed | {node.name}, "duckdb")
                    except GraphError as exc:
                        exc.message = f"a post_hook of {exc.message}"
                        raise
                    _check_hook_changes_its_own_table(node, hook)
            except SqlError as exc:
                if raise_sql_errors:
                    raise
                node.compile_error = exc
        reads_cache.save()
        # a tagged model without a column its union needs fails itself, named, not the union
        asked = {union: columns for union, columns in contracts.items() if columns and union in by_name}
        for name, error in contract_errors(asked, by_name).items():
            if raise_sql_errors:
                raise error
            by_name[name].compile_error = by_name[name].compile_error or error
    return CompiledProject(nodes=nodes, graph=graph, vars_read=frozenset(renderer.vars_read),
                           disabled=sorted(n.name for n in all_nodes.values() if not n.config.enabled))


def _check_unique_identifiers(nodes: dict[str, Node]) -> None:
    """Two relations of one name, even in two schemas, are refused: `query` and `show` read
    every schema by its bare name (main first), the SQL checks know a relation by its name,
    and Spark's catalog folds case; which of the two a bare name meant could not be told."""
    seen: dict[str, Node] = {}
    for node in sorted(nodes.values(), key=lambda n: n.path.as_posix()):
        if node.kind not in ("model", "seed") or node.config.materialized == "ephemeral":
            continue
        other = seen.setdefault(node.identifier.lower(), node)
        if other is not node:
            raise GraphError(
                f"{other.kind} {other.name} ({other.relation}) and {node.kind} {node.name} ({node.relation}) "
                "build relations of one name",
                path=node.path,
                hint="give one of them another name or config(alias='...'): a bare name must say "
                     "which relation it reads, whatever schema each lives in",
            )


def _check_hook_changes_its_own_table(node: Node, hook: str) -> None:
    """A hook may change its model's table and no other: a failed build puts back what the
    build replaced, and another model's table changed behind the graph's back would not be,
    besides racing the models that read it."""
    from evalhouse.compile.sqlcheck import changed_table  # sqlglot loads only when checking

    changed = changed_table(hook)
    if changed == "" or changed == node.identifier.lower():
        return
    what = f"it changes '{changed}'" if changed else "evalhouse cannot tell which table it changes"
    raise SandboxError(f"a post_hook of {node.kind} {node.name} is refused: {what}", path=node.path,
                       hint="a hook may change only its own model's table: write it as "
                            "'delete from {{ this }} where ...' (or insert, update, alter)")


def _ancestor_names(node: Node, graph: Graph, by_name: dict[str, Node]) -> set[str]:
    # reads through an inlined ephemeral model belong to that model's own refs
    names = set()
    for uid in graph.ancestors(node.unique_id):
        name = uid.split(".", 1)[1]
        if by_name[name].kind == "model" and by_name[name].config.materialized == "ephemeral":
            names.update(by_name[name].refs)
    return names


def write_compiled(compiled: CompiledProject, target_dir: Path) -> list[Path]:
    """Write each node's rendered SQL under target/compiled/, mirroring the project, with
    the values env_var() read masked (the SQL that runs keeps them)."""
    from evalhouse.project.written import note_written

    note_written(target_dir, target_dir / "compiled")
    written = []
    for node in compiled.nodes.values():
        if node.kind == "seed" or node.sql is None:
            continue
        if node.test_name:
            out = target_dir / "compiled" / "tests" / f"{node.name}.sql"
        else:
            out = target_dir / "compiled" / node.path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(mask_text(node.sql), encoding="utf-8")
        written.append(out)
    return written


__all__ = ["CompiledProject", "compile_project", "write_compiled", "TemplateError"]
