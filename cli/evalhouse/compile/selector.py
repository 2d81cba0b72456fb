"""Node selection, as in dbt: `+m`, `m+`, `2+m`, `m+1`, `tag:x`, `path:dir`, `config.k:v`.

A space separates a union of terms, a comma the intersection of criteria within a term,
and --exclude subtracts. Each criterion is one regular expression and a dataclass.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from evalhouse.compile.graph import Graph
from evalhouse.errors import SelectionError, did_you_mean
from evalhouse.project.nodes import Node

_CRITERION = re.compile(
    r"^(?P<parents>(?P<parents_depth>\d*)\+)?"
    r"(?:(?P<method>[a-z_]+(?:\.[a-z_]+)*):)?"
    r"(?P<value>[^+]+?)"
    r"(?P<children>\+(?P<children_depth>\d*))?$"
)
METHODS = ("name", "tag", "path", "config", "resource_type", "test_type")


@dataclass(frozen=True)
class Criterion:
    method: str
    value: str
    parents: bool = False
    parents_depth: int | None = None
    children: bool = False
    children_depth: int | None = None

    @classmethod
    def parse(cls, text: str) -> Criterion:
        match = _CRITERION.match(text)
        if not match:
            raise SelectionError(
                f"cannot read the selector '{text}'",
                hint="write e.g. 'name', '+name', 'name+', 'tag:metric' or 'path:models/metrics'",
            )
        method = match["method"] or "name"
        root = method.split(".")[0]
        if root not in METHODS:
            raise SelectionError(
                f"unknown selector method '{method}' in '{text}'",
                hint=did_you_mean(root, METHODS) or f"use one of {', '.join(METHODS)}",
            )
        return cls(
            method=method,
            value=match["value"],
            parents=bool(match["parents"]),
            parents_depth=int(match["parents_depth"]) if match["parents_depth"] else None,
            children=bool(match["children"]),
            children_depth=int(match["children_depth"]) if match["children_depth"] else None,
        )

    def matches(self, node: Node) -> bool:
        method, value = self.method, self.value
        if method == "name":
            return fnmatch.fnmatchcase(node.name, value)
        if method == "tag":
            return any(fnmatch.fnmatchcase(tag, value) for tag in node.config.tags)
        if method == "path":
            wanted = PurePosixPath(value.rstrip("/"))
            path = PurePosixPath(node.path.as_posix())
            return path == wanted or wanted in path.parents or fnmatch.fnmatchcase(str(path), value)
        if method == "resource_type":
            return node.kind == value
        if method == "test_type":
            is_generic = node.test_name is not None
            return node.kind == "test" and (value == "generic") == is_generic
        if method.startswith("config."):
            key = method.split(".", 1)[1]
            got = node.config.to_dict().get(key)
            if isinstance(got, list):
                return value in [str(v) for v in got]
            return str(got).lower() == value.lower()
        return False

    def select(self, nodes: dict[str, Node], graph: Graph) -> set[str]:
        chosen = {uid for uid, node in nodes.items() if self.matches(node)}
        expanded = set(chosen)
        for uid in chosen:
            if self.parents:
                expanded |= graph.ancestors(uid, self.parents_depth)
            if self.children:
                expanded |= graph.descendants(uid, self.children_depth)
        return expanded


def _terms(expressions: Sequence[str]) -> list[list[Criterion]]:
    terms = []
    for expression in expressions:
        for term in expression.split():
            terms.append([Criterion.parse(part) for part in term.split(",") if part])
    return terms


def _select_terms(terms: list[list[Criterion]], nodes: dict[str, Node], graph: Graph) -> set[str]:
    selected: set[str] = set()
    for term in terms:
        sets = [criterion.select(nodes, graph) for criterion in term]
        selected |= set.intersection(*sets) if sets else set()
    return selected


def select_nodes(
    nodes: dict[str, Node],
    graph: Graph,
    select: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> set[str]:
    """The unique ids chosen by --select minus --exclude; tests follow their parents."""
    select = [s for s in (select or []) if s.strip()]
    exclude = [s for s in (exclude or []) if s.strip()]
    if select:
        chosen = _select_terms(_terms(select), nodes, graph)
        if not chosen:
            names = [n.name for n in nodes.values()]
            first = select[0].split()[0].split(",")[0].strip("+0123456789")
            raise SelectionError(
                f"--select '{' '.join(select)}' matches no node",
                hint=did_you_mean(first.split(":")[-1], names)
                or "list what exists with 'evalhouse ls'",
            )
    else:
        chosen = set(nodes)
    # a test runs when any node it reads is selected (dbt's "eager" indirect selection)
    for uid, node in nodes.items():
        if node.kind == "test" and uid not in chosen and node.depends_on & chosen:
            chosen.add(uid)
    if exclude:
        chosen -= _select_terms(_terms(exclude), nodes, graph)
    return chosen


def tests_without_parents(plan: set[str], nodes: dict[str, Node], existing: Iterable[str]) -> dict[str, list[str]]:
    """The tests of `plan` that read a model or seed which the plan does not build and the
    warehouse does not hold (a fresh warehouse, `-s +baseline_recs`: a test of labels that
    also reads recs), each with the names of those parents. Such a test cannot run; the
    caller leaves it out and says why, rather than failing on a missing table."""
    held = set(existing)
    out: dict[str, list[str]] = {}
    for uid in sorted(plan):
        node = nodes[uid]
        if node.kind != "test":
            continue
        missing = sorted(
            nodes[parent].name for parent in node.depends_on
            if parent in nodes and nodes[parent].kind in ("model", "seed") and parent not in plan
            and nodes[parent].materialized != "ephemeral" and nodes[parent].relation not in held
        )
        if missing:
            out[uid] = missing
    return out
