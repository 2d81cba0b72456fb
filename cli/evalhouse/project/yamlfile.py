"""Read YAML files and remember where each key stands, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalhouse.errors import ConfigError

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

# Anchors and aliases let a few lines of YAML stand for an exponential tree ("billion
# laughs"); every walk over the data then takes that long. No real project file comes
# near this many nodes once aliases are expanded.
MAX_EXPANDED_NODES = 100_000


@dataclass
class YamlDocument:
    """A parsed YAML file plus the line (1-based) of every key path in it."""

    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    # project.yml: the environment variables each {{ env_var() }} value read (envvars.py)
    env_vars: dict[tuple[Any, ...], list[str]] = field(default_factory=dict)

    def line_of(self, key_path: tuple[Any, ...]) -> int | None:
        """The line of the deepest known prefix of `key_path`."""
        for end in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return None


def _index_lines(node: yaml.Node, prefix: tuple[Any, ...], out: dict) -> None:
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[prefix + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, prefix + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, prefix + (index,), out)


def _check_nodes(root: yaml.Node, path: Path, what: str) -> None:
    """Refuse a document whose aliases expand past MAX_EXPANDED_NODES, or a mapping that
    repeats a key. Each node is visited once (aliases share their anchor's node), so this
    costs as much as the text, not as the expanded tree."""
    sizes: dict[int, int] = {}  # id(node) -> nodes it stands for once expanded
    checked: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:  # iterative post-order: deep nesting must not hit the recursion limit
        node, children_done = pending.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            if id(node) in checked:  # reached again before finished: a recursive anchor
                raise ConfigError(
                    f"{what} has an alias inside its own anchor",
                    path=path,
                    line=node.start_mark.line + 1,
                    hint="an anchor (&name) cannot contain an alias (*name) to itself",
                )
            checked.add(id(node))
            if isinstance(node, yaml.MappingNode):
                _check_duplicate_keys(node, path, what)
            pending.append((node, True))
            pending.extend((child, False) for child in children if id(child) not in sizes)
            continue
        size = 1 + sum(sizes[id(child)] for child in children)
        if size > MAX_EXPANDED_NODES:
            raise ConfigError(
                f"{what}: anchors/aliases expand past {MAX_EXPANDED_NODES:,} nodes",
                path=path,
                line=node.start_mark.line + 1,
                hint="write the values out, or use fewer nested aliases (*name)",
            )
        sizes[id(node)] = size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_duplicate_keys(node: yaml.MappingNode, path: Path, what: str) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        key = (key_node.tag, key_node.value)
        if key in seen:
            raise ConfigError(
                f"{what} has the key '{key_node.value}' twice in one mapping: "
                f"on line {seen[key]} and line {line}",
                path=path,
                line=line,
                hint="delete one of them (otherwise the last would silently win)",
            )
        seen[key] = line


def parse_yaml_text(text: str, path: Path, *, what: str = "YAML") -> YamlDocument:
    """Parse YAML text; a syntax error names the file and line."""
    loader = _Loader(text)
    try:
        # compose once, check the node graph, then construct from the same nodes: the
        # constructor shares one Python object per anchor, so nothing is expanded
        node = loader.get_single_node()
        if node is not None:
            _check_nodes(node, path, what)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{what} is not valid YAML: {problem}",
            path=path,
            line=line,
            hint="fix the indentation or quoting on that line",
        ) from None
    finally:
        loader.dispose()
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return YamlDocument(path=path, data=data, lines=lines)


def read_yaml(path: Path, *, what: str = "YAML") -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            path=path,
            hint="save the file as UTF-8",
        ) from None
    return parse_yaml_text(text, path, what=what)
