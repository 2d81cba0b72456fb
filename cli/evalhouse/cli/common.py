"""What every command shares: turning errors into messages and exit codes, loading the project."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalhouse.cli.output import Printer


def exit_on_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Errors become a message and an exit code (2 project/usage, 1 failed node)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evalhouse.errors import EvalhouseError

        printer = Printer(quiet=kwargs.get("quiet", False), log_format=kwargs.get("log_format", "text"))
        try:
            return func(*args, **kwargs)
        except EvalhouseError as exc:
            printer.error(f"error: {exc.render()}", path=exc.path, line=exc.line)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            printer.error("interrupted; tables that were being built keep their previous version")
            sys.exit(130)
        except Exception as exc:  # a bug in evalhouse, not in the project
            if os.environ.get("EVALHOUSE_DEBUG"):
                raise
            printer.error(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "  hint: this is a bug in evalhouse; rerun with EVALHOUSE_DEBUG=1 for the traceback and report it"
            )
            sys.exit(2)

    return wrapper


def load_vars(vars_text: str | None, vars_file: str | None) -> dict[str, Any]:
    from evalhouse.errors import ConfigError
    from evalhouse.project.yamlfile import parse_yaml_text, read_yaml

    merged: dict[str, Any] = {}
    sources = []
    if vars_file:
        sources.append(read_yaml(Path(vars_file), what="--vars-file"))
    if vars_text:
        sources.append(parse_yaml_text(vars_text, Path("--vars"), what="--vars"))
    for doc in sources:
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            raise ConfigError(f"{doc.path} must be a mapping such as '{{k_values: [5, 10]}}'", path=doc.path)
        merged.update(doc.data)
    return merged


def load_project(project_dir: str, vars_text: str | None, vars_file: str | None) -> Any:
    from evalhouse.api.project import Project

    return Project.load(project_dir, vars=load_vars(vars_text, vars_file))
