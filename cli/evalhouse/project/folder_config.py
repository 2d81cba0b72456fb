"""Per-folder model config from the `models:` block of project.yml.

    models:
      +materialized: view          # the whole project
      metrics:                     # models/metrics/**
        +materialized: table
        +tags: [metric]

Keys that name a config (with or without dbt's leading '+') set it; any other key is a
subfolder. Tags add up from the outside in; every other setting is overridden by the
deeper folder, and then by config() inside the model.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from evalhouse.errors import ConfigError, did_you_mean
from evalhouse.project.nodes import MATERIALIZATIONS, NodeConfig
from evalhouse.project.yamlfile import YamlDocument

CONFIG_KEYS = ("materialized", "tags", "schema", "enabled", "unique_key", "alias", "meta")


def _as_tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(tag) for tag in value or []]


def validate_folder_config(block: dict[str, Any], models_dir: Path, doc: YamlDocument) -> None:
    """Check every key is a known setting or an existing folder, with a good error."""

    def check(mapping: dict[str, Any], folder: Path, key_path: tuple[str, ...]) -> None:
        for raw_key, value in mapping.items():
            key = str(raw_key)
            name = key.lstrip("+")
            where = ("models",) + key_path + (raw_key,)
            if name in CONFIG_KEYS:
                if name == "materialized" and value not in MATERIALIZATIONS:
                    raise ConfigError(
                        f"key '{'.'.join(map(str, where))}': unknown materialization '{value}'",
                        path=doc.path,
                        line=doc.line_of(where),
                        hint=did_you_mean(str(value), MATERIALIZATIONS)
                        or f"use one of {', '.join(MATERIALIZATIONS)}",
                    )
                continue
            subfolder = folder / key
            if key.startswith("+") or not subfolder.is_dir():
                folders = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
                raise ConfigError(
                    f"unknown key '{'.'.join(map(str, where))}': not a model setting nor a folder under {folder.name}/",
                    path=doc.path,
                    line=doc.line_of(where),
                    hint=did_you_mean(name, list(CONFIG_KEYS) + folders)
                    or f"settings are {', '.join(CONFIG_KEYS)}",
                )
            if not isinstance(value, dict):
                raise ConfigError(
                    f"key '{'.'.join(map(str, where))}': a folder's settings must be a mapping",
                    path=doc.path,
                    line=doc.line_of(where),
                )
            check(value, subfolder, key_path + (raw_key,))

    check(block, models_dir, ())


def config_for(block: dict[str, Any], relative_path: PurePosixPath) -> NodeConfig:
    """The config a model file gets from the folders it sits in."""
    config = NodeConfig()
    level: dict[str, Any] | None = block
    folders = list(relative_path.parent.parts)
    while level is not None:
        apply_settings(config, {k.lstrip("+"): v for k, v in level.items() if k.lstrip("+") in CONFIG_KEYS})
        if not folders:
            break
        nxt = level.get(folders.pop(0))
        level = nxt if isinstance(nxt, dict) else None
    return config


def apply_settings(config: NodeConfig, settings: dict[str, Any]) -> None:
    """Apply config() keyword arguments or folder settings to a node's config."""
    for key, value in settings.items():
        if key == "tags":
            config.tags = list(dict.fromkeys(config.tags + _as_tags(value)))
        elif key in ("materialized", "schema", "alias", "unique_key", "enabled", "severity"):
            setattr(config, key, value)
        else:
            config.extra[key] = value
