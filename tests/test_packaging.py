"""A regular (non-editable) install: the wheel carries the demo, and the installed command works."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
    )
    (found,) = out.glob("evalhouse-*.whl")
    return found


def test_the_wheel_carries_the_demo_project(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "evalhouse/_demo/project.yml" in names
    assert "evalhouse/_demo/seeds/movielens/ratings.csv" in names
    assert "evalhouse/_demo/seeds/movielens/README.txt" in names  # the data's licence travels with it
    assert "evalhouse/builtin/generic_tests.sql" in names
    assert "evalhouse/api/blank_project.yml" in names  # `init --template blank` writes it
    demo_models = {n for n in names if n.startswith("evalhouse/_demo/models/") and n.endswith(".sql")}
    repo_models = {"evalhouse/_demo/" + p.relative_to(REPO).as_posix() for p in (REPO / "models").rglob("*.sql")}
    assert demo_models == repo_models


def test_init_and_build_through_the_installed_command(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True)
    command = env_dir / "bin" / "evalhouse"
    # the installed wheel alone: no PYTHONPATH pointing at a checkout, no EVALHOUSE_* settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALHOUSE_") and k != "PYTHONPATH"}
    where = subprocess.run([str(python), "-c", "import evalhouse; print(evalhouse.__file__)"],
                           capture_output=True, text=True, check=True, env=env).stdout
    assert str(env_dir) in where  # the wheel, not the editable checkout
    demo = tmp_path / "demo"
    init = subprocess.run([str(command), "init", str(demo)], capture_output=True, text=True, env=env)
    assert init.returncode == 0, init.stderr
    assert (demo / "project.yml").is_file() and (demo / "seeds/movielens/README.txt").is_file()
    build = subprocess.run([str(command), "build", "--project-dir", str(demo)],
                           capture_output=True, text=True, env=env)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "Done in" in build.stdout
    assert (demo / "target/warehouse.duckdb").is_file()

