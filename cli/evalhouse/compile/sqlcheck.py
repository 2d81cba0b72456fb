"""Read rendered SQL with sqlglot: which tables it reads, and where an error sits."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

_DUCKDB_LINE = re.compile(r"LINE (\d+):")


@dataclass
class ParsedSql:
    expression: exp.Expression | None
    tables: set[str]  # lower-case names of the tables read, CTEs excluded
    error: str | None = None
    error_line: int | None = None


def parse(sql: str, dialect: str = "duckdb") -> ParsedSql:
    """Parse one statement; on failure, record the message and the line."""
    try:
        expressions = [e for e in sqlglot.parse(sql, read=dialect) if e is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        return ParsedSql(None, set(), error=str(first.get("description") or exc), error_line=first.get("line"))
    if not expressions:
        return ParsedSql(None, set(), error="the model renders to no SQL statement", error_line=1)
    tables: set[str] = set()
    for expression in expressions:
        tables |= tables_read(expression)
    return ParsedSql(expressions[-1], tables)


def tables_read(expression: exp.Expression) -> set[str]:
    cte_names = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    names = set()
    for table in expression.find_all(exp.Table):
        name = table.name
        if not name or not isinstance(table.this, exp.Identifier):
            continue  # a table function such as read_parquet('...')
        if not table.db and name.lower() in cte_names:
            continue
        names.add(name.lower())
    return names


_CHANGES = (exp.Insert, exp.Delete, exp.Update, exp.Drop, exp.Alter, exp.Create, exp.Merge, exp.TruncateTable)


def changed_table(sql: str) -> str | None:
    """The lower-case name of the table a statement changes (insert, delete, update, drop,
    alter, create, merge, truncate: its first table, the target), "" when it changes none
    (a select), None when sqlglot cannot read it."""
    try:
        expression = sqlglot.parse_one(sql, read="duckdb")
    except (ParseError, ValueError):
        return None
    if not isinstance(expression, _CHANGES):
        return ""
    target = next(expression.find_all(exp.Table), None)  # breadth first: the target comes first
    return target.name.lower() if target is not None and target.name else None


def duckdb_syntax_error(sql: str) -> tuple[str, int | None] | None:
    """DuckDB's own parser, for SQL that sqlglot does not know; None when it parses."""
    import duckdb

    try:
        duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        message = str(exc)
        return message, error_line(message)
    return None


def error_line(message: str) -> int | None:
    match = _DUCKDB_LINE.search(message)
    return int(match.group(1)) if match else None


def source_line(raw: str, compiled: str, compiled_line: int | None) -> int | None:
    """Map a line of the compiled SQL back to the model file, when the text is unique."""
    if compiled_line is None:
        return None
    compiled_lines = compiled.splitlines()
    if not 0 < compiled_line <= len(compiled_lines):
        return None
    wanted = compiled_lines[compiled_line - 1].strip()
    if not wanted:
        return None
    hits = [i + 1 for i, line in enumerate(raw.splitlines()) if line.strip() == wanted]
    if len(hits) == 1:
        return hits[0]
    if raw.count("\n") == compiled.count("\n") and "{%" not in raw:
        return compiled_line  # no block tags: lines line up one to one
    return None
