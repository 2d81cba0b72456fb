"""The reference libraries' virtual environment: Microsoft Recommenders, RecTools and
Evidently, which cannot be installed beside requirements/ci.lock (they need pandas < 3).

``ensure_refs_venv()`` returns the environment's python, building it first when it is
missing: a folder of .refs-venv/ (git-ignored) named by the hash of requirements/refs.lock,
so a changed lock builds a new one. `.ci/run` builds it before the tests (``python
tests/oracles/refs_venv.py``); the tests build it on first use, so the README's test command
works on a fresh machine. Only package registries are needed. A failed build raises
RefsVenvError with pip's output and the command to retry; no test is skipped for it.

Self-contained (no import of the project or of other oracles): `.ci/run` runs it as a script.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "refs.lock"
HOME = REPO / ".refs-venv"
READY = "ready"  # written last: a folder without it is a build that did not finish


class RefsVenvError(RuntimeError):
    """The reference environment could not be built (the message says why and what to do)."""


def lock_hash(lock: Path = LOCK) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16]


def venv_dir(lock: Path = LOCK, home: Path = HOME) -> Path:
    return home / f"{sys.version_info.major}.{sys.version_info.minor}-{lock_hash(lock)}"


def _shown(path: Path) -> str:
    """A path as the message shows it: relative to the repository when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_refs_venv(lock: Path = LOCK, home: Path = HOME) -> Path:
    """The python of the reference environment for `lock` (in a folder of `home`), built if
    missing. Test workers (pytest -n 2) that ask at once wait on a file lock: one builds,
    the others reuse it."""
    folder = venv_dir(lock, home)
    if (folder / READY).exists():
        return _python(folder)
    home.mkdir(exist_ok=True)
    (home / ".gitignore").write_text("*\n", encoding="utf-8")
    with open(home / ".build-lock", "w", encoding="utf-8") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: one builder at a time is then up to the caller
            return _build(folder, lock)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            return _python(folder) if (folder / READY).exists() else _build(folder, lock)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(folder: Path, lock: Path) -> Path:
    if folder.exists():  # an interrupted build: start again
        shutil.rmtree(folder)
    venv.create(folder, with_pip=True)
    command = [str(_python(folder)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-deps", "-r", str(lock)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RefsVenvError(
            f"could not install {_shown(lock)} into {_shown(folder)} "
            f"(pip exited {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}\n"
            "the reference libraries come from the package registry: check that it is reachable, "
            f"then run `python {Path(__file__).relative_to(REPO)}` again"
        )
    (folder / READY).write_text(lock_hash(lock), encoding="utf-8")
    for old in folder.parent.iterdir():  # the builds of earlier locks (a gigabyte each)
        if old.is_dir() and old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return _python(folder)


if __name__ == "__main__":
    print(ensure_refs_venv())
