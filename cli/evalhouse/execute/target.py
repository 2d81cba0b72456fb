"""What the runner needs from an execution engine, so DuckDB and Spark are interchangeable.

The runner schedules nodes and collects results; a target knows how to build one node on
its engine and how to turn its engine's exceptions into errors a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from evalhouse.errors import NodeError
from evalhouse.project.nodes import Node

SAMPLE_ROWS = 5


@dataclass
class NodeOutcome:
    rows: int | None = None  # rows written (models, seeds)
    failures: int | None = None  # failing rows (tests)
    sample: list[dict[str, Any]] = field(default_factory=list)


class Target(Protocol):
    name: str

    def run_node(self, node: Node, full_refresh: bool) -> NodeOutcome:
        """Build a seed or model, or run a test. Safe to call from several threads."""
        ...

    def node_error(self, node: Node, exc: Exception) -> NodeError | None:
        """The engine's exception as a NodeError, or None when it is not the engine's."""
        ...

    def interrupt(self) -> None:
        """Stop the statements running now (Ctrl-C, SIGTERM); callable from any thread."""
        ...

    def retire_moved(self, nodes: list[Node], sources: set[tuple[str, str]]) -> list[str]:
        """Drop (undoably, where the engine can) each relation that has the name of a node
        about to build but sits in another schema, left by an earlier layout of the project,
        so a bare name never reads it; never a declared source. Returns what it dropped."""
        ...

    def finish(self, passed: bool) -> int:
        """The command is over: keep what it built (passed), or put back every relation it
        replaced or created, where the engine can. Returns how many relations that touched."""
        ...


def compiled_path(node: Node) -> str:
    """Where `compile` wrote the node's SQL, for error hints."""
    if node.test_name:
        return f"target/compiled/tests/{node.name}.sql"
    return f"target/compiled/{node.path.as_posix()}"
