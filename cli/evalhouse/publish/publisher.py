"""The last step of `run` and `build`: write the report, log to MLflow.

A failed build publishes nothing (its tables were put back). Publishing never fails a
build: the tables are already in the warehouse, so a report
that cannot be drawn or an MLflow server that cannot be reached becomes a warning on
the result (and for MLflow a pending bundle that `evalhouse log` sends later).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.execute.runner import RunResult

if TYPE_CHECKING:
    from evalhouse.execute.options import RunOptions
    from evalhouse.project.loaded import LoadedProject
    from evalhouse.publish.report import Report
    from evalhouse.publish.tracking import TrackingOutcome
    from evalhouse.publish.tracking.bundle import Bundle

PUBLISHING_COMMANDS = ("run", "build")


@dataclass
class PublishedResult(RunResult):
    """A run's result plus what was published after it."""

    report: Report | None = None
    tracking: TrackingOutcome | None = None
    warnings: list[str] = field(default_factory=list)


def publish(project: LoadedProject, result: RunResult, options: RunOptions) -> PublishedResult:
    from evalhouse.errors import EvalhouseError
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.publish.report import has_report_tables, write_report
    from evalhouse.publish.tracking import NothingToLog, deliver_now, hand_over, prepare, resolve_settings

    out = PublishedResult(**{f.name: getattr(result, f.name) for f in dataclasses.fields(RunResult)})
    if not result.success:
        # the warehouse holds the previous build's tables (a failed build changes nothing):
        # a report or an MLflow run of them would pass them off as this build's
        if options.report or options.mlflow is not False:
            out.notes.append("the report and MLflow were not updated: they show the last build that passed")
        return out
    engine = getattr(options, "target", "duckdb")
    if engine != "duckdb":  # the tables are on another engine; ours would be an older build's
        if options.report or options.mlflow:
            out.warnings.append(f"the report and MLflow logging read the DuckDB warehouse: skipped after a "
                                f"--target {engine} build")
        return out
    settings = resolve_settings(project, enabled=options.mlflow, tracking_uri=options.mlflow_uri,
                                run_name=options.run_name)
    if not (options.report or settings.enabled) or not project.warehouse_path.exists():
        return out
    bundle = None
    try:
        with EvaluationTables.open(project) as tables:
            if options.report and has_report_tables(tables):
                try:
                    out.report = write_report(project, tables)
                except Exception as exc:  # a broken chart must not fail the build
                    out.warnings.append(f"the report could not be written: {type(exc).__name__}: {exc}")
            if settings.enabled:
                try:
                    bundle = prepare(project, settings, tables, out.report)
                except NothingToLog as exc:  # a partial run that built no table MLflow logs from
                    out.notes.append(f"MLflow: {exc}")
                except Exception as exc:
                    out.warnings.append(f"MLflow logging skipped: preparing the runs failed "
                                        f"({type(exc).__name__}: {exc}); 'evalhouse log' retries from the warehouse")
    except EvalhouseError as exc:
        out.warnings.append(f"could not read the warehouse to publish the results: {exc.message}")
    if bundle is not None:
        out.warnings.extend(earlier_failures(project, bundle, resent=not options.mlflow_wait))
        if options.mlflow_wait:
            out.tracking = deliver_now(bundle, project.target_dir, settings)
        else:  # the build returns now; a detached process sends this bundle and any earlier one left
            out.tracking = hand_over(bundle, project.target_dir, settings)
        warning = out.tracking.warning(project.dir)
        if warning:
            out.warnings.append(warning)
    return out


def earlier_failures(project: LoadedProject, bundle: Bundle, *, resent: bool) -> list[str]:
    """One warning for the builds whose background send failed: the user was not there to see it."""
    from evalhouse.publish.tracking.background import send_error
    from evalhouse.publish.tracking.bundle import pending_bundles

    failed = [(b, why) for b in pending_bundles(project.target_dir)[0] if b.path != bundle.path
              for why in [send_error(b.path)] if why]
    if not failed:
        return []
    last, why = failed[-1]
    return [f"{len(failed)} earlier build(s) could not be logged to MLflow yet (the last, "
            f"target/mlflow_pending/{last.name}: {why}); "
            + ("they are sent again with this build" if resent else "'evalhouse log' sends them")]


def report(project: LoadedProject, path: Path | None = None) -> Report:
    """Write the report from what the warehouse holds now (`evalhouse report`)."""
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.publish.report import write_report

    with EvaluationTables.open(project) as tables:
        return write_report(project, tables, path)


def log(project: LoadedProject, *, tracking_uri: str | None = None, run_name: str | None = None) -> list[TrackingOutcome]:
    """Send the builds MLflow has not received yet, else the last build (`evalhouse log`)."""
    from evalhouse.publish.tracking import send_pending

    return send_pending(project, tracking_uri=tracking_uri, run_name=run_name)
