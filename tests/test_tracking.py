"""MLflow tracking: a real `mlflow server` on 127.0.0.1, read back with MlflowClient.

Also what happens when the server is unreachable, stops in the middle of a build, or
hangs: the build still succeeds with one warning, the runs wait under
target/mlflow_pending/, and `evalhouse log` sends them once a server answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest
import tiny_evaluation as tiny
from click.testing import CliRunner
from mlflow import MlflowClient
from mlflow.entities import ViewType
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions, __version__
from evalhouse.cli import main
from evalhouse.publish.publisher import log as log_pending
from evalhouse.publish.tracking import resolve_settings
from evalhouse.publish.tracking.naming import flatten, mask_uri, metric_key, safe_key
from evalhouse.publish.tracking.payload import TAG_INVOCATION

# -- a real tracking server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MlflowServer:
    """`mlflow server` on 127.0.0.1 with its own SQLite file and artifact folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> MlflowServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        env.pop("MLFLOW_TRACKING_URI", None)
        self.log = open(self.folder / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--backend-store-uri", f"sqlite:///{(self.folder / 'mlflow.db').as_posix()}",
             "--artifacts-destination", (self.folder / "artifacts").as_uri()],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder / "server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"mlflow server did not answer /health within {timeout} s")

    def signal(self, sig: int) -> None:
        """To the server and the worker processes it started (its own process group)."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        if self.process is None:
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait()
        self.log.close()
        self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    running = MlflowServer(tmp_path_factory.mktemp("mlflow_server")).start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_ambient_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MLFLOW_TRACKING_URI", "EVALHOUSE_MLFLOW", "EVALHOUSE_MLFLOW_URI"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project_dir(make_project) -> Path:
    return make_project(tiny.files(), tiny.PROJECT_YML)


def warehouse_rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    with read_warehouse(str(root / "target/warehouse.duckdb")) as con:
        return con.execute(sql).fetchall()


def runs_of_build(client: MlflowClient, experiment: str, invocation_id: str) -> list[Any]:
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    return client.search_runs([experiment_id], f"tags.`{TAG_INVOCATION}` = '{invocation_id}'",
                              run_view_type=ViewType.ACTIVE_ONLY)


def build(root: Path, **options: Any) -> tuple[Project, Any]:
    project = Project.load(root)
    return project, project.build(RunOptions(mlflow=True, **options))


def invocation_id(root: Path) -> str:
    return json.loads((root / "target/run_results.json").read_text())["metadata"]["invocation_id"]


def pending(root: Path) -> list[Path]:
    folder = root / "target/mlflow_pending"
    return sorted(folder.iterdir()) if folder.is_dir() else []


# -- names, params, settings ------------------------------------------------------------------


@pytest.mark.parametrize("metric, k, key", [
    ("ndcg", 10, "ndcg_at_10"),
    ("ndcg", 10.0, "ndcg_at_10"),
    ("roc_auc", None, "roc_auc"),
    ("f+beta", 5, "f_beta_at_5"),
])
def test_metric_keys(metric, k, key):
    assert metric_key(metric, k) == key


@pytest.mark.parametrize("raw, safe", [
    ("ndcg_at_10.activity.25+", "ndcg_at_10.activity.25_"),
    ("a..b", "a.b"),
    ("/x//y/", "x/y"),
    ("", "_"),
])
def test_keys_mlflow_accepts(raw, safe):
    assert safe_key(raw) == safe


def test_params_are_flattened_with_dots_and_secrets_masked():
    config = {
        "vars": {"k_values": [5, 10], "leaderboard_order": {"metric": "ndcg", "k": 10}, "api_token": "t0k",
                 "db": {"password": "pw", "user": "me"}, "sort_key": "x", "flag": True, "none": None},
        "models": {"+materialized": "view", "metrics": {"+tags": ["metric"]}, "+unique_key": "id"},
        "mlflow": {"tracking_uri": "https://me:hunter2@mlflow.example.com:5000/path"},
        "empty": {},
    }
    assert flatten(config) == {
        "vars.k_values": "[5, 10]",
        "vars.leaderboard_order.metric": "ndcg",
        "vars.leaderboard_order.k": "10",
        "vars.api_token": "***",
        "vars.db.password": "***",
        "vars.db.user": "me",
        "vars.sort_key": "x",  # names a column, not a secret
        "vars.flag": "true",
        "vars.none": "null",
        "models.materialized": "view",
        "models.metrics.tags": '["metric"]',
        "models.unique_key": "id",
        "mlflow.tracking_uri": "https://me:***@mlflow.example.com:5000/path",
        "empty": "{}",
    }
    assert mask_uri("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_tracking_uri_precedence(make_project, monkeypatch):
    root = make_project({}, "name: p\nmlflow: {tracking_uri: 'http://from-project:5000', experiment: e}\n")
    project = Project.load(root)
    assert resolve_settings(project).tracking_uri == "http://from-project:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://from-env:5000")
    assert resolve_settings(project).tracking_uri == "http://from-env:5000"
    chosen = resolve_settings(project, tracking_uri="http://from-option:5000", run_name="mine")
    assert (chosen.tracking_uri, chosen.run_name, chosen.experiment) == ("http://from-option:5000", "mine", "e")
    bare = Project.load(make_project({}, "name: bare\n"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    local = resolve_settings(bare)
    assert local.tracking_uri == "sqlite:///" + (bare.dir / "target/mlflow.db").as_posix()
    assert local.experiment == "bare" and local.run_name.startswith("bare-") and not local.enabled
    assert local.artifact_location == (bare.dir / "target/mlartifacts").as_uri()
    monkeypatch.setenv("EVALHOUSE_MLFLOW", "true")
    assert resolve_settings(bare).enabled and not resolve_settings(bare, enabled=False).enabled


def test_git_commit_of_a_checkout(tmp_path):
    from evalhouse.publish.tracking.payload import git_commit

    assert git_commit(tmp_path) is None  # not a checkout
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git + ["init", "-q"], check=True)
    (tmp_path / "project.yml").write_text("name: p\n")
    subprocess.run(git + ["add", "project.yml"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "first"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert git_commit(tmp_path) == (head, False)
    (tmp_path / "project.yml").write_text("name: changed\n")
    assert git_commit(tmp_path) == (head, True)


# -- a build logged to a real server ------------------------------------------------------------


def test_a_build_logs_one_parent_and_a_run_per_candidate(project_dir, server):
    project, result = build(project_dir, mlflow_uri=server.uri, run_name="first build")
    assert result.success and result.warnings == []
    assert result.tracking.ok and pending(project_dir) == []
    client = MlflowClient(tracking_uri=server.uri)
    runs = runs_of_build(client, "tiny_experiment", invocation_id(project_dir))
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {r.data.tags["candidate"]: r for r in runs if "mlflow.parentRunId" in r.data.tags}
    assert len(parents) == 1 and set(children) == {"popular", "cooc", "random"}
    parent = parents[0]
    assert parent.info.run_id == result.tracking.run_id and parent.info.run_name == "first build"
    assert parent.info.status == "FINISHED"
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children.values())
    assert children["cooc"].info.run_name == "cooc @ first build"  # whose run, of which build
    # the leaderboard's key column (the sort metric, ndcg@10) of every candidate on the parent,
    # so builds compare side by side in MLflow's run table
    for candidate, value in warehouse_rows(project_dir, "select candidate, value from metrics "
                                                        "where metric = 'ndcg' and k = 10"):
        assert parent.data.metrics[f"ndcg_at_10.{candidate}"] == pytest.approx(value, abs=1e-12)

    # params: the resolved configuration with dots, versions, checksums; secrets masked
    params = parent.data.params
    assert params["vars.leaderboard_order.metric"] == "ndcg" and params["vars.leaderboard_order.k"] == "10"
    assert params["evaluation.baseline"] == "popular" and params["mlflow.experiment"] == "tiny_experiment"
    assert params["vars.api_token"] == "***" and "do-not-log-me" not in json.dumps(params)
    assert params["evalhouse.version"] == __version__
    manifest = json.loads((project_dir / "target/manifest.json").read_text())
    assert params["model.metrics.checksum"] == manifest["nodes"]["model.metrics"]["checksum"]
    assert "git.commit" not in params  # tmp_path is not a git checkout

    # tags
    assert children["popular"].data.tags["is_baseline"] == "true"
    assert children["cooc"].data.tags["is_baseline"] == "false"
    for child in children.values():
        assert child.data.tags["baseline"] == "popular" and child.data.tags["evalhouse.version"] == __version__
    # one gate verdict per candidate (the project's own gate_results model checks cooc only)
    assert parent.data.tags["gate.verdict.cooc"] == "pass" and "gate.verdict" not in parent.data.tags
    assert children["cooc"].data.tags["gate.verdict"] == "pass" and "gate.verdict" not in children["popular"].data.tags

    # metrics: every row of `metrics`, slices and comparisons, equal to the warehouse
    for candidate, metric, k, value in warehouse_rows(project_dir, "select candidate, metric, k, value from metrics"):
        logged = children[candidate].data.metrics
        assert logged[metric_key(metric, k)] == pytest.approx(value, rel=1e-12, abs=0)
    for candidate, slice_, slice_value, metric, k, value in warehouse_rows(
            project_dir, "select candidate, slice, slice_value, metric, k, value from metrics_by_slice"):
        assert children[candidate].data.metrics[f"{metric}_at_{k}.{slice_}.{slice_value}"] == pytest.approx(value)
    for candidate, metric, k, delta, p in warehouse_rows(
            project_dir, "select candidate, metric, k, delta, p_adjusted from comparisons"):
        assert children[candidate].data.metrics[f"{metric}_at_{k}.vs_popular.delta"] == pytest.approx(delta)
        assert children[candidate].data.metrics[f"{metric}_at_{k}.vs_popular.p_adjusted"] == pytest.approx(float(p))
    assert len(children["popular"].data.metrics) == warehouse_rows(
        project_dir, "select (select count(*) from metrics where candidate = 'popular')"
        " + (select count(*) from metrics_by_slice where candidate = 'popular')")[0][0]
    assert parent.data.metrics["build.nodes.success"] == 13

    # artifacts: compiled SQL, manifest, run results, tables as CSV and Parquet, report and plots
    def listing(path: str = "") -> set[str]:
        return {a.path for a in client.list_artifacts(parent.info.run_id, path)}

    assert {"compiled", "manifest.json", "run_results.json", "report.html", "plots", "tables"} <= listing()
    assert {"tables/metrics.csv", "tables/metrics.parquet", "tables/comparisons.parquet"} <= listing("tables")
    assert "plots/recall_curve.json" in listing("plots")
    local = Path(client.download_artifacts(parent.info.run_id, "tables/metrics.parquet", str(project_dir / "dl")))
    assert duckdb.sql(f"select count(*) from '{local.as_posix()}'").fetchall() == [(66,)]


def test_the_local_store_needs_no_server_and_clean_keeps_it(project_dir):
    project, result = build(project_dir)
    assert result.success and result.tracking.ok, result.warnings
    store = project_dir / "target/mlflow.db"
    assert result.tracking.tracking_uri == "sqlite:///" + store.as_posix()
    client = MlflowClient(tracking_uri=result.tracking.tracking_uri)
    parent = client.get_run(result.tracking.run_id)
    assert parent.info.artifact_uri.startswith((project_dir / "target/mlartifacts").as_uri())
    assert (project_dir / "target/mlartifacts").is_dir()
    cleaned = CliRunner().invoke(main, ["clean", "--project-dir", str(project_dir)])
    assert cleaned.exit_code == 0 and "removed target/compiled" in cleaned.output
    assert store.is_file() and (project_dir / "target/mlartifacts").is_dir()
    assert not (project_dir / "target/report.html").exists()


def test_cli_build_prints_the_run_and_no_mlflow_turns_it_off(project_dir, server):
    # --wait-for-mlflow: the build returns once MLflow has the runs, and prints their ids
    out = CliRunner().invoke(main, ["build", "--project-dir", str(project_dir), "--mlflow", "--mlflow-uri", server.uri,
                                    "--run-name", "from the cli", "--wait-for-mlflow"])
    assert out.exit_code == 0, out.output
    assert "MLflow: build" in out.output and "run 'from the cli'" in out.output and "3 candidate runs" in out.output
    off = CliRunner().invoke(main, ["build", "--project-dir", str(project_dir), "--no-mlflow"])
    assert off.exit_code == 0 and "MLflow" not in off.output and pending(project_dir) == []


# -- when MLflow cannot be reached ---------------------------------------------------------------


def test_an_unreachable_server_keeps_the_build_and_log_sends_it_later(project_dir, server):
    closed = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    out = CliRunner().invoke(main, ["build", "--project-dir", str(project_dir), "--mlflow", "--mlflow-uri", closed,
                                    "--wait-for-mlflow"])
    assert time.monotonic() - started < 30
    assert out.exit_code == 0, out.output
    warnings = [line for line in out.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, out.output
    assert "connection refused" in warnings[0] and "evalhouse log" in warnings[0]
    assert "Traceback" not in out.output and "Retry" not in out.output
    assert warehouse_rows(project_dir, "select count(*) from metrics") == [(66,)]  # the tables are built
    [bundle] = pending(project_dir)
    payload = json.loads((bundle / "payload.json").read_text())
    assert payload["tracking_uri"] == closed and payload["invocation_id"] == invocation_id(project_dir)
    assert (bundle / "artifacts/report.html").is_file() and (bundle / "artifacts/tables/metrics.parquet").is_file()

    # `evalhouse log` to a server that is up sends it, once
    sent = CliRunner().invoke(main, ["log", "--project-dir", str(project_dir), "--mlflow-uri", server.uri])
    assert sent.exit_code == 0, sent.output
    assert "logged as run" in sent.output and pending(project_dir) == []
    client = MlflowClient(tracking_uri=server.uri)
    runs = runs_of_build(client, "tiny_experiment", payload["invocation_id"])
    assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)
    # nothing pending: `log` logs the last build, which MLflow already has
    again = CliRunner().invoke(main, ["log", "--project-dir", str(project_dir), "--mlflow-uri", server.uri])
    assert again.exit_code == 0 and "was already logged as run" in again.output
    assert len(runs_of_build(client, "tiny_experiment", payload["invocation_id"])) == 4


def test_log_to_an_unreachable_server_fails_and_keeps_the_bundle(project_dir):
    closed = f"http://127.0.0.1:{free_port()}"
    build(project_dir, mlflow_uri=closed)
    out = CliRunner().invoke(main, ["log", "--project-dir", str(project_dir)])
    assert out.exit_code == 1 and "connection refused" in out.output and len(pending(project_dir)) == 1


def test_a_server_stopped_mid_build(project_dir, server, tmp_path):
    doomed = MlflowServer(tmp_path / "doomed").start()
    stopped = []

    def stop_after_first_node(kind: str, node: Any, *rest: Any) -> None:
        if kind == "done" and not stopped:
            doomed.stop()
            stopped.append(node.name)

    try:
        _, result = build(project_dir, mlflow_uri=doomed.uri, on_event=stop_after_first_node)
    finally:
        doomed.stop()
    assert stopped and result.success and not result.tracking.ok
    assert len(result.warnings) == 1 and "connection refused" in result.warnings[0]
    assert len(pending(project_dir)) == 1
    sent = CliRunner().invoke(main, ["log", "--project-dir", str(project_dir), "--mlflow-uri", server.uri])
    assert sent.exit_code == 0, sent.output
    assert len(runs_of_build(MlflowClient(tracking_uri=server.uri), "tiny_experiment",
                             invocation_id(project_dir))) == 4


def test_a_server_that_hangs_times_out(make_project, server):
    root = make_project(tiny.files(), tiny.PROJECT_YML.replace("timeout_seconds: 10", "timeout_seconds: 2"))
    frozen = []

    def freeze_after_first_node(kind: str, *rest: Any) -> None:
        if kind == "done" and not frozen:
            server.signal(signal.SIGSTOP)  # the server accepts connections and never answers
            frozen.append(True)

    try:
        project = Project.load(root)
        started = time.monotonic()
        result = project.build(RunOptions(mlflow=True, mlflow_uri=server.uri, on_event=freeze_after_first_node))
        elapsed = time.monotonic() - started
    finally:
        server.signal(signal.SIGCONT)
    assert result.success and not result.tracking.ok
    assert "no answer within 2 s" in result.warnings[0] and len(result.warnings) == 1
    assert elapsed < 20
    # the abandoned worker notices it was given up on once the server answers again
    for thread in threading.enumerate():
        if thread.name == "evalhouse-mlflow":
            thread.join(30)
    # `log` sends the build with a longer per-request timeout: 2 s is for spotting the
    # hang, and one request (MLflow's first SQLite write) can take longer on a loaded machine
    (root / "project.yml").write_text(tiny.PROJECT_YML.replace("timeout_seconds: 10", "timeout_seconds: 60"))
    outcomes = log_pending(Project.load(root), tracking_uri=server.uri)
    assert [o.ok for o in outcomes] == [True]
    runs = runs_of_build(MlflowClient(tracking_uri=server.uri), "tiny_experiment", invocation_id(root))
    assert len(runs) == 4 and all(r.info.status == "FINISHED" for r in runs)


# -- the demo project ----------------------------------------------------------------------------


def test_the_demo_logs_its_metrics(tmp_path, server):
    from evalhouse.api.scaffold import init_project

    root = tmp_path / "demo"
    init_project(root)
    project = Project.load(root)
    assert project.config.mlflow.enabled and project.config.mlflow.experiment == "movielens_eval"
    result = project.build(RunOptions(mlflow_uri=server.uri))
    assert result.success and result.tracking.ok, result.warnings
    client = MlflowClient(tracking_uri=server.uri)
    children = {r.data.tags["candidate"]: r for r in runs_of_build(client, "movielens_eval", invocation_id(root))
                if "candidate" in r.data.tags}
    rows = warehouse_rows(root, "select candidate, metric, k, value from metrics where value is not null")
    assert set(children) == {r[0] for r in rows}
    for candidate, metric, k, value in rows:
        assert children[candidate].data.metrics[metric_key(metric, k)] == pytest.approx(value, rel=1e-12)
    assert warehouse_rows(root, "select count(distinct build_id) from metrics_history") == [(1,)]
    assert (root / "target/report.html").is_file()
