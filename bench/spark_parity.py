"""The Spark contender's two halves that are not timing: its project settings, and the
comparison of the Spark build with the DuckDB build of the same project.

    python bench/spark_parity.py PROJECT_DIR --export DIR

compares every relation of the project on Spark with the DuckDB warehouse (evalhouse's
parity rule, evalhouse/api/parity.py: 1e-9 x max(1, |value|) for non-integer numbers,
exactly for the rest) and prints one JSON line: relations and values compared, the largest
difference, the relations that differ, and the shared metric means of Spark's `metrics`.
bench/run.py starts it in its own process after both builds (its JVM is gone before the
next contender starts).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

SHARED_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")


def add_spark_target(project: Path, driver_memory: str, local_dir: Path) -> None:
    """targets.spark for one local machine: local[*] (the default), the driver's heap (in
    local mode the only JVM: every task runs in it) and the folder Spark spills to."""
    path = project / "project.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("targets", {})["spark"] = {
        "config": {"spark.driver.memory": driver_memory, "spark.local.dir": local_dir.as_posix()}}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def summarize(parities: list, means: dict[str, float], seconds: float) -> dict:
    """The JSON the contender reads: what was compared and what differs."""
    found = [p.max_difference for p in parities if p.max_difference is not None]
    return {
        "relations": len(parities),
        "values": sum(p.values for p in parities),
        "rows": sum(p.rows for p in parities),
        "max_difference": max(found) if found else None,
        "largest_in": max((p for p in parities if p.max_difference is not None),
                          key=lambda p: p.max_difference).name if found else None,
        "differing": [f"{p.name}: {p.difference}" for p in parities if p.difference],
        "compare_s": round(seconds, 2),
        "means": means,
    }


def spark_means(project) -> dict[str, float]:
    from evalhouse.targets.spark.session import get_session, spark_spec

    listed = ", ".join(repr(m) for m in SHARED_METRICS)
    rows = get_session(spark_spec(project)).sql(
        f"select metric, k, value from main.metrics where candidate = 'model' and metric in ({listed})").collect()
    return {f"{metric}@{k}": float(value) for metric, k, value in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--export", type=Path, required=True, help="where Spark writes its views as Parquet")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB's memory limit while it compares")
    args = parser.parse_args()
    from evalhouse import Project
    from evalhouse.api.parity import compare_targets, relations

    started = time.perf_counter()
    project = Project.load(args.project)
    parities = compare_targets(project, relations(project), args.export, args.memory_limit)
    for parity in parities:
        print(f"{parity.name}: {parity.rows} rows, max difference {parity.max_difference}"
              + (f"; DIFFERS: {parity.difference}" if parity.difference else ""), file=sys.stderr, flush=True)
    means = spark_means(project)
    print(json.dumps(summarize(parities, means, time.perf_counter() - started)))


if __name__ == "__main__":
    main()
