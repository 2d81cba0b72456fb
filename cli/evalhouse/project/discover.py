"""Find a project's files and turn them into nodes, without rendering anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from evalhouse.errors import ConfigError, ProjectError
from evalhouse.project.config import ProjectConfig
from evalhouse.project.folder_config import apply_settings, config_for
from evalhouse.project.nodes import Node, NodeConfig, checksum
from evalhouse.project.properties import Properties, load_properties

SEED_SUFFIXES = (".csv", ".tsv", ".parquet")
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class ProjectFiles:
    nodes: dict[str, Node] = field(default_factory=dict)  # unique_id -> node
    macro_files: list[Path] = field(default_factory=list)  # relative paths
    properties: Properties = field(default_factory=Properties)


def _files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def _read_text(path: Path, project_dir: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
            path=path.relative_to(project_dir),
            hint="save it as UTF-8",
        ) from None


def discover(project_dir: Path, config: ProjectConfig) -> ProjectFiles:
    paths = config.paths
    models_dir = project_dir / paths.models
    if not models_dir.is_dir():
        raise ConfigError(
            f"the models folder '{paths.models}' does not exist",
            path="project.yml",
            hint=f"create {paths.models}/ or set paths.models in project.yml",
        )
    found = ProjectFiles()
    names: dict[str, Path] = {}

    def add(node: Node) -> None:
        if node.name in names:
            raise ProjectError(
                f"two nodes are named '{node.name}': {names[node.name].as_posix()} and {node.path.as_posix()}",
                path=node.path,
                hint="file names are table names; rename one of the files",
            )
        names[node.name] = node.path
        found.nodes[node.unique_id] = node

    for path in _files(models_dir, (".sql",)):
        relative = path.relative_to(project_dir)
        raw = _read_text(path, project_dir)
        model_config = config_for(config.models, PurePosixPath(path.relative_to(models_dir).as_posix()))
        add(Node(kind="model", name=path.stem, path=relative, raw=raw, config=model_config, checksum=checksum(raw)))

    for path in _files(project_dir / paths.seeds, SEED_SUFFIXES):
        relative = path.relative_to(project_dir)
        seed_config = config.seeds.get(path.stem)
        node_config = NodeConfig(materialized="seed")
        if seed_config is not None:
            node_config.alias = seed_config.alias
            node_config.schema = seed_config.schema_name or "main"
            node_config.enabled = seed_config.enabled
        add(Node(kind="seed", name=path.stem, path=relative, raw="", config=node_config,
                 checksum=checksum(path.read_bytes())))

    for path in _files(project_dir / paths.data_tests, (".sql",)):
        relative = path.relative_to(project_dir)
        raw = _read_text(path, project_dir)
        add(Node(kind="test", name=path.stem, path=relative, raw=raw,
                 config=NodeConfig(materialized="test"), checksum=checksum(raw)))

    found.macro_files = [p.relative_to(project_dir) for p in _files(project_dir / paths.macros, (".sql",))]
    yaml_files = _files(models_dir, YAML_SUFFIXES) + _files(project_dir / paths.seeds, YAML_SUFFIXES)
    found.properties = load_properties(yaml_files, project_dir)
    seed_names = {n.name for n in found.nodes.values() if n.kind == "seed"}
    unknown_seeds = set(config.seeds) - seed_names
    # a misspelt seed name is an error; with no seed file at all, the settings are what is
    # left of a dataset removed on purpose (the demo's seeds, deleted to evaluate one's own files)
    if unknown_seeds and seed_names:
        name = sorted(unknown_seeds)[0]
        raise ConfigError(
            f"seeds.{name} configures a seed that does not exist",
            path="project.yml",
            hint=f"add {paths.seeds}/{name}.csv or remove the entry",
        )
    for node in found.nodes.values():
        if node.kind != "test" and node.name in found.properties.configs:
            # the YAML beside a model sits between its folder's settings and its own config()
            apply_settings(node.config, found.properties.configs[node.name])
        if node.name in found.properties.descriptions:
            node.description = found.properties.descriptions[node.name]
        node.column_descriptions = dict(found.properties.column_descriptions.get(node.name, {}))
    return found
