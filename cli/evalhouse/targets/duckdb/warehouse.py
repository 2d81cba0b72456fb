"""The DuckDB warehouse: one connection per process, a cursor per worker thread.

DuckDB allows one writing process per database file; a second writer gets a lock error,
which we turn into a message that names the lock and what to do.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from evalhouse.compile.sql_functions import calls_functions, register_functions
from evalhouse.errors import ProjectError, WarehouseLockedError
from evalhouse.project.config import DuckdbSettings
from evalhouse.project.nodes import quote, schema_order
from evalhouse.targets.duckdb.journal import is_internal

_LOCK = re.compile(r"lock", re.IGNORECASE)
_PID = re.compile(r"PID (\d+)")
_HELD_IN = re.compile(r"lock is held in (.+?) \(PID")
_READER = re.compile(r"able to open this database in read-only mode", re.IGNORECASE)
_COMMAND_WIDTH = 80  # a command line longer than this is cut in the message
# every DuckDB database file carries these 4 bytes at offset 8 (seen on files DuckDB 2.0.1
# writes). DuckDB 2.0.1 opens an existing file of another kind (a CSV, say) as something
# else without a word: a build then "succeeds" into nothing, so we look before DuckDB does.
_MAGIC, _MAGIC_AT = b"DUCK", 8


def _not_a_database(path: Path) -> ProjectError | None:
    """The error for an existing file that is no DuckDB database, or None."""
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        head = handle.read(_MAGIC_AT + len(_MAGIC))
    if not head or head[_MAGIC_AT:] == _MAGIC:
        return None  # an empty file (one being created now, say): DuckDB's own check decides
    return ProjectError(
        f"the warehouse {path} is not a DuckDB database file; evalhouse left it as it is",
        path=path,
        hint="point 'warehouse:' in project.yml at a new file (such as target/warehouse.duckdb) "
             "or at a DuckDB database",
    )


@dataclass
class RelationInfo:
    schema: str
    name: str
    kind: str  # "table" or "view"

    @property
    def relation(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}"


def _holder(message: str) -> str:
    """Who holds the lock, as DuckDB's message tells: "process 1234 (python -m jupyter lab)"
    where /proc shows the command line (Linux), else the program DuckDB names."""
    pid = _PID.search(message)
    if pid is None:
        return "another process"
    program = _HELD_IN.search(message)
    try:
        raw = Path(f"/proc/{pid.group(1)}/cmdline").read_bytes()
        command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:  # no /proc (macOS, Windows), or the process has gone since
        command = program.group(1).strip() if program else ""
    if len(command) > _COMMAND_WIDTH:
        command = command[:_COMMAND_WIDTH - 3] + "..."
    return f"process {pid.group(1)}" + (f" ({command})" if command else "")


def _lock_error(path: Path, message: str, read_only: bool) -> WarehouseLockedError:
    holder = _holder(message)
    if read_only:
        # a read-only open conflicts only with a read-write holder: a build, run or seed
        return WarehouseLockedError(
            f"the warehouse is being written: {holder} holds the write lock on {path.name}, "
            "so it cannot be read until it finishes (a build, run or seed, or a program that opened it read-write)",
            path=path,
            hint="query again when it is done, or pass --wait SECONDS; if it is no build of yours, "
                 "close that program's DuckDB connection (or stop it)",
        )
    if _READER.search(message):
        # DuckDB adds that a read-only open would work only when the holders are readers
        return WarehouseLockedError(
            f"the warehouse is open for reading: {holder} holds a read-only lock on {path.name}, "
            "and no build can write while a reader holds it",
            path=path,
            hint="close that reader's connection (con.close() in a notebook, or restart its kernel) or stop "
                 "the process, then build again; pass --wait SECONDS to wait for it",
        )
    return WarehouseLockedError(
        f"another build is writing the warehouse: {holder} holds the write lock on {path.name}",
        path=path,
        hint="wait for it to finish (or pass --wait SECONDS), or stop it; if it is no build, "
             "close that program's DuckDB connection",
    )


def _quiet(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # DuckDB draws a progress bar on stdout for long queries; the output is ours to print.
    # Set once, before the configuration is locked; cursors inherit it.
    connection.execute("set enable_progress_bar = false")
    return connection


def _every_schema(connection: duckdb.DuckDBPyConnection) -> str:
    """The search path of a reader (query, show, a notebook through the API), so that it
    names an intermediate table without its schema, as `select * from recs_lists`, while
    `main` still lists only the results."""
    schemas = [row[0] for row in connection.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database()"
    ).fetchall()]
    return ",".join(quote(s) for s in schema_order(schemas))


def _set_search_path(connection: duckdb.DuckDBPyConnection, search_path: str) -> None:
    # a local setting: every cursor (a connection of its own) needs it set again
    if search_path:
        connection.execute("set search_path = ?", [search_path])


def _sandbox(connection: duckdb.DuckDBPyConnection, warehouse: Path, temp_directory: Path,
             allowed: Sequence[Path]) -> duckdb.DuckDBPyConnection:
    """Let SQL on this connection reach only the allow-list, then lock the configuration so
    that SQL cannot `set enable_external_access = true` again. DuckDB only takes the lists
    once the database is open, so they are set here rather than in connect()'s config."""
    directories = [temp_directory]
    files = [warehouse, warehouse.with_name(warehouse.name + ".wal")]
    for path in allowed:
        (directories if path.is_dir() or not path.suffix else files).append(path)
    # DuckDB matches directories as prefixes: the trailing slash keeps /a/b from allowing /a/bc
    connection.execute("set allowed_directories = ?", [[d.resolve().as_posix().rstrip("/") + "/" for d in directories]])
    connection.execute("set allowed_paths = ?", [[f.resolve().as_posix() for f in files]])
    connection.execute("set enable_external_access = false")
    connection.execute("set lock_configuration = true")
    return connection


class Warehouse:
    """A DuckDB database file and the settings it runs with."""

    def __init__(
        self,
        path: Path,
        settings: DuckdbSettings | None = None,
        *,
        read_only: bool = False,
        wait_seconds: float = 0.0,
        allowed: Sequence[Path] = (),
    ) -> None:
        self.path = path
        self.settings = settings or DuckdbSettings()
        self.read_only = read_only
        # what SQL on this connection may read or write besides the warehouse and its
        # temp directory (LoadedProject.sandbox_paths(): the project, the declared inputs)
        self.allowed = list(allowed)
        self._functions_added = False
        self._functions_lock = threading.Lock()
        self.search_path = ""  # a reader's: every schema of the warehouse, main first
        self.connection = self._connect(wait_seconds)

    def _connect(self, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        if self.read_only and not self.path.exists():
            raise ProjectError(
                f"the warehouse {self.path.name} does not exist yet",
                path=self.path,
                hint="run 'evalhouse build' first",
            )
        wrong_kind = _not_a_database(self.path)
        if wrong_kind is not None:
            raise wrong_kind
        if not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # an extension is never fetched or loaded behind the project's back
        config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if self.settings.threads:
            config["threads"] = self.settings.threads
        if self.settings.memory_limit:
            config["memory_limit"] = self.settings.memory_limit
        if self.settings.max_temp_directory_size:
            config["max_temp_directory_size"] = self.settings.max_temp_directory_size
        if self.settings.preserve_insertion_order is not None:
            config["preserve_insertion_order"] = self.settings.preserve_insertion_order
        temp_directory = Path(self.settings.temp_directory) if self.settings.temp_directory else \
            self.path.with_name(self.path.name + ".tmp")  # DuckDB's default spill folder
        if self.settings.temp_directory:
            config["temp_directory"] = self.settings.temp_directory
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                connection = duckdb.connect(str(self.path), read_only=self.read_only, config=config)
                if self.read_only:
                    self.search_path = _every_schema(connection)
                    _set_search_path(connection, self.search_path)
                return _sandbox(_quiet(connection), self.path, temp_directory, self.allowed)
            except duckdb.OutOfMemoryException as exc:  # memory_limit below what opening takes
                raise ProjectError(f"cannot open the warehouse: {str(exc).splitlines()[0]}", path=self.path,
                                   hint="raise duckdb.memory_limit in project.yml (such as 1GB)") from None
            except duckdb.IOException as exc:
                if not _LOCK.search(str(exc)):
                    raise ProjectError(f"cannot open the warehouse: {exc}", path=self.path) from None
                if time.monotonic() >= deadline:
                    raise _lock_error(self.path, str(exc), self.read_only) from None
                time.sleep(0.2)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if not self.read_only:
            return self.connection.cursor()
        self.add_functions()  # ad-hoc SQL (query, show) may call them
        cursor = self.connection.cursor()
        _set_search_path(cursor, self.search_path)
        return cursor

    @property
    def functions_added(self) -> bool:
        return self._functions_added

    def add_functions(self, sql: str | None = None) -> None:
        """Register the functions of sql_functions.py, once, when `sql` calls one (or when no
        SQL is given). Registering imports numpy, a fifth of a second, so a build only pays
        it when a model uses them; every cursor sees them, also one opened before."""
        if self._functions_added or (sql is not None and not calls_functions(sql)):
            return
        with self._functions_lock:
            if not self._functions_added:
                register_functions(self.connection)
                self._functions_added = True

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def drop_leftovers(self, prefix: str) -> list[str]:
        """Drop temporary tables a killed build left behind (their swap never committed)."""
        dropped = []
        for relation, info in self.relations().items():
            if info.name.startswith(prefix) and info.kind == "table":
                self.connection.execute(f"drop table if exists {relation}")
                dropped.append(relation)
        return dropped

    def relations(self) -> dict[str, RelationInfo]:
        """Every table and view in the database, keyed by quoted relation name."""
        rows = self.connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " where table_catalog = current_database()"
        ).fetchall()
        out = {}
        for schema, name, table_type in rows:
            if is_internal(name):
                continue  # the build's journal and the previous versions it keeps
            info = RelationInfo(schema, name, "view" if table_type == "VIEW" else "table")
            out[info.relation] = info
        return out


def warehouse_columns(path: Path, settings: DuckdbSettings) -> dict[str, dict[str, dict[str, str]]]:
    """schema -> table -> column -> type of what the warehouse holds (empty when there is no
    warehouse yet or another process holds it), so lineage can trace `select *`."""
    columns: dict[str, dict[str, dict[str, str]]] = {}
    if not path.exists():
        return columns
    try:
        with Warehouse(path, settings, read_only=True) as warehouse:
            rows = warehouse.connection.execute(
                "select table_schema, table_name, column_name, data_type from information_schema.columns"
                " where table_catalog = current_database() order by ordinal_position"
            ).fetchall()
    except ProjectError:
        return columns
    for table_schema, table, column, data_type in rows:
        columns.setdefault(table_schema, {}).setdefault(table, {})[column] = data_type
    return columns
