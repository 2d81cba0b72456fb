"""MLflow delivery that a slow server can meet, that keeps history and survives damage.

A proxy in front of the real `mlflow server` answers every request after a delay (a
slow but healthy server) or refuses run creations after a number of them (a send cut
off halfway). The runs are read back with MlflowClient.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import tiny_evaluation as tiny
from click.testing import CliRunner
from mlflow import MlflowClient
from mlflow.entities import ViewType
from test_tracking import invocation_id, no_ambient_tracking, pending, runs_of_build, server  # noqa: F401

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.publish.publisher import log as log_pending
from evalhouse.publish.tracking.payload import TAG_INVOCATION
from evalhouse.publish.tracking.send import TAG_SUPERSEDED

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


class SlowProxy:
    """Forwards to `upstream` after `delay` seconds; answers 503 to run creations past `creates_allowed`."""

    def __init__(self, upstream: str, delay: float = 0.0) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.delay = delay
        self.creates_allowed: int | None = None
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests += 1
                time.sleep(proxy.delay)
                if "runs/create" in self.path and proxy.creates_allowed is not None:
                    if proxy.creates_allowed <= 0:
                        self.send_response(503)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    proxy.creates_allowed -= 1
                connection = http.client.HTTPConnection(proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def proxy(server):  # noqa: F811
    running = SlowProxy(server.uri)
    yield running
    running.close()


def tiny_project(make_project, timeout_seconds: int) -> Path:
    return make_project(tiny.files(), tiny.PROJECT_YML.replace("timeout_seconds: 10",
                                                               f"timeout_seconds: {timeout_seconds}"))


def test_a_slow_server_gets_the_whole_build(make_project, proxy, server):  # noqa: F811
    # 0.3 s per request, 2 s per request allowed: the old 2 s deadline for the whole send
    # would cut this off after a few requests
    proxy.delay = 0.3
    root = tiny_project(make_project, 2)
    started = time.monotonic()
    result = Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=proxy.uri))
    elapsed = time.monotonic() - started
    assert result.success and result.tracking.ok, result.warnings
    assert proxy.requests * 0.3 > 2 and elapsed > 2  # far more than one request's timeout
    runs = runs_of_build(MlflowClient(tracking_uri=server.uri), "tiny_experiment", invocation_id(root))
    assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)
    assert pending(root) == []


def test_a_send_cut_off_halfway_is_resumed_in_the_same_runs(make_project, proxy, server):  # noqa: F811
    root = tiny_project(make_project, 5)
    proxy.creates_allowed = 2  # the build's run and its first candidate's, then 503
    result = Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=proxy.uri))
    assert result.success and not result.tracking.ok and len(pending(root)) == 1
    client = MlflowClient(tracking_uri=server.uri)
    partial = runs_of_build(client, "tiny_experiment", invocation_id(root))
    [parent] = [r for r in partial if r.data.tags.get("evalhouse.role") == "build"]
    assert len(partial) == 2 and parent.info.status == "RUNNING"

    proxy.creates_allowed = None
    outcomes = log_pending(Project.load(root))
    assert [o.ok for o in outcomes] == [True] and pending(root) == []
    runs = runs_of_build(client, "tiny_experiment", invocation_id(root))
    assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)
    assert outcomes[0].run_id == parent.info.run_id  # the partial run was finished, not replaced
    assert {r.info.run_id for r in partial} <= {r.info.run_id for r in runs}
    experiment_id = client.get_experiment_by_name("tiny_experiment").experiment_id
    deleted = client.search_runs([experiment_id], f"tags.`{TAG_INVOCATION}` = '{invocation_id(root)}'",
                                 run_view_type=ViewType.DELETED_ONLY)
    assert deleted == []
    children = {r.data.tags["candidate"]: r for r in runs if "candidate" in r.data.tags}
    assert set(children) == {"popular", "cooc", "random"} and len(children["cooc"].data.metrics) > 10


def test_an_extra_unfinished_run_of_the_build_is_kept_and_marked(make_project, server):  # noqa: F811
    root = tiny_project(make_project, 10)
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=closed))
    [bundle] = pending(root)
    payload = json.loads((bundle / "payload.json").read_text())
    client = MlflowClient(tracking_uri=server.uri)
    experiment = client.get_experiment_by_name("tiny_experiment")
    experiment_id = experiment.experiment_id if experiment else client.create_experiment("tiny_experiment")
    # two unfinished build runs, as a retried create that had reached the server leaves
    first = client.create_run(experiment_id, start_time=payload["started_at_ms"], tags=payload["parent"]["tags"])
    extra = client.create_run(experiment_id, start_time=payload["started_at_ms"] + 1, tags=payload["parent"]["tags"])
    outcomes = log_pending(Project.load(root), tracking_uri=server.uri)
    assert [o.ok for o in outcomes] == [True] and outcomes[0].run_id == first.info.run_id
    kept = client.get_run(extra.info.run_id)
    assert kept.info.lifecycle_stage == "active" and kept.info.status == "KILLED"
    assert kept.data.tags[TAG_SUPERSEDED] == first.info.run_id


def test_a_damaged_pending_bundle_is_set_aside_and_the_next_is_sent(make_project, server):  # noqa: F811
    root = tiny_project(make_project, 10)
    closed = "http://127.0.0.1:9"
    Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=closed))
    first_build = invocation_id(root)
    Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=closed))
    second_build = invocation_id(root)
    older, newer = pending(root)
    text = (older / "payload.json").read_text()
    (older / "payload.json").write_text(text[: len(text) // 2])  # truncated

    out = CliRunner().invoke(main, ["log", "--project-dir", str(root), "--mlflow-uri", server.uri])
    assert out.exit_code == 0, out.output
    warnings = [line for line in out.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and f"target/mlflow_pending/{older.name}.damaged" in warnings[0]
    assert "payload.json cannot be read" in warnings[0]
    assert "logged as run" in out.output
    assert pending(root) == [older.with_name(older.name + ".damaged")]
    client = MlflowClient(tracking_uri=server.uri)
    assert len(runs_of_build(client, "tiny_experiment", second_build)) == 4
    assert first_build != second_build

    # set aside once: the next `log` does not warn about it again
    again = CliRunner().invoke(main, ["log", "--project-dir", str(root), "--mlflow-uri", server.uri])
    assert again.exit_code == 0 and "warning" not in again.output and "already logged" in again.output


@pytest.mark.parametrize("payload", ['{"format": 99}', '[1, 2]', '{"format": 1, "experiment": "x"}'])
def test_wrong_format_or_missing_keys_are_damage_too(tmp_path, payload):
    from evalhouse.publish.tracking.bundle import pending_bundles

    folder = tmp_path / "mlflow_pending" / "20260101T000000-abcdef12"
    folder.mkdir(parents=True)
    (folder / "payload.json").write_text(payload)
    bundles, damaged = pending_bundles(tmp_path)
    assert bundles == [] and [p.name for p, _ in damaged] == ["20260101T000000-abcdef12.damaged"]
    assert "payload.json" in damaged[0][1]
