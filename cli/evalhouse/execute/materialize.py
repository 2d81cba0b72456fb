"""Turn a node's SQL into a relation, so that a failure never leaves half a table.

A table is built under a temporary name and swapped in within one transaction: until the
swap commits, readers see the previous table; if the build fails, the previous table is
still there. A view is replaced in one transaction. An incremental model deletes the
rows it is about to replace and inserts the new ones in one transaction. In each of these
transactions the build's journal sets the previous version aside (targets/duckdb/journal.py),
so that a build that fails later puts it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb

from evalhouse.project.nodes import Node, quote

if TYPE_CHECKING:
    from evalhouse.targets.duckdb.journal import Journal

TEMP_PREFIX = "__evalhouse_tmp__"


def execute_in_transaction(cursor: duckdb.DuckDBPyConnection, statements: list[str],
                           counted: str | None = None) -> int | None:
    """Run `statements`, then `counted` (an insert or delete) when given, in one
    transaction; the rows `counted` changed."""
    cursor.execute("begin transaction")
    try:
        for statement in statements:
            cursor.execute(statement)
        rows = int(cursor.execute(counted).fetchone()[0]) if counted else None
        cursor.execute("commit")
    except BaseException:
        _cleanup(cursor, "rollback")
        raise
    return rows


def _cleanup(cursor: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run a clean-up statement after a failure without hiding the failure: when the first
    error left the database unusable, the clean-up fails too, and the first error is the
    one that says what went wrong."""
    try:
        cursor.execute(statement)
    except duckdb.Error:
        pass


def _replace_in_transaction(cursor: duckdb.DuckDBPyConnection, journal: Journal, node: Node,
                            existing_kind: str | None, statements: list[str]) -> None:
    """Run `statements` (which create the node's relation) after setting the current one
    aside, all in one transaction."""
    set_aside, entry = journal.set_aside(node.config.schema, node.identifier, existing_kind)
    try:
        execute_in_transaction(cursor, set_aside + statements)
    except BaseException:
        journal.failed(entry)
        raise


def _count(cursor: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(cursor.execute(f"select count(*) from {relation}").fetchone()[0])


def swap_in_table(
    cursor: duckdb.DuckDBPyConnection,
    node: Node,
    select_sql: str | None,
    existing_kind: str | None,
    journal: Journal,
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
        _replace_in_transaction(cursor, journal, node, existing_kind,
                                [f"alter table {temp} rename to {quote(node.identifier)}"])
    except BaseException:
        _cleanup(cursor, f"drop table if exists {temp}")
        raise
    cursor.execute(f"drop table if exists {temp}")
    return rows


def build_view(cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None, journal: Journal) -> None:
    cursor.execute(f"create schema if not exists {quote(node.config.schema)}")
    _replace_in_transaction(cursor, journal, node, existing_kind, [f"create view {node.relation} as\n{node.sql}"])


def _column_types(cursor: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> dict[str, str]:
    rows = cursor.execute(
        "select column_name, data_type from duckdb_columns() where database_name = " + database
        + " and schema_name = ? and table_name = ?", [schema, table]).fetchall()
    return dict(rows)


def _align_columns(cursor: duckdb.DuckDBPyConnection, node: Node, new_rows: str) -> list[str]:
    """What the table needs before `new_rows` (a query) go in by name:
    - `add column` for each column the new rows have and the table lacks (dbt's
      on_schema_change: append_new_columns): the earlier rows get nulls there, and a history
      table keeps its history when a new version of the model adds a column;
    - text wins: a column the new rows hold as text and the table as another type (ids that
      were numbers in earlier builds, text now) becomes text, earlier values as their text.
      The other way round needs nothing: the insert writes the new values as text;
    - names add up: a column the table holds as an ENUM (a history's candidate) and the new
      rows as another ENUM (a build with a candidate the earlier ones did not have) becomes
      the ENUM of both's names, sorted, so that no name of either is lost."""
    existing = _column_types(cursor, "current_database()", node.config.schema, node.identifier)
    # describe binds the query without running it
    added = {name: data_type for name, data_type, *_ in cursor.execute(f"describe\n{new_rows}").fetchall()}
    statements = []
    for name, data_type in added.items():
        if name not in existing:
            statements.append(f"alter table {node.relation} add column {quote(name)} {data_type}")
        elif data_type == "VARCHAR" and existing[name] != "VARCHAR":
            statements.append(f"alter table {node.relation} alter column {quote(name)} set data type varchar")
        elif _is_enum(data_type) and _is_enum(existing[name]) and data_type != existing[name]:
            held = _enum_names(cursor, existing[name])
            names = sorted(set(held) | set(_enum_names(cursor, data_type)))
            if names != held:
                statements.append(f"alter table {node.relation} alter column {quote(name)} set data type "
                                  f"enum({', '.join(_literal(n) for n in names)})")
    return statements


def _is_enum(data_type: str) -> bool:
    return data_type.startswith("ENUM(")


def _enum_names(cursor: duckdb.DuckDBPyConnection, data_type: str) -> list[str]:
    # the type name as duckdb_columns() and describe spell it is valid SQL again
    return list(cursor.execute(f"select enum_range(cast(null as {data_type}))").fetchone()[0])


def build_incremental(
    cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None, full_refresh: bool, journal: Journal
) -> int:
    if existing_kind != "table" or full_refresh:
        return swap_in_table(cursor, node, node.sql, existing_kind, journal)
    keys = node.config.unique_key
    keys = ([keys] if isinstance(keys, str) else list(keys)) if keys else []
    if not keys:
        # the new rows go straight into the table (insert ... <the model's query>): writing
        # them to a temporary table first cost recs_history a second write of its 40M new
        # rows at 200k users, 5 s of every build after the first
        return _append(cursor, node, journal)
    new_rows = quote(TEMP_PREFIX + "new__" + node.identifier)
    # with a unique key the new rows are read twice (the delete, the insert): written once
    cursor.execute(f"create or replace temp table {new_rows} as\n{node.sql}")
    entry = None
    try:
        statements, entry = journal.copy_aside(node.config.schema, node.identifier)
        match = " and ".join(f"{node.relation}.{quote(k)} is not distinct from {new_rows}.{quote(k)}" for k in keys)
        statements.append(f"delete from {node.relation} using {new_rows} where {match}")
        statements += _align_columns(cursor, node, f"select * from {new_rows}")
        rows = execute_in_transaction(cursor, statements, f"insert into {node.relation} by name select * from {new_rows}")
    except BaseException:
        journal.failed(entry)
        _cleanup(cursor, f"drop table if exists {new_rows}")
        raise
    cursor.execute(f"drop table if exists {new_rows}")
    return rows


def _append(cursor: duckdb.DuckDBPyConnection, node: Node, journal: Journal) -> int:
    """Insert the model's rows into its table, in the transaction that sets the table aside."""
    entry = None
    try:
        statements, entry = journal.copy_aside(node.config.schema, node.identifier)
        statements += _align_columns(cursor, node, node.sql)
        return execute_in_transaction(cursor, statements, f"insert into {node.relation} by name\n{node.sql}")
    except BaseException:
        journal.failed(entry)
        raise


def materialize(
    cursor: duckdb.DuckDBPyConnection, node: Node, existing_kind: str | None, full_refresh: bool, journal: Journal
) -> int | None:
    """Build one model, then run its post hooks; returns the rows written (None for a view)."""
    kind = node.config.materialized
    rows: int | None = None
    if kind == "view":
        build_view(cursor, node, existing_kind, journal)
    elif kind == "table":
        rows = swap_in_table(cursor, node, node.sql, existing_kind, journal)
    elif kind == "incremental":
        rows = build_incremental(cursor, node, existing_kind, full_refresh, journal)
    else:
        return None  # ephemeral models live inside the models that read them
    hooks = node.config.extra.get("post_hook") or []
    for statement in [hooks] if isinstance(hooks, str) else hooks:
        cursor.execute(str(statement))
    write_comments(cursor, node)
    return rows


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_comments(cursor: duckdb.DuckDBPyConnection, node: Node) -> None:
    """The relation's and its columns' descriptions as DuckDB comments (dbt's persist_docs),
    so an analyst's `duckdb_tables()`, `duckdb_columns()` or SQL client shows what each is.
    A column the YAML describes that the relation lacks is left out (a data test names it)."""
    kind = "view" if node.config.materialized == "view" else "table"
    comment = node.table_comment
    if comment:
        cursor.execute(f"comment on {kind} {node.relation} is {_literal(comment)}")
    if not node.column_descriptions:
        return
    present = {row[0] for row in cursor.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ?", [node.config.schema, node.identifier]).fetchall()}
    for column, text in node.column_descriptions.items():
        if column in present and text:
            cursor.execute(f"comment on column {node.relation}.{quote(column)} is {_literal(text)}")
