"""DuckDB's `union [all] by name` for Spark, which matches a union's columns by position only.

Each branch of a by-name union is analysed by Spark (with the CTEs it can see), which
gives its column names even behind `select *`; the union then selects every column by
name from each branch, null where a branch lacks it, in the order DuckDB gives: the first
branch's columns, then each new name where it first appears. Needs a session, so
`compile --target spark` leaves the clause as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

Columns = Callable[[exp.Expression], list[str]]  # a query (with its CTEs) -> its column names


class UnionByNameError(ValueError):
    pass


def _by_name(node: exp.Expression) -> bool:
    return isinstance(node, exp.Union) and bool(node.args.get("by_name"))


def _in_chain(node: exp.Expression) -> bool:
    parent = node.parent
    return _by_name(parent) and parent.args.get("distinct") == node.args.get("distinct")  # type: ignore[union-attr]


def _branches(top: exp.Expression) -> list[exp.Expression]:
    """The queries of a chain `a union by name b union by name c`, left to right."""
    out: list[exp.Expression] = []
    for side in (top.this, top.expression):
        if _by_name(side) and side.args.get("distinct") == top.args.get("distinct"):
            out.extend(_branches(side))
        else:
            out.append(side)
    return out


def _ctes_in_scope(node: exp.Expression) -> list[exp.CTE]:
    """The CTEs a query can read: of every enclosing WITH, those before the CTE it is in."""
    scope: list[exp.CTE] = list(node.args["with_"].expressions) if node.args.get("with_") else []
    child = node
    while child.parent is not None:
        parent = child.parent
        if isinstance(parent, exp.With) and isinstance(child, exp.CTE):
            index = next(i for i, cte in enumerate(parent.expressions) if cte is child)
            scope = list(parent.expressions[:index]) + scope
        elif not isinstance(child, exp.With):
            outer = parent.args.get("with_")
            if isinstance(outer, exp.With):
                scope = list(outer.expressions) + scope
        child = parent
    return scope


def _probe(branch: exp.Expression, scope: list[exp.CTE]) -> exp.Expression:
    probe = exp.select("*").from_(branch.copy().subquery("_branch"))
    if scope:
        probe.set("with_", exp.With(expressions=[cte.copy() for cte in scope]))
    return probe


def _rewrite(top: exp.Union, columns: Columns) -> exp.Expression:
    branches = _branches(top)
    scope = _ctes_in_scope(top)
    names = [columns(_probe(branch, scope)) for branch in branches]
    output: dict[str, str] = {}
    for branch_names in names:
        for name in branch_names:
            output.setdefault(name.lower(), name)
    queries = []
    for i, (branch, branch_names) in enumerate(zip(branches, names, strict=True)):
        present = {n.lower(): n for n in branch_names}
        projections = [
            exp.alias_(exp.column(present[key], quoted=True), name, quoted=True) if key in present
            else exp.alias_(exp.null(), name, quoted=True)
            for key, name in output.items()
        ]
        queries.append(exp.select(*projections).from_(branch.copy().subquery(f"_by_name_{i}")))
    distinct = bool(top.args.get("distinct"))
    rebuilt: exp.Expression = queries[0]
    for query in queries[1:]:
        rebuilt = exp.union(rebuilt, query, distinct=distinct)
    for key in ("with_", "order", "limit", "offset"):
        if top.args.get(key) is not None:
            rebuilt.set(key, top.args[key])
    top.replace(rebuilt)
    return rebuilt


def rewrite_unions_by_name(tree: exp.Expression, columns: Columns) -> exp.Expression:
    """Every `union [all] by name` in `tree` as a positional union with named columns.

    A chain is rewritten once nothing it reads (its branches, the CTEs it sees) holds a
    by-name union still, so Spark can analyse every branch."""
    while True:
        tops = [u for u in tree.find_all(exp.Union) if _by_name(u) and not _in_chain(u)]
        if not tops:
            return tree
        ready = next(
            (top for top in tops
             if not any(any(_by_name(n) for n in part.find_all(exp.Union))
                        for part in [*_branches(top), *_ctes_in_scope(top)])),
            None,
        )
        if ready is None:
            raise UnionByNameError("union by name: could not find an order to resolve the columns in")
        rebuilt = _rewrite(ready, columns)
        if ready is tree:
            tree = rebuilt
