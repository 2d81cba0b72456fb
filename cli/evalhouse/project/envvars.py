"""`{{ env_var('NAME') }}` and `{{ env_var('NAME', 'default') }}` in project.yml's values.

A CI job points a build at a fresh model file through the environment instead of editing
project.yml. Every string value holding `{{` or `{%` is rendered once, before validation,
in Jinja's sandbox where `env_var` is the only function; the result is a string (a key
that takes a number or true/false reads it as one, as it would from YAML). A value read
from the environment is remembered by `secrets.remember`, so it is masked wherever it
leaves the process, exactly as the same call in a model is (README "Choices"). Keys are
names, not settings: they are left as written, and so is what the environment gives (a
value is rendered once, never the text a variable put into it).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ConfigError, EvalhouseError
from evalhouse.project.secrets import remember
from evalhouse.project.yamlfile import YamlDocument

if TYPE_CHECKING:
    from evalhouse.compile.sandbox import BoundedSandbox, RenderLimits

_MARKERS = ("{{", "{%")
# one value of a settings file: far below the bounds of a model's render
_TIMEOUT_SECONDS = 10.0
_MAX_OUTPUT_MB = 1.0
_NO_DEFAULT = object()


class _Unset(Exception):
    """env_var() of a variable that is not set, without a default."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Renderer:
    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.env_vars: dict[tuple[Any, ...], list[str]] = {}
        self._env: tuple[BoundedSandbox, RenderLimits] | None = None

    def sandbox(self) -> tuple[BoundedSandbox, RenderLimits]:
        if self._env is None:  # Jinja loads only for a project.yml that has a template
            from jinja2 import StrictUndefined

            from evalhouse.compile.sandbox import BoundedSandbox, RenderLimits

            limits = RenderLimits(_TIMEOUT_SECONDS, _MAX_OUTPUT_MB)
            env = BoundedSandbox(limits, undefined=StrictUndefined, autoescape=False)
            # only env_var (and the helper BoundedSandbox compiles every loop through)
            for name in [n for n in env.globals if n != "evalhouse_paced_loop"]:
                del env.globals[name]
            self._env = (env, limits)
        return self._env

    def walk(self, value: Any, key_path: tuple[Any, ...]) -> Any:
        if isinstance(value, dict):
            return {key: self.walk(item, (*key_path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item, (*key_path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and any(marker in value for marker in _MARKERS):
            return self.render(value, key_path)
        return value

    def render(self, text: str, key_path: tuple[Any, ...]) -> str:
        import jinja2

        env, limits = self.sandbox()
        read: list[str] = []

        def env_var(name: Any, default: Any = _NO_DEFAULT) -> Any:
            name = str(name)
            read.append(name)
            if name in os.environ:
                return remember(os.environ[name])  # masked wherever it is written or logged
            if default is _NO_DEFAULT:
                raise _Unset(name)
            return default

        where = ".".join(str(part) for part in key_path)
        line = self.doc.line_of(key_path)
        limits.start()
        try:
            result = env.from_string(text, globals={"env_var": env_var}).render()
            limits.check_size(len(result))
        except _Unset as unset:
            raise ConfigError(
                f"key '{where}': environment variable '{unset.name}' is not set",
                path=self.doc.path, line=line,
                hint=f"set {unset.name}, or give a default: {{{{ env_var('{unset.name}', 'value') }}}}",
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise self._error(where, line, f"is not a valid template: {exc.message}") from None
        except jinja2.UndefinedError as exc:
            raise self._error(where, line, f"uses what project.yml does not have: {exc.message}") from None
        except jinja2.TemplateError as exc:  # the sandbox refused an operation
            raise self._error(where, line, f"cannot be rendered: {exc.message}") from None
        except EvalhouseError as exc:  # a bound of the render (time, size)
            raise self._error(where, line, f"cannot be rendered: {exc.message}") from None
        finally:
            limits.stop()
        if read:
            self.env_vars[key_path] = read
        return result

    def _error(self, where: str, line: int | None, problem: str) -> ConfigError:
        return ConfigError(
            f"key '{where}' {problem}",
            path=self.doc.path, line=line,
            hint="project.yml values may use only {{ env_var('NAME') }} and {{ env_var('NAME', 'default') }}",
        )


def render_env_vars(doc: YamlDocument) -> Any:
    """The document's data with every templated string value rendered, into new containers
    (`doc.data` stays as written, so a value read from the environment is never rendered
    a second time); `doc.env_vars` notes the variables each rendered value read."""
    renderer = _Renderer(doc)
    data = renderer.walk(doc.data, ())
    doc.env_vars = renderer.env_vars
    return data
