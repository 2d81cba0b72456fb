"""The Python API: `Project.load(path)` and one method per operation.

The CLI calls these and prints what they return; nothing here prints.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.project.config import ProjectConfig, load_config
from evalhouse.project.discover import discover
from evalhouse.errors import ConfigError, ProjectError
from evalhouse.project.folder_config import validate_folder_config
from evalhouse.project.nodes import Node
from evalhouse.project.yamlfile import YamlDocument

if TYPE_CHECKING:
    from evalhouse.compile.compiler import CompiledProject
    from evalhouse.evaluation.gate import GateResult
    from evalhouse.compile.lineage import LineageResult
    from evalhouse.api.operations import RunOptions
    from evalhouse.execute.runner import RunResult

SECRET_MARKERS = ("password", "token", "secret", "key")


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS) and lowered not in ("unique_key",)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]


class Project:
    """A loaded project: its config, its nodes and the operations on them."""

    def __init__(self, directory: Path, config: ProjectConfig, doc: YamlDocument, vars: dict[str, Any]) -> None:
        self.dir = directory
        self.config = config
        self.doc = doc
        self.vars = vars
        files = discover(directory, config)
        self.nodes: dict[str, Node] = files.nodes
        self.macro_files = files.macro_files
        self.properties = files.properties

    @classmethod
    def load(cls, path: str | Path = ".", vars: dict[str, Any] | None = None) -> Project:
        directory = Path(path).resolve()
        if not directory.is_dir():
            raise ProjectError(f"project folder {path} does not exist", hint="pass an existing --project-dir")
        config, doc = load_config(directory)
        validate_folder_config(config.models, directory / config.paths.models, doc)
        merged = {**config.vars, **(vars or {})}
        return cls(directory, config, doc, merged)

    # -- paths and lookups -------------------------------------------------------------
    @property
    def target_dir(self) -> Path:
        return self.dir / self.config.paths.target

    @property
    def warehouse_path(self) -> Path:
        return self.resolve_path(self.config.warehouse)

    def resolve_path(self, value: str) -> Path:
        """Relative paths in project.yml are relative to the project, not the shell."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.dir / path)

    def node_named(self, name: str) -> Node | None:
        for node in self.nodes.values():
            if node.name == name:
                return node
        return None

    def public_vars(self) -> dict[str, Any]:
        return {k: ("***" if is_secret(k) else v) for k, v in self.vars.items()}

    def evaluation_context(self) -> dict[str, Any]:
        """The `evaluation` block as templates see it: file paths made absolute and checked."""
        evaluation = self.config.evaluation
        out: dict[str, Any] = evaluation.model_dump()

        def checked(value: str, key_path: tuple[str, ...]) -> str:
            path = self.resolve_path(value)
            if not path.exists():
                raise ConfigError(
                    f"evaluation.{'.'.join(key_path)}: file '{value}' does not exist",
                    path=self.doc.path,
                    line=self.doc.line_of(("evaluation",) + key_path),
                    hint="fix the path (relative paths start at the project folder)",
                )
            return path.resolve().as_posix()

        for key in ("labels", "train", "ab_events", "user_attributes", "inference_log"):
            if out.get(key):
                out[key] = checked(out[key], (key,))
        candidates = {}
        for name, entry in evaluation.candidates.items():
            spec = {"path": entry, "probabilities": False} if isinstance(entry, str) else entry.model_dump()
            spec["path"] = checked(spec["path"], ("candidates", name))
            candidates[name] = spec
        out["candidates"] = candidates
        out["predictions"] = {
            name: checked(path, ("predictions", name)) for name, path in evaluation.predictions.items()
        }
        return out

    # -- operations ------------------------------------------------------------------------
    def compile(self, *, write: bool = True, check_sql: bool = True) -> CompiledProject:
        from evalhouse.api.operations import compile_only

        return compile_only(self, write=write, check_sql=check_sql)

    def list(self, select: list[str] | None = None, exclude: list[str] | None = None) -> list[Node]:
        from evalhouse.compile.compiler import compile_project
        from evalhouse.compile.selector import select_nodes

        compiled = compile_project(self, check_sql=False)
        chosen = select_nodes(compiled.nodes, compiled.graph, select, exclude)
        return [compiled.nodes[uid] for uid in compiled.graph.order(chosen)]

    def seed(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("seed", options)

    def run(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("run", options)

    def test(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("test", options)

    def build(self, options: RunOptions | None = None) -> RunResult:
        return self._execute("build", options)

    def _execute(self, command: str, options: RunOptions | None) -> RunResult:
        from evalhouse.api.operations import RunOptions, execute

        return execute(self, command, options or RunOptions())

    def show(
        self, model: str | None = None, *, inline: str | None = None, limit: int = 10, wait_seconds: float = 0.0
    ) -> QueryResult:
        from evalhouse.api.operations import show

        return show(self, model=model, inline=inline, limit=limit, wait_seconds=wait_seconds)

    def query(self, sql: str, *, wait_seconds: float = 0.0) -> QueryResult:
        from evalhouse.api.operations import query

        return query(self, sql, wait_seconds=wait_seconds)

    def lineage(self, target: str) -> LineageResult:
        from evalhouse.compile.lineage import lineage

        return lineage(self, target)

    def gate(self, candidate: str, *, write: bool = True, wait_seconds: float = 0.0) -> GateResult:
        """The deployment gate's checks for a candidate (project.yml `gate:`), recorded in
        gate_results unless write is False; `.passed` is the verdict."""
        from evalhouse.evaluation.gate import run_gate

        return run_gate(self, candidate, write=write, wait_seconds=wait_seconds)

    def clean(self, *, include_warehouse: bool = False) -> list[Path]:
        """Remove what builds write under target/; the warehouse stays unless asked.

        The warehouse holds history (snapshots, metric trends), and so do the local MLflow
        store and the builds not yet sent to MLflow: losing them should take a deliberate
        flag, not a routine clean.
        """
        from evalhouse.publish.tracking.settings import KEPT_BY_CLEAN

        removed: list[Path] = []
        if not self.target_dir.is_dir():
            return removed
        warehouse = self.warehouse_path
        keep = set() if include_warehouse else {warehouse, warehouse.with_name(warehouse.name + ".wal"),
                                                *(self.target_dir / name for name in KEPT_BY_CLEAN)}
        for child in sorted(self.target_dir.iterdir()):
            if child in keep:
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
            removed.append(child)
        return removed
