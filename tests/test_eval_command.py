"""`evalhouse eval RECS --labels F`: one command, no project (api/quick_eval.py).

Its numbers must be a full build's of the same files: it builds the packaged models in a
temporary blank project through the same overrides `build --labels/--candidate` uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from evaluation_project import build, frame
from warehouse_reader import read_warehouse

from evalhouse import Project
from evalhouse.api.quick_eval import candidate_names
from evalhouse.api.scaffold import init_project
from evalhouse.cli import main
from evalhouse.errors import ConfigError
from evalhouse.project.overrides import EvaluationOverrides

# 8 users, 12 items; each user has 2 held-out items and a ranked list of 6
USERS, ITEMS = range(1, 9), range(1, 13)
LABELS = pd.DataFrame([{"user_id": u, "item_id": (u * 3 + j) % 12 + 1, "relevance": 1.0}
                       for u in USERS for j in (0, 5)])
TRAIN = pd.DataFrame([{"user_id": u, "item_id": (u + j) % 12 + 1} for u in USERS for j in (1, 2, 7)])


def recs(shift: int) -> pd.DataFrame:
    return pd.DataFrame([{"user_id": u, "item_id": (u * shift + r) % 12 + 1, "rank": r + 1}
                         for u in USERS for r in range(6)])


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """eval keeps its compile caches under $XDG_CACHE_HOME: the test's own folder, not ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    LABELS.to_csv(tmp_path / "labels.csv", index=False)
    TRAIN.to_parquet(tmp_path / "train.parquet", index=False)
    recs(3).to_parquet(tmp_path / "recs.parquet", index=False)
    recs(5).to_parquet(tmp_path / "other.parquet", index=False)
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(main, ["eval", *args])


def metrics_of(path: Path) -> dict[tuple[str, str, int | None], float]:
    with read_warehouse(str(path)) as con:
        rows = con.execute("select candidate, metric, k, value from metrics").fetchall()
    return {(c, m, k): v for c, m, k, v in rows}


def test_values_equal_a_full_build_of_the_same_files(files: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept.duckdb"
    result = run(str(files / "recs.parquet"), "--labels", str(files / "labels.csv"), "--train",
                 str(files / "train.parquet"), "--k", "2,5", "--warehouse", str(kept))
    assert result.exit_code == 0, result.output
    assert "recs" in result.stdout and "ndcg@5" in result.stdout
    # the same files in a blank project, built whole
    root = tmp_path / "full"
    init_project(root, "blank")
    config = yaml.safe_load((root / "project.yml").read_text(encoding="utf-8"))
    config["vars"]["k_values"] = [2, 5]
    config["evaluation"].update(baselines=[], baseline="recs")
    (root / "project.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    overrides = EvaluationOverrides(labels=files / "labels.csv", train=files / "train.parquet",
                                    candidates={"recs": files / "recs.parquet"})
    project = Project.load(root, evaluation_overrides=overrides,
                           vars={"ab_control": "recs", "ab_treatment": "recs"})
    assert build(project).success
    full = frame(project, "select candidate, metric, k, value from metrics")
    expected = {(r.candidate, r.metric, None if pd.isna(r.k) else int(r.k)): r.value for r in full.itertuples()}
    got = metrics_of(kept)
    assert ("recs", "ndcg", 5) in got
    for key, value in got.items():
        if value is None or pd.isna(expected[key]):
            assert value is None and pd.isna(expected[key]), key
        else:
            assert value == pytest.approx(expected[key], abs=1e-9), key


def test_two_files_and_name_equals_path(files: Path, cache_home: Path) -> None:
    args = [str(files / "recs.parquet"), f"mine={files / 'other.parquet'}", "--labels", str(files / "labels.csv"),
            "--format", "csv", "--k", "5"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("candidate,n_users,ndcg@5")
    assert {line.split(",")[0] for line in lines[1:]} == {"recs", "mine"}
    # the compile caches stay for the next eval, which gives the same board with them
    assert (cache_home / "evalhouse" / "eval" / "sql_reads.json").is_file()
    assert any((cache_home / "evalhouse" / "eval" / "jinja_bytecode").iterdir())
    again = run(*args)
    assert again.exit_code == 0
    # the same board; a mean over users may differ in its last bit between runs (DuckDB
    # sums in parallel, in no fixed order)
    first, second = [[line.split(",") for line in out.strip().splitlines()] for out in (result.stdout, again.stdout)]
    assert [row[:2] for row in first] == [row[:2] for row in second]
    for row_a, row_b in zip(first[1:], second[1:], strict=True):
        assert all(abs(float(a) - float(b)) <= 1e-12 for a, b in zip(row_a[2:], row_b[2:], strict=True))


def test_json_holds_the_key_metrics(files: Path) -> None:
    result = run(str(files / "recs.parquet"), "--labels", str(files / "labels.csv"), "--train",
                 str(files / "train.parquet"), "--k", "5,10", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["success"] is True and payload["failures"] == []
    assert {"ndcg@10", "recall@10"} <= set(payload["metrics"])
    (row,) = payload["candidates"]
    assert row["candidate"] == "recs" and row["n_users"] == 8
    assert 0 <= row["ndcg@10"] <= 1


def test_a_missing_labels_file_is_a_usage_error(files: Path) -> None:
    result = run(str(files / "recs.parquet"), "--labels", str(files / "nope.csv"))
    assert result.exit_code == 2
    assert "--labels" in result.output and "does not exist" in result.output


def test_a_recs_file_without_item_id_is_a_usage_error(files: Path) -> None:
    recs(3).drop(columns="item_id").to_parquet(files / "bad.parquet", index=False)
    result = run(str(files / "bad.parquet"), "--labels", str(files / "labels.csv"))
    assert result.exit_code == 2
    assert "item_id" in result.output


def test_text_ids(files: Path) -> None:
    as_text = {"user_id": lambda s: "u" + s.astype(str), "item_id": lambda s: "i" + s.astype(str)}
    LABELS.assign(**{c: f(LABELS[c]) for c, f in as_text.items()}).to_csv(files / "labels_t.csv", index=False)
    text_recs = recs(3)
    text_recs.assign(**{c: f(text_recs[c]) for c, f in as_text.items()}).to_parquet(files / "t.parquet", index=False)
    text = run(str(files / "t.parquet"), "--labels", str(files / "labels_t.csv"), "--format", "json", "--k", "5")
    ints = run(f"t={files / 'recs.parquet'}", "--labels", str(files / "labels.csv"), "--format", "json", "--k", "5")
    assert text.exit_code == 0 and ints.exit_code == 0, text.output + ints.output
    assert json.loads(text.stdout)["candidates"] == json.loads(ints.stdout)["candidates"]


def test_the_kept_warehouse_is_queryable(files: Path, tmp_path: Path) -> None:
    kept = tmp_path / "out" / "eval.duckdb"
    result = run(str(files / "recs.parquet"), "--labels", str(files / "labels.csv"), "--warehouse", str(kept))
    assert result.exit_code == 0, result.output
    with read_warehouse(str(kept)) as con:
        assert con.execute("select candidate, n_users from leaderboard").fetchall() == [("recs", 8)]
    again = run(str(files / "recs.parquet"), "--labels", str(files / "labels.csv"), "--warehouse", str(kept))
    assert again.exit_code == 2 and "--warehouse" in again.output  # never overwritten


def test_no_files_is_a_usage_error(files: Path) -> None:
    result = run("--labels", str(files / "labels.csv"))
    assert result.exit_code == 2 and "recommendations file" in result.output


def test_candidate_names() -> None:
    assert candidate_names(["a/recs.parquet", "b/recs.csv", "x=c.parquet"]) == {
        "recs": "a/recs.parquet", "recs_2": "b/recs.csv", "x": "c.parquet"}
    with pytest.raises(ConfigError, match="given twice"):
        candidate_names(["x=a.csv", "x=b.csv"])


def test_a_failed_data_test_exits_1(files: Path) -> None:
    recs(3).assign(rank=lambda d: d["rank"] - 3).to_parquet(files / "negative.parquet", index=False)
    result = run(str(files / "negative.parquet"), "--labels", str(files / "labels.csv"), "--format", "json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["success"] is False and payload["candidates"] == []
    assert any("recs_rank_is_positive" in failure for failure in payload["failures"])


def test_low_user_overlap_warns_on_stderr_and_other_ids_fail(files: Path) -> None:
    # 2 of the 8 label users have a list: a warning; none of them: the build's test fails
    recs(3).assign(user_id=lambda d: d["user_id"] + 6).to_parquet(files / "few.parquet", index=False)
    few = run(str(files / "few.parquet"), "--labels", str(files / "labels.csv"), "--format", "json")
    assert few.exit_code == 0, few.output
    assert "candidates_cover_half_the_label_users" in few.stderr
    assert any("cover_half" in warning for warning in json.loads(few.stdout)["warnings"])
    recs(3).assign(user_id=lambda d: d["user_id"] + 100).to_parquet(files / "none.parquet", index=False)
    none = run(str(files / "none.parquet"), "--labels", str(files / "labels.csv"))
    assert none.exit_code == 1
    assert "candidates_reach_label_users" in none.stderr
