"""evalhouse: a dbt-style SQL evaluation warehouse for recommender systems.

    from evalhouse import Project
    project = Project.load("path/to/project")
    result = project.build()

Heavy modules (duckdb, sqlglot, mlflow) load on first use, so `evalhouse --help` is quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from evalhouse.project.loaded import Project


def __getattr__(name: str) -> Any:
    if name == "Project":
        from evalhouse.project.loaded import Project

        return Project
    raise AttributeError(f"module 'evalhouse' has no attribute {name!r}")


__all__ = ["Project", "__version__"]
