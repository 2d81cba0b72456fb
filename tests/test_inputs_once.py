"""Each input file is read once per build into a warehouse table, fingerprinted in
`inputs_manifest`, and checked before the build (`evalhouse check`): a file rewritten
between or during builds, input files moved away, ids of two types, candidate files
that miss the label users, tied ranks, train without ts, labels without relevance."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import write_files
from evaluation_project import write_project_yml
from oracles.compare import assert_rows_close
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.evaluation import fingerprint
from evalhouse.evaluation.fingerprint import InputChangedError

LABELS = "user_id,item_id,relevance\n1,1,5\n1,2,3\n2,3,4\n3,4,5\n"
RECS = "user_id,item_id,rank,score\n1,1,1,0.9\n1,3,2,0.5\n2,3,1,0.8\n2,4,2,0.1\n3,5,1,0.7\n3,4,2,0.6\n"
# the same users with other lists: every metric differs from RECS'
RECS_V2 = "user_id,item_id,rank,score\n1,2,1,0.9\n1,1,2,0.5\n2,4,1,0.8\n2,3,2,0.1\n3,4,1,0.7\n3,5,2,0.6\n"


def make(tiny_template: Path, root: Path, files: dict[str, str], evaluation: dict | None = None,
         vars: dict | None = None) -> Path:
    shutil.copytree(tiny_template, root)
    write_files(root, files)

    def change(config: dict) -> None:
        config["evaluation"] = evaluation or {"labels": "inputs/labels.csv", "candidates": {"mine": "inputs/mine.csv"},
                                              "baselines": []}
        config["vars"]["k_values"] = [1, 2]
        config["vars"]["comparison_resamples"] = 0  # quicker; the comparisons are not what is tested
        config["vars"].update(vars or {})

    write_project_yml(root, change)
    return root


def build(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--no-mlflow", "--no-report", *args])
    return result.exit_code, result.output


def rows(root: Path, sql: str) -> list[tuple]:
    with read_warehouse(str(root / "target/warehouse.duckdb")) as con:
        return con.execute(sql).fetchall()


METRICS = "select candidate, metric, k, value from metrics where candidate = 'mine' order by all"
# (compared to 1e-9: floating sums over the rows may end in other bits from one build to the next)


@pytest.fixture
def project(tiny_template: Path, tmp_path: Path) -> Path:
    return make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS})


@pytest.fixture(scope="module")
def metrics_v2(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """The metrics of a build that only ever saw RECS_V2."""
    root = make(tiny_template, tmp_path_factory.mktemp("v2") / "project",
                {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS_V2})
    code, output = build(root)
    assert code == 0, output
    return rows(root, METRICS)


@pytest.fixture(scope="module")
def metrics_v1(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    root = make(tiny_template, tmp_path_factory.mktemp("v1") / "project",
                {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS})
    code, output = build(root)
    assert code == 0, output
    return rows(root, METRICS)


# -- the manifest and changed files ------------------------------------------------------


def test_inputs_manifest_holds_each_file_with_its_hash(project: Path) -> None:
    code, output = build(project)
    assert code == 0, output
    manifest = rows(project, "select role, name, path, size_bytes, blake2b from inputs_manifest order by role")
    expected = []
    for role, name, relative in (("candidate", "mine", "inputs/mine.csv"), ("labels", "labels", "inputs/labels.csv")):
        data = (project / relative).read_bytes()
        expected.append((role, name, relative, len(data), hashlib.blake2b(data).hexdigest()))
    assert manifest == expected
    modified = rows(project, "select modified_at from inputs_manifest where role = 'labels'")[0][0]
    stat = (project / "inputs/labels.csv").stat()
    assert abs(modified.timestamp() - stat.st_mtime) < 1e-3 or abs(
        modified.replace(tzinfo=__import__("datetime").timezone.utc).timestamp() - stat.st_mtime) < 1e-3


def test_a_manifest_path_is_masked_as_everything_written(tmp_path: Path) -> None:
    print_ = fingerprint.Fingerprint("candidate", "s3", "s3://me:hunter22@bucket/recs.parquet?token=abc123",
                                     tmp_path, 10, 0, None)
    row = print_.as_row()
    assert "hunter22" not in row["path"] and "abc123" not in row["path"] and "***" in row["path"]


def test_a_file_rewritten_between_two_builds_gives_the_new_version(project: Path, metrics_v2: list) -> None:
    code, output = build(project)
    assert code == 0, output
    first_hash = rows(project, "select blake2b from inputs_manifest where role = 'candidate'")
    (project / "inputs/mine.csv").write_text(RECS_V2, encoding="utf-8")
    code, output = build(project)
    assert code == 0, output
    assert_rows_close(rows(project, METRICS), metrics_v2, "metrics")
    assert rows(project, "select blake2b from inputs_manifest where role = 'candidate'") != first_hash


def test_a_file_rewritten_after_its_fingerprint_fails_the_build(project: Path, monkeypatch) -> None:
    from evalhouse.api import operations

    real = operations.fingerprint_inputs

    def fingerprint_then_rewrite(*args, **kwargs):
        prints = real(*args, **kwargs)
        (project / "inputs/mine.csv").write_text(RECS_V2 + "4,1,1,0.3\n", encoding="utf-8")
        return prints

    monkeypatch.setattr(operations, "fingerprint_inputs", fingerprint_then_rewrite)
    code, output = build(project)
    assert code == 1, output
    assert "file inputs/mine.csv changed while it was read; run the build again" in output
    results = json.loads((project / "target/run_results.json").read_text())
    assert "file inputs/mine.csv changed while it was read; run the build again" in results["warnings"]


def test_a_file_rewritten_mid_build_leaves_one_version_in_the_tables(project: Path, metrics_v1: list) -> None:
    """Rewritten once candidate_files has read it (the file is never read again): the build
    fails, saying so, and as a failed build it changes nothing: the warehouse keeps the
    previous build's tables, not a mix of two versions of the file."""
    code, output = build(project)
    assert code == 0, output
    before = rows(project, METRICS)
    assert_rows_close(before, metrics_v1, "metrics")

    def rewrite_after_the_read(kind, node, index, total, result) -> None:
        if kind != "start" and node.name == "candidate_files":
            (project / "inputs/mine.csv").write_text(RECS_V2, encoding="utf-8")

    loaded = Project.load(project)
    with pytest.raises(InputChangedError, match="changed while it was read; run the build again"):
        loaded.build(RunOptions(on_event=rewrite_after_the_read, report=False, mlflow=False))
    assert rows(project, METRICS) == before


def test_the_warehouse_stays_queryable_after_the_inputs_move(project: Path, metrics_v1: list) -> None:
    code, output = build(project)
    assert code == 0, output
    (project / "inputs").rename(project.parent / "moved_inputs")
    loaded = Project.load(project)
    assert loaded.query("select count(*) from recs").rows == [(6,)]
    assert_rows_close([tuple(r) for r in loaded.query(METRICS).rows], metrics_v1, "metrics")
    assert rows(project, "select count(*) from recs_with_target")[0][0] > 0


# -- checks: ids, overlap ----------------------------------------------------------------


def test_text_ids_in_one_candidate_file_compare_as_text_with_a_warning(tiny_template: Path, tmp_path: Path,
                                                                        metrics_v1: list) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS})
    recs = pd.read_csv(pd.io.common.StringIO(RECS))
    recs["user_id"] = recs["user_id"].astype(str)
    recs["item_id"] = recs["item_id"].astype(str)
    recs.to_parquet(root / "inputs/mine.parquet", index=False)
    write_project_yml(root, lambda c: c["evaluation"].update(candidates={"mine": "inputs/mine.parquet"}))
    code, output = build(root)
    assert code == 0, output
    assert "user_id is text in candidates.mine (inputs/mine.parquet) and a number in labels (inputs/labels.csv)" \
        in output
    assert "item_id is text in candidates.mine" in output
    assert rows(root, "select distinct typeof(user_id) from labels") == [("VARCHAR",)]
    assert_rows_close(rows(root, METRICS), metrics_v1, "metrics")
    results = json.loads((root / "target/run_results.json").read_text())
    assert any("user_id is text" in w for w in results["warnings"])


def test_a_candidate_without_a_label_user_fails_naming_it(tiny_template: Path, tmp_path: Path) -> None:
    other_ids = RECS.replace("\n1,", "\n101,").replace("\n2,", "\n102,").replace("\n3,", "\n103,")
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": other_ids})
    code, output = build(root)
    assert code == 1, output
    assert "FAIL test candidates_reach_label_users" in output
    assert "'candidate': 'mine'" in output and "'1, 2, 3'" in output and "'101, 102, 103'" in output


def test_a_candidate_covering_few_label_users_warns(tiny_template: Path, tmp_path: Path) -> None:
    labels = "user_id,item_id,relevance\n" + "".join(f"{u},{u},5\n" for u in range(1, 11))
    recs = "user_id,item_id,rank\n" + "".join(f"{u},{u},1\n" for u in (1, 2, 3, 50))
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": labels, "inputs/mine.csv": recs})
    code, output = build(root)
    assert code == 0, output
    assert "WARN test candidates_cover_half_the_label_users" in output and "'share': 0.3" in output
    assert rows(root, "select n_label_users, n_users_with_list, share, n_users_not_in_labels, "
                      "label_users_without_list, users_not_in_labels from candidate_overlap") == [
        (10, 3, 0.3, 1, "4, 5, 6", "50")]


# -- tied ranks --------------------------------------------------------------------------

# user 1: items 1 and 2 share rank 1 (2 has the higher score), item 3 at rank 2; user 2:
# items 3 and 4 share rank 1 at one score (item_id descending: 4 first); user 3 untied,
# with a gap (ranks 1 and 3) that stays
TIED = "user_id,item_id,rank,score\n1,1,1,0.2\n1,2,1,0.9\n1,3,2,0.5\n2,3,1,0.5\n2,4,1,0.5\n3,5,1,0.7\n3,4,3,0.6\n"


def test_tied_ranks_are_broken_by_score_then_item_id(tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": TIED})
    code, output = build(root)
    assert code == 0, output
    assert rows(root, "select user_id, item_id, rank from recs order by user_id, rank") == [
        (1, 2, 1), (1, 1, 2), (1, 3, 3), (2, 4, 1), (2, 3, 2), (3, 5, 1), (3, 4, 3)]
    assert rows(root, "select candidate, user_id, n_tied_rows, breakable from recs_ties order by all") == [
        ("mine", 1, 2, True), ("mine", 2, 2, True)]
    assert "WARN test recs_tied_ranks" in output and "'n_lists': 2, 'n_tied_rows': 4" in output


def test_the_rows_are_stored_once_and_only_tied_lists_again(tiny_template: Path, tmp_path: Path) -> None:
    """recs is a view over candidate_files (a second copy of every row cost more than its
    readers' passes through the view); only the tied lists it renumbers are a table."""
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": TIED})
    code, output = build(root)
    assert code == 0, output
    kinds = dict(rows(root, "select table_name, table_type from information_schema.tables "
                            "where table_name in ('recs', 'candidate_files', 'recs_ties_broken')"))
    assert kinds == {"recs": "VIEW", "candidate_files": "BASE TABLE", "recs_ties_broken": "BASE TABLE"}
    # the two tied lists, renumbered; the untied list of user 3 is read through the view
    assert rows(root, "select user_id, item_id, rank from recs_ties_broken order by user_id, rank") == [
        (1, 2, 1), (1, 1, 2), (1, 3, 3), (2, 4, 1), (2, 3, 2)]


def test_a_profile_that_renumbers_every_list_keeps_recs_a_table(tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": TIED},
                vars={"conventions": "ranx"})
    code, output = build(root, "-s", "+recs")
    assert code == 0, output
    assert rows(root, "select table_type from information_schema.tables where table_name = 'recs'") == [
        ("BASE TABLE",)]
    assert rows(root, "select user_id, item_id, rank from recs order by user_id, rank") == [
        (1, 2, 1), (1, 1, 2), (1, 3, 3), (2, 4, 1), (2, 3, 2), (3, 5, 1), (3, 4, 2)]


def test_tied_ranks_fail_with_rank_ties_error(tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": TIED},
                vars={"rank_ties": "error"})
    code, output = build(root)
    assert code == 1, output
    assert "FAIL test recs_rank_unique_per_list" in output and "WARN test recs_tied_ranks" not in output


def test_the_history_keeps_number_ids_and_turns_to_text_when_a_build_has_text_ids(
        tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS})
    history_types = ("select column_name, data_type from duckdb_columns() where table_name = 'recs_history' "
                     "and column_name in ('user_id', 'item_id') order by all")
    code, output = build(root, "-s", "+recs_history")
    assert code == 0, output
    assert rows(root, history_types) == [("item_id", "BIGINT"), ("user_id", "BIGINT")]
    # the same users under text ids: the earlier build's ids become their text
    write_files(root, {"inputs/labels.csv": LABELS.replace("\n1,", "\nu1,").replace("\n2,", "\nu2,"),
                       "inputs/mine.csv": RECS.replace("\n1,", "\nu1,").replace("\n2,", "\nu2,")})
    code, output = build(root, "-s", "+recs_history")
    assert code == 0, output
    assert rows(root, history_types) == [("item_id", "BIGINT"), ("user_id", "VARCHAR")]
    per_build = rows(root, "select string_agg(distinct user_id, ',' order by user_id) from recs_history "
                           "where candidate = 'mine' group by build_id order by min(built_at)")
    assert per_build == [("1,2,3",), ("3,u1,u2",)]
    code, output = build(root, "-s", "+stability")  # a third build reads both kinds of rows
    assert code == 0, output
    assert rows(root, "select count(*) > 0 from stability where candidate = 'mine'") == [(True,)]


def test_the_history_widens_its_candidate_enum_when_a_build_brings_a_new_name(
        tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS})
    history_type = ("select data_type from duckdb_columns() where table_name = 'recs_history' "
                    "and column_name = 'candidate'")
    code, output = build(root, "-s", "+recs_history")
    assert code == 0, output
    assert rows(root, history_type) == [("ENUM('mine')",)]

    def with_candidates(*names: str) -> None:
        def change(config: dict) -> None:
            config["evaluation"]["candidates"] = {name: "inputs/mine.csv" for name in names}
        write_project_yml(root, change)

    # a name that sorts before the history's: the ENUM becomes both, sorted, and the
    # first build's rows keep their name
    with_candidates("alpha", "mine")
    code, output = build(root, "-s", "+recs_history")
    assert code == 0, output
    assert rows(root, history_type) == [("ENUM('alpha', 'mine')",)]
    per_build = rows(root, "select string_agg(distinct candidate, ',' order by candidate) from recs_history "
                           "group by build_id order by min(built_at)")
    assert per_build == [("mine",), ("alpha,mine",)]
    # fewer names than the history has: nothing to widen; stability reads both builds
    with_candidates("alpha")
    code, output = build(root, "-s", "+stability")
    assert code == 0, output
    assert rows(root, history_type) == [("ENUM('alpha', 'mine')",)]
    assert rows(root, "select distinct candidate from stability order by 1") == [("alpha",)]
    # a history whose candidate is text (written before it was an ENUM) stays text, and
    # takes the rows of a build with a name it has never seen
    with duckdb.connect(str(root / "target/warehouse.duckdb")) as con:
        con.execute("alter table intermediate.recs_history alter column candidate set data type varchar")
    with_candidates("alpha", "zeta")
    code, output = build(root, "-s", "+recs_history")
    assert code == 0, output
    assert rows(root, history_type) == [("VARCHAR",)]
    assert rows(root, "select string_agg(distinct candidate, ',' order by candidate) from recs_history "
                      "group by build_id order by min(built_at) desc limit 1") == [("alpha,zeta",)]

# -- train without ts or rating, labels without relevance ----------------------------------

TRAIN = "user_id,item_id,rating\n1,5,4\n1,6,3\n2,5,5\n2,1,2\n3,6,4\n4,2,5\n"


def test_train_without_ts_leaves_out_what_needs_time(tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project",
                {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS, "inputs/train.csv": TRAIN},
                evaluation={"labels": "inputs/labels.csv", "train": "inputs/train.csv",
                            "candidates": {"mine": "inputs/mine.csv"}})
    code, output = build(root)
    assert code == 0, output
    assert ("warning: evaluation.train (inputs/train.csv) has no ts column: popular_recent is left out"
            in output)
    candidates = [r[0] for r in rows(root, "select distinct candidate from metrics order by 1")]
    assert "popular_recent" not in candidates and {"mine", "popular", "item_cooccurrence", "random"} <= set(candidates)
    assert rows(root, "select count(*) from user_slices where slice = 'tenure'") == [(0,)]


def test_train_without_rating_leaves_out_the_bias_baseline(tiny_template: Path, tmp_path: Path) -> None:
    train = "user_id,item_id,ts\n1,5,2020-01-01\n2,5,2020-01-02\n3,6,2020-01-03\n"
    root = make(tiny_template, tmp_path / "project",
                {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS, "inputs/train.csv": train},
                evaluation={"labels": "inputs/labels.csv", "train": "inputs/train.csv",
                            "candidates": {"mine": "inputs/mine.csv"}})
    code, output = build(root)
    assert code == 0, output
    assert "has no rating column: the bias (rating) baseline is left out" in output
    assert "mine" in [r[0] for r in rows(root, "select distinct candidate from metrics")]


def test_labels_without_relevance_are_implicit_feedback(tiny_template: Path, tmp_path: Path) -> None:
    # rel_threshold 4.0 (the demo's) does not apply: every label is relevant, relevance 1
    labels = "user_id,item_id\n1,1\n1,2\n2,3\n3,4\n"
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": labels, "inputs/mine.csv": RECS},
                vars={"rel_threshold": 4.0})
    code, output = build(root)
    assert code == 0, output
    assert "has no relevance column: implicit feedback, every label is relevant with relevance 1" in output
    assert rows(root, "select distinct relevance from labels") == [(1.0,)]
    assert rows(root, "select n_relevant_users from evaluated_users") == [(3,)]
    # user 1: items 1 (rank 1) and 3; relevant 1 and 2: precision@2 = 1/2; users 2, 3: 1/2
    assert rows(root, "select value from metrics where candidate = 'mine' and metric = 'precision' and k = 2") \
        == [(0.5,)]


def test_the_check_command_prints_the_warnings(tiny_template: Path, tmp_path: Path) -> None:
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": "user_id,item_id\n1,1\n",
                                                      "inputs/mine.csv": RECS})
    result = CliRunner().invoke(main, ["check", "--project-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "warning: evaluation.labels (inputs/labels.csv) has no relevance column" in result.output
    assert "Checked 2 input files: 1 warning" in result.output
    assert Project.load(root).check().files == 2


def test_the_check_command_reads_the_share_of_label_users(tiny_template: Path, tmp_path: Path) -> None:
    labels = "user_id,item_id,relevance\n" + "".join(f"{u},{u},5\n" for u in range(1, 11))
    recs = "user_id,item_id,rank\n" + "".join(f"{u},{u},1\n" for u in (1, 2, 3, 50))
    root = make(tiny_template, tmp_path / "project", {"inputs/labels.csv": labels, "inputs/mine.csv": recs})
    result = CliRunner().invoke(main, ["check", "--project-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert ("evaluation.candidates.mine (inputs/mine.csv): 3 of 10 label users (30%) have a list; the others "
            "score 0 (label users without a list: 4, 5, 6; users of the file not in labels: 50)") in result.output

    (root / "inputs/mine.csv").write_text("user_id,item_id,rank\n101,1,1\n102,1,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--project-dir", str(root)])
    assert result.exit_code == 1, result.output
    assert ("evaluation.candidates.mine (inputs/mine.csv): no user of evaluation.labels has a list (label users "
            "without a list: 1, 2, 3; users of the file not in labels: 101, 102)") in result.output
