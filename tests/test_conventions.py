"""The conventions profiles (var conventions) reproduce the libraries themselves: built
under `conventions: trec_eval` or `ranx`, every ranking metric the library also computes
equals pytrec_eval's or ranx's value per user and as a mean, to 1e-9, on the demo and on
adversarial inputs (ties, duplicated rows, empty lists, users without relevant items or
without lists, text and integer ids). The libraries get the inputs as their own users
would hand them over (tests/oracles/conventions.py), not translated into our rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import COMPARED
from evaluation_project import build_with_files, demo_under_profile, frame, ranking_values

from evalhouse import Project
from evalhouse.errors import EvalhouseError
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.tracking import resolve_settings
from evalhouse.publish.tracking.payload import build_payload

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import ADVERSARIAL_CASES, case_settings
    from tests.oracles.conventions import ranx_user_metrics, trec_eval_user_metrics
except ModuleNotFoundError:
    from oracles import ADVERSARIAL_CASES, case_settings
    from oracles.conventions import ranx_user_metrics, trec_eval_user_metrics

ATOL = 1e-9
SEED = 7
KEYS = ["candidate", "user_id", "metric", "k"]
LIBRARIES = {"trec_eval": trec_eval_user_metrics, "ranx": ranx_user_metrics}


def integer_ids_tied(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Integer ids, score only, every score tied: 9 and 10 (and 90, 100) order as numbers
    in evalhouse's own rule and as text ("9" before "10") in trec_eval's."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for user in range(1, 9):
        items = [int(i) for i in rng.choice([8, 9, 10, 11, 19, 90, 99, 100, 101, 110], size=6, replace=False)]
        rows.extend(("c", user, item, float(rng.choice([0.5, 1.0]))) for item in items)
        labels.extend((user, int(item), int(rng.integers(0, 3)), 0) for item in rng.choice(items, size=3, replace=False))
    recs = pd.DataFrame(rows, columns=["candidate", "user_id", "item_id", "score"])
    return recs, pd.DataFrame(labels, columns=["user_id", "item_id", "relevance", "ts"])


CASES = {**ADVERSARIAL_CASES, "integer_ids_tied": integer_ids_tied}


def _settings(name: str) -> tuple[list[int], float]:
    conf = case_settings(name) if name in ADVERSARIAL_CASES else case_settings("integer_ids")
    return list(conf.k_values), conf.rel_threshold


def assert_same_numbers(profile: str, library: pd.DataFrame, users: pd.DataFrame,
                        means: pd.DataFrame) -> tuple[int, float]:
    """Per user and as a mean, on every metric the library reports: the same users and
    values within 1e-9. A library value that is NaN (ranx's bpref, 0 / 0) is left out.
    Returns how many values were compared and the largest difference."""
    library = library.assign(user_id=library["user_id"].astype(str), candidate=library["candidate"].astype(str))
    shared = users[users["metric"].isin(set(library["metric"]))]
    merged = library.merge(shared, on=KEYS, how="outer", suffixes=("_library", "_ours"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, f"{profile}: users scored on one side only:\n{only.head(10)}"
    merged = merged[merged["value_library"].notna()]
    diff = (merged["value_library"] - merged["value_ours"]).abs()
    assert (diff <= ATOL).all(), f"{profile}:\n{merged[diff > ATOL].head(10)}"

    nan_metrics = set(library.loc[library["value"].isna(), "metric"])
    expected = (library[~library["metric"].isin(nan_metrics)]
                .groupby(["candidate", "metric", "k"], dropna=False)["value"].agg(["mean", "size"]).reset_index())
    joined = expected.merge(means, on=["candidate", "metric", "k"], how="left")
    assert joined["value"].notna().all(), joined[joined["value"].isna()].head()
    mean_diff = (joined["mean"] - joined["value"]).abs()
    assert (mean_diff <= ATOL).all(), joined[mean_diff > ATOL].head(10)
    assert (joined["size"] == joined["n_users"]).all(), joined[joined["size"] != joined["n_users"]].head()

    return len(merged) + len(joined), float(max(diff.max(), mean_diff.max()))


# --- adversarial inputs --------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(LIBRARIES))
@pytest.mark.parametrize("name", sorted(CASES))
def test_adversarial_case_reproduces_the_library(tiny: Path, name: str, profile: str,
                                                 record_property: Callable[[str, object], None]) -> None:
    recs, labels = CASES[name](SEED)
    k_values, threshold = _settings(name)
    project, result = build_with_files(tiny, recs, labels, "parquet", k_values, threshold,
                                       {"conventions": profile}, select=["+ranking_metrics"])
    assert not [r.name for r in result.results if r.status in ("error", "fail")]
    users, means = ranking_values(project)
    library = LIBRARIES[profile](recs, labels, k_values, threshold)
    assert not library.empty
    record_property(COMPARED, (profile, *assert_same_numbers(profile, library, users, means)))


# --- the demo ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(LIBRARIES))
def demo_under(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Project]:
    """The demo's ranking metrics built under one profile."""
    profile = request.param
    return profile, demo_under_profile(profile, tmp_path_factory.mktemp(f"demo_{profile}"))


def test_demo_reproduces_the_library(demo_under: tuple[str, Project],
                                     record_property: Callable[[str, object], None]) -> None:
    profile, project = demo_under
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance, ts from labels")
    vars_ = project.config.vars
    library = LIBRARIES[profile](recs, labels, vars_["k_values"], vars_["rel_threshold"])
    users, means = ranking_values(project)
    assert {"precision", "recall", "map", "ndcg", "r_precision", "bpref"} <= set(library["metric"])
    record_property(COMPARED, (profile, *assert_same_numbers(profile, library, users, means)))


# --- the profile itself --------------------------------------------------------------


def test_profiles_differ_where_the_libraries_do(tiny: Path) -> None:
    """On users without relevant items, the profiles count different users (so the test
    above could fail); the metrics table, the leaderboard and the MLflow runs say which
    profile the values follow."""
    recs, labels = ADVERSARIAL_CASES["users_without_relevant"](SEED)
    k_values, threshold = _settings("users_without_relevant")
    counts = {}
    for profile in ("evalhouse", "ranx", "trec_eval"):
        project, result = build_with_files(tiny, recs, labels, "parquet", k_values, threshold, {"conventions": profile})
        assert result.success
        table = frame(project, "select distinct conventions, n_users from metrics where metric = 'recall'")
        assert list(table["conventions"]) == [profile]
        assert list(frame(project, "select distinct conventions from leaderboard")["conventions"]) == [profile]
        counts[profile] = int(table["n_users"].iloc[0])
        with EvaluationTables.open(project) as tables:
            payload = build_payload(project, tables, resolve_settings(project, enabled=False))
        assert payload["parent"]["tags"]["conventions"] == profile
        assert {run["tags"]["conventions"] for run in payload["candidates"]} == {profile}
    assert counts["evalhouse"] < counts["ranx"]


def test_an_unknown_profile_names_the_key_and_the_choices(tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["short_lists"](SEED)
    with pytest.raises(EvalhouseError) as error:
        build_with_files(tiny, recs, labels, "parquet", [1, 5], 1.0, {"conventions": "trec-eval"})
    message = str(error.value)
    assert "vars.conventions" in message and "trec-eval" in message
    assert "evalhouse, evidently, ranx, recommenders, rectools, trec_eval" in message

