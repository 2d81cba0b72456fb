"""MLflow experiment tracking for builds.

    settings.py  where to log (URI, experiment, run name, timeout)
    naming.py    flattened params, masked secrets, metric keys
    payload.py   warehouse tables + target/ files  ->  the runs to log, as plain data
    bundle.py    that payload and its artifacts on disk (target/mlflow_pending/)
    send.py      MlflowClient: per-request timeouts and retries, resumable, deletes nothing
    background.py  the send in a detached process, one sender at a time per project

A build never fails because of tracking: when MLflow cannot be reached in time the
outcome carries one warning and the bundle stays pending until `evalhouse log` (or the
next build's sender). MLflow itself is imported only by the process that sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.project.secrets import MASK, mask_text, mask_uri
from evalhouse.publish.tracking.bundle import Bundle, pending_bundles, write_bundle
from evalhouse.publish.tracking.settings import KEPT_BY_CLEAN, TrackingSettings, resolve_settings

if TYPE_CHECKING:
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.project.loaded import LoadedProject
    from evalhouse.publish.report import Report

__all__ = ["KEPT_BY_CLEAN", "NothingToLog", "TrackingOutcome", "TrackingSettings", "deliver", "deliver_now",
           "hand_over", "prepare", "resolve_settings", "send_pending"]


@dataclass
class TrackingOutcome:
    tracking_uri: str
    experiment: str
    run_name: str
    invocation_id: str = ""
    run_id: str | None = None
    experiment_id: str | None = None
    candidate_runs: dict[str, str] = field(default_factory=dict)
    already_logged: bool = False
    pending: Path | None = None  # the bundle left to send: sending failed, or a background sender has it
    error: str | None = None
    damaged: Path | None = None  # a pending bundle that could not be read, moved aside
    sending: bool = False  # handed to a background sender (pending is its bundle): wait() for the run
    # the settings to send with when wait() finds the bundle still pending (the real URI: never written down)
    settings: TrackingSettings | None = field(default=None, repr=False, compare=False)
    sender: Any = field(default=None, repr=False, compare=False)  # the background sender's Popen

    @property
    def ok(self) -> bool:
        return self.run_id is not None

    @property
    def failed(self) -> bool:
        """A build that could not be sent; a damaged bundle set aside is a warning, not a failure."""
        return not self.ok and self.damaged is None and not self.sending

    def wait(self, timeout: float | None = None) -> TrackingOutcome:
        """This build's outcome once the background sender is done with it (self when it was sent here).

        Raises background.SenderBusy when another send holds the project's sender lock past `timeout`."""
        if not self.sending or self.pending is None or self.settings is None:
            return self
        from evalhouse.publish.tracking.background import wait_for

        return wait_for(self, self.pending.parent.parent, self.settings, timeout)

    def warning(self, project_dir: Path) -> str | None:
        if self.ok or self.sending:
            return None
        if self.damaged is not None:
            aside = self.damaged.relative_to(project_dir).as_posix()
            return mask_text(f"a pending MLflow build was set aside as {aside}: {self.error}; it no longer holds "
                             "up the other builds. Repair its payload.json and rename the folder back to send it, or delete "
                             "it ('evalhouse log' logs the last build again from the warehouse)")
        where = self.pending.relative_to(project_dir).as_posix() if self.pending else "target/"
        return mask_text(f"MLflow logging failed ({self.error}); the build's tables are fine, and what would "
                         f"have been logged is saved in {where}: send it later with 'evalhouse log'")


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
    return write_bundle(project.target_dir, payload, seen, report)


def project_command(project: LoadedProject) -> str:
    from evalhouse.publish.artifacts import read_build_info

    return read_build_info(project.target_dir)["command"] or "command"


def deliver(bundle: Bundle, *, tracking_uri: str | None = None, timeout_seconds: float = 10.0,
            settings: TrackingSettings | None = None) -> TrackingOutcome:
    """Send one bundle; on success delete it, on failure keep it and say why.

    The bundle holds its URIs masked; `settings` (the project's, now) give the real ones
    back when they mask to the same text."""
    from evalhouse.publish.tracking.send import send_bundle

    payload = bundle.payload
    uri = tracking_uri or _unmasked(payload["tracking_uri"], settings and settings.tracking_uri)
    artifact_location = _unmasked(payload.get("artifact_location"), settings and settings.artifact_location)
    outcome = TrackingOutcome(uri, payload["experiment"], payload["run_name"], payload["invocation_id"])
    try:
        sent = send_bundle(bundle, uri, timeout_seconds, artifact_location)
    except Exception as exc:
        outcome.pending = bundle.path
        outcome.error = mask_text(describe_error(exc, mask_uri(uri), timeout_seconds))
        return outcome
    outcome.run_id, outcome.experiment_id = sent.run_id, sent.experiment_id
    outcome.candidate_runs, outcome.already_logged = sent.candidate_runs, sent.already_logged
    outcome.run_name = sent.run_name or outcome.run_name  # `log` of a logged build: its name, not a new one
    bundle.remove()
    return outcome


def hand_over(bundle: Bundle, target_dir: Path, settings: TrackingSettings) -> TrackingOutcome:
    """Start a background sender for the bundle (and any other pending one); return at once."""
    from evalhouse.publish.tracking.background import start_sender

    payload = bundle.payload
    try:
        sender = start_sender(target_dir, settings)
    except OSError:  # no process could be started (a sandbox, no resources): send it here instead
        return deliver_now(bundle, target_dir, settings)
    return TrackingOutcome(payload["tracking_uri"], payload["experiment"], payload["run_name"],
                           payload["invocation_id"], pending=bundle.path, sending=True, settings=settings,
                           sender=sender)


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


def _unmasked(stored: str | None, real: str | None) -> str | None:
    return real if stored and real and MASK in stored and mask_uri(real) == stored else stored


def describe_error(exc: BaseException, uri: str, timeout_seconds: float = 10.0) -> str:
    """One short line for the warning, not MLflow's page of retry details."""
    from evalhouse.publish.tracking.send import MAX_RETRIES, TrackingTimeout, request_timeout

    text = str(exc)
    if isinstance(exc, TrackingTimeout):
        return f"{uri}: {text}"
    lowered = text.lower()
    if "connection refused" in lowered or "failed to establish a new connection" in lowered:
        return f"cannot reach {uri}: connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return (f"{uri} gave no answer within {request_timeout(timeout_seconds)} s to a request, "
                f"tried {MAX_RETRIES + 1} times")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{type(exc).__name__} from {uri}: {first[:200]}"
