"""The ranking oracle is right: hand-computed cases, and agreement with ranx and
pytrec_eval (per user, to 1e-9) on every adversarial case."""

from __future__ import annotations

import functools
from math import log2
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import adversarial, ranking
    from tests.oracles.compare import assert_frames_close
    from tests.oracles.inputs import relevant_items
except ModuleNotFoundError:
    from oracles import adversarial, ranking
    from oracles.compare import assert_frames_close
    from oracles.inputs import relevant_items

ATOL = 1e-9
RANX_METRICS = {"precision", "recall", "f_beta", "hit_rate", "mrr", "map", "ndcg", "ndcg_exp", "rbp", "r_precision"}
PYTREC_EVAL_METRICS = {"precision", "recall", "hit_rate", "map", "ndcg", "r_precision", "bpref"}
CASES = sorted(adversarial.ADVERSARIAL_CASES)
RATINGS = Path(__file__).resolve().parents[1] / "seeds" / "movielens" / "ratings.csv"


# --- helpers ------------------------------------------------------------------------


def recs_frame(rows: list[tuple], columns: tuple[str, ...] = ("item_id", "rank")) -> pd.DataFrame:
    """One list (candidate "c", user "u") from (item_id, rank or score) rows."""
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.assign(candidate="c", user_id="u")


def labels_frame(relevance: dict, user: str = "u") -> pd.DataFrame:
    return pd.DataFrame({"user_id": user, "item_id": list(relevance), "relevance": list(relevance.values())})


def user_values(
    recs: pd.DataFrame, labels: pd.DataFrame, k: int, rel_threshold: float = 1.0, beta: float = 1.0
) -> dict[str, float]:
    """{metric: value} of user "u", candidate "c" at cut-off k."""
    out = ranking.reference_user_metrics(recs, labels, [k], rel_threshold, beta)
    out = out[(out["user_id"] == "u") & (out["candidate"] == "c")]
    return dict(zip(out["metric"], out["value"], strict=True))


def assert_values(actual: dict[str, float], expected: dict[str, float]) -> None:
    assert set(actual) == set(ranking.RANKING_METRICS)
    for metric, value in expected.items():
        assert actual[metric] == pytest.approx(value, abs=ATOL), metric


@functools.cache
def case(name: str) -> tuple[pd.DataFrame, pd.DataFrame, adversarial.CaseSettings, pd.DataFrame]:
    """recs, labels, settings and reference per-user metrics of an adversarial case."""
    recs, labels = adversarial.ADVERSARIAL_CASES[name](7)
    conf = adversarial.case_settings(name)
    reference = ranking.reference_user_metrics(recs, labels, conf.k_values, conf.rel_threshold)
    return recs, labels, conf, reference


@functools.cache
def ranx_case(name: str) -> pd.DataFrame:
    recs, labels, conf, _ = case(name)
    return ranking.ranx_user_metrics(recs, labels, conf.k_values, conf.rel_threshold)


def only(frame: pd.DataFrame, metrics: set[str]) -> pd.DataFrame:
    return frame[frame["metric"].isin(metrics)]


# --- input conventions --------------------------------------------------------------


def test_scores_rank_by_score_desc_then_item_id_desc() -> None:
    recs = recs_frame([("b", 0.5), ("a", 0.5), ("c", 0.9), ("d", 0.5)], ("item_id", "score"))
    out = ranking.normalize_recs(recs)
    assert list(zip(out["item_id"], out["rank"], strict=True)) == [("c", 1), ("d", 2), ("b", 3), ("a", 4)]


def test_duplicates_keep_best_rank_and_leave_a_gap() -> None:
    recs = recs_frame([("a", 3), ("b", 2), ("a", 1), ("c", 4)])
    out = ranking.normalize_recs(recs)
    assert list(zip(out["item_id"], out["rank"], strict=True)) == [("a", 1), ("b", 2), ("c", 4)]


def test_score_only_duplicates_are_ranked_before_dedup() -> None:
    recs = recs_frame([("a", 0.1), ("b", 0.5), ("a", 0.9)], ("item_id", "score"))
    out = ranking.normalize_recs(recs)
    assert list(zip(out["item_id"], out["rank"], strict=True)) == [("a", 1), ("b", 2)]


@pytest.mark.parametrize(
    "rows, columns",
    [
        ([("a", 1.0, 0.3), ("b", None, 0.2)], ("item_id", "rank", "score")),  # mixed
        ([("a", 1), ("b", 1)], ("item_id", "rank")),  # two items, one rank
        ([("a", 0)], ("item_id", "rank")),  # rank below 1
        ([("a", 1.5)], ("item_id", "rank")),  # fractional rank
        ([("a", None)], ("item_id", "score")),  # no rank, no score
    ],
)
def test_ambiguous_lists_are_rejected(rows: list[tuple], columns: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        ranking.normalize_recs(recs_frame(rows, columns))


def test_integer_item_ids_tie_numerically_unlike_trec_eval() -> None:
    """Documented divergence: for integer ids the item_id tie rule compares numbers
    (10 before 9); trec_eval compares docno strings ("9" before "10")."""
    recs = recs_frame([(9, 1.0), (10, 1.0)], ("item_id", "score"))
    labels = labels_frame({10: 1})
    assert list(ranking.normalize_recs(recs)["item_id"]) == [10, 9]
    ours = user_values(recs, labels, k=1)
    trec = ranking.pytrec_eval_user_metrics(recs, labels, [1], order_from="score")
    assert ours["precision"] == 1.0
    assert trec.loc[trec["metric"] == "precision", "value"].item() == 0.0


# --- hand-computed values -----------------------------------------------------------

HITS_AT_1_AND_3 = recs_frame([("a", 1), ("x", 2), ("b", 3)])
TWO_RELEVANT = labels_frame({"a": 1, "b": 1, "z": 0})
# DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal DCG = 1/log2(2) + 1/log2(3).
NDCG_1_3 = (1 + 1 / log2(4)) / (1 + 1 / log2(3))  # = 0.9197207891481876
# metric: (value at K=1, K=3, K=5); 2 relevant items, hits at ranks 1 and 3.
HITS_AT_1_AND_3_EXPECTED = {
    "precision": (1.0, 2 / 3, 2 / 5),
    "recall": (1 / 2, 1.0, 1.0),
    "recall_capped": (1.0, 1.0, 1.0),
    "f_beta": (2 / 3, 0.8, 4 / 7),
    "hit_rate": (1.0, 1.0, 1.0),
    "mrr": (1.0, 1.0, 1.0),
    "map": (1 / 2, (1 + 2 / 3) / 2, (1 + 2 / 3) / 2),
    "map_capped": (1 / 1, (1 + 2 / 3) / 2, (1 + 2 / 3) / 2),
    "ndcg": (1.0, NDCG_1_3, NDCG_1_3),
    "ndcg_exp": (1.0, NDCG_1_3, NDCG_1_3),
    "rbp": (0.2, 0.2 * (1 + 0.8**2), 0.2 * (1 + 0.8**2)),  # (1 - p)(p^0 + p^2), p = 0.8
}


@pytest.mark.parametrize("position, k", enumerate([1, 3, 5]))
def test_binary_list_with_hits_at_ranks_1_and_3(position: int, k: int) -> None:
    expected = {metric: values[position] for metric, values in HITS_AT_1_AND_3_EXPECTED.items()}
    assert_values(user_values(HITS_AT_1_AND_3, TWO_RELEVANT, k), expected)
    assert NDCG_1_3 == pytest.approx(0.9197207891481876, abs=1e-15)


def test_graded_relevance() -> None:
    # Relevant: a (3), c (1), d (2, not shown). Hits at ranks 2 (c) and 3 (a).
    recs = recs_frame([("x", 1), ("c", 2), ("a", 3)])
    labels = labels_frame({"a": 3, "c": 1, "d": 2})
    at_3 = user_values(recs, labels, 3)
    assert_values(
        at_3,
        {
            "precision": 2 / 3,
            "recall": 2 / 3,
            "recall_capped": 2 / 3,
            "f_beta": 2 / 3,
            "hit_rate": 1.0,
            "mrr": 1 / 2,
            "map": (1 / 2 + 2 / 3) / 3,
            "map_capped": (1 / 2 + 2 / 3) / 3,
            "ndcg": (1 / log2(3) + 3 / log2(4)) / (3 + 2 / log2(3) + 1 / log2(4)),
            "ndcg_exp": (1 / log2(3) + 7 / log2(4)) / (7 + 3 / log2(3) + 1 / log2(4)),
        },
    )
    at_2 = user_values(recs, labels, 2)
    assert_values(
        at_2,
        {
            "precision": 1 / 2,
            "recall": 1 / 3,
            "recall_capped": 1 / 2,
            "map": (1 / 2) / 3,
            "map_capped": (1 / 2) / 2,
            "ndcg": (1 / log2(3)) / (3 + 2 / log2(3)),
            "ndcg_exp": (1 / log2(3)) / (7 + 3 / log2(3)),
        },
    )


def test_threshold_excludes_low_grades_from_gain() -> None:
    # At threshold 2, c (relevance 1) is not relevant and gains nothing.
    recs = recs_frame([("c", 1), ("a", 2)])
    labels = labels_frame({"a": 3, "c": 1})
    assert_values(
        user_values(recs, labels, 2, rel_threshold=2.0),
        {
            "precision": 1 / 2,
            "recall": 1.0,
            "mrr": 1 / 2,
            "map": 1 / 2,
            "ndcg": (3 / log2(3)) / 3,
            "ndcg_exp": (7 / log2(3)) / 7,
        },
    )


def test_rank_gap_uses_the_rank_value() -> None:
    # a@1, b@2, a@3 (dropped), c@4: the hit c stays at rank 4.
    recs = recs_frame([("a", 1), ("b", 2), ("a", 3), ("c", 4)])
    labels = labels_frame({"c": 1})
    assert all(v == 0.0 for v in user_values(recs, labels, 3).values())
    assert_values(
        user_values(recs, labels, 4),
        {
            "precision": 1 / 4,
            "recall": 1.0,
            "mrr": 1 / 4,
            "map": 1 / 4,
            "map_capped": 1 / 4,
            "ndcg": 1 / log2(5),
            "hit_rate": 1.0,
        },
    )


def test_f_beta_with_beta_2() -> None:
    values = user_values(HITS_AT_1_AND_3, TWO_RELEVANT, 3, beta=2.0)
    # P = 2/3, R = 1: (1 + 4) P R / (4 P + R) = (10/3) / (11/3).
    assert values["f_beta"] == pytest.approx(10 / 11, abs=ATOL)


def test_duplicate_labels_keep_max_relevance() -> None:
    recs = recs_frame([("b", 1), ("a", 2)])
    # The max comes first and last, so neither "keep first" nor "keep last" passes.
    labels = pd.concat([labels_frame({"a": 3}), labels_frame({"a": 1, "b": 1}), labels_frame({"b": 2})])
    values = user_values(recs, labels, 2)
    assert values["ndcg"] == pytest.approx((2 + 3 / log2(3)) / (3 + 2 / log2(3)), abs=ATOL)


def test_users_without_list_score_zero_and_users_without_relevant_are_counted() -> None:
    recs = pd.DataFrame(
        {
            "candidate": ["c", "c", "d"],
            "user_id": ["u1", "u1", "u1"],
            "item_id": ["a", "x", "a"],
            "rank": [1, 2, 1],
        }
    )
    labels = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u3"],
            "item_id": ["a", "b", "a", "x"],
            "relevance": [1, 1, 0, 0],
        }
    )
    users = ranking.reference_user_metrics(recs, labels, [2])
    assert sorted(set(users["user_id"])) == ["u1", "u2"]  # u3 has nothing relevant
    assert (users.loc[users["user_id"] == "u2", "value"] == 0.0).all()  # no list at all
    assert len(users) == 2 * 2 * len(ranking.RANKING_METRICS)  # candidates c and d

    means = ranking.reference_metrics(users, labels, recs, 1.0).set_index(["candidate", "metric"])
    assert means.loc[("c", "precision"), "value"] == pytest.approx((1 / 2 + 0) / 2)
    assert means.loc[("c", "precision"), "n_users"] == 2
    assert means.loc[("c", "precision"), "users_without_relevant"] == 1
    counted = ranking.reference_metrics(users, labels, recs, 1.0, count_users_without_relevant=True)
    counted = counted.set_index(["candidate", "metric"])
    assert counted.loc[("d", "hit_rate"), "value"] == pytest.approx(1 / 3)
    assert counted.loc[("d", "hit_rate"), "n_users"] == 3


def test_rbp_follows_the_persistence() -> None:
    # hits at ranks 1 and 3: (1 - p)(1 + p^2)
    out = ranking.reference_user_metrics(HITS_AT_1_AND_3, TWO_RELEVANT, [3], 1.0, persistence=0.5)
    assert out.loc[out["metric"] == "rbp", "value"].item() == pytest.approx(0.5 * (1 + 0.25), abs=ATOL)
    theirs = ranking.ranx_user_metrics(HITS_AT_1_AND_3, TWO_RELEVANT, [3], 1.0, persistence=0.5)
    assert theirs.loc[theirs["metric"] == "rbp", "value"].item() == pytest.approx(0.625, abs=ATOL)


# judged non-relevant n1@1 and n2@4, relevant a@2 and b@5, unjudged x@3; c relevant, unlisted
JUDGED_LIST = recs_frame([("n1", 1), ("a", 2), ("x", 3), ("n2", 4), ("b", 5)])
JUDGED_LABELS = labels_frame({"a": 1, "b": 1, "c": 1, "n1": 0, "n2": 0})


@pytest.mark.parametrize(
    "recs, labels, max_k, r_precision, bpref",
    [
        # R = 3, N = 2: a has 1 non-relevant above (1 - 1/2), b 2 (1 - 2/2), c is not listed
        (JUDGED_LIST, JUDGED_LABELS, 5, 1 / 3, 0.5 / 3),
        # the list is read up to max(k): b (rank 5) is cut, which changes neither
        (JUDGED_LIST, JUDGED_LABELS, 4, 1 / 3, 0.5 / 3),
        (JUDGED_LIST, JUDGED_LABELS, 1, 0.0, 0.0),
        # no judged non-relevant item (N = 0): each listed relevant item adds 1
        (HITS_AT_1_AND_3, labels_frame({"a": 1, "b": 1}), 5, 1 / 2, 1.0),
        # z (judged non-relevant) above a, R = 2 > N = 1: 1 - min(1, 2) / min(2, 1) = 0
        (recs_frame([("x", 1), ("z", 2), ("a", 3)]), TWO_RELEVANT, 5, 0.0, (1 - 1 / 1) / 2),
    ],
)
def test_metrics_without_k_by_hand(
    recs: pd.DataFrame, labels: pd.DataFrame, max_k: int, r_precision: float, bpref: float
) -> None:
    values = user_values(recs, labels, max_k)
    assert values["r_precision"] == pytest.approx(r_precision, abs=ATOL)
    assert values["bpref"] == pytest.approx(bpref, abs=ATOL)
    theirs = ranking.pytrec_eval_user_metrics(recs, labels, [max_k])
    for metric, expected in (("r_precision", r_precision), ("bpref", bpref)):
        assert theirs.loc[theirs["metric"] == metric, "value"].item() == pytest.approx(expected, abs=ATOL)
        assert theirs.loc[theirs["metric"] == metric, "k"].isna().all()


# --- the adversarial cases exercise what they claim ---------------------------------


def _max_list_length(recs: pd.DataFrame) -> int:
    return int(recs.groupby(["candidate", "user_id"]).size().max())


CASE_PROPERTIES = {
    "tied_scores": lambda r, lab, c: (
        "rank" not in r and r.duplicated(["candidate", "user_id", "score"]).any()
    ),
    "duplicated_rows": lambda r, lab, c: r.duplicated(["candidate", "user_id", "item_id"]).any(),
    "short_lists": lambda r, lab, c: _max_list_length(r) < max(c.k_values),
    "users_without_relevant": lambda r, lab, c: (
        lab.groupby("user_id")["relevance"].max().lt(c.rel_threshold).any()
    ),
    "relevant_users_without_list": lambda r, lab, c: not set(lab["user_id"]) <= set(r["user_id"]),
    "graded_integer": lambda r, lab, c: lab["relevance"].nunique() > 3,
    "half_star": lambda r, lab, c: (lab["relevance"] % 1 == 0.5).any(),
    "non_ascii_ids": lambda r, lab, c: any(not str(u).isascii() for u in r["user_id"]),
    "k_beyond_lists": lambda r, lab, c: _max_list_length(r) < min(c.k_values),
    "multiple_candidates": lambda r, lab, c: r["candidate"].nunique() >= 4,
    "rank_gaps": lambda r, lab, c: (
        r.groupby(["candidate", "user_id"])["rank"].max() > r.groupby(["candidate", "user_id"]).size()
    ).any(),
    "integer_ids": lambda r, lab, c: pd.api.types.is_integer_dtype(r["item_id"]),
    "kitchen_sink": lambda r, lab, c: lab.duplicated(["user_id", "item_id"]).any(),
    "movielens_like": lambda r, lab, c: r["candidate"].nunique() == 3,
}


@pytest.mark.parametrize("name", CASES)
def test_case_is_seeded_and_exercises_its_edge(name: str) -> None:
    recs, labels, conf, _ = case(name)
    again, again_labels = adversarial.ADVERSARIAL_CASES[name](7)
    pd.testing.assert_frame_equal(recs, again)
    pd.testing.assert_frame_equal(labels, again_labels)
    assert CASE_PROPERTIES[name](recs, labels, conf)


# --- agreement with the libraries ---------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_reference_matches_ranx_per_user(name: str) -> None:
    _, _, _, reference = case(name)
    theirs = ranx_case(name)
    assert set(theirs["metric"]) == RANX_METRICS
    assert_frames_close(only(reference, RANX_METRICS), theirs, atol=ATOL)


@pytest.mark.parametrize("name", CASES)
def test_reference_matches_pytrec_eval_per_user(name: str) -> None:
    recs, labels, conf, reference = case(name)
    theirs = ranking.pytrec_eval_user_metrics(recs, labels, conf.k_values, conf.rel_threshold)
    assert set(theirs["metric"]) == PYTREC_EVAL_METRICS
    assert_frames_close(only(reference, PYTREC_EVAL_METRICS), theirs, atol=ATOL)


@pytest.mark.parametrize("name", ["tied_scores", "non_ascii_ids"])
def test_tie_rule_matches_trec_eval_ordering(name: str) -> None:
    recs, labels, conf, reference = case(name)
    theirs = ranking.pytrec_eval_user_metrics(
        recs, labels, conf.k_values, conf.rel_threshold, order_from="score"
    )
    with_k = PYTREC_EVAL_METRICS - set(ranking.RANKING_METRICS_WITHOUT_K)  # see order_from
    assert_frames_close(only(reference, with_k), theirs, atol=ATOL)


@pytest.mark.parametrize("name", CASES)
def test_capped_metrics_follow_from_ranx(name: str) -> None:
    """map_capped and recall_capped have no library: they are map and recall rescaled
    by n_relevant / min(k, n_relevant), which ranx's map and recall anchor."""
    _, labels, conf, reference = case(name)
    n_relevant = {u: len(items) for u, items in relevant_items(labels, conf.rel_threshold).items()}
    theirs = ranx_case(name)
    theirs = theirs[theirs["metric"].isin({"map", "recall"})].copy()
    factor = [
        n_relevant[u] / min(k, n_relevant[u]) for u, k in zip(theirs["user_id"], theirs["k"], strict=True)
    ]
    theirs["value"] = theirs["value"] * factor
    theirs["metric"] = theirs["metric"] + "_capped"
    assert_frames_close(only(reference, {"map_capped", "recall_capped"}), theirs, atol=ATOL)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("count_zero", [False, True])
def test_reference_metrics_match_ranx_means(name: str, count_zero: bool) -> None:
    recs, labels, conf, reference = case(name)
    ours = ranking.reference_metrics(reference, labels, recs, conf.rel_threshold, count_zero)
    if count_zero:
        theirs = ranking.ranx_user_metrics(
            recs, labels, conf.k_values, conf.rel_threshold, include_users_without_relevant=True
        )
    else:
        theirs = ranx_case(name)
    # dropna=False: the metrics without a cut-off have k missing
    means = theirs.groupby(["candidate", "metric", "k"], as_index=False, dropna=False)["value"].mean()
    assert_frames_close(only(ours, RANX_METRICS), means, keys=("candidate", "metric", "k"), atol=ATOL)
    counts = theirs.groupby(["candidate", "metric", "k"], as_index=False, dropna=False)["user_id"].nunique()
    assert set(counts["user_id"]) == set(ours["n_users"])


@st.composite
def small_inputs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, list[int], float]:
    """A few users and two candidates: duplicates, gaps, short and missing lists."""
    items = [f"i{n}" for n in range(8)]
    rec_rows, label_rows = [], []
    for user in range(draw(st.integers(1, 4))):
        for candidate in ("a", "b"):
            shown = draw(st.lists(st.sampled_from(items), max_size=7))
            ranks = draw(st.lists(st.integers(1, 12), min_size=len(shown), max_size=len(shown), unique=True))
            rec_rows += [(candidate, f"u{user}", it, r) for it, r in zip(shown, ranks, strict=True)]
        judged = draw(st.dictionaries(st.sampled_from(items), st.integers(0, 3), max_size=5))
        label_rows += [(f"u{user}", it, rel) for it, rel in judged.items()]
    if not rec_rows:  # at least one candidate, so that there is something to score
        rec_rows.append(("a", "u0", "i0", 1))
    recs = pd.DataFrame(rec_rows, columns=["candidate", "user_id", "item_id", "rank"])
    labels = pd.DataFrame(label_rows, columns=["user_id", "item_id", "relevance"])
    k_values = draw(st.lists(st.sampled_from([1, 2, 3, 5, 10]), min_size=1, max_size=3, unique=True))
    return recs, labels, k_values, float(draw(st.sampled_from([1, 2])))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_inputs())
def test_reference_matches_libraries_on_random_inputs(
    inputs: tuple[pd.DataFrame, pd.DataFrame, list[int], float],
) -> None:
    recs, labels, k_values, threshold = inputs
    reference = ranking.reference_user_metrics(recs, labels, k_values, threshold)
    trec = ranking.pytrec_eval_user_metrics(recs, labels, k_values, threshold)
    assert_frames_close(only(reference, PYTREC_EVAL_METRICS), trec, atol=ATOL)
    ranx = ranking.ranx_user_metrics(recs, labels, k_values, threshold)
    assert_frames_close(only(reference, RANX_METRICS), ranx, atol=ATOL)


def test_reference_matches_libraries_on_movielens_sample() -> None:
    assert RATINGS.exists(), "the MovieLens seed ships in seeds/movielens/"
    recs, labels = adversarial.movielens_like(3, pd.read_csv(RATINGS), max_users=60)
    k_values, threshold = (1, 5, 10, 20), 4.0
    reference = ranking.reference_user_metrics(recs, labels, k_values, threshold)
    ranx = ranking.ranx_user_metrics(recs, labels, k_values, threshold)
    assert_frames_close(only(reference, RANX_METRICS), ranx, atol=ATOL)
    trec = ranking.pytrec_eval_user_metrics(recs, labels, k_values, threshold)
    assert_frames_close(only(reference, PYTREC_EVAL_METRICS), trec, atol=ATOL)
