"""Send pending MLflow bundles from a detached process, so that `evalhouse build` returns at once.

Why: importing MLflow and writing a build's runs to its store (the demo: about 9,000
metrics, 16 MB of artifacts) takes longer than the demo build itself. The bundle is on
disk before anything is sent (bundle.py), so the build can hand it to a sender process
and return; the user's next command is not held up.

One sender at a time per project: every send, in the background or not (`evalhouse log`,
`--wait-for-mlflow`, `TrackingOutcome.wait()`), holds `target/mlflow_sender/sender.lock`,
so no bundle is ever sent by two processes at once. A background sender sends every
pending bundle, oldest first: a build whose send failed earlier is sent again with the
next build. A failed send leaves its bundle pending with the reason in `send_error.txt`;
a bundle sent in full is deleted and its outcome kept in `target/mlflow_sender/delivered.json` (the newest
DELIVERED_KEPT), where `TrackingOutcome.wait()` finds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from evalhouse.files import write_json_atomic
from evalhouse.project.secrets import mask_uri
from evalhouse.publish.tracking.bundle import Bundle, pending_bundles
from evalhouse.publish.tracking.outcome import TrackingOutcome, deliver
from evalhouse.publish.tracking.settings import SENDER_DIR

if TYPE_CHECKING:
    from evalhouse.publish.tracking.settings import TrackingSettings

LOCK_FILE = "sender.lock"
DELIVERED_FILE = "delivered.json"
SENDER_LOG = "sender.log"
SEND_ERROR_FILE = "send_error.txt"
DELIVERED_KEPT = 50
# the real tracking URI (it may hold a password) goes to the sender in its environment,
# not on its command line, where other users of the machine could read it
URI_ENV = "EVALHOUSE_SENDER_TRACKING_URI"
# fields of TrackingOutcome that live in this process only: never written to delivered.json
IN_MEMORY = frozenset({"settings", "sender", "waiter"})


class SenderBusy(Exception):
    """Another process held the sender lock for longer than we were willing to wait."""


@contextmanager
def sender_lock(target_dir: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the project's sender lock; wait for it up to `timeout` seconds (None: as long as it takes).

    An OS file lock: it is let go when its process ends, however it ends."""
    path = target_dir / SENDER_DIR / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    with open(path, "a+", encoding="utf-8") as handle:
        while not _try_lock(handle):
            if deadline is not None and time.monotonic() >= deadline:
                raise SenderBusy(f"another process is sending to MLflow ({path.name} is held)")
            time.sleep(0.1)
        try:
            yield
        finally:
            _unlock(handle)


def sender_running(target_dir: Path) -> bool:
    """Whether a sender holds the lock now (for a message; the answer may change at once)."""
    path = target_dir / SENDER_DIR / LOCK_FILE
    if not path.is_file():
        return False
    with open(path, "a+", encoding="utf-8") as handle:
        if _try_lock(handle):
            _unlock(handle)
            return False
        return True


def _try_lock(handle: IO[str]) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_UN)


def start_sender(target_dir: Path, settings: TrackingSettings) -> subprocess.Popen[bytes]:
    """Start a detached process that sends every pending bundle.

    It outlives the command that started it, runs at a lower priority than the user's
    next command, and writes only its own crash (if any) to target/mlflow_sender/sender.log."""
    root = target_dir / SENDER_DIR
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, URI_ENV: settings.tracking_uri}
    command = [sys.executable, "-m", "evalhouse.publish.tracking.background", str(target_dir.resolve()),
               str(settings.timeout_seconds), settings.artifact_location or ""]
    detach: dict[str, Any] = ({"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
                              if sys.platform == "win32" else {"start_new_session": True})
    with open(root / SENDER_LOG, "ab") as log:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                env=env, close_fds=True, **detach)


def send_all(target_dir: Path, settings: TrackingSettings) -> list[TrackingOutcome]:
    """Send every pending bundle, oldest first; hold the lock.

    A server that failed is not tried again in this send (it is likely down for the
    builds after), but a bundle meant for another server still goes: an old build for a
    server that is gone must not hold up every later one. The outcome of each send is
    recorded: a failure in its bundle (send_error.txt), a delivery in delivered.json."""
    bundles, damaged = pending_bundles(target_dir)
    outcomes = [TrackingOutcome("", "", "", damaged=path, error=why) for path, why in damaged]
    failed: set[str] = set()
    for bundle in bundles:
        if bundle.payload["tracking_uri"] in failed:
            continue
        outcome = deliver(bundle, timeout_seconds=settings.timeout_seconds, settings=settings)
        outcomes.append(outcome)
        record(target_dir, bundle, outcome)
        if not outcome.ok:
            failed.add(bundle.payload["tracking_uri"])
    return outcomes


def record(target_dir: Path, bundle: Bundle, outcome: TrackingOutcome) -> None:
    """Write down how a send went: in the bundle when it stays pending, else in delivered.json."""
    if not outcome.ok:
        if bundle.path.is_dir():
            (bundle.path / SEND_ERROR_FILE).write_text(f"{outcome.error}\n", encoding="utf-8")
        return
    path = target_dir / SENDER_DIR / DELIVERED_FILE
    delivered = _read_delivered(path)
    delivered.pop(bundle.name, None)
    fields = {f.name: getattr(outcome, f.name) for f in dataclass_fields(outcome) if f.name not in IN_MEMORY}
    fields["tracking_uri"] = mask_uri(outcome.tracking_uri)  # a file on disk: never a password
    delivered[bundle.name] = {k: str(v) if isinstance(v, Path) else v for k, v in fields.items()}
    write_json_atomic(path, dict(list(delivered.items())[-DELIVERED_KEPT:]))


def send_error(bundle_path: Path) -> str | None:
    """Why the last send of a pending bundle failed, when one did."""
    path = bundle_path / SEND_ERROR_FILE
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").strip() or None


def wait_for(outcome: TrackingOutcome, target_dir: Path, settings: TrackingSettings,
             timeout: float | None = None) -> TrackingOutcome:
    """The outcome of a bundle handed to a background sender, once that sender is done with it.

    A bundle still pending afterwards (its sender failed, or had not started yet) is sent
    here, in this process."""
    if outcome.pending is None:
        return outcome
    started = time.monotonic()
    if outcome.sender is not None:  # this process started it: wait for it to end, so that it is
        try:                        # done with the bundle whatever it found (no race for the lock)
            outcome.sender.wait(timeout)
        except subprocess.TimeoutExpired:
            raise SenderBusy(f"the background send did not end within {timeout:g} s") from None
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
    with sender_lock(target_dir, left):
        if (outcome.pending / "payload.json").is_file():
            bundle = Bundle.load(outcome.pending)
            done = deliver(bundle, timeout_seconds=settings.timeout_seconds, settings=settings)
            record(target_dir, bundle, done)
            return done
        found = _read_delivered(target_dir / SENDER_DIR / DELIVERED_FILE).get(outcome.pending.name)
    if found is None:
        return TrackingOutcome(outcome.tracking_uri, outcome.experiment, outcome.run_name, outcome.invocation_id,
                               error="the build was sent by another process, which kept no record of it; "
                                     "'evalhouse log' says which run holds it")
    known = {f.name for f in dataclass_fields(TrackingOutcome)} - IN_MEMORY - {"pending", "damaged"}
    return TrackingOutcome(**{key: value for key, value in found.items() if key in known})


def _read_delivered(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def main(argv: list[str]) -> int:
    """`python -m evalhouse.publish.tracking.background TARGET_DIR TIMEOUT [ARTIFACT_LOCATION]`."""
    from evalhouse.publish.tracking.settings import TrackingSettings

    target_dir, timeout = Path(argv[0]), float(argv[1])
    artifact_location = argv[2] if len(argv) > 2 and argv[2] else None
    settings = TrackingSettings(enabled=True, tracking_uri=os.environ.pop(URI_ENV, ""), experiment="", run_name="",
                                timeout_seconds=timeout, artifact_location=artifact_location)
    if hasattr(os, "nice"):
        os.nice(10)  # the user's next command comes first
    with sender_lock(target_dir):
        outcomes = send_all(target_dir, settings)
    return 0 if not any(o.failed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
