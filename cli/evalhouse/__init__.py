"""evalhouse: a dbt-style SQL evaluation warehouse for recommender systems.

    from evalhouse import Project
    project = Project.load("path/to/project")
    result = project.build()

Heavy modules (duckdb, sqlglot, mlflow) load on first use, so `evalhouse --help` is quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalhouse.version import __version__

if TYPE_CHECKING:
    from evalhouse.api.project import Project
    from evalhouse.execute.options import RunOptions


def __getattr__(name: str) -> Any:
    if name == "Project":
        from evalhouse.api.project import Project

        return Project
    if name == "RunOptions":
        from evalhouse.execute.options import RunOptions

        return RunOptions
    raise AttributeError(f"module 'evalhouse' has no attribute {name!r}")


__all__ = ["Project", "RunOptions", "__version__"]
