"""`evalhouse report` and `evalhouse log`, and how `run`/`build` print what they published."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evalhouse.cli import params
from evalhouse.cli.output import Printer


def _shown(path: Path, project: Any) -> str:
    try:
        return path.resolve().relative_to(project.dir).as_posix()
    except ValueError:
        return str(path)


def print_published(printer: Printer, project: Any, result: Any) -> None:
    """The report path, the MLflow run, and at most one warning per failed step."""
    report = getattr(result, "report", None)
    if report is not None and report.path is not None:
        printer.info(f"Report: {_shown(report.path, project)} ({report.size_bytes / 1024:,.0f} KB)",
                     report=str(report.path))
    tracking = getattr(result, "tracking", None)
    if tracking is not None and tracking.ok:
        _print_logged(printer, tracking)
    elif tracking is not None and tracking.sending:
        _print_sending(printer, tracking)
    for warning in getattr(result, "warnings", []):
        printer.warning(warning)


def _print_logged(printer: Printer, outcome: Any) -> None:
    from evalhouse.publish.tracking.naming import mask_uri

    uri = mask_uri(outcome.tracking_uri)
    what = "was already logged as" if outcome.already_logged else "logged as"
    printer.info(f"MLflow: build {outcome.invocation_id[:8]} {what} run '{outcome.run_name}' "
                 f"({outcome.run_id}) with {len(outcome.candidate_runs)} candidate runs, "
                 f"experiment '{outcome.experiment}' at {uri}",
                 run_id=outcome.run_id, experiment_id=outcome.experiment_id, tracking_uri=uri)
    if uri.startswith("sqlite:///"):
        printer.info(f"  view it with: mlflow ui --backend-store-uri {uri}")


def _print_sending(printer: Printer, outcome: Any) -> None:
    from evalhouse.publish.tracking.naming import mask_uri

    uri = mask_uri(outcome.tracking_uri)
    printer.info(f"MLflow: build {outcome.invocation_id[:8]} is being logged in the background as run "
                 f"'{outcome.run_name}', experiment '{outcome.experiment}' at {uri} ('evalhouse log' waits for "
                 "it and says how it went; --wait-for-mlflow waits in the build)",
                 run_name=outcome.run_name, tracking_uri=uri, background=True)
    if uri.startswith("sqlite:///"):
        printer.info(f"  view it with: mlflow ui --backend-store-uri {uri}")


def publish_commands(main: click.Group, exit_on_error: Callable[..., Any], load_project: Callable[..., Any]) -> None:
    """Add `report`, `docs` and `log` to the command group."""

    @main.command(name="report")
    @params.common
    @click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
                  help="Where to write the page (default: target/report.html).")
    @exit_on_error
    def report_command(project_dir, vars_text, vars_file, quiet, log_format, output) -> None:
        """Write the HTML report (one self-contained file) from the warehouse."""
        from evalhouse.publish.publisher import report

        printer = Printer(quiet=quiet, log_format=log_format)
        project = load_project(project_dir, vars_text, vars_file, printer=printer)
        written = report(project, Path(output) if output else None)
        sections = ", ".join(written.sections) or "none: build the project first"
        printer.info(f"Report: {_shown(written.path, project)} ({written.size_bytes / 1024:,.0f} KB; "
                     f"sections: {sections})", report=str(written.path), sections=written.sections)

    @main.command(name="docs")
    @params.common
    @click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
                  help="Where to write the page (default: target/catalogue.html).")
    @exit_on_error
    def docs_command(project_dir, vars_text, vars_file, quiet, log_format, output) -> None:
        """Write the warehouse catalogue: tables, columns, metrics and lineage (one offline HTML file)."""
        from evalhouse.publish.catalogue import write_catalogue

        printer = Printer(quiet=quiet, log_format=log_format)
        project = load_project(project_dir, vars_text, vars_file, printer=printer)
        written = write_catalogue(project, Path(output) if output else None)
        printer.info(f"Catalogue: {_shown(written.path, project)} ({written.relations} relations, "
                     f"{written.columns} columns, {written.metrics} metrics)", catalogue=str(written.path))

    @main.command(name="log")
    @params.common
    @params.tracking
    @exit_on_error
    def log_command(project_dir, vars_text, vars_file, quiet, log_format, mlflow_uri, run_name) -> None:
        """Send to MLflow the builds it has not received yet (else the last build)."""
        from evalhouse.publish.publisher import log

        printer = Printer(quiet=quiet, log_format=log_format)
        project = load_project(project_dir, vars_text, vars_file, printer=printer)
        from evalhouse.publish.tracking.background import sender_running

        if sender_running(project.target_dir):
            printer.info("MLflow: waiting for the background send of an earlier build to finish ...")
        outcomes = log(project, tracking_uri=mlflow_uri, run_name=run_name)
        for outcome in outcomes:
            if outcome.ok:
                _print_logged(printer, outcome)
            else:
                printer.warning(outcome.warning(project.dir) or "MLflow logging failed")
        # a damaged bundle set aside is a warning: exit 1 only when a build could not be sent
        sys.exit(1 if any(o.failed for o in outcomes) else 0)
