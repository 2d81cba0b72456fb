"""Turn a node's SQL into a relation, so that a failure never leaves half a table.

A table is built under a temporary name and swapped in within one transaction: until the
swap commits, readers see the previous table; if the build fails, the previous table is
still there. A view is replaced in one transaction. An incremental model deletes the
rows it is about to replace and inserts the new ones in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from evalhouse.project.nodes import Node, quote

TEMP_PREFIX = "__evalhouse_tmp__"


def _execute_in_transaction(cursor: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
    cursor.execute("begin transaction")
    try:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("commit")
    except BaseException:
        _cleanup(cursor, "rollback")
        raise


def _cleanup(cursor: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run a clean-up statement after a failure without hiding the failure: when the first
    error left the database unusable, the clean-up fails too, and the first error is the
    one that says what went wrong."""
    try:
        cursor.execute(statement)
    except duckdb.Error:
        pass


def _drop_statement(existing_kind: str | None, relation: str) -> list[str]:
    if existing_kind == "view":
        return [f"drop view if exists {relation}"]
    if existing_kind == "table":
        return [f"drop table if exists {relation}"]
    return []


def _count(cursor: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(cursor.execute(f"select count(*) from {relation}").fetchone()[0])


def swap_in_table(
    cursor: duckdb.DuckDBPyConnection,
    node: Node,
    select_sql: str | None,
    existing_kind: str | None,
    *,
    create_temp: Callable[[str], None] | None = None,
) -> int:
    """Build `select_sql` (or call `create_temp`) into a temporary table, then swap it in."""
    schema = quote(node.config.schema)
    temp_name = TEMP_PREFIX + node.identifier
    temp = f"{schema}.{quote(temp_name)}"
    cursor.execute(f"create schema if not exists {schema}")
    cursor.execute(f"drop table if exists {temp}")
    try:
        if create_temp is not None:
            create_temp(temp)
        else:
            cursor.execute(f"create table {temp} as\n{select_sql}")
        rows = _count(cursor, temp)
        _execute_in_transaction(
            cursor,
            _drop_statement(existing_kind, node.relation)
            + [f"alter table {temp} rename to {quote(node.identifier)}"],
        )
    except BaseException:
        _cleanup(cursor, f"drop table if exists {temp}")
        raise
    cursor.execute(f"drop table if exists {temp}")
    return rows


def build_view(cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None) -> None:
    cursor.execute(f"create schema if not exists {quote(node.config.schema)}")
    drop = _drop_statement(existing_kind, node.relation) if existing_kind == "table" else []
    _execute_in_transaction(cursor, drop + [f"create or replace view {node.relation} as\n{node.sql}"])


def build_incremental(
    cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None, full_refresh: bool
) -> int:
    if existing_kind != "table" or full_refresh:
        return swap_in_table(cursor, node, node.sql, existing_kind)
    new_rows = quote(TEMP_PREFIX + "new__" + node.identifier)
    cursor.execute(f"create or replace temp table {new_rows} as\n{node.sql}")
    try:
        statements = []
        keys = node.config.unique_key
        if keys:
            keys = [keys] if isinstance(keys, str) else list(keys)
            match = " and ".join(
                f"{node.relation}.{quote(k)} is not distinct from {new_rows}.{quote(k)}" for k in keys
            )
            statements.append(f"delete from {node.relation} using {new_rows} where {match}")
        statements.append(f"insert into {node.relation} by name select * from {new_rows}")
        _execute_in_transaction(cursor, statements)
        rows = _count(cursor, new_rows)
    except BaseException:
        _cleanup(cursor, f"drop table if exists {new_rows}")
        raise
    cursor.execute(f"drop table if exists {new_rows}")
    return rows


def materialize(
    cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None, full_refresh: bool
) -> int | None:
    """Build one model, then run its post hooks; returns the rows written (None for a view)."""
    kind = node.config.materialized
    rows: int | None = None
    if kind == "view":
        build_view(cursor, node, existing_kind)
    elif kind == "table":
        rows = swap_in_table(cursor, node, node.sql, existing_kind)
    elif kind == "incremental":
        rows = build_incremental(cursor, node, existing_kind, full_refresh)
    else:
        return None  # ephemeral models live inside the models that read them
    hooks = node.config.extra.get("post_hook") or []
    for statement in [hooks] if isinstance(hooks, str) else hooks:
        cursor.execute(str(statement))
    return rows
