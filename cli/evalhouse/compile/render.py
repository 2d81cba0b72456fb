"""Render Jinja SQL templates, once per node, capturing refs, sources and config.

Templates run in Jinja's sandboxed environment: a model is text a colleague wrote, not
code we trust with the machine. Functions such as `ref` and `var` are shared globals that
look up the node being rendered in a context variable, so they also work inside macros
(a Jinja macro resolves names where it was defined, not where it is called).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes as jnodes
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.runtime import Macro

from evalhouse.compile.sandbox import BoundedSandbox, RenderLimits
from evalhouse.compile.template_context import (
    RenderContext,
    RenderState,
    current_state,
    template_globals,
)
from evalhouse.errors import EvalhouseError, TemplateError, did_you_mean
from evalhouse.project.nodes import Node, SourceTable


class TestBlockExtension(Extension):
    """`{% test name(model, column_name, ...) %}...{% endtest %}` defines a generic data
    test: a macro called `test_<name>` that returns the failing rows' query."""

    tags = {"test"}

    def parse(self, parser: Any) -> jnodes.Macro:
        lineno = next(parser.stream).lineno
        macro = jnodes.Macro(lineno=lineno)
        macro.name = "test_" + parser.parse_assign_target(name_only=True).name
        parser.parse_signature(macro)
        macro.body = parser.parse_statements(("name:endtest",), drop_needle=True)
        return macro


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The deepest line of `filename` in a traceback Jinja has rewritten to template lines."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class Renderer:
    def __init__(
        self,
        context: RenderContext,
        sources_by_path: dict[str, str],
        nodes_by_name: dict[str, Node],
        source_tables: dict[tuple[str, str], SourceTable],
    ) -> None:
        self.context = context
        self._sources_by_path = sources_by_path
        self.nodes_by_name = nodes_by_name
        self.source_tables = source_tables
        self.vars_read: set[str] = set()  # the names var() was called with, in any template
        cache = None
        if context.bytecode_dir is not None:
            # compiling templates costs more than rendering them; keep the bytecode, keyed
            # by each template's name and source checksum, so unchanged files skip it
            context.bytecode_dir.mkdir(parents=True, exist_ok=True)
            # (the pattern names the bounded sandbox: bytecode compiled before its loops and
            # operators were guarded must not be reused)
            cache = jinja2.FileSystemBytecodeCache(str(context.bytecode_dir), "__bounded_%s.cache")
        self.limits = RenderLimits(context.render_timeout_seconds, context.render_max_output_mb)
        self.env = BoundedSandbox(
            self.limits,
            bytecode_cache=cache,
            loader=jinja2.FunctionLoader(self._load),
            undefined=jinja2.StrictUndefined,
            extensions=[TestBlockExtension],
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.env.globals.update(template_globals(self))
        self.macros: dict[str, str] = {}  # macro name -> file that defines it

    # -- loading -----------------------------------------------------------------------
    def _load(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        # only the project's own templates can be loaded (by {% import %} / {% include %});
        # nothing else on the machine is reachable by name
        if name not in self._sources_by_path:
            return None
        return self._sources_by_path[name], name, lambda: True

    def add_source(self, name: str, text: str) -> None:
        self._sources_by_path[name] = text

    def load_macros(self, macro_files: list[str]) -> None:
        """Compile every macro file and make each macro a global of every template."""
        for name in macro_files:
            template = self._compile(name)
            try:
                module = template.make_module()
            except Exception as exc:  # top-level code in a macro file failed
                raise self._wrap(exc, name) from None
            for macro_name, value in vars(module).items():
                if not isinstance(value, Macro):
                    continue
                if macro_name in self.macros:
                    raise TemplateError(
                        f"macro '{macro_name}' is defined twice: in {self.macros[macro_name]} and {name}",
                        path=name,
                        hint="rename or delete one of them",
                    )
                self.macros[macro_name] = name
                self.env.globals[macro_name] = value
        # A Jinja module binds the global names its macros use when it is made, so a
        # macro could only call macros of files loaded before its own. Making the modules
        # again until every file has seen all the others lets macros call each other in
        # any file order.
        for _ in range(len(macro_files) - 1):
            for name in macro_files:
                module = self._compile(name).make_module()
                for macro_name, value in vars(module).items():
                    if isinstance(value, Macro):
                        self.env.globals[macro_name] = value

    def _compile(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"Jinja syntax error: {exc.message}",
                path=exc.filename or name,
                line=exc.lineno,
                hint="check the {% %} / {{ }} tags on that line are balanced and closed",
            ) from None

    # -- rendering ---------------------------------------------------------------------
    def render_node(self, node: Node, extra: dict[str, Any] | None = None) -> RenderState:
        name = node.path.as_posix()
        self._sources_by_path.setdefault(name, node.raw)
        template = self._compile(name)
        return self._render(template, node, name, dict(extra or {}))

    def render_call(
        self, node: Node, macro_name: str, kwargs: dict[str, Any], where: str
    ) -> RenderState:
        """Render a call to a macro (a generic data test) as the SQL of `node`."""
        if macro_name not in self.env.globals:
            raise TemplateError(
                f"unknown data test '{macro_name.removeprefix('test_')}'",
                path=where,
                hint=did_you_mean(
                    macro_name.removeprefix("test_"),
                    [m.removeprefix("test_") for m in self.macros if m.startswith("test_")],
                )
                or "define it with {% test name(model, column_name) %} in macros/",
            )
        template = self.env.from_string("{{ test_macro(**test_kwargs) }}")
        state = RenderState(node=node)
        token = current_state.set(state)
        try:
            resolved = {key: self._resolve_arg(value) for key, value in kwargs.items()}
            node.sql = self._bounded_render(
                template, {"test_macro": self.env.globals[macro_name], "test_kwargs": resolved}
            )
        except EvalhouseError as exc:
            if exc.path is None:
                exc.path = where
            raise
        except Exception as exc:
            raise self._wrap(exc, where) from None
        finally:
            current_state.reset(token)
        return state

    def _resolve_arg(self, value: Any) -> Any:
        """Test arguments written as "ref('m')" or "source('s', 't')" are Jinja expressions."""
        if isinstance(value, str) and value.strip().startswith(("ref(", "source(")):
            return self.env.compile_expression(value.strip())()
        return value

    def _render(
        self, template: jinja2.Template, node: Node, name: str, extra: dict[str, Any]
    ) -> RenderState:
        state = RenderState(node=node)
        token = current_state.set(state)
        try:
            node.sql = self._bounded_render(template, extra)
        except EvalhouseError as exc:
            if exc.path is None or exc.line is None:
                exc.path = exc.path or name
                exc.line = exc.line or _template_line(exc.__traceback__, name)
                exc.args = (exc.render(),)
            raise
        except Exception as exc:
            raise self._wrap(exc, name) from None
        finally:
            current_state.reset(token)
        node.refs = list(dict.fromkeys(state.refs))
        node.sources = list(dict.fromkeys(state.sources))
        return state

    def _bounded_render(self, template: jinja2.Template, values: dict[str, Any]) -> str:
        """template.render(), stopped at the time and output limits of project.yml."""
        limits = self.limits
        limits.start()
        try:
            chunks, size = [], 0
            for chunk in template.generate(**values):
                size += len(chunk)
                limits.check_size(size)
                chunks.append(chunk)
            return "".join(chunks)
        finally:
            limits.stop()

    def _wrap(self, exc: Exception, name: str) -> TemplateError:
        line = _template_line(exc.__traceback__, name)
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return TemplateError(f"Jinja syntax error: {exc.message}", path=exc.filename or name, line=exc.lineno)
        if isinstance(exc, jinja2.UndefinedError):
            return TemplateError(
                f"undefined name: {exc.message}",
                path=name,
                line=line,
                hint="check the spelling; macros live in macros/, variables come from var('name')",
            )
        if isinstance(exc, jinja2.TemplateNotFound):
            return TemplateError(
                f"template '{exc.name}' not found: only the project's own files can be imported or included",
                path=name,
                line=line,
                hint="import macros by their project path, e.g. {% import 'macros/util.sql' as util %}",
            )
        if isinstance(exc, SecurityError):
            return TemplateError(
                f"blocked by the template sandbox: {exc}",
                path=name,
                line=line,
                hint="templates may call ref, source, var, config and macros, not Python internals",
            )
        return TemplateError(f"{type(exc).__name__}: {exc}", path=name, line=line)

    def models_with_tag(self, tag: str, *, excluding: str) -> list[str]:
        """Enabled models with `tag` as their config stands now, by name."""
        return sorted(
            n.name
            for n in self.nodes_by_name.values()
            if n.kind == "model" and tag in n.config.tags and n.name != excluding and n.config.enabled
        )

    # -- the functions templates call ---------------------------------------------------
