"""Which statements project SQL may be: DuckDB's own parser names each statement's type.

Project SQL is text a colleague wrote, not code we trust with the machine. A model, a data
test, `show` and `query` may only read (one statement); a hook may change the warehouse
(one statement) but not attach, copy, export, install, load or change settings. The
connection's sandbox (warehouse.py) is the second wall: what slips past here still cannot
reach a file outside the allow-list.
"""

from __future__ import annotations

import re

from evalhouse.errors import ProjectError, SandboxError
from evalhouse.project.nodes import Node

# `describe`, `show`, `summarize`, `values` and the `from` shorthand are SELECT to DuckDB;
# a query with a `pivot` without an IN list is MULTI (DuckDB creates its enum types first)
READ_TYPES = frozenset({"SELECT"})
QUERY_TYPES = READ_TYPES | {"EXPLAIN"}
HOOK_TYPES = READ_TYPES | {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ANALYZE"}

_PIVOT = re.compile(r"\b(?:un)?pivot\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z_]+)", re.DOTALL)


def statement_types(sql: str) -> list[str] | None:
    """The type of each statement in `sql` (SELECT, ATTACH, COPY, SET ...); None when DuckDB
    cannot parse it (the run then fails on the same syntax error, with its own message)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return None
    types = []
    for statement in statements:
        name = statement.type.name
        if name == "MULTI" and _PIVOT.search(statement.query):
            name = "SELECT"
        types.append(name)
    return types


def _first_word(sql: str) -> str:
    match = _FIRST_WORD.match(sql)
    return match.group(1).lower() if match else "?"


def refusal(sql: str, allowed: frozenset[str], wrapper: str = "select * from (\n{sql}\n) as q") -> str | None:
    """Why `sql` may not run, or None when it is one statement of an allowed type.

    SQL that DuckDB cannot parse on its own is parsed again inside `wrapper` (how we run
    it): text that closes our parenthesis to start a statement of its own is refused too."""
    types = statement_types(sql)
    if types is None:
        types = statement_types(wrapper.format(sql=sql))
        if types is None or len(types) == 1:
            return None  # a plain syntax error: the run reports it
    if len(types) > 1:
        return f"it holds {len(types)} SQL statements where one is allowed"
    if not types:
        return "it renders to no SQL statement"
    if types[0] not in allowed:
        return f"'{_first_word(sql)}' statements ({types[0].lower()}) are not allowed here"
    return None


def hooks_of(node: Node) -> list[str]:
    hooks = node.config.extra.get("post_hook") or []
    return [str(h) for h in ([hooks] if isinstance(hooks, str) else hooks)]


def check_node_statements(node: Node) -> None:
    """A model or data test is one read; each of its hooks is one statement of HOOK_TYPES."""
    hint = "a model is one select; copy, attach, install, set and the like are not allowed in project SQL"
    why = refusal(node.sql or "", READ_TYPES)
    if why is not None:
        raise SandboxError(f"{node.kind} {node.name} is refused: {why}", path=node.path, hint=hint)
    for hook in hooks_of(node):
        why = refusal(hook, HOOK_TYPES, "{sql}")
        if why is not None:
            raise SandboxError(f"a post_hook of {node.kind} {node.name} is refused: {why}", path=node.path,
                               hint="a hook is one insert, update, delete, create, drop or alter statement "
                                    "on the project's own tables")


def check_query(sql: str, what: str) -> None:
    """`query` and `show` read: one select (or describe, show, explain, summarize, pivot)."""
    if statement_types(sql) == []:  # blank, only ';' or only comments
        raise ProjectError(f"{what} is empty", hint="write one select, such as 'select * from leaderboard'")
    why = refusal(sql, QUERY_TYPES)
    if why is not None:
        raise SandboxError(f"{what} is refused: {why}",
                           hint=f"{what} only reads: select, with, values, from, describe, show, explain, "
                                "summarize, pivot; build the warehouse with 'evalhouse build'")
