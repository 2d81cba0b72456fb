"""Errors as types, each with a message written for the person who has to fix it.

Every error knows where it happened (a file and, when we can tell, a line) and what to
do about it. The CLI maps the two families to exit codes: a `ProjectError` is a problem
with the project or the command line (exit 2); a `NodeError` is a model, seed or test
that failed while running (exit 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class EvalhouseError(Exception):
    """Base class: a message, an optional location and an optional hint."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.render())

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def render(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ProjectError(EvalhouseError):
    """The project files or the command line are wrong; nothing was run."""


class ConfigError(ProjectError):
    """project.yml or a YAML properties file does not validate."""


class TemplateError(ProjectError):
    """A Jinja template failed to parse or render."""


class GraphError(ProjectError):
    """The dependency graph is wrong: a cycle, an unknown ref, an undeclared read."""


class SelectionError(ProjectError):
    """A --select / --exclude expression is malformed or matches nothing."""


class WarehouseLockedError(ProjectError):
    """Another process holds the warehouse."""


class SandboxError(ProjectError):
    """Project SQL that would leave the project or change what it may not (attach, copy ...)."""


class NodeError(EvalhouseError):
    """A node failed while running against the warehouse."""

    exit_code = 1


class SeedError(NodeError):
    """A seed file could not be loaded."""


class SqlError(NodeError):
    """A model's SQL failed to parse or to run."""


class InputDataError(NodeError):
    """A row of an evaluation input file the models cannot read (a word where a number goes,
    a CSV line with more values than the header): bad data, found before the build (exit 1)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelled name, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None
