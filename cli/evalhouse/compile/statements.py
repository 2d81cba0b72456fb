"""Which statements project SQL may be: DuckDB's own parser names each statement's type.

Project SQL is text a colleague wrote, not code we trust with the machine. A model, a data
test, `show` and `query` may only read (one statement); a hook may change the warehouse
(one statement) but not attach, copy, export, install, load or change settings. The
connection's sandbox (warehouse.py) is the second wall: what slips past here still cannot
reach a file outside the allow-list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalhouse.compile.sqlcheck import source_line
from evalhouse.errors import ProjectError, SandboxError
from evalhouse.project.nodes import Node

# `describe`, `show`, `summarize`, `values` and the `from` shorthand are SELECT to DuckDB;
# a query with a `pivot` without an IN list is MULTI (DuckDB creates its enum types first)
READ_TYPES = frozenset({"SELECT"})
QUERY_TYPES = READ_TYPES | {"EXPLAIN"}
HOOK_TYPES = READ_TYPES | {"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ANALYZE"}

_PIVOT = re.compile(r"\b(?:un)?pivot\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*([A-Za-z_]+)", re.DOTALL)


@dataclass(frozen=True)
class Refusal:
    """Why project SQL may not run, and where in the SQL the refused statement starts."""

    reason: str
    offset: int | None = None  # of the refused statement's first word in the SQL checked


def _statements(sql: str) -> list[tuple[str, str]] | None:
    """(type, text) of each statement in `sql`; None when DuckDB cannot parse it."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return None
    found = []
    for statement in statements:
        name = statement.type.name
        if name == "MULTI" and _PIVOT.search(statement.query):
            name = "SELECT"
        found.append((name, statement.query))
    return found


def statement_types(sql: str) -> list[str] | None:
    """The type of each statement in `sql` (SELECT, ATTACH, COPY, SET ...); None when DuckDB
    cannot parse it (the run then fails on the same syntax error, with its own message)."""
    statements = _statements(sql)
    return None if statements is None else [name for name, _ in statements]


def _first_word(sql: str) -> str:
    match = _FIRST_WORD.match(sql)
    return match.group(1).lower() if match else "?"


def _offset(text: str, statements: list[tuple[str, str]], index: int) -> int | None:
    """Where the first word of statement `index` is in `text` (DuckDB's statements are the
    text cut at each ';', in order)."""
    position = 0
    for number, (_, query) in enumerate(statements):
        found = text.find(query, position)
        if found < 0:
            return None
        if number == index:
            word = _FIRST_WORD.match(query)
            return found + (word.start(1) if word else 0)
        position = found + len(query)
    return None


def refusal(sql: str, allowed: frozenset[str], wrapper: str = "select * from (\n{sql}\n) as q") -> Refusal | None:
    """Why `sql` may not run, or None when it is one statement of an allowed type.

    SQL that DuckDB cannot parse on its own is parsed again inside `wrapper` (how we run
    it): text that closes our parenthesis to start a statement of its own is refused too."""
    text, shift = sql, 0
    statements = _statements(sql)
    if statements is None:
        text, shift = wrapper.format(sql=sql), wrapper.index("{sql}")
        statements = _statements(text)
        if statements is None or len(statements) == 1:
            return None  # a plain syntax error: the run reports it
    if len(statements) > 1:
        offset = _offset(text, statements, 1)
        second = _first_word(statements[1][1])
        return Refusal(f"it holds {len(statements)} SQL statements where one is allowed "
                       f"(the second starts with '{second}')",
                       None if offset is None else max(0, min(offset - shift, len(sql))))
    if not statements:
        return Refusal("it renders to no SQL statement")
    name, query = statements[0]
    if name not in allowed:
        return Refusal(f"'{_first_word(query)}' statements ({name.lower()}) are not allowed here",
                       _offset(text, statements, 0))
    return None


def model_line(node: Node, sql: str, offset: int | None, compiled: bool = True) -> int | None:
    """The line of the model file where the text at `offset` of `sql` (its compiled SQL or
    one of its hooks) is written, when it can be found: the same line in the file (mapped
    as SQL errors are), else the one line of the file that holds it."""
    if offset is None or not node.raw:
        return None
    compiled_line = sql.count("\n", 0, offset) + 1
    if compiled:
        line = source_line(node.raw, sql, compiled_line)
        if line is not None:
            return line
    text = sql.splitlines()[compiled_line - 1][offset - (sql.rfind("\n", 0, offset) + 1):].strip()
    hits = [number for number, line in enumerate(node.raw.splitlines(), 1) if text and text in line]
    return hits[0] if len(hits) == 1 else None


def hooks_of(node: Node) -> list[str]:
    hooks = node.config.extra.get("post_hook") or []
    return [str(h) for h in ([hooks] if isinstance(hooks, str) else hooks)]


def check_node_statements(node: Node) -> None:
    """A model or data test is one read; each of its hooks is one statement of HOOK_TYPES."""
    hint = "a model is one select; copy, attach, install, set and the like are not allowed in project SQL"
    sql = node.sql or ""
    why = refusal(sql, READ_TYPES)
    if why is not None:
        raise SandboxError(f"{node.kind} {node.name} is refused: {why.reason}", path=node.path,
                           line=model_line(node, sql, why.offset), hint=hint)
    for hook in hooks_of(node):
        why = refusal(hook, HOOK_TYPES, "{sql}")
        if why is not None:
            raise SandboxError(f"a post_hook of {node.kind} {node.name} is refused: {why.reason}", path=node.path,
                               line=model_line(node, hook, why.offset, compiled=False),
                               hint="a hook is one insert, update, delete, create, drop or alter statement "
                                    "on the project's own tables")


def check_query(sql: str, what: str) -> None:
    """`query` and `show` read: one select (or describe, show, explain, summarize, pivot)."""
    if statement_types(sql) == []:  # blank, only ';' or only comments
        raise ProjectError(f"{what} is empty", hint="write one select, such as 'select * from leaderboard'")
    why = refusal(sql, QUERY_TYPES)
    if why is not None:
        raise SandboxError(f"{what} is refused: {why.reason}",
                           hint=f"{what} only reads: select, with, values, from, describe, show, explain, "
                                "summarize, pivot; build the warehouse with 'evalhouse build'")
