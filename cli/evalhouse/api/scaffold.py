"""`evalhouse init`: write a new project into a folder, from one of two templates.

`movielens` (the default) copies the demo project (the repo's own top-level folders);
`blank` copies its evaluation models, macros and data tests without the demo's dataset
(the MovieLens seeds and the staging, split and holdout models that read them) and writes a
project.yml waiting for your own files (blank_project.yml beside this module).

A wheel carries the demo's folders under `evalhouse/_demo` (see pyproject.toml); an editable
install reads them straight from the repository, so there is one copy of the demo only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evalhouse.errors import ProjectError

DEMO_ITEMS = ("project.yml", "models", "macros", "seeds", "tests/data")
TEMPLATES = ("movielens", "blank")
# the demo's dataset: what the blank template leaves out (models/inputs read them only when
# evaluation.labels and evaluation.train are not given, which a blank project needs)
DATASET_ITEMS = ("project.yml", "seeds", "models/staging", "models/split", "models/labels")
BLANK_PROJECT_YML = Path(__file__).with_name("blank_project.yml")


def demo_root() -> Path:
    package = Path(__file__).resolve().parents[1]  # evalhouse/ (this file is evalhouse/api/scaffold.py)
    packaged = package / "_demo"
    if (packaged / "project.yml").is_file():
        return packaged
    repository = package.parents[1]  # an editable install: <repo>/cli/evalhouse
    if (repository / "project.yml").is_file():
        return repository
    raise ProjectError("the demo project is missing from this installation", hint="reinstall evalhouse")


def init_project(directory: Path, template: str = "movielens") -> list[Path]:
    """Write the template into `directory`; refuses to overwrite an existing project."""
    if template not in TEMPLATES:
        raise ProjectError(f"unknown template '{template}'", hint=f"use one of {', '.join(TEMPLATES)}")
    directory = directory.resolve()
    if (directory / "project.yml").exists():
        raise ProjectError(
            f"{directory} already holds a project.yml",
            path=directory / "project.yml",
            hint="choose an empty folder, e.g. 'evalhouse init my_eval'",
        )
    source = demo_root()
    left_out = {source / item for item in DATASET_ITEMS} if template == "blank" else set()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for item in DEMO_ITEMS:
        origin = source / item
        if not origin.exists() or origin in left_out:
            continue
        destination = directory / item
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True, ignore=_ignore(left_out))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)
        written.append(destination)
    if template == "blank":
        shutil.copyfile(BLANK_PROJECT_YML, directory / "project.yml")
        written.insert(0, directory / "project.yml")
    return written


def _ignore(left_out: set[Path]):
    """copytree's ignore: caches, and the folders of the demo's dataset a template leaves out."""
    caches = shutil.ignore_patterns("__pycache__", "*.pyc")

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(caches(folder, names)) | {name for name in names if Path(folder, name) in left_out}

    return ignore
