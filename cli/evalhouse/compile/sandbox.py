"""The template sandbox's bounds: time and output per render, arithmetic that cannot eat
the machine, and read-only values (vars, evaluation, target) shared by every model.

Jinja's sandbox stops templates reaching Python internals but not a template that loops
for hours, builds a gigabyte string or computes 10 ** (10 ** 10). Those would end in a
MemoryError or a killed process; here they end in a TemplateError naming the limit.
The time limit is checked at points the template must pass (every loop, every call),
so no thread or signal interrupts anything and a render under the limit runs as before.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes as jnodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import SandboxedEnvironment

from evalhouse.errors import TemplateError

MAX_RANGE = 100_000  # items in one range(); Jinja's sandbox has the same cap
MAX_POWER_BITS = 100_000  # an integer ** result larger than this (≈ 30,000 digits) is refused
_PACED = "evalhouse_paced_loop"  # the global every {% for %} iterates through
_CHECK_EVERY = 256  # loop items between two looks at the clock


class RenderLimits:
    """The deadline of the render in progress; shared by the sandbox and its loops."""

    def __init__(self, timeout_seconds: float, max_output_mb: float) -> None:
        self.timeout_seconds = timeout_seconds
        self.max_output_chars = int(max_output_mb * 1_000_000)
        self.max_output_mb = max_output_mb
        self.deadline = math.inf

    def start(self) -> None:
        self.deadline = time.monotonic() + self.timeout_seconds

    def stop(self) -> None:
        self.deadline = math.inf

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            self.stop()  # one error is enough; the except blocks that follow run freely
            raise TemplateError(
                f"rendering took longer than the time limit ({self.timeout_seconds:g} s)",
                hint="look for loops that run far more often than intended; to allow longer "
                "renders raise render.timeout_seconds in project.yml",
            )

    def check_size(self, chars: int) -> None:
        if chars > self.max_output_chars:
            raise TemplateError(
                f"the rendered SQL is larger than the output limit ({self.max_output_mb:g} MB)",
                hint="look for loops or repetition that produce far more text than intended; "
                "to allow more raise render.max_output_mb in project.yml",
            )


class _PacedLoops(CodeGenerator):
    """Compiles every `{% for x in items %}` as `{% for x in evalhouse_paced_loop(items) %}`,
    so even a loop with no calls in its body looks at the clock."""

    def visit_Template(self, node: jnodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(jnodes.For):
            loop.iter = jnodes.Call(jnodes.Name(_PACED, "load"), [loop.iter], [], None, None)
        super().visit_Template(node, frame)


class BoundedSandbox(SandboxedEnvironment):
    code_generator_class = _PacedLoops
    intercepted_binops = frozenset({"**", "*"})

    def __init__(self, limits: RenderLimits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.globals["range"] = self._range
        self.globals[_PACED] = self._paced

    def _paced(self, items: Iterable[Any]) -> Iterator[Any]:
        check = self.limits.check_time
        check()
        for count, item in enumerate(items, 1):
            if count % _CHECK_EVERY == 0:
                check()
            yield item

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateError(
                f"range() of {len(numbers):,} numbers is more than the sandbox allows ({MAX_RANGE:,})",
                hint="loop over a smaller range; SQL (generate_series, range()) is the place for big sequences",
            )
        return numbers

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        __self.limits.check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
            return left**right
        _check_repeat(left, right, self.limits)
        return left * right


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)) or abs(base) < 2 or exponent < 0:
        return  # floats overflow with an error of their own; 0, 1, -1 stay small
    if exponent * math.log2(abs(base)) > MAX_POWER_BITS:
        raise TemplateError(
            f"{base} ** {exponent} is too large to compute in a template "
            f"(more than {MAX_POWER_BITS:,} bits)",
            hint="compute big numbers in SQL, or use a smaller exponent",
        )


def _check_repeat(left: Any, right: Any, limits: RenderLimits) -> None:
    """`'x' * n` and `[..] * n` build their result at once: refuse one past the output limit."""
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int):
            limits.check_size(len(sequence) * times)


# -- read-only values -----------------------------------------------------------------------


def _refuse(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise TemplateError(
            f"templates cannot change vars, evaluation or target (called .{name}() on one)",
            hint="build a new value instead, e.g. {% set more = var('k_values') + [3] %}; "
            "every model must see the values project.yml gives",
        )

    method.__name__ = name
    return method


class FrozenList(list):
    """A list a template can loop over, index, join and test, but not change."""

    def __reduce__(self) -> Any:  # copy and pickle build a fresh one instead of appending
        return (FrozenList, (list(self),))


class FrozenDict(dict):
    """A dict a template can read in every way, but not change."""

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(FrozenList, _name, _refuse(_name))
for _name in ("clear", "pop", "popitem", "setdefault", "update", "__setitem__", "__delitem__", "__ior__"):
    setattr(FrozenDict, _name, _refuse(_name))


def freeze(value: Any) -> Any:
    """A read-only deep copy of plain YAML-like data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(freeze(item) for item in value)
    return value
