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
DAMAGED_SUFFIX = ".damaged"
REQUIRED_KEYS = ("invocation_id", "tracking_uri", "experiment", "run_name", "started_at_ms", "ended_at_ms",
                 "success", "parent", "candidates")


class DamagedBundle(Exception):
    """A pending bundle whose payload.json cannot be sent: unreadable, another format, keys missing."""


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
        """The bundle in `path`; DamagedBundle names what is wrong with its payload.json."""
        from evalhouse.publish.tracking.payload import PAYLOAD_FORMAT

        try:
            payload = json.loads((path / PAYLOAD_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DamagedBundle(f"{PAYLOAD_FILE} cannot be read: {exc}") from exc
        if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
            raise DamagedBundle(f"{PAYLOAD_FILE} has format {found!r}, this evalhouse sends format {PAYLOAD_FORMAT}")
        missing = [key for key in REQUIRED_KEYS if key not in payload]
        sections = [payload.get("parent"), *(payload.get("candidates") or [])]
        if not missing and not all(isinstance(s, dict) and {"params", "metrics", "tags"} <= s.keys()
                                   for s in sections):
            missing = ["params/metrics/tags of a run"]
        if missing:
            raise DamagedBundle(f"{PAYLOAD_FILE} lacks {', '.join(missing)}")
        return cls(path, payload)

    def save(self) -> None:
        write_json_atomic(self.path / PAYLOAD_FILE, self.payload)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def pending_root(target_dir: Path) -> Path:
    return target_dir / PENDING_DIR


def pending_bundles(target_dir: Path) -> tuple[list[Bundle], list[tuple[Path, str]]]:
    """Bundles not sent yet, oldest first (the folder names start with the build time),
    and the damaged ones, each moved aside to `<name>.damaged` so that it blocks no later
    send: (the new path, what is wrong)."""
    root = pending_root(target_dir)
    if not root.is_dir():
        return [], []
    bundles, damaged = [], []
    for path in sorted(root.iterdir()):
        if DAMAGED_SUFFIX in path.name or not (path / PAYLOAD_FILE).is_file():
            continue
        try:
            bundles.append(Bundle.load(path))
        except DamagedBundle as exc:
            damaged.append((set_aside(path), str(exc)))
    return bundles, damaged


def set_aside(path: Path) -> Path:
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    n = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}{DAMAGED_SUFFIX}-{n}")
        n += 1
    path.rename(aside)
    return aside


def write_bundle(target_dir: Path, payload: dict[str, Any], tables: EvaluationTables,
                 report: Report | None, max_table_rows: int | None = None) -> Bundle:
    """Write the payload and everything the parent run gets as artifacts.

    A table with more than `max_table_rows` rows (None: no limit) is left out of the
    artifacts; the parent run's note and tag `evalhouse.tables_not_logged` name it."""
    started = datetime.fromtimestamp(payload["started_at_ms"] / 1000, tz=timezone.utc)
    name = f"{started:%Y%m%dT%H%M%S}-{(payload['invocation_id'] or 'build')[:8]}"
    bundle = Bundle(pending_root(target_dir) / name, payload)
    if bundle.path.exists():
        shutil.rmtree(bundle.path)
    try:
        left_out = _write_artifacts(bundle.artifacts, target_dir, tables, report, max_table_rows)
    except BaseException:
        bundle.remove()  # no half-written bundle is left to be sent
        raise
    if left_out:
        _say_left_out(payload["parent"]["tags"], left_out, max_table_rows)
    bundle.save()  # last: a folder without payload.json is not a bundle
    return bundle


def _write_artifacts(artifacts: Path, target_dir: Path, tables: EvaluationTables, report: Report | None,
                     max_table_rows: int | None) -> list[str]:
    """Copy the artifacts into the bundle; the tables left out for their size."""
    artifacts.mkdir(parents=True)
    for file_name in ("manifest.json", "run_results.json"):
        if (target_dir / file_name).is_file():
            shutil.copy2(target_dir / file_name, artifacts / file_name)
    if (target_dir / "compiled").is_dir():
        shutil.copytree(target_dir / "compiled", artifacts / "compiled")
    left_out = []
    for table in tables.present():
        if max_table_rows is not None and tables.count(table, at_most=max_table_rows + 1) > max_table_rows:
            left_out.append(table)
            continue
        for fmt in TABLE_FORMATS:
            tables.export(table, artifacts / "tables" / f"{table}.{fmt}", fmt)
    if report is not None:
        (artifacts / "report.html").write_text(report.html, encoding="utf-8")
        for chart_id, spec in report.charts.items():
            plot = artifacts / "plots" / f"{chart_id}.json"
            plot.parent.mkdir(exist_ok=True)
            plot.write_text(spec, encoding="utf-8")
    return left_out


def _say_left_out(tags: dict[str, str], left_out: list[str], max_table_rows: int | None) -> None:
    names = ", ".join(left_out)
    tags["evalhouse.tables_not_logged"] = names
    tags["mlflow.note.content"] = (
        tags.get("mlflow.note.content", "") + f" Not logged for their size (more than {max_table_rows:,} rows, "
        f"project.yml `mlflow.max_table_rows`): {names}; they are in the warehouse.").strip()
