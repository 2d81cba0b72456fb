"""Secrets never leave the process in clear: one build holding a secret of every shape,
then every file under target/ (manifest, run results, compiled SQL, the MLflow store and
its artifacts, pending bundles) and the command's output are searched for each secret's
bytes, while the build itself used the real values."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tiny_evaluation as tiny
from click.testing import CliRunner
from mlflow import MlflowClient
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.project.secrets import is_secret, mask, mask_uri

NESTED = "nested-pw-4711"
IN_LIST = "list-token-4712"
URI_PASSWORD = "uri-pw-4713"
QUERY_TOKEN = "query-token-4714"
FROM_ENV = "env-secret-4715"
ENV_NAME = "EVALHOUSE_TEST_DB_PASSWORD"

VARS = (f"{{db: {{password: {NESTED}, user: analyst}}, "
        f"feeds: [{{name: clicks, token: {IN_LIST}}}, {{name: views}}], "
        f"store_uri: 'postgresql://analyst:{URI_PASSWORD}@db.example.com:5432/rec', "
        f"webhook: 'https://hooks.example.com/notify?token={QUERY_TOKEN}&channel=eval'}}")

PROJECT_YML = tiny.PROJECT_YML.replace("enabled: false", "enabled: true") + "warehouse: warehouse.duckdb\n"

# a model that selects the environment value into a table: the build must see it in clear
SECRET_MODEL = f"""\
{{{{ config(materialized='table', meta={{'connection': env_var('{ENV_NAME}')}}) }}}}
select '{{{{ env_var('{ENV_NAME}') }}}}' as db_password, 'kept' as note
"""


def leaks(root: Path, secret: str) -> list[str]:
    """Every file under target/ whose bytes hold `secret`."""
    needle = secret.encode()
    return sorted(p.relative_to(root).as_posix() for p in (root / "target").rglob("*")
                  if p.is_file() and needle in p.read_bytes())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The tiny project with a secret of every shape, built by the CLI and logged to the
    local MLflow store: (project folder, the command's output)."""
    from conftest import write_files

    root = tmp_path_factory.mktemp("secrets") / "project"
    write_files(root, {"project.yml": PROJECT_YML, **tiny.files(), "models/connection_check.sql": SECRET_MODEL})
    with pytest.MonkeyPatch.context() as patch:
        for name in ("MLFLOW_TRACKING_URI", "EVALHOUSE_MLFLOW", "EVALHOUSE_MLFLOW_URI"):
            patch.delenv(name, raising=False)
        patch.setenv(ENV_NAME, FROM_ENV)
        # the store is read right after: the build waits for MLflow instead of a background sender
        out = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--vars", VARS, "--wait-for-mlflow"])
    assert out.exit_code == 0, out.output
    # the vars are there to be logged (masked); no model reads them, so each is warned of
    # as unread, by its key alone (the output is searched for the secrets below as well)
    other_warnings = [line for line in out.output.splitlines() if "warning" in line and "--vars sets" not in line]
    assert "MLflow: build" in out.output and not other_warnings
    yield root, out.output


def manifest(root: Path) -> dict:
    return json.loads((root / "target/manifest.json").read_text())


def parent_params(root: Path) -> dict[str, str]:
    client = MlflowClient(tracking_uri="sqlite:///" + (root / "target/mlflow.db").as_posix())
    [experiment] = [e for e in client.search_experiments() if e.name == "tiny_experiment"]
    [parent] = [r for r in client.search_runs([experiment.experiment_id])
                if r.data.tags.get("evalhouse.role") == "build"]
    return parent.data.params


def assert_nowhere(root: Path, output: str, secret: str) -> None:
    assert (root / "target/mlflow.db").is_file() and (root / "target/mlartifacts").is_dir()
    assert leaks(root, secret) == []
    assert secret not in output


def test_a_secret_in_a_nested_mapping(built):
    root, output = built
    assert_nowhere(root, output, NESTED)
    assert manifest(root)["vars"]["db"] == {"password": "***", "user": "analyst"}
    params = parent_params(root)
    assert params["vars.db.password"] == "***" and params["vars.db.user"] == "analyst"


def test_a_secret_in_a_list_of_mappings(built):
    root, output = built
    assert_nowhere(root, output, IN_LIST)
    feeds = [{"name": "clicks", "token": "***"}, {"name": "views"}]
    assert manifest(root)["vars"]["feeds"] == feeds
    assert json.loads(parent_params(root)["vars.feeds"]) == feeds


def test_the_password_of_a_uri_under_a_plain_key(built):
    root, output = built
    assert_nowhere(root, output, URI_PASSWORD)
    masked = "postgresql://analyst:***@db.example.com:5432/rec"
    assert manifest(root)["vars"]["store_uri"] == masked and parent_params(root)["vars.store_uri"] == masked


def test_a_token_query_parameter_under_a_plain_key(built):
    root, output = built
    assert_nowhere(root, output, QUERY_TOKEN)
    masked = "https://hooks.example.com/notify?token=***&channel=eval"
    assert manifest(root)["vars"]["webhook"] == masked and parent_params(root)["vars.webhook"] == masked


def test_an_env_var_value_is_masked_on_disk_but_used_by_the_build(built):
    root, output = built
    assert_nowhere(root, output, FROM_ENV)
    compiled = (root / "target/compiled/models/connection_check.sql").read_text()
    assert "select '***' as db_password" in compiled
    node = manifest(root)["nodes"]["model.connection_check"]
    assert node["config"]["meta"] == {"connection": "***"}
    # the MLflow artifacts are copies of target/: the compiled SQL there is masked too
    logged = list((root / "target/mlartifacts").rglob("compiled/models/connection_check.sql"))
    assert logged and all("'***' as db_password" in p.read_text() for p in logged)
    # ...while the SQL that ran had the real value (the warehouse lives outside target/)
    with read_warehouse(str(root / "warehouse.duckdb")) as con:
        assert con.execute("select db_password, note from connection_check").fetchall() == [(FROM_ENV, "kept")]


# -- the rule itself --------------------------------------------------------------------------


@pytest.mark.parametrize("name, secret", [
    ("api_key", True), ("apiKey", True), ("db_password", True), ("dbpassword", True), ("client.secret", True),
    ("access_token", True), ("api_tokens", True), ("key", True), ("aws_secret_access_key", True),
    ("unique_key", False), ("sort_key", False), ("key_columns", False), ("primary_key", False),
    ("partition_keys", False), ("max_tokens", False), ("tokenizer", False), ("keywords", False),
    ("leaderboard_order", False), ("k_values", False),
])
def test_which_key_names_are_secrets(name, secret):
    assert is_secret(name) is secret


def test_mask_walks_mappings_lists_and_uris():
    value = {"a": [{"b": {"api_key": "x", "n": 1}}], "u": "see s3://me:pw@bucket/x?sig=abc&v=2 for it",
             "plain": "sqlite:////tmp/x.db", "+unique_key": "id"}
    assert mask(value) == {"a": [{"b": {"api_key": "***", "n": 1}}], "u": "see s3://me:***@bucket/x?sig=***&v=2 for it",
                           "plain": "sqlite:////tmp/x.db", "+unique_key": "id"}
    assert mask({"model.api_key_lookup": "x"}, keys=False) == {"model.api_key_lookup": "x"}
    assert mask_uri("https://h/p?q=a%2Fb+c&X-Amz-Signature=s") == "https://h/p?q=a%2Fb+c&X-Amz-Signature=***"


def test_mask_hides_semicolon_parameters_named_as_secrets():
    # Spark Connect's URL (tests/test_spark_connect.py) and JDBC's, well formed or not
    assert mask("sc://h:443/;use_ssl=true;token=t0k;user_id=me") == "sc://h:443/;use_ssl=true;token=***;user_id=me"
    assert mask("got 'sc:/h;token=t0k=x'") == "got 'sc:/h;token=***'"
    assert mask("jdbc:derby:;databaseName=/a/b;create=true;password=pw") == (
        "jdbc:derby:;databaseName=/a/b;create=true;password=***")
    assert mask("a;b=c; token=x") == "a;b=c; token=x"  # only a ;name=value pair


# -- a tracking server that answers 500 ------------------------------------------------------------


class Answers500(BaseHTTPRequestHandler):
    authorizations: list[str] = []

    def _fail(self) -> None:
        self.authorizations.append(self.headers.get("Authorization", ""))
        body = b'{"error_code": "INTERNAL_ERROR", "message": "boom"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _fail

    def log_message(self, *args: object) -> None:  # quiet
        pass


def test_the_warning_for_a_server_answering_500_masks_the_password(make_project, monkeypatch):
    for name in ("MLFLOW_TRACKING_URI", "EVALHOUSE_MLFLOW", "EVALHOUSE_MLFLOW_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # one answer is enough
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers500)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    password = "tracking-pw-4716"
    uri = f"http://eval:{password}@127.0.0.1:{server.server_address[1]}"
    root = make_project(tiny.files(with_extras=False, with_history=False),
                        tiny.PROJECT_YML.replace("timeout_seconds: 10", "timeout_seconds: 20"))
    try:
        result = Project.load(root).build(RunOptions(mlflow=True, mlflow_uri=uri))
    finally:
        server.shutdown()
        server.server_close()
    assert result.success and not result.tracking.ok
    [warning] = result.warnings
    assert f"eval:***@127.0.0.1:{server.server_address[1]}" in warning and password not in warning
    assert leaks(root, password) == []
    # the request carried the real password: only what was written and printed is masked
    assert f"Basic {base64.b64encode(f'eval:{password}'.encode()).decode()}" in Answers500.authorizations


def test_an_env_var_value_is_masked_in_the_spark_sql_on_disk(make_project, monkeypatch):
    monkeypatch.setenv(ENV_NAME, FROM_ENV)
    root = make_project({"models/connection_check.sql": SECRET_MODEL}, "name: spark_secrets\n")
    result = CliRunner().invoke(main, ["compile", "--project-dir", str(root), "--target", "spark"])
    assert result.exit_code == 0, result.output
    spark_sql = (root / "target/compiled_spark/models/connection_check.sql").read_text()
    assert "'***' AS db_password" in spark_sql
    assert leaks(root, FROM_ENV) == []


def test_an_env_var_value_quoted_by_an_error_is_masked(make_project, monkeypatch):
    monkeypatch.setenv(ENV_NAME, FROM_ENV)
    root = make_project({"models/broken.sql": "{{ config(materialized='table') }}\n"
                         f"select cast('{{{{ env_var('{ENV_NAME}') }}}}' as integer) as n"})
    out = CliRunner().invoke(main, ["run", "--project-dir", str(root)])
    assert out.exit_code == 1 and "broken" in out.output and "***" in out.output
    [result] = json.loads((root / "target/run_results.json").read_text())["results"]
    assert result["status"] == "error" and "'***'" in result["message"]
    assert FROM_ENV not in out.output and leaks(root, FROM_ENV) == []


def test_log_sends_to_the_real_uri_the_pending_bundle_holds_masked(make_project, monkeypatch):
    """The bundle keeps `http://eval:***@...`; `evalhouse log` finds the password again in
    MLFLOW_TRACKING_URI (here the server answers 500 both times: what counts is what it got)."""
    for name in ("EVALHOUSE_MLFLOW", "EVALHOUSE_MLFLOW_URI"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers500)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    password = "pending-pw-4717"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://eval:{password}@127.0.0.1:{server.server_address[1]}")
    root = make_project(tiny.files(with_extras=False, with_history=False), tiny.PROJECT_YML)
    basic = f"Basic {base64.b64encode(f'eval:{password}'.encode()).decode()}"
    try:
        result = Project.load(root).build(RunOptions(mlflow=True))
        assert not result.tracking.ok and len(list((root / "target/mlflow_pending").iterdir())) == 1
        assert leaks(root, password) == []
        Answers500.authorizations.clear()
        out = CliRunner().invoke(main, ["log", "--project-dir", str(root)])
    finally:
        server.shutdown()
        server.server_close()
    assert out.exit_code == 1 and password not in out.output and "eval:***@" in out.output
    assert basic in Answers500.authorizations
