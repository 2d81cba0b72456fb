"""The dependency graph: a dict of sets, a deterministic order, a readable cycle."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable

from evalhouse.errors import GraphError


class Graph:
    """Edges point from a node to the nodes it depends on (its parents)."""

    def __init__(self, parents: dict[str, set[str]]) -> None:
        self.parents = {node: set(deps) for node, deps in parents.items()}
        self.children: dict[str, set[str]] = {node: set() for node in self.parents}
        for node, deps in self.parents.items():
            for dep in deps:
                self.children.setdefault(dep, set()).add(node)
                self.parents.setdefault(dep, set())

    def __contains__(self, node: str) -> bool:
        return node in self.parents

    def order(self, nodes: Iterable[str] | None = None) -> list[str]:
        """A topological order (parents first), ties broken by name so runs repeat."""
        keep = set(self.parents if nodes is None else nodes)
        sorter = graphlib.TopologicalSorter(
            {node: self.parents[node] & keep for node in sorted(keep)}
        )
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            cycle = exc.args[1]
            path = " -> ".join(str(node) for node in reversed(cycle))
            raise GraphError(
                f"dependency cycle: {path}",
                hint="remove one ref() on that path so the models form a chain",
            ) from None
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            ordered.extend(ready)
            sorter.done(*ready)
        return ordered

    def check_acyclic(self) -> None:
        self.order()

    def ancestors(self, node: str, depth: int | None = None) -> set[str]:
        return self._walk(node, self.parents, depth)

    def descendants(self, node: str, depth: int | None = None) -> set[str]:
        return self._walk(node, self.children, depth)

    @staticmethod
    def _walk(start: str, edges: dict[str, set[str]], depth: int | None) -> set[str]:
        seen: set[str] = set()
        frontier = {start}
        level = 0
        while frontier and (depth is None or level < depth):
            nxt: set[str] = set()
            for node in frontier:
                for other in edges.get(node, ()):
                    if other not in seen:
                        seen.add(other)
                        nxt.add(other)
            frontier = nxt
            level += 1
        seen.discard(start)
        return seen
