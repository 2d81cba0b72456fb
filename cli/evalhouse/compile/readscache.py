"""The tables each rendered statement reads, remembered between commands.

Checking that a model reads the project's tables only through ref() means parsing its
SQL with sqlglot: importing sqlglot and parsing every node costs more than the rest of a
compile. The answer depends only on the SQL text and the sqlglot version, so it is kept
in target/sql_reads.json, keyed by a digest of both; a statement seen before is not
parsed again, and when every statement was, sqlglot is not even imported. Statements
sqlglot cannot parse are not remembered (their error path runs every time).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evalhouse.files import write_json_atomic

FORMAT = 1


def _sqlglot_version() -> str:
    """sqlglot's installed version file, found without importing sqlglot (which is the point)."""
    from importlib.util import find_spec

    spec = find_spec("sqlglot")
    if spec is None or spec.origin is None:  # pragma: no cover - sqlglot is a dependency
        return "none"
    origin = Path(spec.origin)
    try:
        return (origin.parent / "_version.py").read_text(encoding="utf-8").strip()
    except OSError:
        stat = origin.stat()
        return f"{origin}:{stat.st_mtime_ns}:{stat.st_size}"


class ReadsCache:
    """{digest of (sqlglot version, dialect, sql): sorted table names}, loaded once per compile."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.version = _sqlglot_version()
        self._entries: dict[str, list[str]] = {}
        self._used: set[str] = set()
        self._changed = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT and data.get("sqlglot") == self.version:
                    self._entries = dict(data.get("entries") or {})
            except (OSError, ValueError):
                self._entries = {}

    def _key(self, sql: str, dialect: str) -> str:
        return hashlib.sha256(f"{self.version}\0{dialect}\0{sql}".encode()).hexdigest()

    def get(self, sql: str, dialect: str) -> set[str] | None:
        key = self._key(sql, dialect)
        tables = self._entries.get(key)
        if tables is None:
            return None
        self._used.add(key)
        return set(tables)

    def put(self, sql: str, dialect: str, tables: set[str]) -> None:
        key = self._key(sql, dialect)
        self._entries[key] = sorted(tables)
        self._used.add(key)
        self._changed = True

    def save(self) -> None:
        """Keep the statements of this compile only, so the file does not grow forever."""
        if self.path is None:
            return
        if not self._changed and len(self._used) == len(self._entries):
            return
        entries = {key: self._entries[key] for key in sorted(self._used)}
        try:
            write_json_atomic(self.path, {"format": FORMAT, "sqlglot": self.version, "entries": entries})
        except OSError:
            pass  # a read-only target folder only costs the next compile a parse
