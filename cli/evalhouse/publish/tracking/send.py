"""Send one bundle to MLflow with MlflowClient: each request bounded, the send resumable.

`timeout_seconds` is per HTTP request. MLflow's REST client reads its limits from the
environment, so while sending we set MLFLOW_HTTP_REQUEST_TIMEOUT to it and allow
MAX_RETRIES retries with exponential backoff (MLflow retries connection errors, read
timeouts, 408, 429 and 5xx). A slow but healthy server thus gets a build of any size;
a server that accepts and never answers is given up on after about
(MAX_RETRIES + 1) x timeout + the backoff. The whole send also runs in a worker thread
with an overall cap that grows with the build (timeout x the requests it needs): a
safety net for a server that trickles bytes, not the limit a healthy server meets.

A send is idempotent and keeps history: runs are tagged with the build's invocation id;
a build already logged in full is not logged again, and a send that was cut off is
resumed in the same runs (what they lack is added). Nothing is deleted: a duplicate run
of the build (a retried create that had reached the server) is marked KILLED with the
tag `evalhouse.superseded_by`.
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
MAX_RETRIES = 2  # per request; with BACKOFF_FACTOR 1 the waits are 0 s, then 2 s
BACKOFF_FACTOR = 1
TAG_SUPERSEDED = "evalhouse.superseded_by"
DONE = ("FINISHED", "FAILED")  # a build's parent run ends FAILED when the build had failures


def is_local_store(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("sqlite:", "file:")) or "://" not in tracking_uri


def request_timeout(timeout_seconds: float) -> int:
    """MLflow takes whole seconds per request."""
    return max(1, math.ceil(timeout_seconds))


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
    run_name: str | None = None  # of a build already logged: the name it was logged under


def estimated_requests(bundle: Bundle) -> int:
    """About how many HTTP requests the bundle takes, on the high side (the overall cap)."""
    payload = bundle.payload
    runs = [payload["parent"], *payload["candidates"]]
    # per run: create, params in batches of 100, metrics in batches of 1000, terminate
    per_run = sum(3 + math.ceil(len(r["params"]) / 100) + math.ceil(len(r["metrics"]) / 1000) for r in runs)
    files = sum(1 for p in bundle.artifacts.rglob("*") if p.is_file()) if bundle.artifacts.is_dir() else 0
    return 10 + per_run + files


def overall_cap(bundle: Bundle, tracking_uri: str, timeout_seconds: float) -> float:
    """The safety net: every request may take its whole timeout, one retry's worth on top."""
    per_request = request_timeout(timeout_seconds)
    cap = per_request * estimated_requests(bundle) + (MAX_RETRIES * per_request + 2 * BACKOFF_FACTOR * MAX_RETRIES)
    return max(cap, LOCAL_STORE_DEADLINE_SECONDS) if is_local_store(tracking_uri) else cap


def send_bundle(bundle: Bundle, tracking_uri: str, timeout_seconds: float,
                artifact_location: str | None = None) -> SendResult:
    """Log the bundle's runs; raise TrackingTimeout past the overall cap, or MLflow's error."""
    import mlflow  # noqa: F401  (imported here, outside the cap: it takes a second or two)

    cap = overall_cap(bundle, tracking_uri, timeout_seconds)
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
        worker.join(cap)
    if worker.is_alive():
        cancel.set()
        raise TrackingTimeout(f"the send did not finish within {cap:g} s ({request_timeout(timeout_seconds)} s "
                              f"per request for about {estimated_requests(bundle)} requests)")
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
    earlier.sort(key=lambda r: (r.info.start_time or 0, r.info.run_id))
    parents = [r for r in earlier if r.data.tags.get(TAG_ROLE) == "build"]

    def children_of(parent_id: str) -> dict[str, Any]:
        return {r.data.tags.get("candidate", ""): r for r in earlier
                if r.data.tags.get(MLFLOW_PARENT_RUN_ID) == parent_id and r.info.status != "KILLED"}

    for run in parents:
        if run.info.status in DONE:
            children = {name: r.info.run_id for name, r in children_of(run.info.run_id).items()}
            return SendResult(run.info.run_id, experiment_id, children, already_logged=True,
                              run_name=run.info.run_name)

    started, ended = payload["started_at_ms"], payload["ended_at_ms"]
    status = "FINISHED" if payload["success"] else "FAILED"

    def log_missing(run_id: str, section: dict[str, Any], existing: Any) -> None:
        """What the run lacks: a resumed run keeps the params and metrics it has."""
        have_params = existing.data.params if existing else {}
        have_metrics = existing.data.metrics if existing else {}
        metrics = [Metric(k, float(v), started, 0) for k, v in section["metrics"].items() if k not in have_metrics]
        params = [Param(k, v) for k, v in section["params"].items() if k not in have_params]
        if metrics or params:
            client.log_batch(run_id, metrics=metrics, params=params)

    _check(cancel)
    resumed = next((r for r in parents if r.info.status == "RUNNING"), None)
    if resumed is None:
        resumed_children: dict[str, Any] = {}
        parent_id = client.create_run(experiment_id, start_time=started, tags=payload["parent"]["tags"],
                                      run_name=payload["run_name"]).info.run_id
    else:
        parent_id, resumed_children = resumed.info.run_id, children_of(resumed.info.run_id)
    log_missing(parent_id, payload["parent"], resumed)
    children: dict[str, str] = {}
    for candidate in payload["candidates"]:
        _check(cancel)
        run = resumed_children.get(candidate["name"])
        if run is None:
            tags = {**candidate["tags"], MLFLOW_PARENT_RUN_ID: parent_id}
            # "<candidate> @ <build>": in a list of runs of many builds, each says whose it is
            run_id = client.create_run(experiment_id, start_time=started, tags=tags,
                                       run_name=f"{candidate['name']} @ {payload['run_name']}").info.run_id
        else:
            run_id = run.info.run_id
        if run is None or run.info.status not in DONE:
            log_missing(run_id, candidate, run)
            client.set_terminated(run_id, status, end_time=ended)
        children[candidate["name"]] = run_id
    _check(cancel)
    if bundle.artifacts.is_dir() and any(bundle.artifacts.iterdir()):
        client.log_artifacts(parent_id, str(bundle.artifacts))  # again in full when resumed: same paths
    _check(cancel)
    client.set_terminated(parent_id, status, end_time=ended)  # last but one: marks the build as logged in full
    kept = {parent_id, *children.values()}
    for run in earlier:  # other unfinished runs of this build: kept as history, marked as not the build
        if run.info.run_id not in kept and run.info.status == "RUNNING":
            client.set_tag(run.info.run_id, TAG_SUPERSEDED, parent_id)
            client.set_terminated(run.info.run_id, "KILLED", end_time=ended)
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
    """Per-request timeout and a few retries with backoff for MLflow's REST client, while sending; quiet."""
    limits = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(request_timeout(timeout_seconds)),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(MAX_RETRIES),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(BACKOFF_FACTOR),
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
        # a Retry-After of an hour would hold the send that long: the backoff above decides
        "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",
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
