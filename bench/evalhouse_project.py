"""The evalhouse project the benchmark builds: the demo as `evalhouse init` writes it, pointed
at the generated files, cut down to a suite; and what is read back from its warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from generate import candidate_path

K_VALUES = [5, 10, 20, 50, 100]
SHARED_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")
RANKING_SUITE = "+leaderboard +recall_curve +user_metrics"
# the demo project's folders the ranking suite is built from (the others need inputs the
# benchmark does not have: predictions, A/B events, ...); models/metrics keeps ranking/
RANKING_FOLDERS = {"inputs", "merge", "metrics", "split", "staging", "labels", "candidates"}
EXTRA_METRIC_FOLDERS = {"ranking": "ranking", "beyond": "beyond_accuracy"}


def make_project(root: Path, data: Path, *, threads: int, memory_limit: str | None, spill: Path,
                 suite: str = "ranking", candidate_files: int = 1, baselines: str = "popular",
                 max_temp: str | None = None) -> Path:
    """The demo project as `evalhouse init` writes it, pointed at the benchmark's files: the
    ranking suite (and beyond accuracy) alone, or with suite "full" every model of the
    demo, the baselines (popular unless told), train, the report and MLflow (a local store
    in the project)."""
    from evalhouse.api.scaffold import init_project

    if root.exists():
        shutil.rmtree(root)
    init_project(root)
    if suite != "full":
        for folder in (root / "models").iterdir():
            if folder.is_dir() and folder.name not in RANKING_FOLDERS:
                shutil.rmtree(folder)
        keep = {"ranking"} | ({EXTRA_METRIC_FOLDERS[suite]} if suite != "ranking" else set())
        for folder in (root / "models" / "metrics").iterdir():
            if folder.is_dir() and folder.name not in keep:
                shutil.rmtree(folder)
    config = yaml.safe_load((root / "project.yml").read_text(encoding="utf-8"))
    _forget_removed_folders(config.get("models") or {}, root / "models")
    config["evaluation"] = {
        "labels": str(data / "labels.parquet"),
        # the first candidate is "model" (the one the libraries score too), the others model_2, ...
        "candidates": {("model" if i == 1 else f"model_{i}"): str(candidate_path(data, i))
                       for i in range(1, candidate_files + 1)},
        "baselines": [],
        "show_after_build": None,
    }
    if suite in ("beyond", "full"):
        config["evaluation"]["train"] = str(data / "train.parquet")
    if suite == "full":
        config["evaluation"]["baselines"] = [b for b in baselines.split(",") if b and b != "none"]
    config["vars"].update({"k_values": K_VALUES, "rel_threshold": 1})
    config["mlflow"] = {"enabled": suite == "full", "experiment": "bench"}
    duckdb = {"threads": threads, "preserve_insertion_order": False}
    if memory_limit:
        duckdb.update({"memory_limit": memory_limit, "temp_directory": str(spill)})
        if max_temp:
            duckdb["max_temp_directory_size"] = max_temp
    config["duckdb"] = duckdb
    (root / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


def _forget_removed_folders(settings: dict, folder: Path) -> None:
    """Drop the project.yml settings of model folders the ranking suite removed (a setting
    for a folder that does not exist is a configuration error)."""
    for key in [k for k, v in settings.items() if not k.startswith("+") and isinstance(v, dict)]:
        if not (folder / key).is_dir():
            del settings[key]
        else:
            _forget_removed_folders(settings[key], folder / key)


def evalhouse_means(project: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(project / "target" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select metric, k, value from metrics where candidate = 'model' and metric in "
            f"({', '.join(repr(m) for m in SHARED_METRICS)})"
        ).fetchall()
    return {f"{metric}@{k}": float(value) for metric, k, value in rows}


def slowest_nodes(project: Path, n: int = 6) -> str:
    results = json.loads((project / "target" / "run_results.json").read_text(encoding="utf-8"))
    timed = sorted(results.get("results", []), key=lambda r: -(r.get("execution_time") or 0))[:n]
    return ", ".join(f"{r['name']} {r['execution_time']:.2f}s" for r in timed)
