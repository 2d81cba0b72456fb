"""Open a built warehouse in a test as an analyst's reader does (`evalhouse query`, the API):
read-only, a bare table name found in any schema, main first, then intermediate."""

from __future__ import annotations

from pathlib import Path

import duckdb


def read_warehouse(path: Path | str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    schemas = [row[0] for row in con.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database()"
        " order by schema_name <> 'main', schema_name <> 'intermediate', schema_name").fetchall()]
    con.execute("set search_path = ?", [",".join(f'"{schema}"' for schema in schemas)])
    return con


def relation_names(con: duckdb.DuckDBPyConnection, where: str = "") -> list[tuple[str, str, str]]:
    """(schema, name, quoted relation) of every table and view, in every schema, by name."""
    rows = con.execute("select table_schema, table_name from information_schema.tables"
                       f" where table_catalog = current_database() {'and ' + where if where else ''}"
                       " order by table_schema, table_name").fetchall()
    return [(schema, name, f'"{schema}"."{name}"') for schema, name in rows]
