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
quiet = _option("-q", "--quiet", is_flag=True, envvar="EVALHOUSE_QUIET", help="Print only errors and the summary.")
log_format = _option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", envvar="EVALHOUSE_LOG_FORMAT",
    help="text for people, json (one object a line) for machines.",
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
    for decorate in reversed((threads, fail_fast, full_refresh, wait)):
        func = decorate(func)
    return func
