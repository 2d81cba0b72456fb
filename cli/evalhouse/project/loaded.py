"""A loaded project as plain data: its folder, config, nodes, vars and evaluation inputs.

The operations on it (compile, build, query ...) live one level up, in evalhouse.api, so
that the steps below can take a project without importing the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from evalhouse.errors import ConfigError, ProjectError
from evalhouse.project.config import ProjectConfig, load_config
from evalhouse.project.discover import discover
from evalhouse.project.folder_config import validate_folder_config
from evalhouse.project.nodes import Node
from evalhouse.project.overrides import EvaluationOverrides, apply_overrides
from evalhouse.project.paths import check_write_paths, resolve_in
from evalhouse.project.secrets import mask
from evalhouse.project.yamlfile import YamlDocument

P = TypeVar("P", bound="LoadedProject")

class LoadedProject:
    """A loaded project: its config and its nodes (the API's `Project` adds the operations)."""

    def __init__(self, directory: Path, config: ProjectConfig, doc: YamlDocument, vars: dict[str, Any],
                 overridden: dict[tuple[str, ...], str] | None = None) -> None:
        self.dir = directory
        self.config = config
        self.doc = doc
        self.vars = vars
        # evaluation keys set for this invocation, not by project.yml: key path -> option
        self.overridden = overridden or {}
        files = discover(directory, config)
        self.nodes: dict[str, Node] = files.nodes
        self.macro_files = files.macro_files
        self.properties = files.properties
        # what the input files hold, set by the API before it compiles (evalhouse.evaluation:
        # checks.input_facts and the inputs_manifest rows): {columns, id_types, manifest}.
        # None: not looked at; the templates then assume every column is there
        self.input_facts: dict[str, Any] | None = None

    @classmethod
    def load(cls: type[P], path: str | Path = ".", vars: dict[str, Any] | None = None,
             evaluation_overrides: EvaluationOverrides | Mapping[str, Any] | None = None) -> P:
        """The project in folder `path`; `vars` override project.yml's vars, and
        `evaluation_overrides` (labels, train, items, candidates {name: path}; relative
        paths start at the current folder) its evaluation inputs, as --labels, --train,
        --items and --candidate do."""
        directory = Path(path).resolve()
        if not directory.is_dir():
            raise ProjectError(f"project folder {path} does not exist", hint="pass an existing --project-dir")
        config, doc = load_config(directory)
        overrides = EvaluationOverrides.of(evaluation_overrides)
        overridden: dict[tuple[str, ...], str] = {}
        if overrides:
            config.evaluation, overridden = apply_overrides(config.evaluation, overrides)
        check_write_paths(directory, config, doc)
        if config.duckdb.temp_directory:  # DuckDB would take it relative to the shell's folder
            config.duckdb.temp_directory = str(resolve_in(directory, config.duckdb.temp_directory))
        validate_folder_config(config.models, directory / config.paths.models, doc)
        merged = {**config.vars, **(vars or {})}
        return cls(directory, config, doc, merged, overridden)

    # -- paths and lookups -------------------------------------------------------------
    @property
    def target_dir(self) -> Path:
        return resolve_in(self.dir, self.config.paths.target)

    @property
    def warehouse_path(self) -> Path:
        return self.resolve_path(self.config.warehouse)

    def resolve_path(self, value: str) -> Path:
        """Relative paths in project.yml are relative to the project, not the shell."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.dir / path)

    def note_written(self, *paths: Path) -> None:
        """Record the target folder's entries about to be written, for `clean`."""
        from evalhouse.project.written import note_written

        note_written(self.target_dir, *paths)

    def sandbox_paths(self) -> list[Path]:
        """What project SQL may read and write: the project folder, the evaluation input
        files, and the folders and files of `duckdb.allowed_paths` (the warehouse and its
        temp directory are added by the warehouse itself)."""
        evaluation = self.config.evaluation
        values = [evaluation.labels, evaluation.train, evaluation.items, evaluation.ab_events, evaluation.user_attributes,
                  evaluation.inference_log, *evaluation.predictions.values(),
                  *(e if isinstance(e, str) else e.path for e in evaluation.candidates.values())]
        paths = [self.dir] + [self.resolve_path(v) for v in values if v]
        return paths + [self.resolve_path(v) for v in self.config.duckdb.allowed_paths]

    def node_named(self, name: str) -> Node | None:
        for node in self.nodes.values():
            if node.name == name:
                return node
        return None

    def baseline_name(self) -> str:
        """The reference candidate: var('baseline'), else evaluation.baseline, else 'popular'."""
        return str(self.vars.get("baseline") or self.config.evaluation.baseline or "popular")

    def baseline_origin(self) -> str | None:
        """Who chose baseline_name(), as a message names it: 'var baseline', 'evaluation.baseline'
        (or the option that set it), or None when it is the default 'popular'."""
        if self.vars.get("baseline"):
            return "var baseline"
        if self.config.evaluation.baseline:
            return self.evaluation_key(("baseline",))[0]
        return None

    def public_vars(self) -> dict[str, Any]:
        """The vars as they may be written or logged: secrets masked at any depth."""
        return mask(self.vars)

    def evaluation_key(self, key_path: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        """How a message names `evaluation.<key_path>` and where it points (path, line): the
        option that set it for this invocation, else its line in project.yml, with the
        environment variables its value came from (the value itself may print as ***)."""
        dotted = "evaluation." + ".".join(key_path)
        option = self.overridden.get(key_path)
        if option:
            return f"{option} ({dotted})", {}
        full = ("evaluation", *key_path)
        names = self.doc.env_vars.get(full)
        if names:
            dotted += " (from " + ", ".join(f"env_var('{name}')" for name in names) + ")"
        return dotted, {"path": self.doc.path, "line": self.doc.line_of(full)}

    def evaluation_context(self) -> dict[str, Any]:
        """The `evaluation` block as templates see it: file paths made absolute and checked."""
        evaluation = self.config.evaluation
        out: dict[str, Any] = evaluation.model_dump()

        def checked(value: str, key_path: tuple[str, ...]) -> str:
            path = self.resolve_path(value)
            if not path.exists():
                name, where = self.evaluation_key(key_path)
                raise ConfigError(
                    f"{name}: file '{value}' does not exist", **where,
                    hint="fix the path (relative paths start at the project folder)",
                )
            return path.resolve().as_posix()

        for key in ("labels", "train", "items", "ab_events", "user_attributes", "inference_log"):
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
        out.update(self.input_facts or {"columns": {}, "id_types": {}, "manifest": []})
        return out

    def configuration_fingerprint(self) -> str:
        """A short hash of what a build's values depend on besides the models: the vars
        (but those that only choose what is shown), the baselines, and each input file's
        content hash (inputs_manifest) or, before the files are hashed, its path. Two builds
        with equal fingerprints and models computed their metrics on the same footing;
        metrics_history keeps it, so a trend compares like with like."""
        import hashlib
        import json

        shown_only = {"leaderboard_order", "history_keep", "curve_max_points", "show_after_build"}
        manifest = (self.input_facts or {}).get("manifest") or []
        inputs = sorted((str(row.get("role")), str(row.get("name")), str(row.get("blake2b") or row.get("path")))
                        for row in manifest)
        basis = {"vars": {k: v for k, v in self.vars.items() if k not in shown_only},
                 "baselines": self.config.evaluation.baselines, "inputs": inputs}
        text = json.dumps(basis, sort_keys=True, default=str)
        return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
