"""A build's MLflow payload on disk: `target/mlflow_pending/<when>-<build>/`.

Every logged build is first written here (payload.json plus the artifacts, copied, so a
later build cannot overwrite them), then sent; a bundle that was sent is deleted. What
is left is what MLflow has not received yet, and `evalhouse log` sends it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.files import write_json_atomic
from evalhouse.publish.tracking.settings import PENDING_DIR

if TYPE_CHECKING:
    from evalhouse.evaluation.tables import EvaluationTables
    from evalhouse.publish.report import Report

PAYLOAD_FILE = "payload.json"
ARTIFACTS_DIR = "artifacts"
TABLE_FORMATS = ("csv", "parquet")


@dataclass
class Bundle:
    path: Path
    payload: dict[str, Any]

    @property
    def artifacts(self) -> Path:
        return self.path / ARTIFACTS_DIR

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def load(cls, path: Path) -> Bundle:
        return cls(path, json.loads((path / PAYLOAD_FILE).read_text(encoding="utf-8")))

    def save(self) -> None:
        write_json_atomic(self.path / PAYLOAD_FILE, self.payload)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def pending_root(target_dir: Path) -> Path:
    return target_dir / PENDING_DIR


def pending_bundles(target_dir: Path) -> list[Bundle]:
    """Bundles not sent yet, oldest first (the folder names start with the build time)."""
    root = pending_root(target_dir)
    if not root.is_dir():
        return []
    return [Bundle.load(p) for p in sorted(root.iterdir()) if (p / PAYLOAD_FILE).is_file()]


def write_bundle(target_dir: Path, payload: dict[str, Any], tables: EvaluationTables,
                 report: Report | None) -> Bundle:
    """Write the payload and everything the parent run gets as artifacts."""
    started = datetime.fromtimestamp(payload["started_at_ms"] / 1000, tz=timezone.utc)
    name = f"{started:%Y%m%dT%H%M%S}-{(payload['invocation_id'] or 'build')[:8]}"
    bundle = Bundle(pending_root(target_dir) / name, payload)
    if bundle.path.exists():
        shutil.rmtree(bundle.path)
    try:
        _write_artifacts(bundle.artifacts, target_dir, tables, report)
    except BaseException:
        bundle.remove()  # no half-written bundle is left to be sent
        raise
    bundle.save()  # last: a folder without payload.json is not a bundle
    return bundle


def _write_artifacts(artifacts: Path, target_dir: Path, tables: EvaluationTables, report: Report | None) -> None:
    artifacts.mkdir(parents=True)
    for file_name in ("manifest.json", "run_results.json"):
        if (target_dir / file_name).is_file():
            shutil.copy2(target_dir / file_name, artifacts / file_name)
    if (target_dir / "compiled").is_dir():
        shutil.copytree(target_dir / "compiled", artifacts / "compiled")
    for table in tables.present():
        for fmt in TABLE_FORMATS:
            tables.export(table, artifacts / "tables" / f"{table}.{fmt}", fmt)
    if report is not None:
        (artifacts / "report.html").write_text(report.html, encoding="utf-8")
        for chart_id, spec in report.charts.items():
            plot = artifacts / "plots" / f"{chart_id}.json"
            plot.parent.mkdir(exist_ok=True)
            plot.write_text(spec, encoding="utf-8")
