"""What a template sees: the render state of the node being rendered, `{{ this }}`, and the
functions (ref, source, var, config, env_var, ...) shared by every template.

The functions are globals that look the node up in a context variable, so they also work
inside macros (a Jinja macro resolves names where it was defined, not where it is called).
"""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2.runtime import Macro

from evalhouse.compile.sandbox import freeze
from evalhouse.errors import GraphError, TemplateError, did_you_mean
from evalhouse.project.nodes import MATERIALIZATIONS, Node, quote
from evalhouse.project.secrets import remember

if TYPE_CHECKING:
    from evalhouse.compile.render import Renderer

EPHEMERAL_PREFIX = "__evalhouse_ephemeral__"
_MISSING = object()


@dataclass
class RenderState:
    """What one render of one node collects."""

    node: Node
    refs: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    tag_queries: dict[str, list[str]] = field(default_factory=dict)  # models_tagged() answers given
    tag_columns: dict[str, list[str]] = field(default_factory=dict)  # models_tagged(columns=...): compile checks them


current_state: contextvars.ContextVar[RenderState | None] = contextvars.ContextVar(
    "evalhouse_render_state", default=None
)


class ThisRelation:
    """`{{ this }}`: the relation of the node being rendered, as its config stands now
    (a config(schema=...) earlier in the same file counts)."""

    def __str__(self) -> str:
        state = current_state.get()
        if state is None:
            return ""
        node = state.node
        schema = state.config.get("schema", node.config.schema)
        identifier = state.config.get("alias") or node.config.alias or node.name
        return f"{quote(schema)}.{quote(identifier)}"

    __html__ = __str__


@dataclass
class RenderContext:
    """Everything outside the node that a template may read."""

    project_name: str
    project_dir: Path
    vars: dict[str, Any]
    evaluation: dict[str, Any]
    target: str = "duckdb"
    existing_relations: frozenset[str] = frozenset()
    full_refresh: bool = False
    invocation_id: str = ""
    config_fingerprint: str = ""  # LoadedProject.configuration_fingerprint(): what metrics_history keeps
    run_started_at: str = ""
    bytecode_dir: Path | None = None  # where compiled templates are cached between commands
    render_timeout_seconds: float = 30.0  # project.yml render.timeout_seconds
    render_max_output_mb: float = 50.0  # project.yml render.max_output_mb
    # metric metadata from the YAML beside the models (project/metric_meta.py), by model
    metric_meta: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    metrics_from_tag: dict[str, str] = field(default_factory=dict)


def _state() -> RenderState:
    state = current_state.get()
    if state is None:
        raise TemplateError("ref(), source() and config() can only be called while rendering a node")
    return state


def template_globals(renderer: Renderer) -> dict[str, Any]:
    """The functions and values every template of this renderer can use."""
    ctx = renderer.context
    # read-only copies: a model that could .append() to a var would change what every
    # model rendered after it sees
    frozen_vars = freeze(ctx.vars)

    def ref(name: str, version: Any = None) -> str:
        state = _state()
        node = renderer.nodes_by_name.get(name)
        if (node is None or node.kind == "test") and not state.config.get("enabled", state.node.config.enabled):
            # a model disabled by then (folder config, or config(enabled=false) above the
            # ref) never builds, so what it reads need not exist: the demo's MovieLens
            # models stay in a project whose seeds are gone (as dbt skips disabled models)
            return quote(name)
        if node is None or node.kind == "test":
            candidates = [n for n, v in renderer.nodes_by_name.items() if v.kind != "test"]
            raise GraphError(
                f"{state.node.name} refers to unknown model or seed '{name}'",
                hint=did_you_mean(name, candidates) or "check the name against 'evalhouse ls'",
            )
        state.refs.append(name)
        if node.kind == "model" and node.config.materialized == "ephemeral":
            return quote(EPHEMERAL_PREFIX + name)
        return node.relation

    def source(source_name: str, table_name: str) -> str:
        state = _state()
        table = renderer.source_tables.get((source_name, table_name))
        if table is None:
            known = [f"{s}.{t}" for s, t in renderer.source_tables]
            raise GraphError(
                f"unknown source '{source_name}.{table_name}'",
                hint=did_you_mean(f"{source_name}.{table_name}", known)
                or "declare it under 'sources:' in a YAML file beside the models",
            )
        state.sources.append((source_name, table_name))
        return table.relation

    def var(name: str, default: Any = _MISSING) -> Any:
        renderer.vars_read.add(str(name))  # a --vars key no template reads is likely a typo
        if name in frozen_vars:
            return frozen_vars[name]
        if default is _MISSING:
            raise TemplateError(
                f"var '{name}' is not defined",
                hint=did_you_mean(name, frozen_vars)
                or f"add '{name}:' under 'vars:' in project.yml or pass --vars '{{{name}: ...}}'",
            )
        return default

    def config(**kwargs: Any) -> str:
        state = _state()
        materialized = kwargs.get("materialized")
        if materialized is not None and materialized not in MATERIALIZATIONS:
            raise TemplateError(
                f"unknown materialization '{materialized}'",
                hint=did_you_mean(materialized, MATERIALIZATIONS)
                or f"use one of {', '.join(MATERIALIZATIONS)}",
            )
        state.config.update(kwargs)
        return ""

    def env_var(name: str, default: Any = _MISSING) -> Any:
        if name in os.environ:
            # remembered so that what is written to disk or logged shows *** instead
            return remember(os.environ[name])
        if default is _MISSING:
            raise TemplateError(
                f"environment variable '{name}' is not set",
                hint=f"set it, or give a default: env_var('{name}', 'value')",
            )
        return default

    def is_incremental() -> bool:
        state = _state()
        node = state.node
        materialized = state.config.get("materialized", node.config.materialized)
        return (
            materialized == "incremental"
            and not ctx.full_refresh
            and node.relation in ctx.existing_relations
        )

    def models_tagged(tag: str, columns: Any = None) -> list[str]:
        """The enabled models with `tag`; `columns`: the names each of them must return
        (compile checks their select lists and names the model that lacks one)."""
        state = _state()
        answer = renderer.models_with_tag(tag, excluding=state.node.name)
        state.tag_queries[tag] = answer
        if columns is not None:
            if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
                raise TemplateError(f"models_tagged('{tag}', columns=...) takes a list of column names",
                                    hint="write columns=['candidate', 'user_id', 'metric', 'k', 'value']")
            state.tag_columns[tag] = list(columns)
        return answer

    def metric_definitions() -> list[dict[str, Any]]:
        """The metadata of every metric the models tagged `metric` or `user_metric` compute,
        by family and then in the order the YAML declares them; a model without it is an
        error naming its file."""
        state = _state()
        rows: dict[str, dict[str, Any]] = {}
        for tag in ("metric", "user_metric"):
            models = renderer.models_with_tag(tag, excluding=state.node.name)
            state.tag_queries[tag] = models
            for model in models:
                if model in ctx.metrics_from_tag:
                    continue  # its rows are the metrics of other models
                declared = ctx.metric_meta.get(model)
                if not declared:
                    raise TemplateError(
                        f"model {model} is tagged '{tag}' but no YAML declares what its metrics are",
                        path=renderer.nodes_by_name[model].path,
                        hint=f"add to a .yml beside it: models: [{{name: {model}, meta: {{metrics: {{<metric>: "
                             "{family: ranking, direction: higher, range: [0, 1], description: ...}}}}]} "
                             "(docs/evaluation.md, 'Adding a metric')")
                for row in declared:
                    if row["metric"] in rows:
                        raise TemplateError(
                            f"metric '{row['metric']}' is declared by two models, {rows[row['metric']]['model']} "
                            f"and {model}", path=renderer.nodes_by_name[model].path,
                            hint="give one of them another metric name")
                    rows[row["metric"]] = row
        families = ("ranking", "beyond_accuracy", "classification", "regression", "stability", "other")
        return [freeze(rows[name]) for name in sorted(
            rows, key=lambda n: (families.index(rows[n]["family"]), rows[n]["position"]))]

    def raise_error(message: str, hint: str | None = None) -> None:
        raise TemplateError(str(message), hint=None if hint is None else str(hint))

    def dispatch(macro_name: str) -> Macro:
        """`{{ dispatch('name')(args) }}`: the macro `<target>__name` (spark__name on
        Spark) when the project defines one, else `default__name`."""
        for candidate in (f"{ctx.target}__{macro_name}", f"default__{macro_name}"):
            macro = renderer.env.globals.get(candidate)
            if isinstance(macro, Macro):
                return macro
        raise TemplateError(
            f"dispatch('{macro_name}') found no macro default__{macro_name} or {ctx.target}__{macro_name}",
            hint=f"define {{% macro default__{macro_name}(...) %}} in macros/ (and {ctx.target}__{macro_name} "
            f"where {ctx.target} needs other SQL)",
        )

    return {
        "ref": ref,
        "source": source,
        "var": var,
        "config": config,
        "env_var": env_var,
        "is_incremental": is_incremental,
        "models_tagged": models_tagged,
        "metric_definitions": metric_definitions,
        "raise_error": raise_error,
        "dispatch": dispatch,
        "this": ThisRelation(),
        "evaluation": freeze(ctx.evaluation),
        "project_name": ctx.project_name,
        "invocation_id": ctx.invocation_id,
        "config_fingerprint": ctx.config_fingerprint,
        "run_started_at": ctx.run_started_at,
        "target": freeze({"name": ctx.target, "type": ctx.target}),
    }
