"""The Spark target over Spark Connect (`targets.spark.remote: sc://host:port`), against a
Spark Connect server this module starts from the pyspark package (its spark-submit and its
spark-connect jar: nothing to install by hand beyond Java).

The server is local Spark (two threads, the in-memory catalog) and asks for a token, as a
shared server would; the client reaches it as `sc://localhost:PORT/;token=...` (pyspark
sends a token over TLS, or on localhost over a local channel). The cut demo of
tests/test_spark_demo.py builds through it and every table equals the DuckDB build, by
the same comparison (spark_demo_parity.py). The other tests: a malformed URL and keys that
do not go with `remote` are ConfigErrors naming the key and its line; a setting the
server keeps for itself is named too; the token never reaches the output or a file; a
wrong token and a port where nothing listens fail fast with a message that says so.

The server's log is printed under a failing test (pytest shows it with the failure).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from spark_demo_parity import (
    RESAMPLES,
    build_twice,
    data_test_verdicts,
    differing_relations,
    failures,
    write_cut_demo,
)

import evalhouse
from evalhouse import Project
from evalhouse.api.operations import query
from evalhouse.api.parity import relations
from evalhouse.cli import main
from evalhouse.errors import ConfigError, ProjectError

# The server: quick local Spark for small data, as tests/test_spark_demo.py has it (a JVM
# that starts quickly with room for the demo's compiled code, the in-memory catalog).
# These are the server's settings: a Connect client may not set them.
SERVER_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=512m"
SERVER_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.connect.grpc.binding.address": "127.0.0.1",  # not reachable from other machines
}
# ...and the session's, which project.yml sets through the client
SESSION_CONFIG = """\
    config:
      spark.sql.shuffle.partitions: 2
      spark.sql.codegen.wholeStage: false
      spark.sql.adaptive.enabled: false
"""
TOKEN_VARIABLE = "EVALHOUSE_TEST_CONNECT_TOKEN"
SPARK_THREADS = 2
START_SECONDS = 180


@dataclass
class ConnectServer:
    port: int
    token: str
    log: Path

    def url(self, token: str | None = None) -> str:
        return f"sc://localhost:{self.port}/;token={token or self.token}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory) -> Iterator[ConnectServer]:
    """A Spark Connect server on a free port, started with pyspark's spark-submit (which
    runs the JVM in its own process: the pid is the server's), stopped after the module
    (not the session: its JVM would idle beside the test process's other files)."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    folder = tmp_path_factory.mktemp("spark_connect_server")
    server = ConnectServer(port=_free_port(), token=secrets.token_hex(16), log=folder / "server.log")
    command = [str(spark_home / "bin" / "spark-submit"), "--master", f"local[{SPARK_THREADS}]",
               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--driver-java-options", SERVER_JAVA_OPTIONS,
               "--conf", f"spark.connect.grpc.binding.port={server.port}",
               "--conf", f"spark.sql.warehouse.dir={(folder / 'warehouse').as_posix()}"]
    for key, value in SERVER_CONFIG.items():
        command += ["--conf", f"{key}={value}"]
    # the Python UDFs run in the server's Python workers: this interpreter, this evalhouse
    cli = str(Path(evalhouse.__file__).parent.parent)
    env = {**os.environ, "SPARK_HOME": str(spark_home), "PYSPARK_PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join(p for p in (cli, os.environ.get("PYTHONPATH")) if p),
           "SPARK_CONNECT_AUTHENTICATE_TOKEN": server.token}  # the server's, not this process's
    with server.log.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=folder, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(server.port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not start (exit code {process.poll()}); "
                            f"its log:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        from evalhouse.targets.spark.session import stop_session

        stop_session()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server(connect_server, request) -> Iterator[ConnectServer]:
    """The server, with its log printed under the test when the test fails."""
    failed_before = request.session.testsfailed
    yield connect_server
    if request.session.testsfailed > failed_before:
        print(f"the Spark Connect server's log (last lines):\n{connect_server.log_tail()}")


def _remote_yml(url: str) -> str:
    return f"targets:\n  spark:\n    remote: \"{url}\"\n{SESSION_CONFIG}"


# -- the demo through Spark Connect ----------------------------------------------------------
@pytest.fixture(scope="module")
def builds(connect_server, tmp_path_factory):
    """The cut demo built on DuckDB and through the server (the token from the environment,
    as a CI job would pass it), then the history models run once more."""
    url = connect_server.url(token=f"{{{{ env_var('{TOKEN_VARIABLE}') }}}}")
    root = write_cut_demo(tmp_path_factory.mktemp("connect_demo") / "demo", "\n" + _remote_yml(url))
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_VARIABLE, connect_server.token)
        project = Project.load(root, vars={"comparison_resamples": RESAMPLES})
        results = {target: build_twice(project, target, SPARK_THREADS if target == "spark" else 1)
                   for target in ("duckdb", "spark")}
        yield project, results


def test_the_demo_builds_through_spark_connect(server, builds):
    project, results = builds
    for target, runs in results.items():
        for run in runs:
            assert not failures(run), (target, failures(run))
    assert [r.name for r in results["duckdb"][0].results if r.kind == "model"] == [
        r.name for r in results["spark"][0].results if r.kind == "model"]
    assert not (project.dir / "target" / "spark-warehouse").exists()  # the tables are the server's
    assert not (project.dir / "target" / "spark-metastore").exists()


def test_every_table_through_spark_connect_equals_the_duckdb_build(server, builds, tmp_path):
    project, _ = builds
    names = relations(project)
    differing = differing_relations(project, names, tmp_path / "spark_export")
    assert not differing, "\n".join(differing)
    assert len(names) > 100
    assert query(project, "select count(*) from stability", target="spark").rows[0][0] > 0


def test_data_tests_give_the_same_verdicts_through_spark_connect(server, builds):
    _, results = builds
    verdicts = {target: data_test_verdicts(runs) for target, runs in results.items()}
    assert verdicts["duckdb"] == verdicts["spark"]
    assert len(verdicts["spark"]) >= 20


def test_the_token_never_reaches_a_file_of_the_demo(server, builds):
    project, _ = builds
    files = [p for p in project.dir.rglob("*") if p.is_file() and p.name != "project.yml"]
    assert files and not [p for p in files if server.token.encode() in p.read_bytes()]


# -- a token written into project.yml ------------------------------------------------------
CONNECT_MODELS = {
    "models/connect_numbers.sql": "{{ config(materialized='table') }}\nselect 1 as n union all select 2",
    "models/connect_broken.sql": "select no_such_column from {{ ref('connect_numbers') }}",
}


def test_a_token_in_project_yml_is_masked_in_every_message_and_file(server, make_project):
    root = make_project(CONNECT_MODELS, project_yml="name: connect_token\n" + _remote_yml(server.url()))
    runner = CliRunner()
    built = runner.invoke(main, ["build", "--project-dir", str(root), "--target", "spark", "--no-report"])
    assert built.exit_code == 1, built.output  # connect_broken fails; connect_numbers is built
    assert "model connect_broken failed on Spark" in built.output and "UNRESOLVED_COLUMN" in built.output
    asked = runner.invoke(main, ["query", "--project-dir", str(root), "--target", "spark", "--format", "json",
                                 "select sum(n) as total from connect_numbers"])
    assert asked.exit_code == 0, asked.output
    assert '"total": 3' in asked.output  # the server took the token
    for output in (built.output, asked.output):
        assert server.token not in output
    files = [p for p in root.rglob("*") if p.is_file() and p.name != "project.yml"]
    assert files and not [p for p in files if server.token.encode() in p.read_bytes()]


def test_a_wrong_token_is_refused_with_the_url_masked(server, make_project):
    wrong = secrets.token_hex(16)
    root = make_project(CONNECT_MODELS, project_yml="name: wrong_token\n" + _remote_yml(server.url(wrong)))
    result = CliRunner().invoke(main, ["run", "--project-dir", str(root), "--target", "spark",
                                       "-s", "connect_numbers", "--no-report"])
    assert result.exit_code != 0
    assert (f"the Spark Connect server at sc://localhost:{server.port}/;token=*** did not open a session: "
            "Invalid authentication token (UNAUTHENTICATED)") in result.output
    assert wrong not in result.output


def test_a_setting_the_server_keeps_is_named_with_its_line(server, make_project):
    yml = "name: server_setting\n" + _remote_yml(server.url()) + "      spark.executor.memory: 2g\n"
    project = Project.load(make_project(CONNECT_MODELS, project_yml=yml))
    with pytest.raises(ConfigError, match="targets.spark.config.spark.executor.memory") as info:
        query(project, "select 1", target="spark")
    assert info.value.line == 9 and info.value.path.endswith("project.yml")
    assert "where the server starts" in info.value.hint


def test_interrupt_cancels_what_the_session_runs_on_the_server(server, make_project):
    from evalhouse.targets.spark.access import open_spark_target

    root = make_project(CONNECT_MODELS, project_yml="name: interrupt\n" + _remote_yml(server.url()))
    outcome: dict[str, str] = {}
    with open_spark_target(Project.load(root)) as target:

        def count_for_hours() -> None:
            try:
                target.spark.sql("select count(*) from range(1000000000000)").collect()
                outcome["finished"] = "yes"
            except Exception as exc:
                outcome["error"] = str(exc)

        query_thread = threading.Thread(target=count_for_hours)
        query_thread.start()
        deadline = time.monotonic() + 60
        while query_thread.is_alive() and time.monotonic() < deadline:
            time.sleep(1)  # until the server has the operation: an interrupt before it is a no-op
            target.interrupt()
        query_thread.join(timeout=5)
        assert not query_thread.is_alive() and "finished" not in outcome
        assert "OPERATION_CANCELED" in outcome["error"], outcome["error"][:300]
        assert target.spark.sql("select 1 as one").collect()[0].one == 1  # the session goes on


# -- no server needed ------------------------------------------------------------------------
def test_nothing_listening_fails_in_seconds_with_the_url_masked(make_project):
    token = secrets.token_hex(16)
    root = make_project(CONNECT_MODELS, project_yml="name: nobody\n" + _remote_yml(
        f"sc://localhost:{_free_port()}/;token={token}"))
    started = time.monotonic()
    with pytest.raises(ProjectError, match="no Spark Connect server answers at") as info:
        query(Project.load(root), "select 1", target="spark")
    assert time.monotonic() - started < 30
    assert token not in info.value.render() and ";token=***" in info.value.render()


@pytest.mark.parametrize(("url", "problem"), [
    ("spark-head:15002", "must be a Spark Connect URL starting with sc://"),
    ("sc://spark-head:port", "has a port that is not a number from 1 to 65535"),
    ("sc://spark-head:15002;token=SECRET-4821", "has parameters without the slash before them"),
    ("sc://spark-head:15002/;token", "has the parameter 'token' that is not one name=value pair"),
    ("sc://spark-head:15002/;token=SECRET-4821;use_ssl=yes", "has use_ssl that is neither true nor false"),
    ("sc://spark-head:15002/catalog", "may have only ;name=value parameters"),
    ("sc://:15002", "has no valid host name"),
])
def test_a_malformed_remote_is_a_config_error_naming_the_key_and_line(make_project, url, problem):
    root = make_project(project_yml=f"name: t\ntargets:\n  spark:\n    remote: '{url}'\n")
    with pytest.raises(ConfigError) as info:
        Project.load(root)
    assert f"key 'targets.spark.remote' {problem}" in info.value.message
    assert info.value.line == 4 and info.value.path.endswith("project.yml")
    assert "SECRET-4821" not in info.value.render()


@pytest.mark.parametrize("key", ["master: local[2]", "warehouse_dir: s3a://b/w", "metastore_dir: m",
                                 "app_name: mine"])
def test_keys_that_start_spark_here_do_not_go_with_remote(make_project, key):
    yml = f"name: t\ntargets:\n  spark:\n    remote: sc://spark-head:15002\n    {key}\n"
    with pytest.raises(ConfigError) as info:
        Project.load(make_project(project_yml=yml))
    name = key.split(":")[0]
    assert f"key 'targets.spark.{name}' does not go with 'targets.spark.remote'" in info.value.message
    assert info.value.line == 5 and f"remove '{name}:'" in info.value.hint


def test_a_remote_project_compiles_for_spark_without_a_server(make_project):
    from evalhouse.targets.spark.session import spark_spec

    root = make_project(CONNECT_MODELS, project_yml="name: t\n" + _remote_yml("sc://spark-head:15002"))
    result = CliRunner().invoke(main, ["compile", "--project-dir", str(root), "--target", "spark"])
    assert result.exit_code == 0, result.output
    spec = spark_spec(Project.load(root))
    assert spec.remote == "sc://spark-head:15002" and spec.local_warehouse is None and spec.metastore_dir is None
