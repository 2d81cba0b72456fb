"""Where evalhouse may write: checked when project.yml is loaded, before anything runs.

`evalhouse clean` deletes under the target folder, and builds write there, into the
warehouse and the Spark folders. A value such as `target: .` or `target: ..` would make
those writes (and clean) land on the project's own sources, so every place evalhouse
writes must be inside the project, away from its source folders, or an explicitly
configured folder elsewhere that is neither the project, one of its parents, the
filesystem root nor the home folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.errors import ConfigError

if TYPE_CHECKING:
    from evalhouse.project.config import ProjectConfig
    from evalhouse.project.yamlfile import YamlDocument

SOURCE_KEYS = ("models", "macros", "seeds", "data_tests")


def resolve_in(project_dir: Path, value: str) -> Path:
    """A project.yml path made absolute (relative to the project), symlinks followed."""
    path = Path(os.path.expanduser(value))
    return (path if path.is_absolute() else project_dir / path).resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry: nothing to compare with
        return None


def _problem(path: Path, project_dir: Path, sources: dict[str, Path], *, is_file: bool) -> str | None:
    """Why evalhouse must not write at `path`, or None when it may."""
    if path == Path(path.anchor):
        return "it is the filesystem root"
    if path == _home():
        return "it is your home folder"
    if path == project_dir:
        return "it is the project folder itself"
    if _inside(project_dir, path):
        return "it contains the project folder"
    if path == project_dir / "project.yml":
        return "it is project.yml"
    if is_file and path.is_dir():
        return "it is a folder, not a file"
    if not is_file and path.is_file():
        return "it is a file, not a folder"
    for key, source in sources.items():
        if _inside(path, source):
            return f"it is inside the source folder paths.{key} ({source.name}/)"
        if not is_file and _inside(source, path):
            return f"it contains the source folder paths.{key} ({source.name}/)"
    return None


def check_write_paths(project_dir: Path, config: ProjectConfig, doc: YamlDocument) -> None:
    """Raise a ConfigError naming the key and its line for a place evalhouse must not write."""
    sources = {key: resolve_in(project_dir, getattr(config.paths, key)) for key in SOURCE_KEYS}
    spark = config.targets.spark
    places: list[tuple[tuple[str, ...], str, bool]] = [
        (("paths", "target"), config.paths.target, False),
        (("warehouse",), config.warehouse, True),
    ]
    if config.duckdb.temp_directory:
        places.append((("duckdb", "temp_directory"), config.duckdb.temp_directory, False))
    for key in ("warehouse_dir", "metastore_dir"):
        value = getattr(spark, key)
        if "://" not in value and not value.startswith("file:"):  # a cluster URI is not ours to check
            places.append((("targets", "spark", key), value, False))
        elif value.startswith("file:") and "://" not in value:
            places.append((("targets", "spark", key), value.removeprefix("file:"), False))
    for key_path, value, is_file in places:
        if not value.strip():
            problem: str | None = "it is empty"
        else:
            problem = _problem(resolve_in(project_dir, value), project_dir, sources, is_file=is_file)
        if problem is not None:
            what = "file" if is_file else "folder"
            raise ConfigError(
                f"{'.'.join(key_path)}: evalhouse writes there, and {value!r} is not a "
                f"safe place: {problem}",
                path=doc.path,
                line=doc.line_of(key_path),
                hint=f"use a {what} inside the project such as the default, or a dedicated {what} elsewhere "
                     "(not the project, a parent of it, / or your home folder, nor a source folder)",
            )
