"""A tiny evaluation project written from literal SQL: the contract tables (metrics,
leaderboard, curves, slices, comparisons, A/B, gate, stability) at a few rows each, plus
the demo's own models/history/metrics_history.sql. Shared by test_tracking and test_report."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = {"popular": 0.30, "cooc": 0.45, "random": 0.05}  # candidate -> quality
BASELINE = "popular"
AT_K = ("ndcg", "recall", "precision", "catalog_coverage", "gini", "novelty", "avg_popularity")
K_VALUES = (5, 10, 20)


def metric_rows() -> list[tuple[str, str, int | None, float]]:
    """(candidate, metric, k, value): deterministic values that differ by candidate and k."""
    rows = []
    for c_index, (candidate, quality) in enumerate(CANDIDATES.items()):
        for m_index, metric in enumerate(AT_K):
            for k in K_VALUES:
                rows.append((candidate, metric, k, round(quality * (1 + m_index / 10) * (k / 20) ** 0.5, 6)))
        rows.append((candidate, "roc_auc", None, round(0.5 + quality / 2 - c_index / 100, 6)))
    return rows


def _values(rows: list[tuple]) -> str:
    def sql(v: object) -> str:
        if v is None:
            return "null"
        return f"'{v}'" if isinstance(v, str) else repr(v)

    return ",\n  ".join("(" + ", ".join(sql(v) for v in row) + ")" for row in rows)


def files(*, with_extras: bool = True, with_history: bool = True) -> dict[str, str]:
    """The models; `with_extras=False` gives a project with `metrics` and nothing else."""
    out = {
        "models/metrics.sql": "{{ config(materialized='table') }}\n"
        "select candidate, metric, cast(k as integer) as k, cast(value as double) as value, 50 as n_users,"
        " 2 as users_without_relevant\n"
        f"from (values\n  {_values(metric_rows())}\n) as t(candidate, metric, k, value)\n",
    }
    if with_history:
        out["models/history/metrics_history.sql"] = (REPO / "models/history/metrics_history.sql").read_text()
    if not with_extras:
        return out
    rates = _values([(c, q) for c, q in CANDIDATES.items()])
    out.update({
        "models/leaderboard.sql": "{{ config(materialized='table') }}\n"
        "select candidate, max(n_users) as n_users,\n"
        "  max(value) filter (where metric = 'ndcg' and k = 10) as ndcg_at_10,\n"
        "  max(value) filter (where metric = 'recall' and k = 10) as recall_at_10\n"
        "from {{ ref('metrics') }} group by candidate order by ndcg_at_10 desc\n",
        "models/recall_curve.sql": "{{ config(materialized='table') }}\n"
        f"select c.candidate, r.range as k, 1 - exp(-r.range * c.q / 4) as recall\n"
        f"from (values {rates}) as c(candidate, q) cross join range(1, 21) as r\n",
        "models/roc_curve.sql": "{{ config(materialized='table') }}\n"
        "select c.candidate, t.range / 200.0 as fpr, pow(t.range / 200.0, 1 - c.q) as tpr, 1 - t.range / 200.0 "
        f"as threshold\nfrom (values {rates}) as c(candidate, q) cross join range(0, 201) as t\n",
        "models/pr_curve.sql": "{{ config(materialized='table') }}\n"
        "select c.candidate, t.range / 100.0 as recall, c.q + (1 - c.q) * (1 - t.range / 100.0) * 0.5 as precision,"
        f" 1 - t.range / 100.0 as threshold\nfrom (values {rates}) as c(candidate, q) cross join range(0, 101) as t\n",
        "models/metrics_by_slice.sql": "{{ config(materialized='table') }}\n"
        "select m.candidate, s.slice, s.slice_value, m.metric, m.k, m.value * s.f as value, 25 as n_users\n"
        "from {{ ref('metrics') }} as m cross join (values ('activity', 'low', 0.8), ('activity', 'high', 1.2),"
        " ('tenure', 'new', 0.9), ('tenure', 'old', 1.1)) as s(slice, slice_value, f)\n"
        "where m.metric in ('ndcg', 'recall') and m.k = 10\n",
        "models/comparisons.sql": "{{ config(materialized='table') }}\n"
        "select m.candidate, b.candidate as baseline, m.metric, m.k, b.value as baseline_value, m.value,\n"
        "  m.value - b.value as delta, (m.value - b.value) / b.value as rel_delta,\n"
        "  m.value - b.value - 0.01 as ci_low, m.value - b.value + 0.01 as ci_high,\n"
        "  0.001 as p_ttest, 0.002 as p_randomization, 0.004 as p_adjusted, 30 as wins, 5 as ties, 15 as losses\n"
        "from {{ ref('metrics') }} as m join {{ ref('metrics') }} as b\n"
        f"  on b.candidate = '{BASELINE}' and b.metric = m.metric and b.k = m.k\n"
        f"where m.candidate <> '{BASELINE}' and m.metric in ('ndcg', 'recall', 'precision')\n",
        "models/ab_results.sql": "{{ config(materialized='table') }}\n"
        "select * from (values ('control', 1000, 50, 0.05, 0.010), ('treatment', 1000, 64, 0.064, 0.013))"
        " as t(variant, impressions, clicks, ctr, conversion_rate)\n",
        "models/ab_tests.sql": "{{ config(materialized='table') }}\n"
        "select 'ctr' as outcome, 'z-test' as test, 0.14 as lift, 0.18 as p_value\n",
        "models/gate_results.sql": "{{ config(materialized='table') }}\n"
        "select * from (values ('cooc', 'ndcg@10 beats the baseline', true),"
        " ('cooc', 'coverage above 1%', true)) as t(candidate, check_name, passed)\n",
        "models/stability.sql": "{{ config(materialized='table') }}\n"
        "select candidate, 0.8 as jaccard_at_10, 0.85 as rbo from (values ('popular'), ('cooc')) as t(candidate)\n",
        "models/user_metrics.sql": "{{ config(materialized='table') }}\n"
        "select m.candidate, u.range as user_id, m.metric, m.k, m.value as value\n"
        "from {{ ref('metrics') }} as m cross join range(1, 4) as u where m.metric = 'ndcg'\n",
    })
    return out


PROJECT_YML = """\
name: tiny_eval
vars:
  leaderboard_order: {metric: ndcg, k: 10}
  api_token: do-not-log-me
evaluation:
  baseline: popular
mlflow:
  enabled: false
  experiment: tiny_experiment
  timeout_seconds: 10
"""
