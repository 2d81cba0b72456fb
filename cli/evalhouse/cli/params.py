"""Every CLI option, declared once, each with an environment variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def _option(*names: str, **kwargs: Any) -> Callable[[F], F]:
    kwargs.setdefault("show_envvar", True)
    return click.option(*names, **kwargs)


project_dir = _option(
    "--project-dir",
    envvar="EVALHOUSE_PROJECT_DIR",
    default=".",
    type=click.Path(file_okay=False),
    help="The project folder (the one with project.yml).",
)
vars_ = _option(
    "--vars",
    "vars_text",
    envvar="EVALHOUSE_VARS",
    default=None,
    help="Variables as YAML or JSON, e.g. '{k_values: [5, 10]}'. They override project.yml.",
)
vars_file = _option(
    "--vars-file",
    envvar="EVALHOUSE_VARS_FILE",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="A YAML or JSON file of variables.",
)
select = _option(
    "-s",
    "--select",
    multiple=True,
    envvar="EVALHOUSE_SELECT",
    help="Nodes to include: name, +name, name+, 2+name, tag:x, path:models/x, config.materialized:table. "
    "Space = union, comma = intersection.",
)
exclude = _option("--exclude", multiple=True, envvar="EVALHOUSE_EXCLUDE", help="Nodes to leave out (same grammar).")
threads = _option(
    "--threads", type=click.IntRange(min=1), default=1, envvar="EVALHOUSE_THREADS",
    help="Build this many independent nodes at once.",
)
fail_fast = _option("--fail-fast", is_flag=True, envvar="EVALHOUSE_FAIL_FAST", help="Stop at the first failure.")
full_refresh = _option(
    "--full-refresh", is_flag=True, envvar="EVALHOUSE_FULL_REFRESH", help="Rebuild incremental models from scratch."
)
wait = _option(
    "--wait", "wait_seconds", type=click.FloatRange(min=0), default=0.0, envvar="EVALHOUSE_WAIT",
    help="Wait up to this many seconds for another build to release the warehouse.",
)
target = _option(
    "--target", "target", type=click.Choice(["duckdb", "spark"]), default="duckdb", envvar="EVALHOUSE_TARGET",
    help="The engine: duckdb (one machine), or spark (targets.spark in project.yml; docs/spark.md).",
)
quiet = _option("-q", "--quiet", is_flag=True, envvar="EVALHOUSE_QUIET", help="Print only errors and the summary.")
log_format = _option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", envvar="EVALHOUSE_LOG_FORMAT",
    help="text for people, json (one object a line) for machines.",
)
mlflow = _option(
    "--mlflow/--no-mlflow", "mlflow", default=None, envvar="EVALHOUSE_MLFLOW",
    help="Log the build to MLflow (default: mlflow.enabled in project.yml).",
)
mlflow_uri = _option(
    "--mlflow-uri", default=None, envvar="EVALHOUSE_MLFLOW_URI",
    help="MLflow tracking URI; else MLFLOW_TRACKING_URI, project.yml, or the local store target/mlflow.db.",
)
run_name = _option(
    "--run-name", default=None, envvar="EVALHOUSE_RUN_NAME",
    help="MLflow run name (default: the project name and the time).",
)
mlflow_wait = _option(
    "--wait-for-mlflow", "mlflow_wait", is_flag=True, envvar="EVALHOUSE_MLFLOW_WAIT",
    help="Return once MLflow has the runs, and print their ids (for scripts that read MLflow next). "
    "Default: a background process sends them; 'evalhouse log' waits for it.",
)
report = _option(
    "--report/--no-report", "report", default=True, envvar="EVALHOUSE_REPORT",
    help="Write target/report.html after the build.",
)

# the evaluation inputs of one run/build, over project.yml's (project/overrides.py)
labels = _option(
    "--labels", "labels_path", envvar="EVALHOUSE_LABELS", default=None, metavar="PATH",
    help="The labels file for this invocation, instead of evaluation.labels in project.yml.",
)
train = _option(
    "--train", "train_path", envvar="EVALHOUSE_TRAIN", default=None, metavar="PATH",
    help="The train file for this invocation, instead of evaluation.train.",
)
items = _option(
    "--items", "items_path", envvar="EVALHOUSE_ITEMS", default=None, metavar="PATH",
    help="The items file for this invocation, instead of evaluation.items.",
)
candidate = _option(
    "--candidate", "candidates", multiple=True, envvar="EVALHOUSE_CANDIDATE", metavar="NAME=PATH",
    help="A candidate's recommendations file for this invocation: replaces the file of a candidate "
    "project.yml names, or adds one; the others stay. Repeatable. Paths start at the current folder.",
)


def common(func: F) -> F:
    """Options every command that reads a project takes."""
    for decorate in reversed((project_dir, vars_, vars_file, quiet, log_format)):
        func = decorate(func)
    return func


def selection(func: F) -> F:
    for decorate in reversed((select, exclude)):
        func = decorate(func)
    return func


def running(func: F) -> F:
    for decorate in reversed((target, threads, fail_fast, full_refresh, wait)):
        func = decorate(func)
    return func


def publishing(func: F) -> F:
    """What `run` and `build` publish after the tables are built: the report and MLflow runs."""
    for decorate in reversed((report, mlflow, mlflow_uri, run_name, mlflow_wait)):
        func = decorate(func)
    return func


def evaluation_inputs(func: F) -> F:
    """What `run` and `build` evaluate, when not project.yml's `evaluation` files."""
    for decorate in reversed((labels, train, items, candidate)):
        func = decorate(func)
    return func


def tracking(func: F) -> F:
    """Where `evalhouse log` sends to."""
    for decorate in reversed((mlflow_uri, run_name)):
        func = decorate(func)
    return func
