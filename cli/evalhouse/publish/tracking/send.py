"""Send one bundle to MLflow with MlflowClient, within a deadline.

MLflow's REST client retries for minutes by default. Here every HTTP request gets the
timeout and at most one quick retry (MLFLOW_HTTP_REQUEST_TIMEOUT / _MAX_RETRIES /
_BACKOFF_FACTOR, set while sending), and the whole send runs in a worker thread that
the caller stops waiting for after `timeout_seconds`. A send is idempotent: runs are
tagged with the build's invocation id, a build already logged in full is not logged
again, and the runs of a send that was cut off are deleted before the build is resent.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from evalhouse.publish.tracking.bundle import Bundle
from evalhouse.publish.tracking.payload import TAG_INVOCATION, TAG_ROLE

QUIET_LOGGERS = ("mlflow", "urllib3", "alembic", "sqlalchemy", "requests")
# a store on this machine (a SQLite file, a folder) is not a server that can hang, but
# creating a new SQLite store runs MLflow's schema migrations: seconds on a busy machine
LOCAL_STORE_DEADLINE_SECONDS = 120.0


def is_local_store(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("sqlite:", "file:")) or "://" not in tracking_uri


class SendCancelled(Exception):
    """The caller stopped waiting; the worker stops at its next step."""


class TrackingTimeout(Exception):
    pass


@dataclass
class SendResult:
    run_id: str
    experiment_id: str
    candidate_runs: dict[str, str] = field(default_factory=dict)
    already_logged: bool = False


def send_bundle(bundle: Bundle, tracking_uri: str, timeout_seconds: float,
                artifact_location: str | None = None) -> SendResult:
    """Log the bundle's runs; raise TrackingTimeout past the deadline, or MLflow's error.

    The deadline is `timeout_seconds` for a tracking server, at least two minutes for a
    store on this machine.
    """
    import mlflow  # noqa: F401  (imported here, outside the deadline: it takes a second or two)

    if is_local_store(tracking_uri):
        timeout_seconds = max(timeout_seconds, LOCAL_STORE_DEADLINE_SECONDS)
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with _http_limits(timeout_seconds):
                outcome["result"] = _log_runs(bundle, tracking_uri, cancel, artifact_location)
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    with _quiet_logging():
        worker = threading.Thread(target=work, name="evalhouse-mlflow", daemon=True)
        worker.start()
        worker.join(timeout_seconds)
    if worker.is_alive():
        cancel.set()
        raise TrackingTimeout(f"no answer within {timeout_seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _log_runs(bundle: Bundle, tracking_uri: str, cancel: threading.Event,
              artifact_location: str | None) -> SendResult:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, ViewType
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    payload = bundle.payload
    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = _experiment_id(client, payload["experiment"], artifact_location)
    _check(cancel)
    earlier = client.search_runs(
        [experiment_id], filter_string=f"tags.`{TAG_INVOCATION}` = '{payload['invocation_id']}'",
        run_view_type=ViewType.ACTIVE_ONLY, max_results=1000,
    )
    for run in earlier:
        if run.data.tags.get(TAG_ROLE) == "build" and run.info.status in ("FINISHED", "FAILED"):
            children = {r.data.tags.get("candidate", ""): r.info.run_id for r in earlier
                        if r.data.tags.get(MLFLOW_PARENT_RUN_ID) == run.info.run_id}
            return SendResult(run.info.run_id, experiment_id, children, already_logged=True)
    for run in earlier:  # an earlier send was cut off: start again from a clean slate
        client.delete_run(run.info.run_id)

    started, ended = payload["started_at_ms"], payload["ended_at_ms"]
    status = "FINISHED" if payload["success"] else "FAILED"

    def log_batch(run_id: str, section: dict[str, Any]) -> None:
        metrics = [Metric(k, float(v), started, 0) for k, v in section["metrics"].items()]
        params = [Param(k, v) for k, v in section["params"].items()]
        client.log_batch(run_id, metrics=metrics, params=params)

    _check(cancel)
    parent = client.create_run(experiment_id, start_time=started, tags=payload["parent"]["tags"],
                               run_name=payload["run_name"])
    parent_id = parent.info.run_id
    log_batch(parent_id, payload["parent"])
    children: dict[str, str] = {}
    for candidate in payload["candidates"]:
        _check(cancel)
        tags = {**candidate["tags"], MLFLOW_PARENT_RUN_ID: parent_id}
        run = client.create_run(experiment_id, start_time=started, tags=tags, run_name=candidate["name"])
        log_batch(run.info.run_id, candidate)
        client.set_terminated(run.info.run_id, status, end_time=ended)
        children[candidate["name"]] = run.info.run_id
    _check(cancel)
    if bundle.artifacts.is_dir() and any(bundle.artifacts.iterdir()):
        client.log_artifacts(parent_id, str(bundle.artifacts))
    _check(cancel)
    client.set_terminated(parent_id, status, end_time=ended)  # last: marks the build as logged in full
    return SendResult(parent_id, experiment_id, children)


def _experiment_id(client: Any, name: str, artifact_location: str | None) -> str:
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, artifact_location=artifact_location)
        except MlflowException:  # created meanwhile by another process
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def _check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise SendCancelled()


@contextmanager
def _http_limits(timeout_seconds: float) -> Iterator[None]:
    """Per-request timeout and one quick retry for MLflow's REST client, while sending; quiet."""
    limits = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, math.ceil(timeout_seconds))),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",  # no "View run at ..." lines in our output
    }
    saved = {key: os.environ.get(key) for key in limits}
    os.environ.update(limits)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """MLflow, urllib3 and alembic chatter stays out of the build's output: one warning is ours."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
