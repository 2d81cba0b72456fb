"""Shared fixtures: tiny projects written into a temporary folder."""

from __future__ import annotations

import shutil
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


# --- the evaluation project (the demo), built once per test session -------------------


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The demo project as `evalhouse init` writes it, built once: (project, run result)."""
    from evaluation_project import build

    from evalhouse import Project
    from evalhouse.api.scaffold import init_project

    root = tmp_path_factory.mktemp("demo")
    init_project(root)
    project = Project.load(root)
    return project, build(project)


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with tiny seeds (6 users, 8 items), to copy for each small build."""
    from evaluation_project import make_tiny_template

    return make_tiny_template(tmp_path_factory.mktemp("tiny_template"))


@pytest.fixture
def tiny(tiny_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny template for one test."""
    root = tmp_path / "tiny"
    shutil.copytree(tiny_template, root)
    return root


# --- the order files start in ---------------------------------------------------------------

# The suite runs on two processes, a file at a time (pyproject: -n 2 --dist loadfile), and
# xdist hands files out in collection order. These files take the longest (the Spark demo's
# two builds alone are about half of one process's run): started first, they run beside the
# many short files instead of after them, so neither process waits on the other at the end.
LONGEST_FIRST = ("test_spark_demo.py", "test_spark_connect.py", "test_properties.py", "test_spark.py",
                 "test_tracking_delivery.py", "test_reliability.py", "test_tracking.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order inside a file and among the rest is kept


def wait_for_line(process: Any, needle: str, timeout: float = 60) -> list[str]:
    """Read a subprocess's output until a line holds `needle`; its lines so far."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"never saw {needle!r}; output so far: {''.join(seen)}")


# --- the conventions profiles against the libraries: how much was compared -----------

COMPARED = "conventions_compared"  # a user property: (profile, values compared, largest difference)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Per conventions profile: how many values tests/test_conventions*.py compared with the
    library and the largest difference (the properties travel from xdist's workers too)."""
    totals: dict[str, list[float]] = {}
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == COMPARED:
                profile, count, largest = value
                total = totals.setdefault(profile, [0, 0.0, 0])
                total[0] += count
                total[1] = max(total[1], largest)
                total[2] += 1
    if totals:
        terminalreporter.section("conventions profiles against the libraries")
        for profile, (count, largest, tests) in sorted(totals.items()):
            terminalreporter.write_line(f"{profile}: {int(count)} values compared in {tests} tests, "
                                        f"largest difference {largest:.3g}")
