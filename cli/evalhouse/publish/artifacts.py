"""target/manifest.json and target/run_results.json, written after every run."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.project.secrets import mask
from evalhouse.version import __version__

if TYPE_CHECKING:
    from evalhouse.compile.compiler import CompiledProject
    from evalhouse.execute.runner import RunResult
    from evalhouse.project.loaded import LoadedProject


def manifest(project: LoadedProject, compiled: CompiledProject, invocation_id: str) -> dict[str, Any]:
    nodes = {}
    for uid, node in sorted(compiled.nodes.items()):
        nodes[uid] = {
            "name": node.name,
            "kind": node.kind,
            "path": node.path.as_posix(),
            "relation": node.relation if node.kind != "test" else None,
            "config": mask(node.config.to_dict()),
            "depends_on": sorted(node.depends_on),
            "refs": node.refs,
            "sources": [list(s) for s in node.sources],
            "checksum": node.checksum,
            "description": node.description,
            "attached_to": node.attached_to,
            "test_name": node.test_name,
            "column_name": node.column_name,
        }
    document = {
        "metadata": {
            "evalhouse_version": __version__,
            "project_name": project.config.name,
            "project_version": project.config.version,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "invocation_id": invocation_id,
        },
        "nodes": nodes,
        "sources": {
            f"{s}.{t}": {"relation": table.relation, "path": table.path.as_posix()}
            for (s, t), table in sorted(project.properties.sources.items())
        },
        "vars": project.public_vars(),
        "child_map": {uid: sorted(compiled.graph.children.get(uid, ())) for uid in sorted(compiled.nodes)},
    }
    # the keys here are the project's own names: only the strings are looked at
    return mask(document, keys=False)


def run_results(result: RunResult, invocation_id: str, args: dict[str, Any]) -> dict[str, Any]:
    return mask({
        "metadata": {
            "evalhouse_version": __version__,
            "invocation_id": invocation_id,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": result.command,
        },
        "elapsed_time": round(result.elapsed, 4),
        "success": result.success,
        "counts": result.counts(),
        "warnings": list(result.warnings),
        "args": args,
        "results": [r.to_dict() for r in result.results],
    }, keys=False)  # error messages may quote SQL holding env_var() values


def new_invocation_id() -> str:
    return str(uuid.uuid4())


def read_build_info(target_dir: Path) -> dict[str, Any]:
    """The last run's facts from target/run_results.json (written before publishing)."""
    path = target_dir / "run_results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("metadata", {})
    elapsed = float(data.get("elapsed_time") or 0.0)
    ended = datetime.fromisoformat(meta["generated_at"]) if meta.get("generated_at") else datetime.now(timezone.utc)
    ended_ms = int(ended.timestamp() * 1000)
    return {
        "invocation_id": meta.get("invocation_id", ""),
        "command": meta.get("command", ""),
        "success": bool(data.get("success", True)),
        "counts": data.get("counts", {}),
        "elapsed": elapsed,
        "started_at_ms": ended_ms - int(elapsed * 1000),
        "ended_at_ms": ended_ms,
    }
