"""The values the deployment gate checks, and why one is absent.

A metric@k the gate asks for is looked up in `metrics` (then the wide `stability`) or in
`comparisons`. When it is not there, the reason decides what the check is: a name the
build never computes, a K outside var k_values or an empty table is a mistake in the gate
or the build (the check fails and says so, with a "did you mean"); a stability value
after a first build cannot exist yet by design (the check follows `when_missing`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from evalhouse.errors import did_you_mean
from evalhouse.evaluation.tables import EvaluationTables, Table

# columns of the wide stability table that are not metrics
NOT_METRICS = {"candidate", "k", "build_id", "previous_build_id", "n_users"}
# what models/history/stability.sql computes: present only from a candidate's second build
STABILITY_METRICS = {"jaccard", "rbo", "changed_users_share", "score_psi", "score_ks"}

Key = tuple[str, str, int | None]  # candidate, metric, k


def split_key(key: str) -> tuple[str, int | None]:
    """'ndcg@10' -> ('ndcg', 10); 'roc_auc' -> ('roc_auc', None)."""
    name, _, k = key.partition("@")
    return name, int(k) if k else None


def number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _k(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass
class Absent:
    """Why a value is not there; `by_design` when it cannot exist yet (when_missing decides)."""

    reason: str
    by_design: bool = False


def why_absent(keys: set[Key], table: str, candidate: str, key: str) -> Absent:
    """The reason `key` of `candidate` is not among a table's (candidate, metric, k) keys."""
    name, k = split_key(key)
    if not keys:
        return Absent(f"the {table} table is empty")
    names = {metric for _, metric, _ in keys}
    if name not in names:
        hint = did_you_mean(name, names)
        return Absent(f"no metric '{name}' in the {table} table"
                      + (f": {hint}" if hint else f" (it has {', '.join(sorted(names))})"))
    ks = sorted({kk for _, metric, kk in keys if metric == name and kk is not None})
    if k is None and ks:
        return Absent(f"{name} is computed at a cut-off: write {name}@K with K in {', '.join(map(str, ks))}")
    if k is not None and k not in ks:
        computed = f"K = {', '.join(map(str, ks))}" if ks else "no K (it has no cut-off)"
        return Absent(f"no {key} in the {table} table: the build computed {name} at {computed} (var k_values)")
    own = sorted({metric for c, metric, _ in keys if c == candidate})
    has = (f"{candidate} has no row there" if not own else f"{candidate} has "
           + ", ".join(own[:6]) + (f" and {len(own) - 6} more" if len(own) > 6 else ""))
    return Absent(f"no {key} for {candidate} in the {table} table ({has})")


class MetricValues:
    """Every candidate's metric@k: rows of `metrics`, then the columns of the wide `stability`."""

    def __init__(self, tables: EvaluationTables) -> None:
        self.values: dict[Key, float | None] = {}
        self.metric_keys: set[Key] = set()
        metrics = tables.read("metrics")
        for row in metrics.dicts() if metrics is not None else []:
            key = (str(row["candidate"]), str(row["metric"]), _k(row["k"]))
            self.metric_keys.add(key)
            self.values[key] = number(row["value"])
        stability = tables.read("stability")
        self.stability_keys: set[Key] = set()
        self.stability_columns = set(stability.columns) - NOT_METRICS if stability is not None else set()
        if stability is not None and stability.has_columns("candidate", "k"):
            for row in stability.dicts():
                for column, value in row.items():
                    if column in NOT_METRICS:
                        continue
                    key = (str(row["candidate"]), column, _k(row["k"]))
                    self.stability_keys.add(key)
                    if number(value) is not None:
                        self.values.setdefault(key, number(value))

    def why_missing(self, candidate: str, key: str) -> Absent:
        name, k = split_key(key)
        if name in self.stability_columns | STABILITY_METRICS and name not in {m for _, m, _ in self.metric_keys}:
            ks = {kk for _, metric, kk in self.stability_keys if metric == name}
            if ks and k not in ks:
                return why_absent(self.stability_keys, "stability", candidate, key)
            return Absent(f"no {key} for {candidate} yet: stability compares a build with the candidate's "
                          "previous one, and a first build has none", by_design=True)
        return why_absent(self.metric_keys, "metrics", candidate, key)

    def candidates(self) -> list[str]:
        return sorted({candidate for candidate, _, _ in self.metric_keys})

    def get(self, candidate: str, key: str) -> float | None:
        name, k = split_key(key)
        return self.values.get((candidate, name, k))


def comparison_rows(table: Table | None) -> dict[Key, dict[str, Any]]:
    if table is None:
        return {}
    return {(str(r["candidate"]), str(r["metric"]), _k(r["k"])): r for r in table.dicts()}
