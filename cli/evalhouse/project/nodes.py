"""Plain data classes for what a project is made of."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

NodeKind = Literal["model", "seed", "test"]
MATERIALIZATIONS = ("view", "table", "ephemeral", "incremental")
SEVERITIES = ("error", "warn")


def checksum(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


DEFAULT_SCHEMA = "main"  # the results an analyst reads (docs/evaluation.md, "Where the tables live")
INTERMEDIATE_SCHEMA = "intermediate"  # the evaluation project's row-level and helper relations


def schema_order(schemas: Iterable[str]) -> list[str]:
    """The order a bare table name is looked up in: main (the results), intermediate (the
    rows that make them), then any other schema of the project, by name."""
    schemas = list(schemas)
    first = [s for s in (DEFAULT_SCHEMA, INTERMEDIATE_SCHEMA) if s in schemas]
    return first + sorted(s for s in schemas if s not in first)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class NodeConfig:
    """Settings that shape how a node runs; folder config first, then config() in the file."""

    materialized: str = "view"
    tags: list[str] = field(default_factory=list)
    schema: str = DEFAULT_SCHEMA
    alias: str | None = None
    unique_key: str | list[str] | None = None
    enabled: bool = True
    severity: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "materialized": self.materialized,
            "tags": list(self.tags),
            "schema": self.schema,
            "alias": self.alias,
            "unique_key": self.unique_key,
            "enabled": self.enabled,
            "severity": self.severity,
        }
        out.update(self.extra)
        return out


@dataclass
class Node:
    """A model, seed or data test; `kind` says which."""

    kind: NodeKind
    name: str
    path: Path  # relative to the project folder
    raw: str  # template text for models and singular tests, "" for seeds
    config: NodeConfig = field(default_factory=NodeConfig)
    checksum: str = ""
    # filled by rendering
    sql: str | None = None
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    depends_on: set[str] = field(default_factory=set)
    # tests only: the node the test is declared on, and its arguments
    attached_to: str | None = None
    test_name: str | None = None
    test_kwargs: dict[str, Any] = field(default_factory=dict)
    column_name: str | None = None
    description: str = ""
    column_descriptions: dict[str, str] = field(default_factory=dict)  # from the YAML beside it
    # a SQL error found while compiling: the node fails when run, the others still build
    compile_error: Exception | None = None

    @property
    def table_comment(self) -> str:
        """What the relation's comment in the warehouse says: the YAML description, else the
        comment lines the model file starts with (every model of the project opens so)."""
        if self.description:
            return self.description
        lines = []
        for line in self.raw.lstrip().splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return " ".join(part for part in lines if part)

    @property
    def unique_id(self) -> str:
        return f"{self.kind}.{self.name}"

    @property
    def identifier(self) -> str:
        return self.config.alias or self.name

    @property
    def relation(self) -> str:
        """The quoted relation name other models read."""
        return f"{quote(self.config.schema)}.{quote(self.identifier)}"

    @property
    def materialized(self) -> str:
        if self.kind == "seed":
            return "seed"
        if self.kind == "test":
            return "test"
        return self.config.materialized


@dataclass
class SourceTable:
    source: str
    name: str
    schema: str
    identifier: str
    path: Path

    @property
    def relation(self) -> str:
        return f"{quote(self.schema)}.{quote(self.identifier)}"
