"""YAML properties files beside the models: sources, descriptions and generic data tests.

    sources:
      - name: raw
        schema: main            # defaults to the source name
        tables:
          - name: events
            identifier: events_v2   # defaults to the table name
    models:
      - name: recs
        description: one ranked list per user and candidate
        config: {schema: intermediate}   # as config() in the file; the file's own config() wins
        data_tests:
          - expression_is_true: {expression: "rank > 0"}
        columns:
          - name: user_id
            data_tests: [not_null]
          - name: relevance
            data_tests:
              - accepted_range: {min_value: 0, config: {severity: warn}}

`tests:` is accepted as another name for `data_tests:`, as dbt does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evalhouse.errors import ConfigError, did_you_mean
from evalhouse.project.folder_config import CONFIG_KEYS
from evalhouse.project.metric_meta import MetricMeta, parse_model_meta
from evalhouse.project.nodes import MATERIALIZATIONS, SEVERITIES, SourceTable
from evalhouse.project.yamlfile import YamlDocument, read_yaml

TOP_KEYS = ("version", "sources", "models", "seeds")
ENTRY_KEYS = ("name", "description", "columns", "data_tests", "tests", "config", "meta", "docs")
COLUMN_KEYS = ("name", "description", "data_tests", "tests", "data_type", "meta", "quote")


@dataclass
class TestSpec:
    """One generic test as declared in YAML, before it is rendered."""

    test_name: str
    attached_to: str
    column_name: str | None
    kwargs: dict[str, Any]
    severity: str
    path: Path
    line: int | None
    name: str | None = None
    description: str = ""  # what a failure means and what to do; printed under a failing test


@dataclass
class Properties:
    sources: dict[tuple[str, str], SourceTable] = field(default_factory=dict)
    tests: list[TestSpec] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)
    column_descriptions: dict[str, dict[str, str]] = field(default_factory=dict)
    metrics: dict[str, list[MetricMeta]] = field(default_factory=dict)  # model -> what it computes
    metrics_from_tag: dict[str, str] = field(default_factory=dict)  # model -> tag of its metrics' models
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # model -> its YAML `config:`


def _check_keys(mapping: Any, allowed: tuple[str, ...], doc: YamlDocument, where: tuple) -> None:
    if not isinstance(mapping, dict):
        raise ConfigError(
            f"expected a mapping at '{'.'.join(map(str, where)) or 'top level'}'",
            path=doc.path,
            line=doc.line_of(where),
        )
    for key in mapping:
        if key not in allowed:
            raise ConfigError(
                f"unknown key '{key}'",
                path=doc.path,
                line=doc.line_of(where + (key,)),
                hint=did_you_mean(str(key), allowed) or f"allowed keys: {', '.join(allowed)}",
            )


def _entry_config(config: Any, doc: YamlDocument, where: tuple) -> dict[str, Any]:
    """A model's `config:` in YAML: the settings config() takes, checked by name."""
    if not isinstance(config, dict):
        raise ConfigError("a model's 'config' must be a mapping, such as {schema: intermediate}",
                          path=doc.path, line=doc.line_of(where))
    settings = {}
    for raw_key, value in config.items():
        key = str(raw_key).lstrip("+")
        if key not in CONFIG_KEYS:
            raise ConfigError(f"unknown key '{raw_key}' under 'config'", path=doc.path,
                              line=doc.line_of(where + (raw_key,)),
                              hint=did_you_mean(key, CONFIG_KEYS) or f"settings are {', '.join(CONFIG_KEYS)}")
        if key == "materialized" and value not in MATERIALIZATIONS:
            raise ConfigError(f"unknown materialization '{value}'", path=doc.path,
                              line=doc.line_of(where + (raw_key,)),
                              hint=did_you_mean(str(value), MATERIALIZATIONS) or f"use one of {', '.join(MATERIALIZATIONS)}")
        settings[key] = value
    return settings


def _parse_test(
    spec: Any, owner: str, column: str | None, doc: YamlDocument, where: tuple
) -> TestSpec:
    line = doc.line_of(where)
    if isinstance(spec, str):
        return TestSpec(spec, owner, column, {}, "error", doc.path, line)
    if isinstance(spec, dict) and len(spec) == 1:
        (test_name, args), = spec.items()
        args = dict(args or {})
        config = dict(args.pop("config", None) or {})
        arguments = args.pop("arguments", None)
        if arguments:
            args.update(arguments)
        severity = str(config.pop("severity", args.pop("severity", "error"))).lower()
        if severity not in SEVERITIES:
            raise ConfigError(
                f"severity must be 'error' or 'warn', not '{severity}'",
                path=doc.path,
                line=line,
            )
        name = args.pop("name", None)
        description = str(args.pop("description", None) or "")
        return TestSpec(str(test_name), owner, column, args, severity, doc.path, line, name, description)
    raise ConfigError(
        "a data test is a name ('not_null') or a one-key mapping ({accepted_values: {values: [...]}})",
        path=doc.path,
        line=line,
    )


def _tests_of(entry: dict[str, Any]) -> tuple[str, list[Any]]:
    key = "data_tests" if "data_tests" in entry else "tests"
    return key, list(entry.get(key) or [])


def parse_properties(doc: YamlDocument, props: Properties) -> None:
    data = doc.data or {}
    _check_keys(data, TOP_KEYS, doc, ())
    for s_index, source in enumerate(data.get("sources") or []):
        where = ("sources", s_index)
        _check_keys(source, ("name", "schema", "description", "tables", "meta", "database"), doc, where)
        source_name = str(source["name"])
        for t_index, table in enumerate(source.get("tables") or []):
            t_where = where + ("tables", t_index)
            _check_keys(table, ("name", "identifier", "description", "columns", "meta", "data_tests", "tests"), doc, t_where)
            props.sources[(source_name, str(table["name"]))] = SourceTable(
                source=source_name,
                name=str(table["name"]),
                schema=str(source.get("schema") or source_name),
                identifier=str(table.get("identifier") or table["name"]),
                path=doc.path,
            )
    for kind in ("models", "seeds"):
        for index, entry in enumerate(data.get(kind) or []):
            where = (kind, index)
            _check_keys(entry, ENTRY_KEYS, doc, where)
            if "name" not in entry:
                raise ConfigError(f"an entry under '{kind}' has no 'name'", path=doc.path, line=doc.line_of(where))
            owner = str(entry["name"])
            props.descriptions[owner] = str(entry.get("description") or "")
            if entry.get("config") is not None:
                props.configs[owner] = _entry_config(entry["config"], doc, where + ("config",))
            metrics, source_tag = parse_model_meta(entry.get("meta"), owner, doc, where + ("meta",))
            if metrics:
                start = sum(len(m) for m in props.metrics.values())
                props.metrics[owner] = [replace(m, position=start + i) for i, m in enumerate(metrics)]
            if source_tag:
                props.metrics_from_tag[owner] = source_tag
            key, tests = _tests_of(entry)
            for t_index, spec in enumerate(tests):
                props.tests.append(_parse_test(spec, owner, None, doc, where + (key, t_index)))
            for c_index, column in enumerate(entry.get("columns") or []):
                c_where = where + ("columns", c_index)
                _check_keys(column, COLUMN_KEYS, doc, c_where)
                column_name = str(column["name"])
                if column.get("description"):
                    props.column_descriptions.setdefault(owner, {})[column_name] = str(column["description"])
                c_key, c_tests = _tests_of(column)
                for t_index, spec in enumerate(c_tests):
                    props.tests.append(_parse_test(spec, owner, column_name, doc, c_where + (c_key, t_index)))


def load_properties(files: list[Path], project_dir: Path) -> Properties:
    props = Properties()
    for path in files:
        doc = read_yaml(path, what="properties file")
        doc.path = path.relative_to(project_dir)
        parse_properties(doc, props)
    return props
