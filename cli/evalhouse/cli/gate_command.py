"""`evalhouse gate CANDIDATE`: print the deployment gate's checks; exit 1 when one fails."""

from __future__ import annotations

import sys
from typing import Any

import click

from evalhouse.cli import params
from evalhouse.cli.common import exit_on_error, load_project
from evalhouse.cli.output import Printer

STATUS_STYLE = {"pass": ("PASS", "green"), "fail": ("FAIL", "red"), "skip": ("SKIP", "yellow"),
                "info": ("INFO", "cyan")}


def print_gate(printer: Printer, result: Any) -> None:
    """One line per check (status, category, what, the numbers), then the verdict."""
    width = max((len(check.name) for check in result.checks), default=0)
    printer.info(f"Gate for {result.candidate} (baseline: {result.baseline}; build {result.build_id[:8]})",
                 event="gate", candidate=result.candidate, baseline=result.baseline, build_id=result.build_id)
    for check in result.checks:
        word, colour = STATUS_STYLE.get(check.status, (check.status.upper(), "white"))
        line = f"  {click.style(f'{word:<4}', fg=colour)}  {check.category:<9}  {check.name:<{width}}  {check.detail}"
        fields = {"event": "gate_check", "category": check.category, "check": check.name, "status": check.status,
                  "value": check.value, "limit": check.limit, "detail": check.detail}
        if printer.quiet and not printer.json and check.status == "fail":
            click.echo(line)  # quiet: the failures still show
        else:
            printer.info(line if not printer.json else check.name, **fields)
    counts = result.counts()
    verdict = "PASS" if result.passed else "FAIL"
    summary = (f"Gate {verdict} for {result.candidate}: {counts['pass']} passed, {counts['fail']} failed, "
               f"{counts['skip']} skipped" + ("; recorded in gate_results" if result.written else ""))
    if printer.json:
        printer.info(summary, event="gate_verdict", passed=result.passed, counts=counts, health=result.health)
    else:
        click.secho(summary, fg="green" if result.passed else "red")


@click.command(name="gate")
@params.common
@click.argument("candidate")
@click.option("--write/--no-write", "write", default=True, show_default=True,
              help="Record the checks in the gate_results table of the warehouse.")
@params.wait
def gate(project_dir: str, vars_text: str | None, vars_file: str | None, quiet: bool, log_format: str,
         candidate: str, write: bool, wait_seconds: float) -> None:
    """Check CANDIDATE against the `gate:` block of project.yml before it ships: offline
    metrics against thresholds and the baseline, slices, latency and cost, coverage and
    stability guardrails. Exit 0 when the checks pass (some may be skipped, not all), 1 when
    one fails or cannot run, 2 for an unknown candidate or baseline. Reads the warehouse a
    build wrote; records the checks under that build's id."""

    def run(**kwargs: Any) -> None:
        printer = Printer(quiet=quiet, log_format=log_format)
        project = load_project(project_dir, vars_text, vars_file, printer=printer)
        result = project.gate(candidate, write=write, wait_seconds=wait_seconds)
        print_gate(printer, result)
        sys.exit(0 if result.passed else 1)

    exit_on_error(run)(quiet=quiet, log_format=log_format)
