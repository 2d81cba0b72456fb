"""DuckDB's dynamic `pivot ... on c using agg group by ...` and `columns('regex') as 'name'`
for Spark, whose PIVOT needs the values listed and which has no COLUMNS(...).

Both depend on the data or on the columns of a query, so, as `union by name`, they need
the session: a pivot becomes one aggregate per distinct value of its `on` column (Spark
runs a `select distinct` first), in DuckDB's order (the values sorted); `columns('regex')`
becomes the columns of the query's FROM clause that the regex finds (Spark analyses it),
each renamed by the template as DuckDB does (`\\1` is the first group). Pivots are
rewritten first, so that the columns of a pivoted subquery can be asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from evalhouse.targets.spark.union import _ctes_in_scope, _probe

Columns = Callable[[exp.Expression], list[str]]  # a query (with its CTEs) -> its column names
Values = Callable[[exp.Expression], list[Any]]  # a query of one column -> its rows' values


class PivotError(ValueError):
    pass


def _pivot_to_select(pivot: exp.Pivot, values: Values) -> exp.Select:
    """`pivot source on c using agg(x) group by g` as `select g, agg(x) filter (where
    c = 'v') as v, ... from source group by g`, one aggregate per distinct c."""
    (on, *more_on) = pivot.expressions or [None]
    using = pivot.args.get("using") or []
    group = pivot.args.get("group")
    if on is None or more_on or isinstance(on, exp.In) or len(using) != 1 or group is None:
        raise PivotError("pivot on Spark: one `on` column, one `using` aggregate and a `group by`, "
                         "without an `in` list")
    source = pivot.this.copy()
    if not isinstance(source, exp.Subquery):
        source = exp.select("*").from_(source).subquery()
    source.set("alias", exp.TableAlias(this=exp.to_identifier("_pivot_source")))
    as_text = exp.cast(on.copy(), exp.DataType.build("text"))
    probe = _probe(exp.select(exp.alias_(as_text, "value")).distinct().from_(source.copy()), _ctes_in_scope(pivot))
    found = sorted(str(v) for v in values(probe) if v is not None)
    aggregates = [
        exp.alias_(
            exp.Filter(this=using[0].copy(), expression=exp.Where(this=exp.EQ(this=as_text.copy(),
                                                                              expression=exp.Literal.string(v)))),
            v,
            quoted=True,
        )
        for v in found
    ]
    keys = [e.copy() for e in group.expressions]
    return exp.select(*keys, *aggregates).from_(source).group_by(*[k.copy() for k in keys])


def _expand_columns(select: exp.Select, columns: Columns) -> None:
    """Replace each `columns('regex') [as 'template']` of a select list by the matching
    columns of its FROM clause."""
    source = select.args.get("from_")
    if source is None:
        raise PivotError("columns(...) on Spark needs a FROM clause to pick the columns of")
    probe = exp.select("*").from_(source.this.copy())
    for join in select.args.get("joins") or []:
        probe.append("joins", join.copy())
    with_scope = _probe(probe, _ctes_in_scope(select))
    available = columns(with_scope)
    projections = []
    for projection in select.expressions:
        target = projection.unalias()
        if not isinstance(target, exp.Columns):
            projections.append(projection)
            continue
        pattern = target.this
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise PivotError("columns(...) on Spark takes a regular expression as a string literal")
        regex = re.compile(pattern.this)
        template = projection.alias if isinstance(projection, exp.Alias) else None
        for name in available:
            match = regex.search(name)
            if match is None:
                continue
            alias = match.expand(template) if template else name
            projections.append(exp.alias_(exp.column(name, quoted=True), alias, quoted=True))
    select.set("expressions", projections)


def rewrite_pivots_and_columns(tree: exp.Expression, columns: Columns, values: Values) -> exp.Expression:
    """Every DuckDB pivot in `tree`, then every `columns('regex')`, in Spark SQL terms."""
    while True:
        # innermost first: a pivot's source may hold another one
        pivots = [p for p in tree.find_all(exp.Pivot)
                  if not p.args.get("unpivot") and p.args.get("using") and isinstance(p.this, exp.Expression)
                  and not any(p.this.find_all(exp.Pivot))]
        if not pivots:
            break
        pivot = pivots[0]
        select = _pivot_to_select(pivot, values)
        replacement: exp.Expression = select if isinstance(pivot.parent, exp.Subquery) else select.subquery()
        if pivot is tree:
            tree = select
        else:
            pivot.replace(replacement)
    selects = [s for s in tree.find_all(exp.Select) if any(isinstance(p.unalias(), exp.Columns) for p in s.expressions)]
    for select in reversed(selects):  # find_all goes top down: inner selects first
        _expand_columns(select, columns)
    return tree
