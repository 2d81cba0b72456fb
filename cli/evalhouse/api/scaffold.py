"""`evalhouse init`: copy the demo project (the repo's own top-level folders) into a folder.

A wheel carries those folders under `evalhouse/_demo` (see pyproject.toml); an editable
install reads them straight from the repository, so there is one copy of the demo only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evalhouse.errors import ProjectError

DEMO_ITEMS = ("project.yml", "models", "macros", "seeds", "tests/data")


def demo_root() -> Path:
    package = Path(__file__).resolve().parents[1]  # evalhouse/ (this file is evalhouse/api/scaffold.py)
    packaged = package / "_demo"
    if (packaged / "project.yml").is_file():
        return packaged
    repository = package.parents[1]  # an editable install: <repo>/cli/evalhouse
    if (repository / "project.yml").is_file():
        return repository
    raise ProjectError("the demo project is missing from this installation", hint="reinstall evalhouse")


def init_project(directory: Path) -> list[Path]:
    """Copy the demo into `directory`; refuses to overwrite an existing project."""
    directory = directory.resolve()
    if (directory / "project.yml").exists():
        raise ProjectError(
            f"{directory} already holds a project.yml",
            path=directory / "project.yml",
            hint="choose an empty folder, e.g. 'evalhouse init my_eval'",
        )
    source = demo_root()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for item in DEMO_ITEMS:
        origin = source / item
        if not origin.exists():
            continue
        destination = directory / item
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)
        written.append(destination)
    return written
