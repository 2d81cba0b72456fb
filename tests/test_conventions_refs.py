"""The conventions profiles recommenders, rectools and evidently reproduce Microsoft
Recommenders, RecTools and Evidently themselves: built under `conventions: <library>`, every
ranking metric the library also computes equals the library's value to 1e-9, per user where
the library gives per-user values (RecTools; Recommenders called on one user's rows, on the
small inputs) and as a mean, on the demo and on the adversarial inputs; so do Evidently's
PopularityBias, NoveltyMetric, PersonalizationMetric and DiversityMetric under `evidently`,
Recommenders' auc, logloss, novelty, catalog_coverage, distributional_coverage and diversity
under `recommenders` and RecTools' MeanInvUserFreq, AvgRecPopularity, Serendipity,
CatalogCoverage, CoveredUsers and Intersection under `rectools` (per user where the library
gives per-user values). The libraries run in
their own environment (tests/oracles/refs_venv.py: built on first use, never skipped) and get
the inputs as their users would hand them over (tests/oracles/refs.py).

Each test records how many values it compared and the largest difference; the run's summary
adds them up per profile (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import COMPARED
from evaluation_project import build_with_files, demo_under_profile, frame, ranking_values

from evalhouse import Project

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import ADVERSARIAL_CASES, case_settings
    from tests.oracles.refs import (
        evidently_beyond_metrics,
        library_metrics,
        recommenders_classification_metrics,
    )
    from tests.oracles.refs_beyond import recommenders_beyond_metrics, rectools_beyond_metrics
    from tests.oracles.refs_venv import RefsVenvError, ensure_refs_venv
    from tests.oracles.side_data import side_data
except ModuleNotFoundError:
    from oracles import ADVERSARIAL_CASES, case_settings
    from oracles.refs import evidently_beyond_metrics, library_metrics, recommenders_classification_metrics
    from oracles.refs_beyond import recommenders_beyond_metrics, rectools_beyond_metrics
    from oracles.refs_venv import RefsVenvError, ensure_refs_venv
    from oracles.side_data import side_data

ATOL = 1e-9
SEED = 7
PROFILES = ["evidently", "recommenders", "rectools"]
KEYS = ["candidate", "user_id", "metric", "k"]
MEAN_KEYS = ["candidate", "metric", "k"]


def assert_reproduced(profile: str, library: tuple[pd.DataFrame, pd.DataFrame], users: pd.DataFrame,
                      means: pd.DataFrame, label: str) -> tuple[int, float]:
    """Every value the library gives equals ours within 1e-9 (per user: the same users
    too). Returns how many values were compared and the largest difference, and prints them."""
    lib_users, lib_means = library
    compared, largest = 0, 0.0
    if not lib_users.empty:
        lib_users = lib_users.assign(user_id=lib_users["user_id"].astype(str))
        shared = users[users["metric"].isin(set(lib_users["metric"]))
                       & users["k"].isin(set(lib_users["k"].dropna()))]
        merged = lib_users.merge(shared, on=KEYS, how="outer", suffixes=("_library", "_ours"), indicator=True)
        only = merged[merged["_merge"] != "both"]
        assert only.empty, f"{profile} {label}: users scored on one side only:\n{only.head(10)}"
        diff = (merged["value_library"] - merged["value_ours"]).abs()
        assert (diff <= ATOL).all(), f"{profile} {label}, per user:\n{merged[diff > ATOL].head(10)}"
        compared, largest = len(merged), float(diff.max())
    joined = lib_means.merge(means, on=MEAN_KEYS, how="left", suffixes=("_library", "_ours"))
    # no value on either side (Evidently's Gini of a single item, 0 / 0) is not a value
    joined = joined[joined["value_library"].notna() | joined["value_ours"].notna()]
    # a library that returns 0 for a candidate without a user to score (Recommenders) has
    # no mean of ours to match: that is the only value left out
    missing = joined[joined["value_ours"].isna()]
    assert (missing["value_library"] == 0).all(), f"{profile} {label}: no mean of ours:\n{missing.head()}"
    joined = joined[joined["value_ours"].notna()]
    diff = (joined["value_library"] - joined["value_ours"]).abs()
    assert (diff <= ATOL).all(), f"{profile} {label}, means:\n{joined[diff > ATOL].head(10)}"
    assert len(joined) > 0
    compared += len(joined)
    largest = max(largest, float(diff.max()))
    return compared, largest


# --- beyond accuracy and classification ---------------------------------------------

# what each profile's library also computes beyond the ranking metrics: the models to build
# and our values to compare (k null for the classification metrics; user_beyond_metrics
# holds the per-user values, intersection_at_k the pairs of candidates)
EXTRA_MODELS = {
    "evidently": ["gini_at_k", "catalog_coverage_at_k", "personalization_at_k", "beyond_user_means"],
    "recommenders": ["roc_auc", "log_loss", "novelty_at_k", "catalog_coverage_at_k", "distributional_coverage_at_k",
                     "beyond_user_means", "user_beyond_metrics"],
    "rectools": ["beyond_user_means", "user_beyond_metrics", "catalog_coverage_at_k", "user_coverage_at_k",
                 "intersection_at_k"],
}
EXTRA_METRICS = {"evidently": ["gini", "catalog_coverage", "personalization", "avg_popularity",
                               "inverse_user_frequency", "ild"],
                 "recommenders": ["roc_auc", "log_loss", "novelty", "catalog_coverage", "distributional_coverage", "ild"],
                 "rectools": ["inverse_user_frequency", "avg_popularity", "serendipity", "catalog_coverage",
                              "user_coverage", "intersection"]}
PER_USER_MODEL, PAIRS_MODEL = "user_beyond_metrics", "intersection_at_k"


def _select(profile: str) -> list[str]:
    return ["+ranking_metrics", *(f"+{model}" for model in EXTRA_MODELS.get(profile, []))]


def _extra_values(project: Project, profile: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our per-user values and means of the profile's EXTRA_METRICS, read from their models;
    intersection's candidate as "<candidate> vs <reference>", as the library's."""
    names = ", ".join(f"'{m}'" for m in EXTRA_METRICS[profile])
    models = EXTRA_MODELS[profile]
    parts = [f"select candidate, metric, k, value, n_users from {model}" for model in models
             if model not in (PER_USER_MODEL, PAIRS_MODEL)]
    if PAIRS_MODEL in models:
        parts.append(f"select candidate || ' vs ' || reference, metric, k, value, n_users from {PAIRS_MODEL}")
    means = frame(project, f"select * from ({' union all '.join(parts)}) as extra where metric in ({names})")
    means = means.assign(candidate=means["candidate"].astype(str), k=means["k"].astype("Int64"))
    if PER_USER_MODEL not in models:
        return pd.DataFrame(columns=KEYS + ["value"]), means
    users = frame(project, f"select candidate, user_id, metric, k, value from {PER_USER_MODEL} where metric in ({names})")
    users = users.astype({"candidate": str, "user_id": str}).assign(k=users["k"].astype("Int64"))
    return users, means


def _categories(project: Project) -> dict[str, set[str]]:
    """Each item's categories as the project reads the items input (the items model: item
    id as text, one row per feature and category), what Evidently and Recommenders get as
    0/1 columns."""
    rows = frame(project, "select item_id, feature, category from items")
    categories: dict[str, set[str]] = {}
    for item, feature, category in rows.itertuples(index=False):
        categories.setdefault(str(item), set()).add(f"{feature}: {category}")
    return categories


def _probabilities(recs: pd.DataFrame) -> frozenset[str]:
    """The candidates whose every score is a probability (declared so; log_loss scores them)."""
    if "score" not in recs.columns:
        return frozenset()
    scores = recs.groupby("candidate")["score"]
    return frozenset(str(c) for c, v in scores if v.notna().all() and v.between(0, 1).all())


def side_files(profile: str, recs: pd.DataFrame, labels: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The train and items files of a case (the beyond-accuracy tests' side files: unseen
    items, items without a category). Recommenders' beyond-accuracy functions refuse lists
    holding a (user, item) of train: under its profile, train leaves those pairs out."""
    train, items = side_data(recs, labels, SEED)[:2]
    if profile == "recommenders":
        listed = set(zip(recs["user_id"].astype(str), recs["item_id"].astype(str), strict=True))
        pairs = zip(train["user_id"].astype(str), train["item_id"].astype(str), strict=True)
        train = train[[pair not in listed for pair in pairs]]
    return {"train": train, "items": items}


def library_extras(profile: str, project: Project, recs: pd.DataFrame, labels: pd.DataFrame,
                   train: pd.DataFrame, k_values: list[int], threshold: float,
                   probabilities: frozenset[str]) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """What the profile's library gives beyond the ranking metrics, one (per-user values,
    means) per call: Evidently's beyond accuracy; Recommenders' classification (logloss for
    the candidates declared `probabilities`) and beyond accuracy; RecTools' beyond accuracy."""
    if profile == "evidently":
        return [evidently_beyond_metrics(recs, labels, train, _categories(project), k_values)]
    if profile == "recommenders":
        return [recommenders_classification_metrics(recs, labels, k_values, threshold, probabilities),
                recommenders_beyond_metrics(recs, labels, train, _categories(project), k_values)]
    return [rectools_beyond_metrics(recs, labels, train, k_values, threshold)]


def assert_extra_reproduced(profile: str, project: Project, libraries: list[tuple[pd.DataFrame, pd.DataFrame]],
                            label: str) -> tuple[int, float]:
    """Each of the library's values beyond the ranking metrics equals ours (per user: for
    the candidates and metrics the library was asked about)."""
    users, means = _extra_values(project, profile)
    compared, largest = 0, 0.0
    for lib_users, lib_means in libraries:
        assert set(lib_means["metric"]) <= set(EXTRA_METRICS[profile])
        if lib_means["value"].isna().all():  # e.g. one class only: no value in either
            joined = lib_means.merge(means, on=MEAN_KEYS, how="left", suffixes=("_library", "_ours"))
            assert joined["value_ours"].isna().all(), f"{profile} {label}: a value where the library has none"
            continue
        asked = set(zip(lib_means["candidate"], lib_means["metric"], strict=True))
        mine = users[[pair in asked for pair in zip(users["candidate"], users["metric"], strict=True)]]
        count, difference = assert_reproduced(profile, (lib_users, lib_means), mine, means, label)
        compared, largest = compared + count, max(largest, difference)
    return compared, largest


# --- adversarial inputs --------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_CASES))
def test_adversarial_case_reproduces_the_library(tiny: Path, name: str, profile: str,
                                                 record_property: Callable[[str, object], None]) -> None:
    recs, labels = ADVERSARIAL_CASES[name](SEED)
    settings = case_settings(name)
    k_values, threshold = list(settings.k_values), settings.rel_threshold
    side = side_files(profile, recs, labels)
    probabilities = _probabilities(recs)
    project, result = build_with_files(tiny, recs, labels, "parquet", k_values, threshold,
                                       {"conventions": profile}, select=_select(profile), side=side,
                                       probabilities=probabilities)
    assert not [r.name for r in result.results if r.status in ("error", "fail")]
    users, means = ranking_values(project)
    library = library_metrics(profile, recs, labels, k_values, threshold)
    compared, largest = assert_reproduced(profile, library, users, means, name)
    extras = library_extras(profile, project, recs, labels, side["train"], k_values, threshold, probabilities)
    more, larger = assert_extra_reproduced(profile, project, extras, name)
    record_property(COMPARED, (profile, compared + more, max(largest, larger)))


# --- the demo ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=PROFILES)
def demo_under(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Project]:
    """The demo's ranking metrics (and the profile's EXTRA_MODELS) built under one profile."""
    profile = request.param
    return profile, demo_under_profile(profile, tmp_path_factory.mktemp(f"demo_{profile}"), _select(profile))


def test_demo_reproduces_the_library(demo_under: tuple[str, Project],
                                     record_property: Callable[[str, object], None]) -> None:
    profile, project = demo_under
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance, ts from labels")
    vars_ = project.config.vars
    library = library_metrics(profile, recs, labels, vars_["k_values"], vars_["rel_threshold"],
                              vars_.get("beta", 1.0))
    users, means = ranking_values(project)
    assert {"precision", "recall", "ndcg"} <= set(library[1]["metric"])
    compared, largest = assert_reproduced(profile, library, users, means, "demo")
    train = frame(project, "select user_id, item_id from train")
    # the demo's baselines declare no probabilities (their scores are not): no log_loss
    extras = library_extras(profile, project, recs, labels, train, vars_["k_values"], vars_["rel_threshold"],
                            frozenset())
    more, larger = assert_extra_reproduced(profile, project, extras, "demo")
    record_property(COMPARED, (profile, compared + more, max(largest, larger)))


# --- the comparisons could fail ------------------------------------------------------

# the metrics whose profile rule is not evalhouse's own: built under evalhouse's rules,
# each differs from the profile's value on the case
RULE_CASES = {"evidently": ("kitchen_sink", EXTRA_METRICS["evidently"]),
              "recommenders": ("graded_integer", ["roc_auc", "log_loss", "ild"])}
# RecTools' and Recommenders' beyond-accuracy metrics, per library: a profile whose rules
# give another value than the library's on kitchen_sink (duplicates leaving gaps in the
# ranks, items unseen in train or without a category, users without a relevant item)
OTHER_RULES = {"rectools": {"evalhouse": ["user_coverage"],
                            "evidently": ["inverse_user_frequency", "avg_popularity", "catalog_coverage"],
                            "recommenders": ["serendipity", "intersection"]},
               "recommenders": {"evalhouse": ["novelty", "catalog_coverage", "distributional_coverage", "ild"]}}


def test_the_beyond_and_classification_rules_change_what_they_name(tiny: Path) -> None:
    """Built under evalhouse's own rules, each metric whose rule the evidently or
    recommenders profile changes differs from the profile's value somewhere, so the
    comparisons above could fail."""
    for profile, (name, metrics) in RULE_CASES.items():
        recs, labels = ADVERSARIAL_CASES[name](SEED)
        settings = case_settings(name)
        side = side_files(profile, recs, labels)
        values = {}
        for conventions in ("evalhouse", profile):
            project, result = build_with_files(tiny, recs, labels, "parquet", list(settings.k_values),
                                               settings.rel_threshold, {"conventions": conventions},
                                               select=_select(profile), side=side,
                                               probabilities=_probabilities(recs))
            assert result.success
            values[conventions] = _extra_values(project, profile)[1].set_index(MEAN_KEYS)["value"]
        joined = values["evalhouse"].to_frame("own").join(values[profile].rename("profile"), how="outer")
        differs = joined[~((joined["own"] - joined["profile"]).abs() <= ATOL)]
        changed = set(differs.index.get_level_values("metric")) & set(metrics)
        assert changed == set(metrics), profile


def test_the_rectools_and_recommenders_beyond_values_differ_under_other_rules(tiny: Path) -> None:
    """Each of RecTools' and Recommenders' beyond-accuracy metrics compared above takes
    another value under the rules of the profile OTHER_RULES names (evalhouse's own where
    they differ from the library's, else another profile's: many of RecTools' rules are
    evalhouse's), so each comparison could fail."""
    name = "kitchen_sink"
    recs, labels = ADVERSARIAL_CASES[name](SEED)
    settings = case_settings(name)
    k_values, threshold = list(settings.k_values), settings.rel_threshold
    for library, others in OTHER_RULES.items():
        side = side_files(library, recs, labels)
        theirs = None
        for other, metrics in others.items():
            project, result = build_with_files(tiny, recs, labels, "parquet", k_values, threshold,
                                               {"conventions": other}, select=_select(library), side=side)
            assert result.success
            if theirs is None:  # the library's beyond-accuracy means (its last call)
                theirs = library_extras(library, project, recs, labels, side["train"], k_values, threshold,
                                        frozenset())[-1][1]
            ours = _extra_values(project, library)[1]
            joined = theirs.merge(ours, on=MEAN_KEYS, how="outer", suffixes=("_library", "_ours"))
            differs = joined[~((joined["value_library"] - joined["value_ours"]).abs() <= ATOL)]
            assert set(metrics) <= set(differs["metric"]), (library, other, set(differs["metric"]))


def test_rectools_counts_each_row_of_a_label_given_twice(tiny: Path) -> None:
    """kitchen_sink labels two relevant items of user u1 twice (one of them recommended):
    RecTools, handed every row, counts both in MAP's denominator and in the hits. Under
    evalhouse's own rules (label_copies one) u1's map, precision and recall differ from
    RecTools' and no other user's do, so the rectools comparison above, which counts the
    copies, could fail on them."""
    name = "kitchen_sink"
    recs, labels = ADVERSARIAL_CASES[name](SEED)
    settings = case_settings(name)
    k_values, threshold = list(settings.k_values), settings.rel_threshold
    project, result = build_with_files(tiny, recs, labels, "parquet", k_values, threshold,
                                       {"conventions": "evalhouse"}, select=["+ranking_metrics"])
    assert result.success
    theirs = library_metrics("rectools", recs, labels, k_values, threshold)[0]
    counted = ["map", "precision", "recall", "recall_capped", "f_beta"]
    joined = theirs[theirs["metric"].isin(counted)].merge(ranking_values(project)[0], on=KEYS,
                                                          suffixes=("_library", "_ours"))
    differs = joined[(joined["value_library"] - joined["value_ours"]).abs() > ATOL]
    assert {"map", "precision", "recall"} <= set(differs["metric"])
    assert set(differs["user_id"]) == {"u1"}


# --- the reference environment -------------------------------------------------------


def test_a_reference_venv_that_cannot_be_built_fails_with_what_to_do(tmp_path: Path) -> None:
    """No skip when the libraries cannot be installed: the error names the lock and says
    what to run (a lock pip cannot read fails without asking the registry)."""
    lock = tmp_path / "refs.lock"
    lock.write_text("not a requirement ===\n", encoding="utf-8")
    with pytest.raises(RefsVenvError) as error:
        ensure_refs_venv(lock, tmp_path / "venvs")
    message = str(error.value)
    assert str(lock) in message and "refs_venv.py" in message and "pip exited" in message
    assert not list((tmp_path / "venvs").glob("*/ready"))
