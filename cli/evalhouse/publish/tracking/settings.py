"""Where a build is tracked: URI, experiment and run name, resolved in one place.

Order of precedence for the tracking URI: the explicit option (`--mlflow-uri`), then
the `MLFLOW_TRACKING_URI` environment variable, then `mlflow.tracking_uri` in
project.yml, then a local store inside the project (MLflow's own SQLite backend under
`target/`: it needs no server, and `mlflow ui` opens it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

LOCAL_STORE = "mlflow.db"
LOCAL_ARTIFACTS = "mlartifacts"
PENDING_DIR = "mlflow_pending"
SENDER_DIR = "mlflow_sender"  # the background sender's lock, its crash log, the record of what it sent
# under target/: history that `evalhouse clean` keeps (only `clean --all` removes it)
KEPT_BY_CLEAN = (LOCAL_STORE, LOCAL_ARTIFACTS, PENDING_DIR, SENDER_DIR)
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class TrackingSettings:
    enabled: bool
    tracking_uri: str
    experiment: str
    run_name: str
    timeout_seconds: float
    # where the artifacts of an experiment we create go; None lets the server decide
    artifact_location: str | None = None

    @property
    def is_local_store(self) -> bool:
        return self.artifact_location is not None


def local_store_uri(target_dir: Path) -> str:
    """An absolute SQLite URI: sqlite:////abs/path (POSIX) or sqlite:///C:/abs/path (Windows)."""
    return "sqlite:///" + (target_dir.resolve() / LOCAL_STORE).as_posix()


def default_run_name(project_name: str, now: datetime | None = None) -> str:
    return f"{project_name}-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}"


def resolve_settings(
    project: LoadedProject,
    *,
    enabled: bool | None = None,
    tracking_uri: str | None = None,
    run_name: str | None = None,
    now: datetime | None = None,
) -> TrackingSettings:
    """The tracking settings of one build: options first, then environment, then project.yml."""
    config = project.config.mlflow
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or config.tracking_uri
    artifact_location = None
    if not uri:
        uri = local_store_uri(project.target_dir)
        artifact_location = (project.target_dir.resolve() / LOCAL_ARTIFACTS).as_uri()
    experiment = config.experiment or project.config.name
    if enabled is None:
        # the CLI's --mlflow/--no-mlflow reads EVALHOUSE_MLFLOW too; the Python API agrees
        switch = os.environ.get("EVALHOUSE_MLFLOW", "").strip().lower()
        enabled = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(switch)
    return TrackingSettings(
        enabled=config.enabled if enabled is None else enabled,
        tracking_uri=uri,
        experiment=experiment,
        run_name=run_name or config.run_name or default_run_name(project.config.name, now),
        timeout_seconds=config.timeout_seconds if config.timeout_seconds > 0 else DEFAULT_TIMEOUT_SECONDS,
        artifact_location=artifact_location,
    )
