"""The `evalhouse` command: parse options, call the Python API, print.

Only click is imported at start-up; everything heavy loads inside the command that needs
it, so `evalhouse --help` answers at once.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalhouse.cli import params
from evalhouse.cli.common import evaluation_overrides, exit_on_error, load_project, read_vars
from evalhouse.cli.eval_command import eval_command
from evalhouse.cli.gate_command import gate as gate_command
from evalhouse.cli.output import Printer
from evalhouse.cli.publish_commands import print_published, publish_commands
from evalhouse.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="evalhouse")
def main() -> None:
    """A SQL evaluation warehouse for recommender systems.

    Models are Jinja SQL files under models/; they build into a DuckDB file in graph
    order, with data tests, metric tables and a leaderboard at the end.
    """


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--template", type=click.Choice(["movielens", "blank"]), default="movielens", show_default=True,
              help="movielens: the demo with its dataset; blank: the evaluation models, for your own files")
@exit_on_error
def init(directory: str, template: str) -> None:
    """Create a new project in DIRECTORY: the MovieLens demo, or a blank one for your own data."""
    from evalhouse.api.scaffold import init_project

    written = init_project(Path(directory), template)
    if template == "blank":
        click.echo(f"Created a blank project in {directory} ({len(written)} items). Next: put your labels, "
                   f"train and recommendation files in project.yml's evaluation: block, then "
                   f"cd {directory} && evalhouse build")
    else:
        click.echo(f"Created a project in {directory} ({len(written)} items). Next: cd {directory} && evalhouse build")


def _run_command(command: str) -> Callable[..., Any]:
    def body(project_dir, vars_text, vars_file, quiet, log_format, select, exclude,
             threads, fail_fast, full_refresh, wait_seconds, target="duckdb", **extra: Any) -> None:
        from evalhouse.execute.options import RunOptions

        printer = Printer(quiet=quiet, log_format=log_format)
        overrides = evaluation_overrides(extra) if command in ("run", "build") else None
        project = load_project(project_dir, vars_text, vars_file, overrides, printer)
        options = RunOptions(
            select=list(select), exclude=list(exclude), threads=threads, fail_fast=fail_fast,
            full_refresh=full_refresh, wait_seconds=wait_seconds, on_event=printer.event, target=target,
            **{key: extra[key] for key in ("report", "mlflow", "mlflow_uri", "run_name", "mlflow_wait") if key in extra},
        )
        result = getattr(project, command)(options)
        print_published(printer, project, result)
        printer.summary(result)
        # what this build made: a selection that did not build the table shows nothing
        # (its last version could be from another build, or not exist yet)
        if command == "build" and result.success and (
                not select or any(r.name == project.config.evaluation.show_after_build for r in result.results)):
            _show_after_build(project, printer, target)
        sys.exit(0 if result.success else 1)

    return body


def _show_after_build(project: Any, printer: Printer, target: str = "duckdb") -> None:
    name = project.config.evaluation.show_after_build
    if not name or project.node_named(name) is None or printer.quiet:
        return
    from evalhouse.api.operations import show
    from evalhouse.errors import EvalhouseError

    try:
        table = show(project, model=name, inline=None, limit=50, target=target)
    except EvalhouseError as exc:
        printer.warning(f"could not show {name}: {exc.message}")
        return
    columns, rows = table.columns, table.rows
    if name == "leaderboard":
        columns, rows = _key_columns(project, printer, columns, rows, target)
    # the leaderboard's key columns; a table still too wide for the terminal prints turned
    # (a row per column, a column per row) or cut, with a line on the rest
    printer.table(columns, rows, title=name,
                  more=f"see every column with 'evalhouse show {name} --format csv' (or json)")


def _key_columns(project: Any, printer: Printer, columns: list[str], rows: list[tuple],
                 target: str) -> tuple[list[str], list[tuple]]:
    """The leaderboard's key columns (project.yml `leaderboard:`), with a line on the rest."""
    from evalhouse.api.operations import show
    from evalhouse.errors import EvalhouseError
    from evalhouse.evaluation.leaderboard import key_columns, project_rows

    try:
        definitions = show(project, model="metric_definitions", inline=None, limit=10_000, target=target)
        records = [dict(zip(definitions.columns, row, strict=False)) for row in definitions.rows]
    except EvalhouseError:
        records = []  # a project without metric metadata: the first columns
    choice = key_columns(project, columns, records)
    for unknown in choice.unknown:
        printer.warning(f"leaderboard.metrics in project.yml: the leaderboard has no column '{unknown}'")
    if choice.left_out:
        printer.info(f"leaderboard: {choice.left_out} more metric columns; all of them: "
                     "evalhouse query \"select * from leaderboard\" --format csv")
    return choice.columns, project_rows(columns, rows, choice.columns)


def _register_run_command(name: str, help_text: str) -> None:
    func = _run_command(name)
    func.__doc__ = help_text
    func.__name__ = name
    decorated = exit_on_error(func)
    for decorate in (params.running, params.selection, params.common):
        decorated = decorate(decorated)
    if name in ("run", "build"):
        decorated = params.evaluation_inputs(params.publishing(decorated))
    main.command(name=name, help=help_text)(decorated)


_register_run_command("seed", "Load the seed files into the warehouse.")
_register_run_command("run", "Build the selected models in graph order.")
_register_run_command("test", "Run the data tests on what the warehouse holds.")
_register_run_command("build", "Seeds, models and their tests in graph order; a failed test skips what follows.")


@main.command(name="compile")
@params.common
@params.selection
@params.target
@exit_on_error
def compile_command(project_dir, vars_text, vars_file, quiet, log_format, select, exclude, target) -> None:
    """Render every model to target/compiled/ and check the graph and the SQL
    (with --target spark, also transpile it to target/compiled_spark/)."""
    from evalhouse.api.operations import compile_only
    from evalhouse.compile.selector import select_nodes

    printer = Printer(quiet=quiet, log_format=log_format)
    project = load_project(project_dir, vars_text, vars_file, printer=printer)
    compiled = compile_only(project, target=target)
    chosen = select_nodes(compiled.nodes, compiled.graph, list(select), list(exclude))
    where = project.target_dir / "compiled"
    if target == "spark":
        where = f"{where} (Spark SQL: {project.target_dir / 'compiled_spark'})"
    printer.info(f"Compiled {len(chosen)} nodes to {where}", nodes=len(chosen))


@main.command(name="check")
@params.common
@exit_on_error
def check_command(project_dir, vars_text, vars_file, quiet, log_format) -> None:
    """Check the evaluation input files before a build reads them (every run and build
    does it first): required columns, id types, what a missing ts, relevance or rating
    turns off. Reads each file's schema only."""
    printer = Printer(quiet=quiet, log_format=log_format)
    project = load_project(project_dir, vars_text, vars_file)
    result = project.check()
    for warning in result.warnings:
        printer.warning(warning)
    count = len(result.warnings)
    printer.info(f"Checked {result.files} input file{'s' if result.files != 1 else ''}: "
                 f"{count or 'no'} warning{'s' if count != 1 else ''}",
                 files=result.files, warnings=len(result.warnings))


@main.command(name="ls")
@params.common
@params.selection
@click.option("--output", "output", type=click.Choice(["name", "path", "json"]), default="name")
@click.option("--resource-type", type=click.Choice(["model", "seed", "test"]), multiple=True)
@exit_on_error
def ls_command(project_dir, vars_text, vars_file, quiet, log_format, select, exclude, output, resource_type) -> None:
    """List the project's nodes in graph order."""
    project = load_project(project_dir, vars_text, vars_file, printer=Printer(quiet=quiet, log_format=log_format))
    for node in project.list(list(select), list(exclude)):
        if resource_type and node.kind not in resource_type:
            continue
        if output == "name":
            click.echo(node.name)
        elif output == "path":
            click.echo(node.path.as_posix())
        else:
            click.echo(json.dumps({
                "unique_id": node.unique_id, "name": node.name, "kind": node.kind,
                "path": node.path.as_posix(), "materialized": node.materialized,
                # where a model or seed lives: main (results) or another schema (intermediate)
                "schema": node.config.schema if node.kind != "test" else None,
                "tags": node.config.tags, "depends_on": sorted(node.depends_on),
            }))


@main.command()
@params.common
@click.argument("model", required=False)
@click.option("--inline", default=None, help="A SQL query (Jinja allowed) to preview instead of a model.")
@click.option("--limit", default=10, type=click.IntRange(min=0), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: fitted to the terminal (turned or cut when too wide); csv, json: every column.")
@params.wait
@params.target
@exit_on_error
def show(project_dir, vars_text, vars_file, quiet, log_format, model, inline, limit, fmt, wait_seconds,
         target) -> None:
    """Preview the rows of MODEL (or of --inline SQL)."""
    if not model and inline is None:
        raise click.UsageError("name a MODEL or pass --inline SQL")
    from evalhouse.api.operations import show as show_rows

    printer = Printer(quiet=quiet, log_format=log_format)
    project = load_project(project_dir, vars_text, vars_file, printer=printer)
    result = show_rows(project, model=model, inline=inline, limit=limit, wait_seconds=wait_seconds, target=target)
    what = model or "--inline SQL"
    printer.table(result.columns, result.rows, fmt=fmt, title=model or "inline query",
                  more=f"see every column with 'evalhouse show {what} --format csv' (or json)")


@main.command()
@params.common
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: fitted to the terminal (turned or cut when too wide); csv, json: every column.")
@params.wait
@params.target
@exit_on_error
def query(project_dir, vars_text, vars_file, quiet, log_format, sql, fmt, wait_seconds, target) -> None:
    """Run SQL on the warehouse, read-only (DuckDB's dialect; transpiled on Spark)."""
    from evalhouse.api.operations import query as run_query

    printer = Printer(quiet=quiet, log_format=log_format)
    project = load_project(project_dir, vars_text, vars_file, printer=printer)
    result = run_query(project, sql, wait_seconds=wait_seconds, target=target)
    printer.table(result.columns, result.rows, fmt=fmt,
                  more="see every column with --format csv or --format json, or select fewer columns")


@main.command()
@params.common
@click.argument("target")
@exit_on_error
def lineage(project_dir, vars_text, vars_file, quiet, log_format, target) -> None:
    """Show where MODEL (or MODEL.COLUMN) comes from and what reads it."""
    project = load_project(project_dir, vars_text, vars_file, printer=Printer(quiet=quiet, log_format=log_format))
    result = project.lineage(target)
    if log_format == "json":
        click.echo(json.dumps(result.__dict__, default=str))
        return
    click.echo(f"{result.model}")
    click.echo("  upstream:   " + (", ".join(result.upstream) or "(none)"))
    click.echo("  downstream: " + (", ".join(result.downstream) or "(none)"))
    if result.column:
        click.echo(f"  column {result.column} comes from:")
        for model, column in result.column_sources:
            click.echo(f"    {model}.{column}")


@main.command()
@params.common
@click.option("--all", "include_warehouse", is_flag=True, help="Also delete the warehouse file and the local MLflow store.")
@exit_on_error
def clean(project_dir, vars_text, vars_file, quiet, log_format, include_warehouse) -> None:
    """Delete what builds wrote under target/ (the warehouse stays unless --all)."""
    project = load_project(project_dir, vars_text, vars_file, printer=Printer(quiet=quiet, log_format=log_format))
    result = project.clean(include_warehouse=include_warehouse)

    def shown(path: Path) -> str:  # the target folder may be outside the project
        return path.relative_to(project.dir).as_posix() if project.dir in path.parents else str(path)

    for path in result.removed:
        click.echo(f"removed {shown(path)}")
    for path in result.not_ours:
        click.echo(f"left {shown(path)}: not written by evalhouse")


@main.command()
@params.common
@exit_on_error
def debug(project_dir, vars_text, vars_file, quiet, log_format) -> None:
    """Print versions and paths, and check the project and the warehouse."""
    from evalhouse.api.debug import diagnose

    ok = True
    vars, given = read_vars(vars_text, vars_file)
    for label, value, good in diagnose(project_dir, vars, given):
        mark = click.style("OK", fg="green") if good else click.style("FAIL", fg="red")
        click.echo(f"{mark:>4} {label}: {value}")
        ok = ok and good
    sys.exit(0 if ok else 1)


publish_commands(main, exit_on_error, load_project)
main.add_command(gate_command)
main.add_command(eval_command)

if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
