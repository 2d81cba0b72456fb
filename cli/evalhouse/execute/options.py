"""What a command runs on and how: the options of seed, run, test and build."""

from __future__ import annotations

from dataclasses import dataclass, field

from evalhouse.execute.runner import EventCallback

TARGETS = ("duckdb", "spark")

KINDS_BY_COMMAND = {
    "seed": {"seed"},
    "run": {"model"},
    "test": {"test"},
    "build": {"seed", "model", "test"},
}


@dataclass
class RunOptions:
    select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    threads: int = 1
    fail_fast: bool = False
    full_refresh: bool = False
    wait_seconds: float = 0.0
    on_event: EventCallback | None = None
    target: str = "duckdb"  # or "spark" (docs/spark.md)
    # publishing after run/build (publish.py): the report, and MLflow tracking
    report: bool = True
    mlflow: bool | None = None  # None: project.yml's mlflow.enabled
    mlflow_uri: str | None = None  # else MLFLOW_TRACKING_URI, project.yml, the local store under target/
    run_name: str | None = None
    # True: the build returns once MLflow has the runs (result.tracking.run_id); False: a
    # detached process sends them and the build returns at once (the CLI's default)
    mlflow_wait: bool = True
