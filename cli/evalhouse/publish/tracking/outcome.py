"""What became of one build's runs (TrackingOutcome) and the send of one bundle (deliver):
shared by the build's hand-over, the background sender and `evalhouse log`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalhouse.project.secrets import MASK, mask_text, mask_uri
from evalhouse.publish.tracking.bundle import Bundle
from evalhouse.publish.tracking.settings import TrackingSettings


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
    # background.wait_for, given by hand_over: this module cannot import it (background
    # imports this one), and an outcome that is not being sent has nothing to wait for
    waiter: Callable[..., TrackingOutcome] | None = field(default=None, repr=False, compare=False)

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
        if not self.sending or self.pending is None or self.settings is None or self.waiter is None:
            return self
        return self.waiter(self, self.pending.parent.parent, self.settings, timeout)

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
