"""One contender in its own process: `python bench/contenders.py NAME DATA_DIR --k 5,10 ...`.

bench/run.py starts this once per contender and measures its wall time and peak memory
from outside. The last line of stdout is JSON: the contender's own split of the time
(building its inputs, computing) and the means {metric@k: value}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SHARED_METRICS = ("precision", "recall", "ndcg", "map", "mrr", "hit_rate")


def floor_sql(data: Path, k_values: list[int], rel_threshold: float) -> str:
    text = (BENCH / "floor.sql").read_text(encoding="utf-8")
    for key, value in {"recs_path": (data / "recs.parquet").as_posix(),
                       "labels_path": (data / "labels.parquet").as_posix(),
                       "k_values": ", ".join(str(k) for k in k_values),
                       "rel_threshold": repr(float(rel_threshold))}.items():
        text = text.replace("{" + key + "}", value)
    return text


def floor_means(data: Path, k_values: list[int], rel_threshold: float = 1.0,
                threads: int | None = None) -> tuple[float, float, dict[tuple[str, int], float]]:
    import duckdb

    config = {"threads": threads} if threads else {}
    with duckdb.connect(config=config) as con:
        con.execute("set enable_progress_bar = false")
        started = time.perf_counter()
        rows = con.execute(floor_sql(data, k_values, rel_threshold)).fetchall()
    return 0.0, time.perf_counter() - started, {(m, int(k)): float(v) for m, k, v in rows}


def compute(name: str, data: Path, k_values: list[int], rel_threshold: float,
            threads: int | None = None) -> tuple[float, float, dict[tuple[str, int], float]]:
    if name == "floor":
        return floor_means(data, k_values, rel_threshold, threads)
    if name == "pandas":
        from pandas_impl import pandas_means

        return pandas_means(data, k_values, rel_threshold)
    from libraries import pytrec_eval_means, ranx_means

    if name == "ranx":
        return ranx_means(data, k_values, rel_threshold)
    if name == "pytrec_eval":
        return pytrec_eval_means(data, k_values, rel_threshold)
    raise SystemExit(f"unknown contender {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=["floor", "pandas", "ranx", "pytrec_eval"])
    parser.add_argument("data", type=Path)
    parser.add_argument("--k", default="5,10,20,50,100")
    parser.add_argument("--rel-threshold", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    k_values = [int(k) for k in args.k.split(",")]
    inputs_s, compute_s, means = compute(args.name, args.data, k_values, args.rel_threshold, args.threads)
    print(json.dumps({"inputs_s": inputs_s, "compute_s": compute_s,
                      "means": {f"{m}@{k}": v for (m, k), v in sorted(means.items())}}))


if __name__ == "__main__":
    main()
