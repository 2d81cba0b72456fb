"""A build's undo log, so that a failed or stopped build leaves every table as it was.

The promise is per build, not per table: when a build ends with an error (exit 1 or 2), is
interrupted, or is killed, every table and view of the warehouse is what it was before the
build started. Each relation a build replaces is set aside under a backup name in the same
transaction that swaps the new one in, and the journal table records it (or records that
the relation is new). At the end of the build one transaction either drops the backups
(the build passed: every model and every error-severity test) or puts them back (it did
not). A build that was killed leaves its journal behind: the next command that opens the
warehouse for writing puts the previous tables back first.

The price is disk: the previous version of every rebuilt table is kept until the build
ends, as a staging schema would keep the new ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb

from evalhouse.project.nodes import quote

JOURNAL_NAME = "__evalhouse_journal__"
JOURNAL = f'"main".{quote(JOURNAL_NAME)}'
BACKUP_PREFIX = "__evalhouse_prev__"
# the id of the build whose tables the warehouse holds (what `evalhouse gate` keys its
# results by), set in the transaction that keeps a passed build's tables. A macro that
# returns it, not a table: it lives in the same file and transaction, yet stays out of
# the relations of the warehouse (information_schema.tables), which are the project's
BUILD_NAME = "__evalhouse_build__"
BUILD = f'"main".{quote(BUILD_NAME)}'


@dataclass(frozen=True)
class Entry:
    schema: str
    name: str
    backup: str | None  # the previous version's name in the same schema; None: the build created it
    backup_kind: str | None  # "table" or "view"

    @property
    def relation(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}"


def _kind_word(kind: str | None) -> str:
    return "view" if kind == "view" else "table"


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


class Journal:
    """What this build replaced or created; thread-safe (models build concurrently)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self._entries: dict[tuple[str, str], Entry] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Open the journal of a command that writes; it lives until the command ends."""
        self.connection.execute(
            f"create table if not exists {JOURNAL} (schema_name varchar, relation_name varchar, "
            "backup_name varchar, backup_kind varchar)"
        )

    # -- during the build ------------------------------------------------------------------
    def _claim(self, schema: str, name: str, kind: str | None) -> Entry | None:
        """The entry for a relation the build touches for the first time, or None when an
        earlier step of this build set its previous version aside already."""
        key = (schema, name)
        with self._lock:
            if key in self._entries:
                return None
            entry = Entry(schema, name, BACKUP_PREFIX + name if kind else None, kind)
            self._entries[key] = entry
            return entry

    def set_aside(self, schema: str, name: str, existing_kind: str | None) -> tuple[list[str], Entry | None]:
        """Statements that move the current relation out of the way of a new one, to run in
        the same transaction as the swap: renamed to its backup the first time this build
        replaces it, dropped after that (the backup holds the version from before the
        build). Pass the returned entry to `failed()` when the transaction rolls back."""
        relation = f"{quote(schema)}.{quote(name)}"
        entry = self._claim(schema, name, existing_kind)
        if entry is None:
            return ([f"drop {_kind_word(existing_kind)} if exists {relation}"] if existing_kind else []), None
        statements = []
        if entry.backup:
            statements.append(f"drop {_kind_word(existing_kind)} if exists {quote(schema)}.{quote(entry.backup)}")
            statements.append(f"alter {_kind_word(existing_kind)} {relation} rename to {quote(entry.backup)}")
        statements.append(self._record(entry))
        return statements, entry

    def copy_aside(self, schema: str, name: str) -> tuple[list[str], Entry | None]:
        """Statements that keep a copy of a table about to change in place (an incremental
        model's delete and insert), the first time this build changes it."""
        entry = self._claim(schema, name, "table")
        if entry is None or entry.backup is None:
            return [], None
        backup = f"{quote(schema)}.{quote(entry.backup)}"
        return [
            f"drop table if exists {backup}",
            f"create table {backup} as select * from {quote(schema)}.{quote(name)}",
            self._record(entry),
        ], entry

    def failed(self, entry: Entry | None) -> None:
        """The transaction that would have recorded `entry` did not commit."""
        if entry is not None:
            with self._lock:
                self._entries.pop((entry.schema, entry.name), None)

    @staticmethod
    def _record(entry: Entry) -> str:
        return (f"insert into {JOURNAL} values ({_literal(entry.schema)}, {_literal(entry.name)}, "
                f"{_literal(entry.backup)}, {_literal(entry.backup_kind)})")

    # -- at the end of the build -----------------------------------------------------------
    def exists(self) -> bool:
        return bool(self.connection.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database()"
            f" and table_schema = 'main' and table_name = '{JOURNAL_NAME}'").fetchone()[0])

    def entries(self) -> list[Entry]:
        if not self.exists():
            return []
        rows = self.connection.execute(
            f"select schema_name, relation_name, backup_name, backup_kind from {JOURNAL}").fetchall()
        return [Entry(*row) for row in rows]

    def commit(self, build_id: str | None = None) -> int:
        """The build passed: drop the previous versions and, given the build's id, record it
        as the warehouse's current build. Returns how many previous versions were dropped."""
        entries = self.entries()
        statements = [f"drop {_kind_word(e.backup_kind)} if exists {quote(e.schema)}.{quote(e.backup)}"
                      for e in entries if e.backup]
        dropped = len(statements)
        if build_id:
            statements.append(f"create or replace macro {BUILD}() as {_literal(build_id)}")
        if self.exists():
            statements.append(f"drop table {JOURNAL}")
        if statements:
            self._in_one_transaction(statements)
        self._entries.clear()
        return dropped

    def restore(self) -> int:
        """The build failed or was stopped: put every relation back as it was before it.
        Returns how many relations were put back or removed."""
        entries = self.entries()
        if not entries:
            if self.exists():
                self.connection.execute(f"drop table {JOURNAL}")
            return 0
        current = self._kinds()
        statements = []
        for entry in entries:
            kind = current.get((entry.schema, entry.name))
            if kind:
                statements.append(f"drop {kind} if exists {entry.relation}")
            if entry.backup and (entry.schema, entry.backup) in current:
                statements.append(f"alter {_kind_word(entry.backup_kind)} {quote(entry.schema)}."
                                  f"{quote(entry.backup)} rename to {quote(entry.name)}")
        self._in_one_transaction(statements + [f"drop table {JOURNAL}"])
        self._entries.clear()
        return len(entries)

    def _kinds(self) -> dict[tuple[str, str], str]:
        rows = self.connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " where table_catalog = current_database()").fetchall()
        return {(schema, name): ("view" if kind == "VIEW" else "table") for schema, name, kind in rows}

    def _in_one_transaction(self, statements: list[str]) -> None:
        # one transaction: a second Ctrl-C or a kill in the middle leaves the journal as it
        # was, and the next command that opens the warehouse finishes the job
        self.connection.execute("begin transaction")
        try:
            for statement in statements:
                self.connection.execute(statement)
            self.connection.execute("commit")
        except BaseException:
            try:
                self.connection.execute("rollback")
            except duckdb.Error:
                pass
            raise


def is_internal(name: str) -> bool:
    """A relation of ours (the journal, a backup), not the project's."""
    return name == JOURNAL_NAME or name.startswith(BACKUP_PREFIX)


def current_build(cursor: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the build whose tables the warehouse holds: the last `run` or `build` that
    passed; None for a warehouse no such build of this version wrote."""
    found = cursor.execute(
        "select count(*) from duckdb_functions() where database_name = current_database()"
        f" and schema_name = 'main' and function_name = '{BUILD_NAME}'").fetchone()[0]
    if not found:
        return None
    row = cursor.execute(f"select {BUILD}()").fetchone()
    return str(row[0]) if row and row[0] else None
