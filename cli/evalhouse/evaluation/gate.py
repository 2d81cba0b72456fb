"""The deployment gate: the checks a candidate passes before it ships (`evalhouse gate`).

Five kinds of check, configured by the `gate:` block of project.yml (config.GateConfig) and
read from the tables a build wrote: offline metrics against thresholds (`metrics`),
against the baseline with significance (`comparisons`), per slice against the baseline
(`metrics_by_slice`), latency and cost (`inference_costs`, from evaluation.inference_log)
and coverage/stability guardrails (`metrics`, `stability`). A health index (the weighted
mean of an accuracy, a coverage and a stability value) is shown as a diagnostic and never
fails.

A configured check that cannot run (a metric the build does not compute, a K outside
var k_values, an empty table) fails and says why: "nothing to check" is never a pass.
`when_missing` decides only for the values that cannot exist yet by design: stability
against the previous build (a first build has none) and a candidate's serving numbers
(no request in the inference log yet). A gate whose checks were all skipped fails too.
The checks go to `gate_results`, keyed by the warehouse's current build and the candidate
(gate_record.py).

Everything here returns plain data; the CLI prints it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ProjectError, did_you_mean
from evalhouse.evaluation.gate_record import write_results
from evalhouse.evaluation.gate_values import (
    Absent,
    Key,
    MetricValues,
    comparison_rows,
    number,
    split_key,
    why_absent,
)
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.project.config import BaselineRule, Bounds, GateConfig, ServingRule, SliceRule
from evalhouse.targets.duckdb.journal import Journal, current_build
from evalhouse.targets.duckdb.warehouse import Warehouse

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

STATUSES = ("pass", "fail", "skip", "info")
SERVING_COLUMNS = (("p50_ms", "latency_p50_ms"), ("p95_ms", "latency_p95_ms"), ("p99_ms", "latency_p99_ms"),
                   ("cost_per_1k", "cost_per_1k"))


@dataclass
class GateCheck:
    category: str  # threshold, baseline, slice, serving, guardrail or health
    name: str  # what is checked, e.g. "ndcg@10 >= 0.2"
    status: str  # pass, fail, skip (not applicable, or not available yet under when_missing: skip) or info
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
    build_id: str = ""  # the warehouse's current build: the tables the checks read
    checks: list[GateCheck] = field(default_factory=list)
    health: float | None = None
    written: bool = False

    @property
    def passed(self) -> bool:
        # nothing checked (every check skipped, or none) is no pass; evaluate() also adds a
        # failing check that says so
        statuses = {check.status for check in self.checks}
        return "pass" in statuses and "fail" not in statuses

    def counts(self) -> dict[str, int]:
        return {status: sum(c.status == status for c in self.checks) for status in STATUSES}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


class _Checks:
    """Builds the checks of one candidate; `missing` knows what an absent value counts as."""

    def __init__(self, config: GateConfig, candidate: str, baseline: str,
                 directions: dict[str, str] | None = None) -> None:
        self.config = config
        self.candidate = candidate
        self.baseline = baseline
        self.directions = directions or {}  # metric -> higher | lower | neutral (metric_definitions)

    def lower_is_better(self, rule_says: bool | None, metric: str) -> bool:
        """The rule's own word, else the metric's declared direction."""
        return rule_says if rule_says is not None else self.directions.get(metric) == "lower"

    def missing(self, category: str, name: str, absent: Absent) -> GateCheck:
        """A check without its value: it cannot run (a fail) unless the value cannot exist
        yet by design, when `when_missing` decides."""
        if not absent.by_design:
            return GateCheck(category, name, "fail", detail=f"cannot run: {absent.reason}")
        status = "fail" if self.config.when_missing == "fail" else "skip"
        return GateCheck(category, name, status, detail=f"not available: {absent.reason}")

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

    def versus_baseline(self, rule: BaselineRule, comparisons: dict[Key, dict] | None) -> GateCheck:
        name = f"{rule.metric} vs {self.baseline}"
        metric, k = split_key(rule.metric)
        if comparisons is None:
            return self.missing("baseline", name, Absent("the warehouse has no comparisons table"))
        row = comparisons.get((self.candidate, metric, k))
        if row is None:
            return self.missing("baseline", name, why_absent(set(comparisons), "comparisons", self.candidate,
                                                             rule.metric))
        delta, p = number(row.get("delta")), number(row.get(rule.p_value))
        better = None if delta is None else (-delta if self.lower_is_better(rule.lower_is_better, metric) else delta)
        problems = []
        if rule.max_regression is not None and (better is None or better < -rule.max_regression):
            problems.append(f"drops more than {rule.max_regression:g}")
        significant = p is not None and p < self.config.alpha
        if rule.require == "not_worse" and significant and better is not None and better < 0:
            problems.append(f"significantly worse ({rule.p_value} < {self.config.alpha:g})")
        if rule.require == "better" and not (significant and better is not None and better > 0):
            problems.append(f"not significantly better ({rule.p_value} < {self.config.alpha:g} needed)")
        interval = f" [{_fmt(number(row.get('ci_low')))}, {_fmt(number(row.get('ci_high')))}]"
        detail = (f"{_fmt(number(row.get('value')))} vs {_fmt(number(row.get('baseline_value')))}: "
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
                return {(r["slice"], r["slice_value"]): (number(r["value"]), r.get("n_users"))
                        for r in table.dicts()
                        if r["candidate"] == candidate and r["metric"] == metric
                        and (None if r["k"] is None else int(r["k"])) == k}

            mine, theirs = by_slice(self.candidate), by_slice(self.baseline)
            compared = []
            for slice_key, (value, n_users) in sorted(mine.items(), key=lambda item: str(item[0])):
                base = theirs.get(slice_key, (None, None))[0]
                if value is None or base is None or (n_users is not None and n_users < rule.min_users):
                    continue
                better = base - value if self.lower_is_better(rule.lower_is_better, metric) else value - base
                compared.append((better, slice_key, value, base))
            if not compared:
                yield self.missing("slice", name, Absent(f"no slice of {key} with at least {rule.min_users} "
                                                         f"users for both {self.candidate} and {self.baseline}"))
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
            value = None if row is None else number(row.get(column))
            if value is None:
                # a candidate not serving yet has no request: when_missing decides
                yield self.missing("serving", name, Absent(f"no request of {self.candidate} in inference_log",
                                                           by_design=True))
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


def _known_candidate(candidate: str, known: list[str]) -> None:
    """A candidate name the metrics table has, else a ProjectError naming the known ones."""
    if candidate in known:
        return
    listed = f"the candidates are {', '.join(known)}" if known else "the metrics table has no candidate"
    if not candidate.strip():
        raise ProjectError("the candidate name is empty", hint=f"name one: {listed}")
    hint = did_you_mean(candidate, known)
    raise ProjectError(f"no candidate '{candidate}' in the metrics table",
                       hint=f"{hint} ({listed})" if hint else listed)


def _known_baseline(project: LoadedProject, baseline: str, known: list[str]) -> None:
    """The baseline must be a candidate when a project names it, or when a check needs it
    (the default 'popular' of a project of files only is not there, and need not be)."""
    origin = project.baseline_origin()
    config = project.config.gate
    if baseline in known or (origin is None and not config.versus_baseline and config.slices is None):
        return
    hint = did_you_mean(baseline, known)
    listed = f"the candidates are {', '.join(known)}"
    where = {} if origin in (None, "var baseline") else project.evaluation_key(("baseline",))[1]
    raise ProjectError(f"{origin or 'the baseline (the default)'} '{baseline}' is not a candidate of the "
                       "metrics table", **where,
                       hint=(f"{hint} ({listed})" if hint else listed)
                       + ("" if origin else "; set evaluation.baseline in project.yml"))


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
        if Journal(warehouse.connection).exists():  # its tables are half old, half new
            raise ProjectError("a build was stopped before it ended: the warehouse holds some of its new tables",
                               path=project.warehouse_path,
                               hint="run 'evalhouse build' (a command that writes puts the previous tables "
                                    "back first), then the gate")
        build_id = current_build(warehouse.connection)
        if build_id is None:
            raise ProjectError("the warehouse does not say which build wrote it", path=project.warehouse_path,
                               hint="run 'evalhouse build' (a build of this version records its id)")
        values = MetricValues(tables)
        _known_candidate(candidate, values.candidates())
        _known_baseline(project, baseline, values.candidates())
        comparisons_table = tables.read("comparisons")
        slices_table = tables.read("metrics_by_slice")
        costs_table = tables.read("inference_costs")
        definitions = tables.read("metric_definitions")
        directions = ({str(r["metric"]): str(r["direction"]) for r in definitions.dicts()}
                      if definitions is not None and definitions.has_columns("metric", "direction") else {})
    checks = _Checks(config, candidate, baseline, directions)
    result = GateResult(candidate, baseline, build_id)
    result.checks.extend(checks.bounds("threshold", config.thresholds, values))
    if config.versus_baseline:
        if candidate == baseline:
            result.checks.append(GateCheck("baseline", f"against {baseline}", "skip",
                                           detail="not applicable: the candidate is the baseline"))
        else:
            comparisons = None if comparisons_table is None else comparison_rows(comparisons_table)
            result.checks.extend(checks.versus_baseline(rule, comparisons) for rule in config.versus_baseline)
    if config.slices is not None:
        if candidate == baseline:
            result.checks.append(GateCheck("slice", f"slices against {baseline}", "skip",
                                           detail="not applicable: the candidate is the baseline"))
        elif slices_table is None:
            result.checks.append(checks.missing("slice", f"slices against {baseline}",
                                                Absent("the warehouse has no metrics_by_slice table")))
        else:
            result.checks.extend(checks.slices(config.slices, slices_table))
    if config.serving is not None:
        costs = None if costs_table is None else {str(r["candidate"]): r for r in costs_table.dicts()}
        result.checks.extend(checks.serving(config.serving, costs, bool(project.config.evaluation.inference_log)))
    result.checks.extend(checks.bounds("guardrail", config.guardrails, values))
    if not any(check.status in ("pass", "fail") for check in result.checks):
        # every check skipped, or none configured: nothing was checked, which is no pass
        skipped = sum(check.status == "skip" for check in result.checks)
        why = (f"all {skipped} configured checks were skipped" if skipped
               else "the gate: block of project.yml configures no check")
        result.checks.append(GateCheck("gate", "something checked", "fail",
                                       detail=f"nothing was checked: {why}"))
    result.health, detail = checks.health(values, candidate)
    baseline_health, _ = checks.health(values, baseline)
    if baseline != candidate and baseline_health is not None:
        detail += f"; {baseline} (the baseline): {baseline_health:.4g}"
    result.checks.append(GateCheck("health", "health index (diagnostic)", "info", result.health, None, detail))
    return result


def run_gate(project: LoadedProject, candidate: str, *, write: bool = True, wait_seconds: float = 0.0) -> GateResult:
    """Evaluate the gate for a candidate and, unless write is False, record it in gate_results."""
    result = evaluate(project, candidate, wait_seconds=wait_seconds)
    if write:
        write_results(project, result, wait_seconds=wait_seconds)
    return result
