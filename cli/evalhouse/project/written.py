"""The record of what evalhouse wrote under the target folder, so `clean` deletes only that.

Every writer notes the top-level entry of the target folder it is about to write (a
folder such as compiled/ or a file such as manifest.json) in `target/.evalhouse-written`,
one name a line. `clean` removes only the names listed there: a file the user keeps in
the target folder, or an unrelated folder the target points to, is left alone.

A target folder without the record was written by an older evalhouse: there clean
removes only the names evalhouse is known to write (`KNOWN_NAMES`).
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

RECORD_FILE = ".evalhouse-written"
# the top-level entries evalhouse writes under target/ (for folders written before the record)
KNOWN_NAMES = frozenset({
    "compiled", "compiled_spark", "manifest.json", "run_results.json", "report.html", "sql_reads.json",
    "jinja_bytecode", "mlflow.db", "mlartifacts", "mlflow_pending", "spark-warehouse", "spark-metastore",
    "spark-log4j2.properties", "warehouse.duckdb", "warehouse.duckdb.wal",
})
_lock = threading.Lock()


def top_entry(target_dir: Path, path: Path) -> str | None:
    """The name of the target folder's entry that holds `path`, or None outside it."""
    # lexical (no symlinks followed): the entry is what sits in the target folder
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(target_dir))
    first = Path(relative).parts[0] if relative != "." else ""
    return None if first in ("", "..") or first == RECORD_FILE else first


def read_record(target_dir: Path) -> list[str] | None:
    """The names recorded, or None when the folder has no record."""
    try:
        text = (target_dir / RECORD_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    return [line.strip() for line in text.splitlines() if _is_plain_name(line.strip())]


def _is_plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..", RECORD_FILE) and "/" not in name and "\\" not in name


def _write_record(target_dir: Path, names: list[str]) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target_dir / f"{RECORD_FILE}.tmp"
    tmp.write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
    os.replace(tmp, target_dir / RECORD_FILE)


def note_written(target_dir: Path, *paths: Path) -> None:
    """Record, before writing, the target folder's entries that hold `paths` (the others
    are outside the target folder and ignored)."""
    names = [name for name in (top_entry(target_dir, p) for p in paths) if name is not None]
    if not names:
        return
    with _lock:
        recorded = read_record(target_dir) or []
        missing = [name for name in dict.fromkeys(names) if name not in recorded]
        if missing:
            _write_record(target_dir, recorded + missing)


@dataclass
class CleanResult:
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # evalhouse's history, kept without --all
    not_ours: list[Path] = field(default_factory=list)  # not written by evalhouse: left alone


def clean_target(target_dir: Path, keep: set[str]) -> CleanResult:
    """Remove the recorded entries of the target folder, except the names in `keep`.

    A symlink is removed as a link: what it points to is never touched.
    """
    result = CleanResult()
    if target_dir.is_symlink() or not target_dir.is_dir():
        return result
    with _lock:
        recorded = read_record(target_dir)
        ours = set(recorded) if recorded is not None else set(KNOWN_NAMES)
        left: list[str] = []
        for child in sorted(target_dir.iterdir()):
            name = child.name
            if name in (RECORD_FILE, f"{RECORD_FILE}.tmp"):
                continue
            if name not in ours:
                result.not_ours.append(child)
            elif name in keep:
                result.kept.append(child)
                left.append(name)
            else:
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
                result.removed.append(child)
        if left or recorded is not None:
            _write_record(target_dir, left)
    return result
