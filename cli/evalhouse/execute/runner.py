"""Execute a plan of nodes on a target, in graph order, on N threads.

Independent nodes run concurrently (the DuckDB target gives each its own cursor). A failed
node (or a failed test with severity `error`) skips everything downstream of it in the
plan. Nothing here prints: progress goes to the `on_event` callback.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from evalhouse.compile.compiler import CompiledProject
from evalhouse.errors import EvalhouseError
from evalhouse.execute.interrupts import signals_deferred
from evalhouse.execute.target import NodeOutcome, Target
from evalhouse.project.nodes import Node


@dataclass
class NodeResult:
    unique_id: str
    name: str
    kind: str
    materialized: str
    status: str  # success | error | skipped | pass | fail | warn
    message: str = ""
    execution_time: float = 0.0
    rows: int | None = None
    failures: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    hint: str = ""  # a failing test's description: what the failure means and what to do
    started_at: str = ""
    error: EvalhouseError | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("success", "pass", "warn")

    def to_dict(self) -> dict[str, Any]:
        return {
            "unique_id": self.unique_id,
            "name": self.name,
            "kind": self.kind,
            "materialized": self.materialized,
            "status": self.status,
            "message": self.message,
            "execution_time": round(self.execution_time, 4),
            "rows": self.rows,
            "failures": self.failures,
            **({"hint": self.hint} if self.hint else {}),
            "started_at": self.started_at,
        }


@dataclass
class RunResult:
    command: str
    results: list[NodeResult]
    elapsed: float
    started_at: str
    warnings: list[str] = field(default_factory=list)  # what the user should know (input checks)
    notes: list[str] = field(default_factory=list)  # what happened to the warehouse, for people

    @property
    def success(self) -> bool:
        return all(r.ok for r in self.results)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for result in self.results:
            out[result.status] = out.get(result.status, 0) + 1
        return out


EventCallback = Callable[[str, Node, int, int, NodeResult | None], None]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Runner:
    def __init__(
        self,
        compiled: CompiledProject,
        target: Target,
        *,
        threads: int = 1,
        fail_fast: bool = False,
        full_refresh: bool = False,
        on_event: EventCallback | None = None,
    ) -> None:
        self.compiled = compiled
        self.target = target
        self.threads = max(1, threads)
        self.fail_fast = fail_fast
        self.full_refresh = full_refresh
        self.on_event = on_event or (lambda *args: None)

    # -- planning ----------------------------------------------------------------------
    def _plan_parents(self, plan: set[str], gate_on_tests: bool) -> dict[str, set[str]]:
        graph = self.compiled.graph
        parents = {uid: graph.parents[uid] & plan for uid in plan}
        if gate_on_tests:
            # in `build`, a model's children wait for (and are skipped by) the model's tests;
            # a singular test gates the children of every relation it reads, as in dbt, when
            # this run builds all of them (selected eagerly through one of them, it judges
            # relations the run did not build, so its verdict is not about this run's)
            for uid in plan:
                node = self.compiled.nodes[uid]
                if node.kind != "test":
                    continue
                if node.attached_to:
                    subjects = [node.attached_to]
                else:
                    subjects = [p for p in graph.parents[uid] if self.compiled.nodes[p].kind in ("model", "seed")]
                    if not all(p in plan for p in subjects):
                        continue
                for subject in subjects:
                    for child in graph.children.get(subject, ()):
                        if child == uid or child not in plan or self.compiled.nodes[child].kind == "test":
                            continue
                        if child in graph.ancestors(uid):
                            continue  # the test reads a descendant of the child: no cycle
                        parents[child].add(uid)
        return parents

    # -- running -------------------------------------------------------------------------
    def run(self, plan: set[str], command: str, gate_on_tests: bool = False) -> RunResult:
        started, t0 = _now(), time.perf_counter()
        parents = self._plan_parents(plan, gate_on_tests)
        order = self.compiled.graph.order(plan)
        position = {uid: i for i, uid in enumerate(order)}
        executable = [uid for uid in order if self._executes(self.compiled.nodes[uid])]
        total = len(executable)
        sorter = graphlib.TopologicalSorter(parents)
        sorter.prepare()
        results: dict[str, NodeResult] = {}
        skipped: dict[str, str] = {}
        indexes: dict[str, int] = {}
        ready: list[str] = []
        running: dict[Future[NodeResult], str] = {}
        stop = False

        def next_index(uid: str) -> int:
            indexes[uid] = len(indexes) + 1
            return indexes[uid]

        pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="evalhouse")
        try:
            while sorter.is_active():
                ready.extend(sorter.get_ready())
                # tests first, so a model's tests run right after it; then graph order
                ready.sort(key=lambda u: (self.compiled.nodes[u].kind != "test", position[u]))
                while ready and len(running) < self.threads:
                    uid = ready.pop(0)
                    node = self.compiled.nodes[uid]
                    if not self._executes(node):
                        sorter.done(uid)
                        continue
                    if uid in skipped or stop:
                        reason = skipped.get(uid, "skipped after an earlier failure (--fail-fast)")
                        result = NodeResult(uid, node.name, node.kind, node.materialized, "skipped", reason)
                        results[uid] = result
                        self.on_event("skip", node, next_index(uid), total, result)
                        sorter.done(uid)
                        continue
                    self.on_event("start", node, next_index(uid), total, None)
                    running[pool.submit(self._execute, node)] = uid
                if not running:
                    continue
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    uid = running.pop(future)
                    node = self.compiled.nodes[uid]
                    result = future.result()
                    results[uid] = result
                    self.on_event("done", node, indexes[uid], total, result)
                    if not result.ok:
                        for child in self.compiled.graph.descendants(uid) | self._gated_children(uid, parents):
                            skipped.setdefault(child, f"skipped because {node.name} failed")
                        if self.fail_fast:
                            stop = True
                    sorter.done(uid)
        except BaseException:  # Ctrl-C, SIGTERM: stop what runs, then let the caller undo
            with signals_deferred():
                self._stop_running(running)
            raise
        finally:
            pool.shutdown(wait=True)
        ordered = [results[uid] for uid in executable if uid in results]
        return RunResult(command, ordered, time.perf_counter() - t0, started)

    def _stop_running(self, running: dict[Future[NodeResult], str]) -> None:
        """Interrupt the statements of the nodes still running until every one has ended:
        a node may start its next statement just after an interrupt, so it is repeated."""
        while running:
            self.target.interrupt()
            done, _ = wait(list(running), timeout=0.2)
            for future in done:
                running.pop(future)

    @staticmethod
    def _gated_children(uid: str, parents: dict[str, set[str]]) -> set[str]:
        direct = {child for child, deps in parents.items() if uid in deps}
        out = set(direct)
        frontier = direct
        while frontier:
            frontier = {c for c, deps in parents.items() if deps & frontier} - out
            out |= frontier
        return out

    @staticmethod
    def _executes(node: Node) -> bool:
        return not (node.kind == "model" and node.config.materialized == "ephemeral")

    def _execute(self, node: Node) -> NodeResult:
        started, t0 = _now(), time.perf_counter()
        result = NodeResult(node.unique_id, node.name, node.kind, node.materialized, "success", started_at=started)
        try:
            if isinstance(node.compile_error, EvalhouseError):
                raise node.compile_error
            outcome = self.target.run_node(node, self.full_refresh)
            result.rows = outcome.rows
            if node.kind == "test":
                self._judge_test(node, outcome, result)
        except EvalhouseError as exc:
            result.status, result.message, result.error = "error", exc.render(), exc
        except Exception as exc:
            error = self.target.node_error(node, exc)
            if error is None:
                raise
            result.status, result.message, result.error = "error", error.render(), error
        result.execution_time = time.perf_counter() - t0
        return result

    @staticmethod
    def _judge_test(node: Node, outcome: NodeOutcome, result: NodeResult) -> None:
        result.failures = outcome.failures
        if not outcome.failures:
            result.status = "pass"
            return
        result.sample = outcome.sample
        result.hint = node.description
        result.status = "warn" if node.config.severity == "warn" else "fail"
        result.message = f"{outcome.failures} failing row{'s' if outcome.failures != 1 else ''}"
