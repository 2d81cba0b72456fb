"""Build the evaluation project (the demo) in tests: tiny seeds, input files, one call.

Shared by every test of the evaluation project; the session-scoped fixtures that build the
demo and the tiny template once live in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.api.scaffold import init_project

# Seeds small enough that a tiny project builds in well under a second: 6 users, 8 items.
TINY_RATINGS = "userId,movieId,rating,timestamp\n" + "\n".join(
    f"{user},{item},{1 + (user * item) % 5}.0,{1_500_000_000 + 86_400 * (user * 8 + item)}"
    for user in range(1, 7)
    for item in range(1, 9)
    if (user + item) % 3
) + "\n"
TINY_MOVIES = "movieId,title,genres\n" + "\n".join(
    f"{item},Movie {item} (20{item:02d}),Drama|Comedy" for item in range(1, 9)
) + "\n"
TINY_TAGS = "userId,movieId,tag,timestamp\n1,1,fun,1500000000\n"


def build(project: Project, select: list[str] | None = None) -> Any:
    """A build without the report and MLflow run a CLI build publishes (not tested here);
    `select` builds only those nodes (and their tests), as `evalhouse build -s` does."""
    return project.build(RunOptions(report=False, mlflow=False, select=list(select or [])))


def frame(project: Project, sql: str) -> pd.DataFrame:
    with read_warehouse(str(project.warehouse_path)) as con:
        return con.execute(sql).df()


def ranking_values(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ranking metrics per user (user_metrics) and their means (ranking_metrics), with
    candidate and user_id as text and k nullable, as the conventions tests compare them."""
    users = frame(project, "select candidate, user_id, metric, k, value from user_metrics")
    means = frame(project, "select candidate, metric, k, value, n_users from ranking_metrics")
    for data in (users, means):
        data["candidate"] = data["candidate"].astype(str)
        data["k"] = data["k"].astype("Int64")
    users["user_id"] = users["user_id"].astype(str)
    return users, means


def statuses(result: Any) -> dict[str, Any]:
    return {r.name: r for r in result.results}


def write_project_yml(root: Path, change: Callable[[dict], None]) -> None:
    path = root / "project.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_table(data: pd.DataFrame, path: Path) -> None:
    """Parquet or CSV by suffix; columns that hold no value at all are left out."""
    data = data.dropna(axis="columns", how="all")
    if path.suffix == ".parquet":
        data.to_parquet(path, index=False)
    else:
        data.to_csv(path, index=False, encoding="utf-8")


def build_with_files(
    root: Path,
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    fmt: str,
    k_values: list[int],
    rel_threshold: float,
    extra_vars: dict[str, Any] | None = None,
    select: list[str] | None = None,
    side: dict[str, pd.DataFrame] | None = None,
    probabilities: frozenset[str] = frozenset(),
) -> tuple[Project, Any]:
    """Write labels, one file per candidate (`probabilities` declared so) and the `side`
    files (evaluation key -> frame: train, items), point the project at them, build it."""
    inputs = root / "inputs"
    inputs.mkdir(exist_ok=True)
    write_table(labels, inputs / f"labels.{fmt}")
    files = {"labels": f"inputs/labels.{fmt}"}
    for key, data in (side or {}).items():
        write_table(data, inputs / f"{key}.{fmt}")
        files[key] = f"inputs/{key}.{fmt}"
    candidates: dict[str, Any] = {}
    for index, name in enumerate(sorted(recs["candidate"].unique())):
        path = inputs / f"candidate_{index}.{fmt}"
        rows = recs[recs["candidate"] == name].drop(columns="candidate")
        write_table(rows, path)
        shown = f"inputs/{path.name}"
        candidates[name] = {"path": shown, "probabilities": True} if name in probabilities else shown

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {**files, "candidates": candidates, "baselines": []}
        config["vars"].update({"k_values": list(k_values), "rel_threshold": rel_threshold, **(extra_vars or {})})

    write_project_yml(root, point_at_files)
    project = Project.load(root)
    return project, build(project, select)


def make_tiny_template(root: Path) -> Path:
    """The demo project with tiny seeds: copied for every adversarial build."""
    init_project(root)
    seeds = root / "seeds" / "movielens"
    (seeds / "ratings.csv").write_text(TINY_RATINGS, encoding="utf-8")
    (seeds / "movies.csv").write_text(TINY_MOVIES, encoding="utf-8")
    (seeds / "tags.csv").write_text(TINY_TAGS, encoding="utf-8")
    return root


def demo_under_profile(profile: str, folder: Path, select: list[str] | None = None) -> Project:
    """The demo written to `folder` with its ranking metrics (or `select`) built under
    conventions `profile` (the fixtures of the conventions tests, one per library)."""
    init_project(folder)
    write_project_yml(folder, lambda config: config["vars"].update({"conventions": profile}))
    project = Project.load(folder)
    result = build(project, select or ["+ranking_metrics"])
    assert result.success, [(r.name, r.message) for r in result.results if not r.ok]
    return project
