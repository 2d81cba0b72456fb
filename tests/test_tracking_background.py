"""MLflow runs sent by a detached process, and partial runs that log only what they built.

`evalhouse build` hands its bundle to a background sender and returns; `evalhouse log`
and `TrackingOutcome.wait()` wait for that sender. A send that failed in the background
is reported by the next build and sent again with it. A command that built only some
models (`run -s ...`) logs the tables it built, tagged as partial, or nothing.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
import tiny_evaluation as tiny
from click.testing import CliRunner
from mlflow import MlflowClient
from test_secrets import Answers500, leaks
from test_tracking import (  # noqa: F401
    build,
    invocation_id,
    no_ambient_tracking,
    pending,
    project_dir,
    runs_of_build,
    server,
    warehouse_rows,
)
from test_tracking_delivery import SlowProxy, tiny_project

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.tracking.background import SEND_ERROR_FILE, sender_running
from evalhouse.publish.tracking.naming import metric_key
from evalhouse.publish.tracking.partial import TAG_PARTIAL, TAG_SELECTION

WAIT = 180.0  # seconds a test gives a background send on a busy machine


def parent_and_children(client: MlflowClient, experiment: str, build_id: str) -> tuple[object, dict[str, object]]:
    runs = runs_of_build(client, experiment, build_id)
    [parent] = [r for r in runs if r.data.tags.get("evalhouse.role") == "build"]
    return parent, {r.data.tags["candidate"]: r for r in runs if "candidate" in r.data.tags}


# -- the background sender ----------------------------------------------------------------------


def test_the_cli_build_returns_and_log_waits_for_the_background_send(project_dir, server):  # noqa: F811
    out = CliRunner().invoke(main, ["build", "--project-dir", str(project_dir), "--mlflow", "--mlflow-uri", server.uri,
                                    "--run-name", "sent behind"])
    assert out.exit_code == 0, out.output
    assert "is being logged in the background as run 'sent behind'" in out.output
    assert "warning" not in out.output
    build_id = invocation_id(project_dir)
    # `log` waits for the sender; the build is then in MLflow, and not logged a second time.
    # (On a busy machine `log` may take the lock before the sender has started: it sends
    # the build itself, and the sender, once it runs, finds nothing left to send.)
    logged = CliRunner().invoke(main, ["log", "--project-dir", str(project_dir), "--mlflow-uri", server.uri])
    assert logged.exit_code == 0, logged.output
    assert "logged as run 'sent behind'" in logged.output and pending(project_dir) == []
    deadline = time.monotonic() + WAIT
    while sender_running(project_dir / "target") and time.monotonic() < deadline:
        time.sleep(0.2)
    client = MlflowClient(tracking_uri=server.uri)
    runs = runs_of_build(client, "tiny_experiment", build_id)
    assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)
    parent, children = parent_and_children(client, "tiny_experiment", build_id)
    assert parent.info.run_name == "sent behind" and set(children) == {"popular", "cooc", "random"}
    for candidate, metric, k, value in warehouse_rows(project_dir, "select candidate, metric, k, value from metrics"):
        assert children[candidate].data.metrics[metric_key(metric, k)] == pytest.approx(value, rel=1e-12, abs=0)
    assert {"report.html", "tables", "compiled"} <= {a.path for a in client.list_artifacts(parent.info.run_id)}


def test_the_python_api_can_send_in_the_background_and_wait(project_dir, server):  # noqa: F811
    _, result = build(project_dir, mlflow_uri=server.uri, mlflow_wait=False)
    assert result.success and result.warnings == []
    assert result.tracking.sending and not result.tracking.ok and not result.tracking.failed
    done = result.tracking.wait(timeout=WAIT)
    assert done.ok and done.error is None and pending(project_dir) == []
    parent, children = parent_and_children(MlflowClient(tracking_uri=server.uri), "tiny_experiment",
                                           invocation_id(project_dir))
    assert done.run_id == parent.info.run_id and parent.info.status == "FINISHED"
    assert done.candidate_runs == {name: run.info.run_id for name, run in children.items()}


def test_a_failed_background_send_is_reported_and_sent_with_the_next_build(make_project, server):  # noqa: F811
    proxy = SlowProxy(server.uri)
    proxy.creates_allowed = 0  # every run creation answered 503: the send fails
    try:
        root = tiny_project(make_project, 5)
        _, first = build(root, mlflow_uri=proxy.uri, mlflow_wait=False)
        first_build = invocation_id(root)
        failed = first.tracking.wait(timeout=WAIT)
        assert not failed.ok and failed.failed and "runs/create failed" in failed.error
        [kept] = pending(root)
        assert (kept / SEND_ERROR_FILE).is_file()

        proxy.creates_allowed = None  # the server is well again
        _, second = build(root, mlflow_uri=proxy.uri, mlflow_wait=False)
        [warning] = second.warnings
        assert "1 earlier build(s) could not be logged to MLflow yet" in warning and kept.name in warning
        assert "sent again with this build" in warning
        assert second.tracking.wait(timeout=WAIT).ok
    finally:
        proxy.close()
    assert pending(root) == []
    client = MlflowClient(tracking_uri=server.uri)
    for build_id in (first_build, invocation_id(root)):
        runs = runs_of_build(client, "tiny_experiment", build_id)
        assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)


def test_a_build_for_a_server_that_is_gone_does_not_hold_up_later_builds(make_project, server):  # noqa: F811
    root = tiny_project(make_project, 5)
    _, gone = build(root, mlflow_uri="http://127.0.0.1:9")  # discard port: nothing listens
    assert not gone.tracking.ok
    [stuck] = pending(root)
    _, later = build(root, mlflow_uri=server.uri, mlflow_wait=False)
    assert "1 earlier build(s) could not be logged" in later.warnings[0] and "connection refused" in later.warnings[0]
    deadline = time.monotonic() + WAIT
    while later.tracking.pending.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not later.tracking.pending.exists()  # sent by the background sender, past the stuck one
    assert later.tracking.wait(timeout=WAIT).ok  # its outcome, from the sender's record
    assert len(runs_of_build(MlflowClient(tracking_uri=server.uri), "tiny_experiment", invocation_id(root))) == 4
    assert pending(root) == [stuck]  # still pending, for `evalhouse log --mlflow-uri`
    assert "connection refused" in (stuck / SEND_ERROR_FILE).read_text()


def test_the_background_sender_gets_the_password_and_writes_it_nowhere(make_project, monkeypatch):
    password = "behind-pw-5521"
    web = ThreadingHTTPServer(("127.0.0.1", 0), Answers500)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://eval:{password}@127.0.0.1:{web.server_address[1]}")
    root = make_project(tiny.files(with_extras=False, with_history=False), tiny.PROJECT_YML)
    Answers500.authorizations.clear()
    try:
        _, result = build(root, mlflow_wait=False)
        outcome = result.tracking.wait(timeout=WAIT)
    finally:
        web.shutdown()
        web.server_close()
    assert not outcome.ok and password not in (outcome.error or "")
    assert f"Basic {base64.b64encode(f'eval:{password}'.encode()).decode()}" in Answers500.authorizations
    assert leaks(root, password) == []  # not in the bundle, the sender's record or its log


def test_clean_all_waits_for_a_send_in_progress(project_dir, monkeypatch):  # noqa: F811
    from evalhouse.errors import ProjectError
    from evalhouse.publish.tracking.background import sender_lock

    project, result = build(project_dir)  # the local store: target/mlflow_sender/ exists
    assert result.tracking.ok and (project_dir / "target/mlflow_sender").is_dir()
    monkeypatch.setattr("evalhouse.api.project.CLEAN_WAITS_FOR_SENDER_SECONDS", 0.3)
    with sender_lock(project_dir / "target"):  # as a background sender holds it
        with pytest.raises(ProjectError, match="still being sent to MLflow"):
            project.clean(include_warehouse=True)
        assert (project_dir / "target/mlflow.db").is_file()
    project.clean(include_warehouse=True)
    assert not (project_dir / "target/mlflow.db").exists() and not (project_dir / "target/mlflow_sender").exists()


# -- partial runs --------------------------------------------------------------------------------


def test_a_partial_run_logs_only_the_tables_it_built(project_dir, server):  # noqa: F811
    _, full = build(project_dir, mlflow_uri=server.uri)
    client = MlflowClient(tracking_uri=server.uri)
    parent, _ = parent_and_children(client, "tiny_experiment", invocation_id(project_dir))
    assert parent.data.tags[TAG_PARTIAL] == "false" and TAG_SELECTION not in parent.data.tags

    project = Project.load(project_dir)
    result = project.run(RunOptions(select=["metrics"], mlflow=True, mlflow_uri=server.uri))
    assert result.success and result.tracking.ok, result.warnings
    parent, children = parent_and_children(client, "tiny_experiment", invocation_id(project_dir))
    assert parent.data.tags[TAG_PARTIAL] == "true" and parent.data.tags[TAG_SELECTION] == "metrics"
    assert "partial run" in parent.data.tags["mlflow.note.content"]
    rows = warehouse_rows(project_dir, "select candidate, metric, k, value from metrics")
    for name, child in children.items():
        assert child.data.tags[TAG_PARTIAL] == "true" and child.data.tags[TAG_SELECTION] == "metrics"
        # the metrics table only: no slices or comparisons, which this run did not build
        assert set(child.data.metrics) == {metric_key(m, k) for c, m, k, _ in rows if c == name}
    assert parent.data.metrics["ndcg_at_10.cooc"] > 0 and parent.data.metrics["build.nodes.success"] == 1
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert "report.html" not in artifacts and "plots" not in artifacts  # the report shows the whole warehouse
    assert {a.path for a in client.list_artifacts(parent.info.run_id, "tables")} == {
        "tables/metrics.csv", "tables/metrics.parquet"}


def test_a_partial_run_that_built_no_result_table_logs_nothing_and_says_so(make_project, server):  # noqa: F811
    root = make_project({**tiny.files(), "models/scratch.sql": "select 1 as x"}, tiny.PROJECT_YML)
    Project.load(root).build(RunOptions(mlflow=False))
    out = CliRunner().invoke(main, ["run", "--project-dir", str(root), "-s", "scratch", "--mlflow",
                                    "--mlflow-uri", server.uri])
    assert out.exit_code == 0, out.output
    assert "MLflow: nothing logged: this run (scratch) built none of the tables MLflow logs from" in out.output
    assert "warning" not in out.output and pending(root) == []
    assert json.loads((root / "target/run_results.json").read_text())["args"]["select"] == ["scratch"]
    # nor does `evalhouse log` log that command as a build
    logged = CliRunner().invoke(main, ["log", "--project-dir", str(root), "--mlflow-uri", server.uri])
    assert logged.exit_code != 0 and "built none of the tables MLflow logs from" in logged.output
    experiment = MlflowClient(tracking_uri=server.uri).get_experiment_by_name("tiny_experiment")
    if experiment is not None:
        assert runs_of_build(MlflowClient(tracking_uri=server.uri), "tiny_experiment", invocation_id(root)) == []


def test_a_build_or_run_without_a_selection_is_a_full_run(make_project):
    """A run without a selection builds every model: a full run, not partial (an ephemeral
    model, never run on its own, included)."""
    inlined = {"models/inlined.sql": "{{ config(materialized='ephemeral') }}\nselect 1 as x",
               "models/uses_inlined.sql": "select * from {{ ref('inlined') }}"}
    root = make_project({**tiny.files(), **inlined}, tiny.PROJECT_YML)
    _, result = build(root, mlflow_uri=None)
    assert result.tracking.ok
    client = MlflowClient(tracking_uri=result.tracking.tracking_uri)
    run = client.get_run(result.tracking.run_id)
    assert run.data.tags[TAG_PARTIAL] == "false"
    result = Project.load(root).run(RunOptions(mlflow=True))
    assert client.get_run(result.tracking.run_id).data.tags[TAG_PARTIAL] == "false"


def test_a_table_over_max_table_rows_is_left_out_of_the_artifacts_and_named(make_project):
    # 10 rows at most: metrics (66 rows) and user_metrics stay in the warehouse only
    root = make_project(tiny.files(), tiny.PROJECT_YML.replace("timeout_seconds: 10",
                                                               "timeout_seconds: 10\n  max_table_rows: 10"))
    project, result = build(root)
    assert result.success and result.tracking.ok, result.warnings
    result.tracking.wait()
    client = MlflowClient(tracking_uri=result.tracking.tracking_uri)
    parent, _ = parent_and_children(client, "tiny_experiment", invocation_id(root))
    logged = {a.path.removeprefix("tables/") for a in client.list_artifacts(parent.info.run_id, "tables")}
    with EvaluationTables.open(project) as tables:
        sizes = {name: tables.count(name) for name in tables.present()}
    assert {"metrics", "user_metrics"} <= {name for name, rows in sizes.items() if rows > 10}
    assert logged == {f"{name}.{fmt}" for name, rows in sizes.items() if rows <= 10 for fmt in ("csv", "parquet")}
    left_out = [name for name, rows in sizes.items() if rows > 10]
    assert parent.data.tags["evalhouse.tables_not_logged"] == ", ".join(left_out)
    assert ("Not logged for their size (more than 10 rows, project.yml `mlflow.max_table_rows`): "
            + ", ".join(left_out)) in parent.data.tags["mlflow.note.content"]
