"""`evalhouse eval RECS.parquet --labels F`: score recommendation files without a project.

A temporary blank project (`init --template blank`) is pointed at the files through the
same overrides `build --labels/--train/--items/--candidate` uses, so the files are checked
and the metrics computed exactly as a full build of them would; only what the leaderboard
needs is built (`+leaderboard`, `+metric_definitions` and their tests), with no report and
no MLflow run. The folder is removed afterwards; with `warehouse`, the warehouse file is
kept at that path for queries.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalhouse.api.scaffold import init_project
from evalhouse.errors import ConfigError

# what the printed leaderboard reads: the board and the metrics' metadata (its key columns);
# and candidate_overlap, whose tests fail a file keyed by other ids and warn at low overlap
SELECT = ["+leaderboard", "+metric_definitions", "+candidate_overlap"]
# what compile_project keeps under target/ between compiles (compile/compiler.py)
BYTECODE_DIR, CACHE_FILE = "jinja_bytecode", "sql_reads.json"
# a candidate's name becomes SQL text and a leaderboard row: letters, digits, _ . -
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class EvalResult:
    success: bool
    columns: list[str] = field(default_factory=list)  # the leaderboard's key columns
    rows: list[tuple] = field(default_factory=list)
    all_columns: list[str] = field(default_factory=list)  # every column of the leaderboard
    all_rows: list[tuple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "node: message" of each failed node or test
    candidates: dict[str, str] = field(default_factory=dict)  # name -> file
    warehouse: Path | None = None  # kept here when asked for
    left_out: int = 0  # metric columns of the leaderboard not among `columns`

    def as_json(self) -> dict[str, Any]:
        """One object for CI: each candidate's key metric values, the warnings, the failures."""
        rows = [dict(zip(self.columns, row, strict=False)) for row in self.rows]
        return {"success": self.success, "metrics": self.columns[2:], "candidates": rows,
                "warnings": self.warnings, "failures": self.failures,
                "warehouse": str(self.warehouse) if self.warehouse else None}


def candidate_names(files: Sequence[str]) -> dict[str, str]:
    """`NAME=PATH` or `PATH` (named by the file's stem) -> {name: path}; a name given twice
    is a usage error, a stem met twice gets _2, _3."""
    named: dict[str, str] = {}
    for text in files:
        name, sep, path = text.partition("=")
        if sep and name.strip() and "/" not in name and "\\" not in name:
            name, path = name.strip(), path.strip()
            if not path:
                raise ConfigError(f"'{text}' names no file", hint="give NAME=PATH, e.g. mine=recs.parquet")
            if name in named:
                raise ConfigError(f"candidate '{name}' is given twice", hint="give each NAME once")
        else:
            path = text
            stem = _UNSAFE.sub("_", Path(text).name.split(".")[0]).strip("_") or "candidate"
            name, number = stem, 2
            while name in named:
                name, number = f"{stem}_{number}", number + 1
        named[name] = path
    return named


def evaluate_files(files: Mapping[str, str | Path], labels: str | Path, train: str | Path | None = None,
                   items: str | Path | None = None, k_values: Sequence[int] | None = None,
                   warehouse: str | Path | None = None, baselines: Sequence[str] = (),
                   on_event: Any = None) -> EvalResult:
    """Build the leaderboard of `files` (name -> recommendations file) against `labels`."""
    from evalhouse.api.project import Project
    from evalhouse.execute.options import RunOptions
    from evalhouse.project.overrides import EvaluationOverrides

    if not files:
        raise ConfigError("no recommendation files to evaluate", hint="evalhouse eval RECS.parquet --labels LABELS")
    if baselines and not train:
        raise ConfigError("--baselines needs --train", hint="the baselines learn from the train file")
    kept = Path(warehouse).expanduser().resolve() if warehouse else None
    if kept is not None and kept.exists():
        raise ConfigError(f"--warehouse: '{warehouse}' exists already",
                          hint="name a new file; eval writes a fresh warehouse")
    folder = Path(tempfile.mkdtemp(prefix="evalhouse-eval-"))
    try:
        root = folder / "project"
        init_project(root, "blank")
        overrides = EvaluationOverrides(labels=labels, train=train, items=items, candidates=dict(files))
        _write_config(root, list(files), k_values, list(baselines), has_train=bool(train))
        project = Project.load(root, evaluation_overrides=overrides)
        if not train:
            _empty_train(project, root / "data" / "train.parquet")
        _compile_caches(cache_dir(), project.target_dir)
        build = project.build(RunOptions(select=list(SELECT), report=False, mlflow=False, on_event=on_event))
        _compile_caches(project.target_dir, cache_dir())
        # the empty train stands in for a file not given: its warnings are not the user's
        warnings = [w for w in build.warnings if train or not w.startswith("evaluation.train")]
        warnings += [f"{r.name}: {r.message}" for r in build.results if r.status == "warn"]
        result = EvalResult(success=build.success, warnings=warnings,
                            candidates={name: str(path) for name, path in files.items()})
        result.failures = [f"{r.name}: {r.message}" for r in build.results
                           if r.status not in ("success", "pass", "warn", "skipped")]
        if build.success:
            _read_leaderboard(project, result, has_train=bool(train))
        if kept is not None and build.success:
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(project.warehouse_path), kept)
            wal = project.warehouse_path.with_name(project.warehouse_path.name + ".wal")
            if wal.exists():  # closed warehouses have none; one left holds committed changes
                shutil.move(str(wal), kept.with_name(kept.name + ".wal"))
            result.warehouse = kept
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cache_dir() -> Path:
    """Where the compile caches of eval's temporary projects stay between commands."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "evalhouse" / "eval"


def _compile_caches(source: Path, destination: Path) -> None:
    """Copy the compile's caches (target/jinja_bytecode, target/sql_reads.json: a compile
    with them skips most of the Jinja compiling and the SQL parsing, a second of a short
    eval) from source to destination. Each file lands under a temporary name, then is
    renamed, so that two evals at once read whole files; a cache that cannot be copied
    only costs the time it would have saved."""
    names = [Path(CACHE_FILE)] + [Path(BYTECODE_DIR, p.name) for p in (source / BYTECODE_DIR).glob("*")]
    for name in names:
        origin, copy = source / name, destination / name
        if not origin.is_file():
            continue
        try:
            copy.parent.mkdir(parents=True, exist_ok=True)
            partial = copy.with_name(f".{copy.name}.{os.getpid()}.partial")
            shutil.copyfile(origin, partial)
            os.replace(partial, copy)
        except OSError:
            continue


def _write_config(root: Path, names: list[str], k_values: Sequence[int] | None, baselines: list[str],
                  has_train: bool) -> None:
    """The blank project.yml without its example files: no baselines (unless asked for), no
    A/B pair of baselines, the first file as the baseline, no MLflow, nothing shown."""
    path = root / "project.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    evaluation = config["evaluation"]
    evaluation.update(candidates={}, baselines=baselines, baseline=names[0], show_after_build=None)
    # without --train, an empty train file of the labels' id types (written after loading)
    evaluation["train"] = None if has_train else "data/train.parquet"
    evaluation.pop("labels", None)  # --labels sets it
    ab = [*names, *names][:2]
    config["vars"].update(ab_control=ab[0], ab_treatment=ab[1])
    if k_values:
        ks = sorted({int(k) for k in k_values})
        config["vars"]["k_values"] = ks
        # the board is sorted by ndcg at 10, or at the largest K below it (else the smallest)
        config["vars"]["leaderboard_order"] = {"metric": "ndcg", "k": max([k for k in ks if k <= 10] or ks[:1])}
    config["mlflow"] = {"enabled": False}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _empty_train(project: Any, path: Path) -> None:
    """A train file with no rows and the labels' id columns: the metrics that compare with
    train (novelty, seen items) have nothing to compare with, the ranking metrics are as they are."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    labels = project.config.evaluation.labels
    reader = "read_parquet" if labels.endswith(".parquet") else "read_csv"
    with duckdb.connect() as con:
        con.execute(f"copy (select user_id, item_id from {reader}(?) limit 0) to '{path.as_posix()}' "
                    "(format parquet)", [labels])


# metrics that measure against train: nothing to show without --train
NEED_TRAIN = ("novelty", "catalog_coverage")


def _read_leaderboard(project: Any, result: EvalResult, has_train: bool) -> None:
    from evalhouse.api.operations import query
    from evalhouse.evaluation.leaderboard import key_columns, project_rows

    board = query(project, "select * from leaderboard")
    definitions = query(project, "select * from metric_definitions")
    records = [dict(zip(definitions.columns, row, strict=False)) for row in definitions.rows]
    if not has_train:
        records = [r for r in records if r.get("metric") not in NEED_TRAIN]
    choice = key_columns(project, board.columns, records)
    result.all_columns, result.all_rows = board.columns, board.rows
    result.columns, result.rows = choice.columns, project_rows(board.columns, board.rows, choice.columns)
    result.left_out = choice.left_out
