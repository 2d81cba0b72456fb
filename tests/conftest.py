"""Shared fixtures: tiny projects written into a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

TINY_PROJECT_YML = """\
name: tiny
vars:
  threshold: 2
"""


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a project (project.yml plus the given files) and return its folder."""

    def make(files: dict[str, str] | None = None, project_yml: str = TINY_PROJECT_YML) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "models").mkdir(exist_ok=True)
        write_files(root, {"project.yml": project_yml, **(files or {})})
        return root

    return make
