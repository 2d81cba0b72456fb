"""What a build logs to MLflow, as plain JSON-ready data built from the warehouse.

One parent run per build (the whole configuration as params, build counts and the
leaderboard's key metric@K of every candidate as metrics, each input file's content hash
as a tag, the artifacts) and one nested run per candidate, named `<candidate> @ <build>` (its metrics from `metrics`,
`metrics_by_slice` and `comparisons`; tags candidate, baseline, is_baseline, conventions).
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.evaluation.gate_record import current_verdicts
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.project.secrets import mask
from evalhouse.publish.artifacts import read_build_info
from evalhouse.publish.tracking.naming import flatten, metric_key, safe_key
from evalhouse.publish.tracking.settings import TrackingSettings
from evalhouse.version import __version__

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

PAYLOAD_FORMAT = 1
TAG_INVOCATION = "evalhouse.invocation_id"
TAG_ROLE = "evalhouse.role"
COMPARISON_STATS = ("delta", "rel_delta", "ci_low", "ci_high", "p_ttest", "p_randomization", "p_adjusted",
                    "wins", "ties", "losses")


def git_commit(directory: Path) -> tuple[str, bool] | None:
    """(commit, dirty) when the project is inside a git checkout, else None."""
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        status = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip(), bool(status.stdout.strip())


def model_checksums(target_dir: Path) -> dict[str, str]:
    path = target_dir / "manifest.json"
    if not path.is_file():
        return {}
    nodes = json.loads(path.read_text(encoding="utf-8")).get("nodes", {})
    return {n["name"]: n.get("checksum", "") for n in nodes.values() if n.get("kind") == "model"}


def build_params(project: LoadedProject) -> dict[str, str]:
    config = project.config.model_dump(mode="json", by_alias=True, exclude={"vars"})
    params = flatten({"vars": project.vars, **config})
    params["evalhouse.version"] = __version__
    commit = git_commit(project.dir)
    if commit:
        params["git.commit"], params["git.dirty"] = commit[0], str(commit[1]).lower()
    for name, checksum in sorted(model_checksums(project.target_dir).items()):
        params[safe_key(f"model.{name}.checksum")] = checksum
    return params


def conventions_tag(project_vars: Mapping[str, Any]) -> str:
    """The conventions profile the build's metrics follow (var conventions, default
    evalhouse): a tag on every run, so that runs under different profiles are told apart."""
    return str(project_vars.get("conventions", "evalhouse"))


def candidate_metrics(tables: EvaluationTables) -> dict[str, dict[str, float]]:
    """Every metric row, per candidate: `<metric>_at_<k>`, slices and comparisons."""
    out: dict[str, dict[str, float]] = {}

    def put(candidate: Any, key: str, value: Any) -> None:
        if value is None:
            return
        try:
            number = float(value)
        except (TypeError, ValueError):
            return
        if not math.isfinite(number):  # NaN/inf (an undefined metric) are left out, not sent
            return
        out.setdefault(str(candidate), {})[safe_key(key)] = number

    metrics = tables.read("metrics")
    if metrics is not None and metrics.has_columns("candidate", "metric", "k", "value"):
        for row in metrics.dicts():
            put(row["candidate"], metric_key(row["metric"], row["k"]), row["value"])
    slices = tables.read("metrics_by_slice")
    if slices is not None and slices.has_columns("candidate", "slice", "slice_value", "metric", "k", "value"):
        for row in slices.dicts():
            put(row["candidate"], f"{metric_key(row['metric'], row['k'])}.{row['slice']}.{row['slice_value']}",
                row["value"])
    comparisons = tables.read("comparisons")
    if comparisons is not None and comparisons.has_columns("candidate", "baseline", "metric", "k"):
        for row in comparisons.dicts():
            prefix = f"{metric_key(row['metric'], row['k'])}.vs_{row['baseline']}"
            for stat in COMPARISON_STATS:
                if stat in row:
                    put(row["candidate"], f"{prefix}.{stat}", row[stat])
    return out


def key_metrics(project: LoadedProject, tables: EvaluationTables,
                per_candidate: dict[str, dict[str, float]]) -> dict[str, float]:
    """The leaderboard's key metric@K of every candidate (evaluation/leaderboard.py)."""
    from evalhouse.evaluation.leaderboard import key_columns

    board = tables.read("leaderboard")
    if board is None:
        return {}
    definitions = tables.read("metric_definitions")
    choice = key_columns(project, board.columns, definitions.dicts() if definitions is not None else [])
    out = {}
    for column in choice.columns:
        if column in ("candidate", "n_users"):
            continue
        metric, _, k = column.partition("@")
        key = metric_key(metric, int(k) if k else None)
        for candidate, values in per_candidate.items():
            if key in values:
                out[safe_key(f"{key}.{candidate}")] = values[key]
    return out


def input_fingerprints(tables: EvaluationTables) -> dict[str, str]:
    """Every input file's content hash (inputs_manifest) as a tag: which files a build read."""
    manifest = tables.read("inputs_manifest")
    if manifest is None or not manifest.has_columns("role", "name", "blake2b"):
        return {}
    return {safe_key(f"input.{row['role']}" + (f".{row['name']}" if row["name"] not in (None, row["role"]) else "")
                     + ".blake2b"): str(row["blake2b"]) for row in manifest.dicts() if row["blake2b"]}


def build_payload(project: LoadedProject, tables: EvaluationTables, settings: TrackingSettings) -> dict[str, Any]:
    build = read_build_info(project.target_dir)
    baseline = project.baseline_name()
    params = build_params(project)
    per_candidate = candidate_metrics(tables)
    common_tags = {"evalhouse.version": __version__, TAG_INVOCATION: build["invocation_id"],
                   "project": project.config.name, "baseline": baseline, "conventions": conventions_tag(project.vars)}
    if "git.commit" in params:
        common_tags["mlflow.source.git.commit"] = params["git.commit"]
    parent_tags = {**common_tags, TAG_ROLE: "build", "evalhouse.command": build["command"],
                   "evalhouse.success": str(build["success"]).lower(),
                   "mlflow.note.content": _note(project, build, sorted(per_candidate), baseline)}
    # the gate's verdicts of this build only, one per candidate (a gate run on an earlier
    # build's tables says nothing about this one)
    verdicts = current_verdicts(tables.read("gate_results"), build["invocation_id"]).current
    for candidate, verdict in verdicts.items():
        parent_tags["gate.verdict" + (f".{candidate}" if candidate else "")] = verdict
    parent_metrics = {"build.elapsed_seconds": round(build["elapsed"], 4), "build.candidates": len(per_candidate)}
    parent_metrics.update({safe_key(f"build.nodes.{status}"): n for status, n in build["counts"].items()})
    # the leaderboard's key columns on the build's run, so that builds compare side by side
    # in MLflow's run table: <metric>_at_<k>.<candidate>
    parent_metrics.update(key_metrics(project, tables, per_candidate))
    inputs = input_fingerprints(tables)
    parent_tags.update(inputs)
    candidates = [
        {
            "name": name,
            "params": {**params, "candidate": name},
            "metrics": metrics,
            "tags": {**common_tags, TAG_ROLE: "candidate", "candidate": name,
                     "is_baseline": str(name == baseline).lower(),
                     **({"gate.verdict": verdicts[name]} if name in verdicts else {})},
        }
        for name, metrics in sorted(per_candidate.items())
    ]
    # what goes to disk and to MLflow: the URIs' passwords and tokens masked (send_pending
    # finds the real URI again in the project's settings), every tag's text masked
    return mask({
        "format": PAYLOAD_FORMAT,
        "invocation_id": build["invocation_id"],
        "project": project.config.name,
        "success": build["success"],
        "started_at_ms": build["started_at_ms"],
        "ended_at_ms": build["ended_at_ms"],
        "tracking_uri": settings.tracking_uri,
        "experiment": settings.experiment,
        "artifact_location": settings.artifact_location,
        "run_name": settings.run_name,
        "parent": {"params": params, "metrics": parent_metrics, "tags": parent_tags},
        "candidates": candidates,
    }, keys=False)


def _note(project: LoadedProject, build: dict[str, Any], candidates: list[str], baseline: str) -> str:
    status = "succeeded" if build["success"] else "had failures"
    return (f"evalhouse {build['command']} of **{project.config.name}** {status} in {build['elapsed']:.1f} s: "
            f"{len(candidates)} candidates ({', '.join(candidates) or 'none'}), baseline `{baseline}`. "
            "The report is the artifact `report.html`; metric tables are under `tables/`.")
