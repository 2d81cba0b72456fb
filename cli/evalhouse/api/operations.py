"""Compile, select and execute: the work behind seed, run, test, build, show and query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from evalhouse.compile.compiler import CompiledProject, compile_project, write_compiled
from evalhouse.compile.selector import select_nodes, tests_without_parents
from evalhouse.compile.statements import check_query
from evalhouse.errors import ProjectError, SqlError, did_you_mean
from evalhouse.evaluation.checks import CheckResult, check_overlap, input_facts, run_checks
from evalhouse.evaluation.fingerprint import (
    Fingerprint,
    InputChangedError,
    check_unchanged,
    fingerprint_inputs,
)
from evalhouse.execute.interrupts import run_interruptibly, signals_deferred
from evalhouse.execute.materialize import TEMP_PREFIX
from evalhouse.execute.options import KINDS_BY_COMMAND, TARGETS, RunOptions
from evalhouse.execute.query_result import QueryResult
from evalhouse.execute.runner import Runner, RunResult
from evalhouse.execute.target import Target
from evalhouse.files import write_json_atomic
from evalhouse.publish.artifacts import manifest, new_invocation_id, run_results
from evalhouse.targets.duckdb.journal import Journal
from evalhouse.targets.duckdb.target import DuckDBTarget
from evalhouse.targets.duckdb.warehouse import Warehouse

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ProjectError(f"unknown target '{target}'", hint=did_you_mean(target, TARGETS) or f"use one of {', '.join(TARGETS)}")


def _write_json(project: LoadedProject, name: str, payload: Any) -> None:
    project.note_written(project.target_dir / name)
    write_json_atomic(project.target_dir / name, payload)


def prepare_inputs(project: LoadedProject, *, hashed: bool = False) -> list[Fingerprint]:
    """Give the templates what the input files hold (evaluation.columns, id_types) and the
    rows of inputs_manifest; hashed: with each file's blake2b (a run or build, before the read)."""
    prints = fingerprint_inputs(project, with_hash=hashed)
    project.input_facts = {**input_facts(project), "manifest": [fp.as_row() for fp in prints]}
    return prints


def compile_only(project: LoadedProject, *, write: bool = True, check_sql: bool = True,
                 target: str = "duckdb") -> CompiledProject:
    _check_target(target)
    prepare_inputs(project)
    if target == "spark":
        from evalhouse.targets.spark.compile import compile_for_spark, write_spark_compiled

        compiled = compile_for_spark(project, check_sql=check_sql)
        if write:
            write_compiled(compiled, project.target_dir)
            _write_json(project, "manifest.json", manifest(project, compiled, new_invocation_id()))
            write_spark_compiled(project, compiled)
        return compiled
    existing: frozenset[str] = frozenset()
    if project.warehouse_path.exists():
        # is_incremental() needs to know what exists; read it without taking the write lock
        try:
            with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True) as wh:
                existing = frozenset(wh.relations())
        except ProjectError:
            existing = frozenset()
    compiled = compile_project(project, existing_relations=existing, check_sql=check_sql)
    if write:
        write_compiled(compiled, project.target_dir)
        _write_json(project, "manifest.json", manifest(project, compiled, new_invocation_id()))
    return compiled


@contextmanager
def open_target(project: LoadedProject, options: RunOptions, notes: list[str] | None = None,
                build_id: str | None = None) -> Iterator[tuple[Target, frozenset[str]]]:
    """The engine a command runs on, and the relations it holds already. A build that was
    killed left its journal: its previous tables go back first (a sentence in `notes`).
    Given a build_id, a command that passes records it as the warehouse's current build."""
    _check_target(options.target)
    if options.target == "spark":
        from evalhouse.targets.spark.access import open_spark_target

        with open_spark_target(project, options.wait_seconds) as spark_target:
            yield spark_target, spark_target.relations()
        return
    warehouse_path = project.warehouse_path
    project.note_written(warehouse_path, warehouse_path.with_name(warehouse_path.name + ".wal"))
    with Warehouse(warehouse_path, project.config.duckdb, wait_seconds=options.wait_seconds,
                   allowed=project.sandbox_paths()) as warehouse:
        restored = Journal(warehouse.connection).restore()
        if restored and notes is not None:
            notes.append(f"an earlier build was stopped before it ended: its {restored} relation(s) were put "
                         "back as they were before it")
        warehouse.drop_leftovers(TEMP_PREFIX)
        existing = frozenset(warehouse.relations())
        target = DuckDBTarget(warehouse, project.dir, project.config.seeds, build_id=build_id)
        try:
            yield target, existing
        except BaseException as stopped:  # an error, Ctrl-C, SIGTERM: the command changes nothing
            with signals_deferred():
                _put_back(target, stopped)
            raise


def execute(project: LoadedProject, command: str, options: RunOptions) -> RunResult:
    invocation_id = new_invocation_id()
    checked = CheckResult()
    reads = command in ("run", "build")
    if reads:
        # a required column missing from an input file is the user's to fix, before any table
        checked = run_checks(project)
    # each input file is fingerprinted before the build reads it (inputs_manifest)
    prints = prepare_inputs(project, hashed=reads)
    notes: list[str] = []
    result, changed = _execute(project, command, options, invocation_id, notes, prints if reads else None)
    result.warnings[:0] = checked.warnings
    result.notes = notes
    args = {
        "select": options.select,
        "exclude": options.exclude,
        "threads": options.threads,
        "full_refresh": options.full_refresh,
        "target": options.target,
        "vars": project.public_vars(),
    }
    _write_json(project, "run_results.json", run_results(result, invocation_id, args))
    if changed is not None:  # recorded with the run; its tables were put back, nothing is published
        raise changed
    if command in ("run", "build"):
        from evalhouse.publish.publisher import publish

        return publish(project, result, options)
    return result


def check(project: LoadedProject, *, overlap: bool = True) -> CheckResult:
    """`evalhouse check`: the checks every run and build starts with (schemas only), and,
    with overlap, each candidate file's share of the label users (reads the user ids; a
    build checks that on its tables instead)."""
    result = run_checks(project)
    if overlap:
        check_overlap(project, result)
    return result


def _execute(project: LoadedProject, command: str, options: RunOptions, invocation_id: str, notes: list[str],
             prints: list[Fingerprint] | None) -> tuple[RunResult, InputChangedError | None]:
    """Run the plan; keep what it built only when every node passed and no input file
    changed while it was read (`prints`), else put every table back as it was."""
    # a run or build that passes makes its invocation id the warehouse's current build (the
    # id the report, MLflow and `evalhouse gate` agree on); seed and test leave it as it is
    build_id = invocation_id if command in ("run", "build") else None
    with open_target(project, options, notes, build_id) as (target, existing):
        # a model with a SQL syntax error fails on its own; the rest of the graph still builds
        compiled = compile_project(project, existing_relations=existing, full_refresh=options.full_refresh,
                                   invocation_id=invocation_id, raise_sql_errors=False, target=target.name)
        write_compiled(compiled, project.target_dir)
        _write_json(project, "manifest.json", manifest(project, compiled, invocation_id))
        chosen = select_nodes(compiled.nodes, compiled.graph, options.select, options.exclude)
        kinds = KINDS_BY_COMMAND[command]
        plan = {uid for uid in chosen if compiled.nodes[uid].kind in kinds}
        for uid, missing in tests_without_parents(plan, compiled.nodes, existing).items():
            plan.discard(uid)
            notes.append(f"test {compiled.nodes[uid].name} was left out: it also reads {', '.join(missing)}, which "
                         f"this {command} does not build and the warehouse does not hold yet; select "
                         f"{'it' if len(missing) == 1 else 'them'} too (-s +{missing[0]}) or build everything first")
        sources = {(t.schema.lower(), t.identifier.lower()) for t in project.properties.sources.values()}
        retired = target.retire_moved([compiled.nodes[uid] for uid in plan], sources)
        if retired:
            notes.append(f"dropped {len(retired)} relation(s) an earlier layout left in another schema under the "
                         f"name of a model now built elsewhere (a bare name would have read them): {', '.join(retired)}")
        runner = Runner(
            compiled,
            target,
            threads=options.threads,
            fail_fast=options.fail_fast,
            full_refresh=options.full_refresh,
            on_event=options.on_event,
        )
        result = runner.run(plan, command, gate_on_tests=(command == "build"))
        changed = None
        if prints:  # a file rewritten while the build read it: its tables may mix both versions
            try:
                check_unchanged(prints)
            except InputChangedError as exc:
                changed = exc
                result.warnings.append(exc.message)
        passed = result.success and changed is None
        with signals_deferred():  # one short transaction; a Ctrl-C now would only leave it undecided
            touched = target.finish(passed)
        if not passed and touched:
            notes.append(f"the {command} failed, so it changed nothing: the {touched} relation(s) it had built "
                         "so far were put back as they were before it")
        return result, changed


def _put_back(target: Target, stopped: BaseException) -> None:
    """Undo a stopped command's changes; the exception says whether that worked, for the
    message (`warehouse_restored`): a failed undo leaves the journal, and the next command
    that opens the warehouse finishes it."""
    try:
        target.finish(False)
        stopped.warehouse_restored = True  # type: ignore[attr-defined]
    except Exception:
        stopped.warehouse_restored = False  # type: ignore[attr-defined]


def _fetch(cursor: Any, sql: str) -> QueryResult:
    def work() -> QueryResult:
        relation = cursor.execute(sql)
        columns = [d[0] for d in relation.description] if relation.description else []
        return QueryResult(columns, relation.fetchall() if columns else [])

    return run_interruptibly(work, cursor.interrupt)


def _duckdb_message(exc: Exception) -> str:
    """DuckDB's message as it is, every line: its later lines carry the best hints
    ("Did you mean ...?", the candidate bindings, the caret under the error)."""
    return str(exc).strip()


def show(project: LoadedProject, *, model: str | None, inline: str | None, limit: int,
         wait_seconds: float = 0.0, target: str = "duckdb") -> QueryResult:
    import duckdb

    from evalhouse.project.nodes import Node as NodeClass  # noqa: N814

    _check_target(target)
    prepare_inputs(project)
    compiled = compile_project(project, check_sql=False, target=target)
    if inline is not None:
        from evalhouse.compile.compiler import make_renderer
        from evalhouse.compile.template_context import RenderContext

        renderer = make_renderer(project, RenderContext(project.config.name, project.dir, project.vars,
                                                        project.evaluation_context(), target=target,
                                                        render_timeout_seconds=project.config.render.timeout_seconds,
                                                        render_max_output_mb=project.config.render.max_output_mb))
        renderer.nodes_by_name.update({n.name: n for n in compiled.nodes.values()})
        node = NodeClass(kind="model", name="inline_query", path=project.dir.joinpath("<inline>").relative_to(project.dir), raw=inline)
        renderer.render_node(node)
        sql = node.sql or ""
    else:
        node = compiled.by_name(model or "")
        if node is None or node.kind == "test":
            names = [n.name for n in compiled.nodes.values() if n.kind != "test"]
            raise ProjectError(
                f"no model or seed named '{model}'",
                hint=did_you_mean(model or "", names) or "list them with 'evalhouse ls'",
            )
        sql = f"select * from {node.relation}" if node.config.materialized != "ephemeral" else node.sql or ""
    check_query(sql, "show --inline" if inline is not None else f"show {model}")
    if target == "spark":
        from evalhouse.targets.spark.access import spark_query

        return spark_query(project, f"select * from (\n{sql}\n) as preview limit {int(limit)}", wait_seconds,
                           hint="run 'evalhouse build --target spark' first if the table does not exist yet")
    with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True,
                   wait_seconds=wait_seconds, allowed=project.sandbox_paths()) as warehouse:
        try:
            return _fetch(warehouse.cursor(), f"select * from (\n{sql}\n) as preview limit {int(limit)}")
        except duckdb.Error as exc:
            raise SqlError(f"the query failed: {_duckdb_message(exc)}",
                           hint="run 'evalhouse build' first if the table does not exist yet") from None


def query(project: LoadedProject, sql: str, wait_seconds: float = 0.0, target: str = "duckdb") -> QueryResult:
    import duckdb

    _check_target(target)
    check_query(sql, "the query")  # on Spark too: SQL is DuckDB's dialect, parsed before it is transpiled
    if target == "spark":
        from evalhouse.targets.spark.access import spark_query

        return spark_query(project, sql, wait_seconds,
                           hint="check table names with 'evalhouse ls'; SQL is DuckDB's dialect, transpiled")

    with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True,
                   wait_seconds=wait_seconds, allowed=project.sandbox_paths()) as warehouse:
        try:
            return _fetch(warehouse.cursor(), sql)
        except duckdb.Error as exc:
            raise SqlError(f"the query failed: {_duckdb_message(exc)}",
                           hint="check table names with 'evalhouse ls'; the warehouse is opened read-only") from None
