"""Your own data, not the demo's: `evalhouse init --template blank`, a demo project whose
MovieLens seeds are gone, and item features from `evaluation.items`.

The genre metrics (ild, category_diversity, calibration_kl) read item categories from
evaluation.items only; the demo's MovieLens genres apply only when the labels are the split
of its seeds, so integer ids of one's own files no longer pick them up. ILD and category
diversity are checked by hand on tiny lists against their definitions (docs/evaluation.md,
"Beyond accuracy and stability").
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from evaluation_project import build, frame, write_project_yml, write_table

from evalhouse import Project
from evalhouse.api.scaffold import init_project
from evalhouse.cli import main
from evalhouse.errors import ConfigError, EvalhouseError, ProjectError

GENRE_METRICS = {"ild", "category_diversity", "calibration_kl"}
DEMO_DATASET = ("seeds", "models/staging", "models/split", "models/labels")
# what the genre metrics read, and metrics beside them (a selection: the full builds are below)
SELECT_METRICS = ["+metrics"]

# two users, text ids; four items: a (Action, Comedy), b (Action), c (Drama), d (none)
TRAIN = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3"], "item_id": ["a", "c", "b", "d", "a"],
                      "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])})
LABELS = pd.DataFrame({"user_id": ["u1", "u2"], "item_id": ["b", "c"], "relevance": [1.0, 1.0],
                       "ts": pd.to_datetime(["2024-02-01", "2024-02-02"])})
RECS = pd.DataFrame({"user_id": ["u1"] * 4 + ["u2"] * 2, "item_id": ["a", "b", "c", "d", "c", "a"],
                     "rank": [1, 2, 3, 4, 1, 2]})
ITEMS_CSV = "item_id,genres\na,Action|Comedy\nb,Action\nc,Drama\nd,\n"


def write_own_files(root: Path, *, items: str | None = ITEMS_CSV, k_values: tuple[int, ...] = (2, 4),
                    baselines: list[str] | None = None, extra: dict | None = None) -> None:
    """Labels, train, one candidate file (and an items file) under data/, named in project.yml."""
    data = root / "data"
    data.mkdir(exist_ok=True)
    write_table(TRAIN, data / "train.parquet")
    write_table(LABELS, data / "labels.csv")
    write_table(RECS, data / "recs_mine.csv")
    evaluation = {"labels": "data/labels.csv", "train": "data/train.parquet",
                  "candidates": {"mine": "data/recs_mine.csv"}, "baselines": baselines or [],
                  "baseline": "mine", **(extra or {})}
    if items is not None:
        (data / "items.csv").write_text(items, encoding="utf-8")
        evaluation["items"] = "data/items.csv"

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {**config.get("evaluation", {}), **evaluation}
        if "items" not in evaluation:
            config["evaluation"].pop("items", None)
        config.setdefault("vars", {}).update({"k_values": list(k_values), "rel_threshold": 1})
        config.pop("gate", None)

    write_project_yml(root, point_at_files)


def metric_values(project: Project, candidate: str = "mine") -> dict[tuple[str, int | None], float]:
    rows = frame(project, f"select metric, k, value from metrics where candidate = '{candidate}'")
    return {(r.metric, None if pd.isna(r.k) else int(r.k)): r.value for r in rows.itertuples()}


# --- the blank template -------------------------------------------------------------------


@pytest.fixture(scope="module")
def blank_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, object]:
    """`init --template blank` with text ids, labels + train + items + one candidate file,
    built whole (every model: nothing may read the demo's dataset)."""
    root = tmp_path_factory.mktemp("blank") / "eval"
    init_project(root, "blank")
    write_own_files(root, baselines=["popular", "random"])
    project = Project.load(root)
    return project, build(project)


def test_blank_template_has_no_dataset(tmp_path: Path) -> None:
    init_project(tmp_path / "eval", "blank")
    for item in DEMO_DATASET:
        assert not (tmp_path / "eval" / item).exists(), item
    assert (tmp_path / "eval" / "models" / "inputs" / "items.sql").is_file()
    assert (tmp_path / "eval" / "models" / "metrics" / "beyond_accuracy").is_dir()
    text = (tmp_path / "eval" / "project.yml").read_text(encoding="utf-8")
    assert "seeds:" not in text and "holdout_fraction" not in text  # no demo settings
    for key in ("labels:", "train:", "# items:", "candidates:"):
        assert key in text, key


def test_blank_template_without_files_names_the_missing_labels(tmp_path: Path) -> None:
    init_project(tmp_path / "eval", "blank")
    with pytest.raises(ConfigError, match="evaluation.labels: file 'data/labels.csv' does not exist"):
        Project.load(tmp_path / "eval").compile(write=False)


def test_blank_project_builds_with_own_files(blank_project: tuple[Project, object]) -> None:
    project, result = blank_project
    failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass", "warn")]
    assert not failed and result.success
    values = metric_values(project)
    for name in ("ndcg", "recall", "catalog_coverage", "ild", "category_diversity", "calibration_kl"):
        assert (name, 2) in values, name
    assert {"mine", "popular", "random"} <= set(frame(project, "select candidate from leaderboard")["candidate"])
    names = {node.name for node in project.list()}
    assert not names & {"stg_interactions", "stg_items", "split_train", "holdout_labels", "ratings", "movies"}


def test_blank_project_keeps_its_results_in_main(blank_project: tuple[Project, object]) -> None:
    project, _ = blank_project
    placed = frame(project, "select table_schema, table_name from information_schema.tables")
    schemas = dict(zip(placed["table_name"], placed["table_schema"], strict=True))
    for name in ("leaderboard", "metrics", "user_metrics", "comparisons", "inputs_manifest", "metrics_by_slice"):
        assert schemas[name] == "main", name
    for name in ("recs", "recs_lists", "labels", "train", "hits", "comparison_pairs", "recs_history"):
        assert schemas[name] == "intermediate", name
    assert set(schemas.values()) == {"main", "intermediate"}


def test_ild_and_category_diversity_by_hand(blank_project: tuple[Project, object]) -> None:
    # u1's list a, b, c, d (d has no genre); u2's c, a. Binary genre vectors: a = Action +
    # Comedy, b = Action, c = Drama; cos(a, b) = 1 / sqrt(2), every other pair 0.
    # ild@K = 1 - the mean cosine over the pairs of top-K items with a genre;
    # category_diversity@K = the distinct genres in the top K; both averaged over users.
    project, _ = blank_project
    values = metric_values(project)
    cos_ab = 1 / math.sqrt(2)
    ild_u1 = {2: 1 - cos_ab, 4: 1 - cos_ab / 3}  # @4: pairs ab, ac, bc (d has no genre)
    ild_u2 = {2: 1.0, 4: 1.0}
    for k in (2, 4):
        assert values[("ild", k)] == pytest.approx((ild_u1[k] + ild_u2[k]) / 2, abs=1e-12)
    assert values[("category_diversity", 2)] == pytest.approx((2 + 3) / 2, abs=1e-12)  # {A, C}; {D, A, C}
    assert values[("category_diversity", 4)] == pytest.approx((3 + 3) / 2, abs=1e-12)
    items = frame(project, "select item_id, feature, category from items order by all")
    assert list(items.itertuples(index=False, name=None)) == [
        ("a", "genres", "Action"), ("a", "genres", "Comedy"), ("b", "genres", "Action"), ("c", "genres", "Drama")]


def test_list_columns_and_several_features(tmp_path: Path) -> None:
    # a Parquet file: tags a list column, brand text. A category is a (column, value) pair:
    # a = {tags x, tags y, brand p}, b = {tags x, brand p}: cos = 2 / sqrt(3 * 2)
    root = tmp_path / "eval"
    init_project(root, "blank")
    write_own_files(root, items=None, k_values=(2,))
    # outside the project folder: the DuckDB sandbox lets SQL read the evaluation inputs only
    (tmp_path / "shared").mkdir()
    pd.DataFrame({"item_id": ["a", "b"], "tags": [["x", "y"], ["x"]], "brand": ["p", "p"]}).to_parquet(
        tmp_path / "shared" / "items.parquet", index=False)
    write_project_yml(root, lambda config: config["evaluation"].update(items="../shared/items.parquet"))
    project = Project.load(root)
    assert build(project, SELECT_METRICS).success
    values = metric_values(project)
    # u1's top 2: a, b; u2's top 2: c (no row in the items file), a: one item with features, no ild
    assert values[("ild", 2)] == pytest.approx(1 - 2 / math.sqrt(6), abs=1e-12)
    assert values[("category_diversity", 2)] == pytest.approx((3 + 3) / 2, abs=1e-12)


def test_items_delimiter(tmp_path: Path) -> None:
    root = tmp_path / "eval"
    init_project(root, "blank")
    write_own_files(root, items="item_id,genres\na,Action;Comedy\nb,Action|Comedy\n", k_values=(2,),
                    extra={"items_delimiter": ";"})
    project = Project.load(root)
    assert build(project, ["items"]).success
    items = frame(project, "select item_id, category from items order by all")
    assert list(items.itertuples(index=False, name=None)) == [
        ("a", "Action"), ("a", "Comedy"), ("b", "Action|Comedy")]
    write_project_yml(root, lambda config: config["evaluation"].update(items_delimiter=None))
    project = Project.load(root)
    assert build(project, ["items"]).success
    assert len(frame(project, "select * from items")) == 2  # one category per cell


def test_an_empty_items_delimiter_is_a_config_error(tmp_path: Path) -> None:
    root = tmp_path / "eval"
    init_project(root, "blank")
    write_own_files(root, extra={"items_delimiter": ""})
    with pytest.raises(ConfigError, match="items_delimiter"):
        Project.load(root)


def test_without_items_the_genre_metrics_have_no_rows(tmp_path: Path) -> None:
    root = tmp_path / "eval"
    init_project(root, "blank")
    write_own_files(root, items=None)
    project = Project.load(root)
    assert build(project, SELECT_METRICS).success
    names = {metric for metric, _ in metric_values(project)}
    assert not names & GENRE_METRICS
    assert {"ndcg", "catalog_coverage", "novelty"} <= names
    assert frame(project, "select count(*) as n from user_beyond_metrics where metric in "
                          "('ild', 'category_diversity', 'calibration_kl')")["n"].iloc[0] == 0


# --- the demo with your own files ---------------------------------------------------------


def test_demo_without_its_seeds_builds_from_labels_and_train(tiny_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(tiny_template, root)
    shutil.rmtree(root / "seeds")
    write_own_files(root, items=None, baselines=["popular", "item_cooccurrence"])
    project = Project.load(root)
    result = build(project)
    failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass", "warn")]
    assert not failed and result.success
    names = {node.name for node in project.list()}
    assert not names & {"stg_interactions", "stg_items", "split_cutoff", "split_train", "holdout_labels"}
    assert ("ndcg", 2) in metric_values(project)


def test_demo_without_its_seeds_and_without_labels_names_the_seed(tiny_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(tiny_template, root)
    shutil.rmtree(root / "seeds")
    with pytest.raises(EvalhouseError, match="unknown model or seed 'ratings'"):
        Project.load(root).compile(write=False)


@pytest.mark.parametrize("own_train", [True, False])
def test_integer_ids_do_not_pick_up_the_demo_genres(tiny_template: Path, tmp_path: Path, own_train: bool) -> None:
    # the tiny seeds give items 1..8 the genres Drama and Comedy; one's own labels with the
    # same integer ids are other items: no genre metric without evaluation.items
    root = tmp_path / "demo"
    shutil.copytree(tiny_template, root)
    data = root / "data"
    data.mkdir()
    write_table(pd.DataFrame({"user_id": [1, 2], "item_id": [3, 5], "relevance": [5.0, 5.0]}), data / "labels.csv")
    write_table(pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 4], "rank": [1, 2, 1]}), data / "recs.csv")
    write_table(pd.DataFrame({"user_id": [1, 2, 2], "item_id": [6, 7, 8]}), data / "train.csv")
    evaluation = {"labels": "data/labels.csv", "candidates": {"mine": "data/recs.csv"}, "baselines": []}
    if own_train:
        evaluation["train"] = "data/train.csv"
    write_project_yml(root, lambda config: config.update(evaluation=evaluation))
    project = Project.load(root)
    assert build(project, SELECT_METRICS).success
    names = {metric for metric, _ in metric_values(project)}
    assert "catalog_coverage" in names and not names & GENRE_METRICS


def test_the_demo_keeps_its_movielens_genres(tiny_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(tiny_template, root)
    project = Project.load(root)
    assert build(project, ["+items"]).success
    items = frame(project, "select distinct feature, category from items order by all")
    assert list(items.itertuples(index=False, name=None)) == [("genres", "Comedy"), ("genres", "Drama")]


# --- the command line ----------------------------------------------------------------------


def test_init_template_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "mine"), "--template", "blank"])
    assert result.exit_code == 0, result.output
    assert "blank project" in result.output and not (tmp_path / "mine" / "seeds").exists()
    result = CliRunner().invoke(main, ["init", str(tmp_path / "demo")])
    assert result.exit_code == 0 and (tmp_path / "demo" / "seeds" / "movielens" / "ratings.csv").is_file()
    result = CliRunner().invoke(main, ["init", str(tmp_path / "x"), "--template", "nope"])
    assert result.exit_code == 2 and "nope" in result.output


def test_init_refuses_an_unknown_template(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="unknown template 'nope'"):
        init_project(tmp_path / "x", "nope")


# --- the engine: what a disabled model reads need not exist -------------------------------


def test_a_disabled_model_may_ref_what_does_not_exist(make_project) -> None:
    root = make_project({
        "models/gone.sql": "{{ config(enabled=false) }}\nselect * from {{ ref('no_such_seed') }}\n",
        "models/kept.sql": "select 1 as x\n",
    })
    compiled = Project.load(root).compile(write=False)
    assert [n.name for n in compiled.nodes.values()] == ["kept"]
    (root / "models" / "gone.sql").write_text("select * from {{ ref('no_such_seed') }}\n", encoding="utf-8")
    with pytest.raises(EvalhouseError, match="unknown model or seed 'no_such_seed'"):
        Project.load(root).compile(write=False)
    # a ref above the config(enabled=false) line runs while the model is still on
    (root / "models" / "gone.sql").write_text(
        "select * from {{ ref('no_such_seed') }}\n{{ config(enabled=false) }}\n", encoding="utf-8")
    with pytest.raises(EvalhouseError, match="unknown model or seed 'no_such_seed'"):
        Project.load(root).compile(write=False)


# --- the candidate column -----------------------------------------------------------------


def test_candidate_names_are_an_enum_that_reads_as_text(tmp_path: Path) -> None:
    # three candidates of one file whose names differ in case and hold a quote, and a
    # baseline: the lists' candidate column is an ENUM of exactly these names, sorted as
    # text sorts (case-sensitively), and every name keeps its own rows and values
    root = tmp_path / "eval"
    init_project(root, "blank")
    write_own_files(root, baselines=["popular"], items=None, extra={"candidates": {
        "mine": "data/recs_mine.csv", "Mine": "data/recs_mine.csv", "o'brien": "data/recs_mine.csv"}})
    (root / "models" / "candidate_name_probe.sql").write_text(
        "{{ config(materialized='table') }}\n"
        "select {{ candidate_name('mine') }} as listed,\n"
        "    {{ candidate_name('not_a_candidate') }} as unlisted\n",
        encoding="utf-8")
    project = Project.load(root)
    assert build(project, ["+metrics", "candidate_name_probe"]).success
    names = sorted(["mine", "Mine", "o'brien", "popular"])
    assert names == ["Mine", "mine", "o'brien", "popular"]
    enum = "ENUM(" + ", ".join("'" + n.replace("'", "''") + "'" for n in names) + ")"
    for table in ("candidate_files", "baseline_recs", "recs", "hits", "user_ranking_stats"):
        typed = frame(project, f"select typeof(candidate) as t from {table} limit 1")
        assert typed["t"].iloc[0] == enum, table
    probe = frame(project, "select typeof(listed) as listed, typeof(unlisted) as unlisted "
                           "from candidate_name_probe")
    assert (probe["listed"].iloc[0], probe["unlisted"].iloc[0]) == (enum, "VARCHAR")
    ordered = frame(project, "select distinct candidate from metrics order by candidate")["candidate"]
    assert [str(c) for c in ordered] == names
    mine = metric_values(project, "mine")
    assert metric_values(project, "Mine") == mine == metric_values(project, "o''brien")
    assert len(mine) > 0
