"""The columns a model that unions others by tag needs from each of them.

`models_tagged('user_metric', columns=['candidate', 'user_id', 'metric', 'k', 'value'])`
says so; compile then reads each tagged model's select list. Without this, a metric
model that writes `as val` fails inside the union (user_metrics), naming neither the
metric's file nor the column; with it, the metric model itself fails, named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from evalhouse.errors import SqlError, did_you_mean
from evalhouse.project.nodes import Node

# what a union model asked for: its name -> tag -> the columns each tagged model must return
Contracts = Mapping[str, Mapping[str, list[str]]]


def output_columns(sql: str) -> list[str] | None:
    """The names a query returns, in order; None when they cannot be told from the text
    (`select *`, an expression without a name, SQL sqlglot does not read)."""
    from sqlglot import exp  # sqlglot loads only when checking

    from evalhouse.compile.sqlcheck import parse

    expression = parse(sql).expression
    if not isinstance(expression, exp.Query):
        return None
    names = expression.named_selects
    if not names or any(name in ("", "*") for name in names):
        return None
    return names


def contract_errors(contracts: Contracts, by_name: Mapping[str, Node]) -> dict[str, SqlError]:
    """Each tagged model that lacks a column its union needs -> the error naming its file."""
    errors: dict[str, SqlError] = {}
    for union_name, by_tag in contracts.items():
        for tag, required in by_tag.items():
            for node in by_name.values():
                if node.kind != "model" or tag not in node.config.tags or node.name == union_name:
                    continue
                error = _check(node, union_name, tag, required)
                if error is not None and node.name not in errors:
                    errors[node.name] = error
    return errors


def _check(node: Node, union_name: str, tag: str, required: list[str]) -> SqlError | None:
    if not node.sql or not node.config.enabled:
        return None
    names = output_columns(node.sql)
    if names is None:
        return None
    have = {name.lower() for name in names}
    missing = [column for column in required if column.lower() not in have]
    if not missing:
        return None
    extra = [name for name in names if name.lower() not in {c.lower() for c in required}]
    renames = []
    line = None
    for column in missing:
        close = did_you_mean(column, extra)
        if close:
            written = close.split("'")[1]
            renames.append(f"rename '{written}' to '{column}' (... as {column})")
            line = line or _alias_line(node.raw, written)
    what = ", ".join(f"'{c}'" for c in missing)
    return SqlError(
        f"model {node.name} has no column {what}: {union_name} unions the models tagged '{tag}' and needs "
        f"{', '.join(required)} from each (it returns {', '.join(names)})",
        path=node.path,
        line=line,
        hint="; ".join(renames) or f"return the columns {', '.join(required)}, in any order",
    )


def _alias_line(raw: str, name: str) -> int | None:
    """The line of the file where `as name` is written, else where the name first is."""
    lines = raw.splitlines()
    for pattern in (rf"\bas\s+\"?{re.escape(name)}\"?(?!\w)", rf"\b{re.escape(name)}\b"):
        for number, text in enumerate(lines, start=1):
            if re.search(pattern, text, re.IGNORECASE):
                return number
    return None
