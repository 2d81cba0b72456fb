"""The deployment gate: the checks a candidate passes before it ships (`evalhouse gate`).

Five kinds of check, configured by the `gate:` block of project.yml (config.GateConfig) and
read from the tables a build wrote: offline metrics against thresholds (`metrics`),
against the baseline with significance (`comparisons`), per slice against the baseline
(`metrics_by_slice`), latency and cost (`inference_costs`, from evaluation.inference_log)
and coverage/stability guardrails (`metrics`, `stability`). A health index (the weighted
mean of an accuracy, a coverage and a stability value) is shown as a diagnostic and never
fails. The checks go to the `gate_results` table, replacing the candidate's earlier rows.

Everything here returns plain data; the CLI prints it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ProjectError, did_you_mean
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.project.config import BaselineRule, Bounds, GateConfig, ServingRule, SliceRule
from evalhouse.targets.duckdb.warehouse import Warehouse

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

STATUSES = ("pass", "fail", "skip", "info")
RESULT_COLUMNS = (
    ("candidate", "varchar"), ("baseline", "varchar"), ("category", "varchar"), ("check_name", "varchar"),
    ("status", "varchar"), ("passed", "boolean"), ("value", "double"), ("limit_value", "double"),
    ("detail", "varchar"), ("checked_at", "timestamp"),
)
SERVING_COLUMNS = (("p50_ms", "latency_p50_ms"), ("p95_ms", "latency_p95_ms"), ("p99_ms", "latency_p99_ms"),
                   ("cost_per_1k", "cost_per_1k"))
# columns of the wide stability table that are not metrics
_NOT_METRICS = {"candidate", "k", "build_id", "previous_build_id", "n_users"}


@dataclass
class GateCheck:
    category: str  # threshold, baseline, slice, serving, guardrail or health
    name: str  # what is checked, e.g. "ndcg@10 >= 0.2"
    status: str  # pass, fail, skip (not applicable, or not available under when_missing: skip) or info
    value: float | None = None
    limit: float | None = None
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        return {"pass": True, "fail": False}.get(self.status)


@dataclass
class GateResult:
    candidate: str
    baseline: str
    checks: list[GateCheck] = field(default_factory=list)
    health: float | None = None
    written: bool = False

    @property
    def passed(self) -> bool:
        return not any(check.status == "fail" for check in self.checks)

    def counts(self) -> dict[str, int]:
        return {status: sum(c.status == status for c in self.checks) for status in STATUSES}


def split_key(key: str) -> tuple[str, int | None]:
    """'ndcg@10' -> ('ndcg', 10); 'roc_auc' -> ('roc_auc', None)."""
    name, _, k = key.partition("@")
    return name, int(k) if k else None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


class MetricValues:
    """Every candidate's metric@k: rows of `metrics`, then the columns of the wide `stability`."""

    def __init__(self, tables: EvaluationTables) -> None:
        self.values: dict[tuple[str, str, int | None], float | None] = {}
        metrics = tables.read("metrics")
        for row in metrics.dicts() if metrics is not None else []:
            k = None if row["k"] is None else int(row["k"])
            self.values[(str(row["candidate"]), str(row["metric"]), k)] = _number(row["value"])
        stability = tables.read("stability")
        self.stability_columns = set(stability.columns) - _NOT_METRICS if stability is not None else set()
        if stability is not None and stability.has_columns("candidate", "k"):
            for row in stability.dicts():
                for column, value in row.items():
                    if column not in _NOT_METRICS and _number(value) is not None:
                        self.values.setdefault((str(row["candidate"]), column, int(row["k"])), _number(value))

    def why_missing(self, candidate: str, key: str) -> str:
        name, _ = split_key(key)
        if self.stability_columns and name in self.stability_columns:
            return (f"the stability table has no {key} for {candidate} (stability compares a build with the "
                    "previous one: a first build has none)")
        return f"no {key} for {candidate} in metrics or stability"

    def candidates(self) -> list[str]:
        return sorted({candidate for candidate, _, _ in self.values})

    def get(self, candidate: str, key: str) -> float | None:
        name, k = split_key(key)
        return self.values.get((candidate, name, k))


class _Checks:
    """Builds the checks of one candidate; `missing` knows what an absent value counts as."""

    def __init__(self, config: GateConfig, candidate: str, baseline: str) -> None:
        self.config = config
        self.candidate = candidate
        self.baseline = baseline

    def missing(self, category: str, name: str, reason: str) -> GateCheck:
        status = "fail" if self.config.when_missing == "fail" else "skip"
        return GateCheck(category, name, status, detail=f"not available: {reason}")

    def bounds(self, category: str, bounds: dict[str, Bounds], values: MetricValues) -> Iterator[GateCheck]:
        for key, limits in bounds.items():
            parts = ([f"{limits.min:g} <=" if limits.min is not None else ""] + [key]
                     + [f"<= {limits.max:g}" if limits.max is not None else ""])
            name = " ".join(p for p in parts if p)
            value = values.get(self.candidate, key)
            if value is None:
                yield self.missing(category, name, values.why_missing(self.candidate, key))
                continue
            low_ok = limits.min is None or value >= limits.min
            high_ok = limits.max is None or value <= limits.max
            limit = limits.min if not low_ok or limits.max is None else limits.max
            yield GateCheck(category, name, "pass" if low_ok and high_ok else "fail", value, limit, f"{value:.4g}")

    def versus_baseline(self, rule: BaselineRule, comparisons: dict[tuple[str, str, int | None], dict]) -> GateCheck:
        name = f"{rule.metric} vs {self.baseline}"
        metric, k = split_key(rule.metric)
        row = comparisons.get((self.candidate, metric, k))
        if row is None:
            return self.missing("baseline", name, f"no comparisons row for {rule.metric}")
        delta, p = _number(row.get("delta")), _number(row.get(rule.p_value))
        better = None if delta is None else (-delta if rule.lower_is_better else delta)
        problems = []
        if rule.max_regression is not None and (better is None or better < -rule.max_regression):
            problems.append(f"drops more than {rule.max_regression:g}")
        significant = p is not None and p < self.config.alpha
        if rule.require == "not_worse" and significant and better is not None and better < 0:
            problems.append(f"significantly worse ({rule.p_value} < {self.config.alpha:g})")
        if rule.require == "better" and not (significant and better is not None and better > 0):
            problems.append(f"not significantly better ({rule.p_value} < {self.config.alpha:g} needed)")
        interval = f" [{_fmt(_number(row.get('ci_low')))}, {_fmt(_number(row.get('ci_high')))}]"
        detail = (f"{_fmt(_number(row.get('value')))} vs {_fmt(_number(row.get('baseline_value')))}: "
                  f"delta {delta:+.4g}{interval}, {rule.p_value} {_fmt(p)}" if delta is not None else "no delta")
        if problems:
            detail += "; " + ", ".join(problems)
        limit = None if rule.max_regression is None else -rule.max_regression
        return GateCheck("baseline", name, "fail" if problems else "pass", delta, limit, detail)

    def slices(self, rule: SliceRule, table: Any) -> Iterator[GateCheck]:
        for key in rule.metrics:
            name = f"{key} in every slice vs {self.baseline}"
            metric, k = split_key(key)

            def by_slice(candidate: str, metric: str = metric, k: int | None = k) -> dict[tuple, tuple]:
                return {(r["slice"], r["slice_value"]): (_number(r["value"]), r.get("n_users"))
                        for r in table.dicts()
                        if r["candidate"] == candidate and r["metric"] == metric
                        and (None if r["k"] is None else int(r["k"])) == k}

            mine, theirs = by_slice(self.candidate), by_slice(self.baseline)
            compared = []
            for slice_key, (value, n_users) in sorted(mine.items(), key=lambda item: str(item[0])):
                base = theirs.get(slice_key, (None, None))[0]
                if value is None or base is None or (n_users is not None and n_users < rule.min_users):
                    continue
                better = base - value if rule.lower_is_better else value - base
                compared.append((better, slice_key, value, base))
            if not compared:
                yield self.missing("slice", name, f"no slice of {key} with at least {rule.min_users} users "
                                                  f"for both {self.candidate} and {self.baseline}")
                continue
            worst, (slice_name, slice_value), value, base = min(compared, key=lambda c: c[0])
            status = "pass" if worst >= -rule.margin else "fail"
            detail = (f"{len(compared)} slices; worst {slice_name}={slice_value}: {value:.4g} vs {base:.4g} "
                      f"({value - base:+.4g}, margin {rule.margin:g})")
            yield GateCheck("slice", name, status, worst, -rule.margin, detail)

    def serving(self, rule: ServingRule, costs: dict[str, dict] | None, has_log: bool) -> Iterator[GateCheck]:
        wanted = [(field_name, column, getattr(rule, field_name)) for field_name, column in SERVING_COLUMNS
                  if getattr(rule, field_name) is not None]
        if not wanted:
            return
        if not has_log:
            yield GateCheck("serving", "latency and cost", "skip",
                            detail="not applicable: no evaluation.inference_log in project.yml")
            return
        row = (costs or {}).get(self.candidate)
        for field_name, column, limit in wanted:
            name = f"{field_name.replace('_ms', '')} latency <= {limit:g} ms" if field_name.endswith("_ms") \
                else f"cost per 1,000 requests <= {limit:g}"
            value = None if row is None else _number(row.get(column))
            if value is None:
                yield self.missing("serving", name, f"no request of {self.candidate} in inference_log")
                continue
            yield GateCheck("serving", name, "pass" if value <= limit else "fail", value, limit,
                            f"{value:.4g} over {row.get('requests')} requests")

    def health(self, values: MetricValues, candidate: str) -> tuple[float | None, str]:
        settings = self.config.health
        parts, absent, total, weight_sum = [], [], 0.0, 0.0
        for component in ("accuracy", "coverage", "stability"):
            key, weight = getattr(settings, component), getattr(settings.weights, component)
            value = values.get(candidate, key)
            if weight <= 0:
                continue
            if value is None:
                absent.append(f"{component} ({key})")
                continue
            total += weight * value
            weight_sum += weight
            parts.append(f"{weight:g} x {key} {value:.4g}")
        index = total / weight_sum if weight_sum > 0 else None
        detail = f"{index:.4g} = ({' + '.join(parts)}) / {weight_sum:g}" if index is not None else "n/a"
        if absent:
            detail += "; not available: " + ", ".join(absent)
        return index, detail


def evaluate(project: LoadedProject, candidate: str, *, wait_seconds: float = 0.0) -> GateResult:
    """Run the configured checks on the warehouse (read-only); nothing is written."""
    config = project.config.gate
    baseline = project.baseline_name()
    with Warehouse(project.warehouse_path, project.config.duckdb, read_only=True,
                   wait_seconds=wait_seconds) as warehouse:
        tables = EvaluationTables(warehouse.cursor())
        if not tables.has("metrics"):
            raise ProjectError("the warehouse has no metrics table", path=project.warehouse_path,
                               hint="run 'evalhouse build' first")
        values = MetricValues(tables)
        if candidate not in values.candidates():
            raise ProjectError(f"no candidate '{candidate}' in the metrics table",
                               hint=did_you_mean(candidate, values.candidates())
                               or f"the candidates are {', '.join(values.candidates()) or 'none'}")
        comparisons_table = tables.read("comparisons")
        slices_table = tables.read("metrics_by_slice")
        costs_table = tables.read("inference_costs")
    checks = _Checks(config, candidate, baseline)
    result = GateResult(candidate, baseline)
    result.checks.extend(checks.bounds("threshold", config.thresholds, values))
    if config.versus_baseline:
        if candidate == baseline:
            result.checks.append(GateCheck("baseline", f"against {baseline}", "skip",
                                           detail="not applicable: the candidate is the baseline"))
        else:
            comparisons = {} if comparisons_table is None else {
                (str(r["candidate"]), str(r["metric"]), None if r["k"] is None else int(r["k"])): r
                for r in comparisons_table.dicts()}
            result.checks.extend(checks.versus_baseline(rule, comparisons) for rule in config.versus_baseline)
    if config.slices is not None:
        if candidate == baseline:
            result.checks.append(GateCheck("slice", f"slices against {baseline}", "skip",
                                           detail="not applicable: the candidate is the baseline"))
        elif slices_table is None:
            result.checks.append(checks.missing("slice", f"slices against {baseline}", "no metrics_by_slice table"))
        else:
            result.checks.extend(checks.slices(config.slices, slices_table))
    if config.serving is not None:
        costs = None if costs_table is None else {str(r["candidate"]): r for r in costs_table.dicts()}
        result.checks.extend(checks.serving(config.serving, costs, bool(project.config.evaluation.inference_log)))
    result.checks.extend(checks.bounds("guardrail", config.guardrails, values))
    result.health, detail = checks.health(values, candidate)
    baseline_health, _ = checks.health(values, baseline)
    if baseline != candidate and baseline_health is not None:
        detail += f"; {baseline} (the baseline): {baseline_health:.4g}"
    result.checks.append(GateCheck("health", "health index (diagnostic)", "info", result.health, None, detail))
    return result


def write_results(project: LoadedProject, result: GateResult, *, wait_seconds: float = 0.0) -> None:
    """Replace the candidate's rows of gate_results (created when absent), in one transaction."""
    checked_at = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [(result.candidate, result.baseline, c.category, c.name, c.status, c.passed, c.value, c.limit,
             c.detail, checked_at) for c in result.checks]
    names = [name for name, _ in RESULT_COLUMNS]
    with Warehouse(project.warehouse_path, project.config.duckdb, wait_seconds=wait_seconds) as warehouse:
        connection = warehouse.connection
        connection.execute("begin transaction")
        try:
            found = connection.execute(
                "select table_type from information_schema.tables"
                " where table_schema = 'main' and table_name = 'gate_results'").fetchall()
            columns = [row[0] for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'main'"
                " and table_name = 'gate_results' order by ordinal_position").fetchall()]
            if found and (found[0][0] == "VIEW" or columns != names):  # not ours: replace it
                connection.execute(f"drop {'view' if found[0][0] == 'VIEW' else 'table'} main.gate_results")
            connection.execute("create table if not exists main.gate_results ("
                               + ", ".join(f"{name} {kind}" for name, kind in RESULT_COLUMNS) + ")")
            connection.execute("delete from main.gate_results where candidate = ?", [result.candidate])
            if rows:
                connection.executemany(
                    f"insert into main.gate_results values ({', '.join('?' for _ in names)})", rows)
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
    result.written = True


def run_gate(project: LoadedProject, candidate: str, *, write: bool = True, wait_seconds: float = 0.0) -> GateResult:
    """Evaluate the gate for a candidate and, unless write is False, record it in gate_results."""
    result = evaluate(project, candidate, wait_seconds=wait_seconds)
    if write:
        write_results(project, result, wait_seconds=wait_seconds)
    return result
