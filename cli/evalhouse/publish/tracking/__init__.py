"""MLflow experiment tracking for builds.

    settings.py  where to log (URI, experiment, run name, timeout)
    naming.py    flattened params, masked secrets, metric keys
    payload.py   warehouse tables + target/ files  ->  the runs to log, as plain data
    bundle.py    that payload and its artifacts on disk (target/mlflow_pending/)
    send.py      MlflowClient: per-request timeouts and retries, resumable, deletes nothing
    outcome.py   what became of a build's runs, and the send of one bundle
    background.py  the send in a detached process, one sender at a time per project

A build never fails because of tracking: when MLflow cannot be reached in time the
outcome carries one warning and the bundle stays pending until `evalhouse log` (or the
next build's sender). MLflow itself is imported only by the process that sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.publish.tracking.bundle import Bundle, pending_bundles, write_bundle
from evalhouse.publish.tracking.outcome import TrackingOutcome, deliver, describe_error
from evalhouse.publish.tracking.settings import KEPT_BY_CLEAN, TrackingSettings, resolve_settings

if TYPE_CHECKING:
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.project.loaded import LoadedProject
    from evalhouse.publish.report import Report

__all__ = ["KEPT_BY_CLEAN", "NothingToLog", "TrackingOutcome", "TrackingSettings", "deliver", "deliver_now",
           "describe_error", "hand_over", "prepare", "resolve_settings", "send_pending"]


class NothingToLog(Exception):
    """A partial command that built none of the tables MLflow logs from; the message is the note to print."""


def prepare(project: LoadedProject, settings: TrackingSettings, tables: EvaluationTables,
            report: Report | None) -> Bundle:
    """Write the build's runs and artifacts under target/mlflow_pending/.

    A partial command (a selection) gets runs of only the tables it built (partial.py),
    without the report, which shows the whole warehouse; NothingToLog when it built none."""
    from evalhouse.publish.tracking.bundle import pending_root
    from evalhouse.publish.tracking.partial import build_scope, restrict
    from evalhouse.publish.tracking.payload import build_payload
    from evalhouse.publish.tracking.settings import LOCAL_ARTIFACTS, LOCAL_STORE, SENDER_DIR

    scope = build_scope(project.target_dir)
    seen = restrict(tables, scope)
    if seen is None:
        raise NothingToLog(scope.note(project_command(project)))
    local = [project.target_dir / LOCAL_STORE, project.target_dir / LOCAL_ARTIFACTS] if settings.is_local_store else []
    project.note_written(pending_root(project.target_dir), project.target_dir / SENDER_DIR, *local)
    payload = build_payload(project, seen, settings)
    for run in [payload["parent"], *payload["candidates"]]:
        run["tags"].update(scope.tags())
    if scope.partial:
        payload["parent"]["tags"]["mlflow.note.content"] = (
            f"A partial {project_command(project)} (`{scope.selection}`): this run holds only what it built, "
            f"the tables {', '.join(seen.present())}; the others are as an earlier build left them.")
        report = None
    return write_bundle(project.target_dir, payload, seen, report, project.config.mlflow.max_table_rows)


def project_command(project: LoadedProject) -> str:
    from evalhouse.publish.artifacts import read_build_info

    return read_build_info(project.target_dir)["command"] or "command"


def hand_over(bundle: Bundle, target_dir: Path, settings: TrackingSettings) -> TrackingOutcome:
    """Start a background sender for the bundle (and any other pending one); return at once."""
    from evalhouse.publish.tracking.background import start_sender, wait_for

    payload = bundle.payload
    try:
        sender = start_sender(target_dir, settings)
    except OSError:  # no process could be started (a sandbox, no resources): send it here instead
        return deliver_now(bundle, target_dir, settings)
    return TrackingOutcome(payload["tracking_uri"], payload["experiment"], payload["run_name"],
                           payload["invocation_id"], pending=bundle.path, sending=True, settings=settings,
                           sender=sender, waiter=wait_for)


def deliver_now(bundle: Bundle, target_dir: Path, settings: TrackingSettings) -> TrackingOutcome:
    """Send the bundle in this process, after any background send of the project has finished."""
    from evalhouse.publish.tracking.background import record, sender_lock

    with sender_lock(target_dir):
        outcome = deliver(bundle, timeout_seconds=settings.timeout_seconds, settings=settings)
        record(target_dir, bundle, outcome)
    return outcome


def send_pending(project: LoadedProject, *, tracking_uri: str | None = None, run_name: str | None = None,
                 timeout_seconds: float | None = None) -> list[TrackingOutcome]:
    """Send every pending bundle, oldest first; with none pending, log the last build.

    A bundle goes to the URI it was meant for unless `tracking_uri` is given. Stops at
    the first failure (the server is likely down for the rest too). A bundle whose
    payload.json cannot be read is moved aside (`<name>.damaged`) and reported as an
    outcome with `damaged` set; it does not stop the others.
    """
    from evalhouse.publish.tracking.background import record, sender_lock

    settings = resolve_settings(project, enabled=True)
    timeout = timeout_seconds or settings.timeout_seconds
    with sender_lock(project.target_dir):  # a background sender finishes first: no bundle is sent twice at once
        bundles, damaged = pending_bundles(project.target_dir)
        outcomes = [TrackingOutcome("", "", "", damaged=path, error=why) for path, why in damaged]
        if not bundles and not (damaged and not (project.target_dir / "run_results.json").is_file()):
            bundles = [_bundle_of_last_build(project, tracking_uri, run_name)]
        for bundle in bundles:
            outcome = deliver(bundle, tracking_uri=tracking_uri, timeout_seconds=timeout, settings=settings)
            outcomes.append(outcome)
            record(project.target_dir, bundle, outcome)
            if not outcome.ok:
                break
    return outcomes


def _bundle_of_last_build(project: LoadedProject, tracking_uri: str | None, run_name: str | None) -> Bundle:
    from evalhouse.errors import ProjectError
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.publish.report import render_report

    if not (project.target_dir / "run_results.json").is_file():
        raise ProjectError("there is no build to log yet", hint="run 'evalhouse build' first")
    settings = resolve_settings(project, enabled=True, tracking_uri=tracking_uri, run_name=run_name)
    with EvaluationTables.open(project) as tables:
        report = render_report(project, tables) if tables.present() else None
        try:
            return prepare(project, settings, tables, report)
        except NothingToLog as exc:
            raise ProjectError(f"MLflow: {exc}",
                               hint="run 'evalhouse build' and log that") from None
