"""Runs one reference library on inputs handed over as JSON, inside the reference
environment (tests/oracles/refs_venv.py): ``python refs_runner.py IN.json OUT.json``.

IN: {"library": "recommenders" | "rectools" | "evidently", "k_values": [...], "beta": b,
     "rel_threshold": t, "truth": [[user, item, relevance], ...],
     "reco": {candidate: [[user, item, score or rank], ...]}, "per_user": bool}
    or {"library": "evidently_beyond", "k_values": [...], "train": [[user, item], ...],
     "reco": {candidate: [[user, item, rank], ...]}, "features": {item: [category, ...]}}
    or {"library": "rectools_beyond", "k_values": [...], "train": [[user, item], ...],
     "truth": [[user, item], ...], "reco": {candidate: [[user, item, rank], ...]},
     "references": {candidate: [[user, item, rank], ...]}}
    or {"library": "recommenders_beyond", "k_values": [...], "train": [[user, item], ...],
     "reco": {candidate: [[user, item, position], ...]}, "features": {item: [0 or 1, ...]},
     "diversity": [candidate, ...]}
    or {"library": "recommenders_classification", "truth": [[user, item, 0 or 1], ...],
     "reco": {candidate: [[user, item, score], ...]}, "probabilities": [candidate, ...]}
OUT: {"users": [[candidate, user, metric, k, value], ...], "means": [[candidate, metric, k, value], ...]}

Metric names are evalhouse's. What each library is handed, and why, is decided by the host
(tests/oracles/refs.py); this script only calls the library's public functions. Ids are
strings. Self-contained: it runs with the reference environment's pandas 2, not ours.
"""

from __future__ import annotations

import json
import sys
import warnings

import pandas as pd

# evalhouse metric -> Recommenders python_evaluation function (each takes k)
RECOMMENDERS = {"precision": "precision_at_k", "recall": "recall_at_k", "map": "map",
                "map_capped": "map_at_k", "ndcg": "ndcg_at_k"}


def recommenders(spec: dict) -> tuple[list, list]:
    """Means from the library's functions on whole frames; per user (when asked) the same
    function on that user's rows alone, since the library returns only a mean."""
    from recommenders.evaluation import python_evaluation as pe

    truth = pd.DataFrame(spec["truth"], columns=["userID", "itemID", "rating"])
    users, means = [], []
    for candidate, rows in spec["reco"].items():
        pred = pd.DataFrame(rows, columns=["userID", "itemID", "prediction"])
        for metric, name in RECOMMENDERS.items():
            function = getattr(pe, name)
            for k in spec["k_values"]:
                means.append([candidate, metric, k, float(function(truth, pred, k=k))])
                if not spec["per_user"]:
                    continue
                for user in sorted(set(truth["userID"])):
                    own = pred[pred["userID"] == user]
                    if own.empty and metric != "ndcg":
                        continue  # the library leaves a user without predictions out
                    value = function(truth[truth["userID"] == user], own, k=k)
                    users.append([candidate, user, metric, k, float(value)])
    return users, means


def rectools(spec: dict) -> tuple[list, list]:
    """calc_per_user and calc of each metric, with the library's defaults."""
    from rectools import Columns
    from rectools.metrics import MAP, MRR, NDCG, F1Beta, HitRate, Precision, Recall

    truth = pd.DataFrame([row[:2] for row in spec["truth"]], columns=[Columns.User, Columns.Item])
    users, means = [], []
    for candidate, rows in spec["reco"].items():
        reco = pd.DataFrame(rows, columns=[Columns.User, Columns.Item, Columns.Rank])
        reco[Columns.Rank] = reco[Columns.Rank].astype(int)
        for k in spec["k_values"]:
            metrics = {"precision": Precision(k=k), "recall_capped": Precision(k=k, r_precision=True),
                       "recall": Recall(k=k), "hit_rate": HitRate(k=k), "map": MAP(k=k), "ndcg": NDCG(k=k),
                       "mrr": MRR(k=k), "f_beta": F1Beta(k=k, beta=spec["beta"])}
            for metric, calc in metrics.items():
                per_user = calc.calc_per_user(reco, truth)
                users.extend([candidate, user, metric, k, float(v)] for user, v in per_user.items())
                means.append([candidate, metric, k, float(calc.calc(reco, truth))])
    return users, means


def evidently(spec: dict) -> tuple[list, list]:
    """The legacy Report's top-K metrics (the ones the current API wraps) with
    recommendations_type rank and min_rel_score = rel_threshold, one Report per metric and K;
    a K beyond the rows it was handed has no value in the library (precision, recall and
    map stop at the most rows a user has, the others at the largest rank) and is left out."""
    from evidently.legacy.metrics import (
        HitRateKMetric,
        MRRKMetric,
        NDCGKMetric,
        PrecisionTopKMetric,
        RecallTopKMetric,
    )
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    # MAPKMetric is left out: for a list shorter than K it adds the last listed row's
    # precision again at every position past the list's end (its "last" target of the rows
    # ranked up to K), so a user's AP can pass 1 (1.63 for MAP@5 on short_lists)
    classes = {"precision": PrecisionTopKMetric, "recall": RecallTopKMetric,
               "ndcg": NDCGKMetric, "mrr": MRRKMetric, "hit_rate": HitRateKMetric}
    threshold = spec["rel_threshold"]
    mapping = ColumnMapping(user_id="user_id", item_id="item_id", target="target", prediction="rank",
                            recommendations_type="rank")
    means = []
    for candidate, rows in spec["reco"].items():
        data = pd.DataFrame(rows, columns=["user_id", "item_id", "rank", "target"])
        for k in spec["k_values"]:
            for metric, cls in classes.items():
                calc = cls(k=k, min_rel_score=threshold)
                report = Report(metrics=[calc])
                report.run(reference_data=None, current_data=data, column_mapping=mapping)
                try:
                    value = _at_k(calc.get_result().current, k)
                except (KeyError, IndexError):
                    continue  # K beyond the rows it was handed: no value in the library
                means.append([candidate, metric, k, value])
    return [], means


def evidently_beyond(spec: dict) -> tuple[list, list]:
    """The legacy Report's PopularityBias (gini, mean popularity, coverage), NoveltyMetric
    (mean inverse user frequency) and PersonalizationMetric at each K, with the train
    frame as current_train_data, and DiversityMetric (ild): means only (the library keeps
    no per-user value)."""
    from evidently.legacy.metrics import NoveltyMetric, PersonalizationMetric, PopularityBias
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    train = pd.DataFrame(spec["train"], columns=["user_id", "item_id"])
    mapping = ColumnMapping(user_id="user_id", item_id="item_id", prediction="rank", recommendations_type="rank")
    means = []
    for candidate, rows in spec["reco"].items():
        data = pd.DataFrame(rows, columns=["user_id", "item_id", "rank"])
        for k in spec["k_values"]:
            metrics = [PopularityBias(k=k), NoveltyMetric(k=k), PersonalizationMetric(k=k)]
            report = Report(metrics=metrics)
            report.run(reference_data=None, current_data=data, column_mapping=mapping,
                       additional_data={"current_train_data": train})
            bias, novelty, personal = (metric.get_result() for metric in metrics)
            values = {"gini": bias.current_gini, "avg_popularity": bias.current_apr,
                      "catalog_coverage": bias.current_coverage, "inverse_user_frequency": novelty.current_value,
                      "personalization": personal.current_value}
            means.extend([candidate, metric, k, float(v)] for metric, v in values.items())
            means.extend(_diversity(data, spec["features"], mapping, candidate, k))
    return [], means


def _diversity(data: pd.DataFrame, features: dict, mapping: object, candidate: str, k: int) -> list:
    """DiversityMetric (ild) at K, the rows given one 0/1 column per category (an item
    without one: all 0), in a Report of its own: without train, whose rows would need the
    feature columns too. No value where the library raises (a list with no row within K)."""
    from evidently.legacy.metrics import DiversityMetric
    from evidently.legacy.report import Report

    names = sorted({c for categories in features.values() for c in categories}) or ["none"]
    columns = [f"feature_{i}" for i in range(len(names))]
    rows = data.assign(**{column: [float(name in features.get(item, ())) for item in data["item_id"]]
                          for column, name in zip(columns, names, strict=True)})
    metric = DiversityMetric(k=k, item_features=columns)
    report = Report(metrics=[metric])
    report.run(reference_data=None, current_data=rows, column_mapping=mapping)
    try:
        return [[candidate, "ild", k, float(metric.get_result().current_value)]]
    except Exception:  # noqa: BLE001 - the library's own error: no value there
        return []


def rectools_beyond(spec: dict) -> tuple[list, list]:
    """MeanInvUserFreq, AvgRecPopularity and Serendipity (calc_per_user, users without a
    row within K dropped as the library's calc drops their NaN, and calc), CatalogCoverage
    (normalize=True: over the catalog), CoveredUsers and Intersection at each K, with the
    library's defaults otherwise. The catalog is the train items; Intersection's means come
    back with the candidate as "<candidate> vs <reference>", the reference's whole lists
    given as its reco."""
    from rectools import Columns
    from rectools.metrics import (
        AvgRecPopularity,
        CatalogCoverage,
        CoveredUsers,
        Intersection,
        MeanInvUserFreq,
        Serendipity,
    )

    pair = [Columns.User, Columns.Item]
    train = pd.DataFrame(spec["train"], columns=pair)
    truth = pd.DataFrame(spec["truth"], columns=pair)
    catalog = train[Columns.Item].unique()

    def frame(rows: list) -> pd.DataFrame:
        data = pd.DataFrame(rows, columns=[*pair, Columns.Rank])
        return data.astype({Columns.Rank: int})

    recos = {candidate: frame(rows) for candidate, rows in spec["reco"].items()}
    references = {candidate: frame(rows) for candidate, rows in spec["references"].items()}
    users, means = [], []
    for candidate, reco in recos.items():
        for k in spec["k_values"]:
            per_user = {"inverse_user_frequency": (MeanInvUserFreq(k=k), (train,)),
                        "avg_popularity": (AvgRecPopularity(k=k), (train,)),
                        "serendipity": (Serendipity(k=k), (truth, train, catalog))}
            for metric, (calc, args) in per_user.items():
                values = calc.calc_per_user(reco, *args).dropna()
                users.extend([candidate, user, metric, k, float(v)] for user, v in values.items())
                means.append([candidate, metric, k, float(calc.calc(reco, *args))])
            means.append([candidate, "catalog_coverage", k, float(CatalogCoverage(k=k, normalize=True).calc(reco, catalog))])
            means.append([candidate, "user_coverage", k, float(CoveredUsers(k=k).calc(reco, truth))])
            means.extend([f"{candidate} vs {reference}", "intersection", k, float(Intersection(k=k).calc(reco, ref))]
                         for reference, ref in references.items() if reference != candidate)
    return users, means


def recommenders_beyond(spec: dict) -> tuple[list, list]:
    """python_evaluation's novelty, catalog_coverage and distributional_coverage (means) and
    user_diversity / diversity (ild, per user and mean) with item_sim_measure
    "item_feature_vector", each given the rows within K (the positions the host numbered)
    and the train interactions; diversity only for the candidates in spec["diversity"] (the
    library pairs every item of its feature frame: the host leaves out large catalogues).
    An item without a category is left out of the feature frame (the library gives its
    pairs similarity 0)."""
    import numpy as np
    from recommenders.evaluation import python_evaluation as pe

    train = pd.DataFrame(spec["train"], columns=["userID", "itemID"])
    users, means = [], []
    for candidate, rows in spec["reco"].items():
        data = pd.DataFrame(rows, columns=["userID", "itemID", "rank"])
        features = pd.DataFrame([[item, np.array(spec["features"][item], dtype=float)]
                                 for item in sorted(set(data["itemID"])) if item in spec["features"]],
                                columns=["itemID", "features"])
        for k in spec["k_values"]:
            top = data.loc[data["rank"] <= k, ["userID", "itemID"]].reset_index(drop=True)
            if top.empty:
                continue
            values = {"novelty": pe.novelty(train, top), "catalog_coverage": pe.catalog_coverage(train, top),
                      "distributional_coverage": pe.distributional_coverage(train, top)}
            means.extend([candidate, metric, k, float(v)] for metric, v in values.items())
            if candidate not in spec["diversity"] or top.groupby("userID").size().max() < 2:
                continue  # no pair of items in any list: no diversity
            options = {"item_feature_df": features, "item_sim_measure": "item_feature_vector",
                       "col_item_features": "features"}
            per_user = pe.user_diversity(train, top, **options)
            users.extend([candidate, u, "ild", k, float(v)] for u, v in per_user[["userID", "user_diversity"]].values)
            means.append([candidate, "ild", k, float(pe.diversity(train, top, **options))])
    return users, means


def recommenders_classification(spec: dict) -> tuple[list, list]:
    """python_evaluation's auc and logloss per candidate (k None); a candidate on which the
    library raises (one class only, a score outside [0, 1] for logloss) has no value."""
    from recommenders.evaluation import python_evaluation as pe

    truth = pd.DataFrame(spec["truth"], columns=["userID", "itemID", "rating"])
    means = []
    for candidate, rows in spec["reco"].items():
        pred = pd.DataFrame(rows, columns=["userID", "itemID", "prediction"])
        functions = {"roc_auc": pe.auc, **({"log_loss": pe.logloss} if candidate in spec["probabilities"] else {})}
        for metric, function in functions.items():
            try:
                means.append([candidate, metric, None, float(function(truth, pred))])
            except ValueError:
                continue  # no value in the library
    return [], means


def _at_k(series: pd.Series, k: int) -> float:
    """The value at K of one of Evidently's per-K series: indexed from 0 (K - 1) or from 1
    (K), as its TopKMetricResult reads them."""
    series = pd.Series(series)
    return float(series[k - 1] if min(series.index) == 0 else series[k])


LIBRARIES = {"recommenders": recommenders, "rectools": rectools, "evidently": evidently,
             "evidently_beyond": evidently_beyond, "rectools_beyond": rectools_beyond,
             "recommenders_beyond": recommenders_beyond, "recommenders_classification": recommenders_classification}


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        spec = json.load(handle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        users, means = LIBRARIES[spec["library"]](spec)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"users": users, "means": means}, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
