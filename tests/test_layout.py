"""The package's shape: no import circle, small modules, small macro files.

Imports are read with `ast`, lazy ones inside functions included (a lazy import is still an
import); only `if TYPE_CHECKING:` blocks are left out, since they never run.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "cli" / "evalhouse"
MAX_MODULE_LINES = 400
MAX_MACRO_FILE_LINES = 250


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of the tree except those under `if TYPE_CHECKING:`."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return found


def _imported_names(node: ast.AST, package: str, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        # `from a import b` needs the module a.b when b is one, else a itself
        submodules = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known]
        others = len(submodules) < len(node.names)
        return submodules + ([target] if others else [])
    return []


def import_graph(package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports when it runs (lazy imports included)."""
    paths = sorted(package_dir.rglob("*.py"))
    known = {module_name(path, package_dir) for path in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        this = module_name(path, package_dir)
        package = this if path.name == "__init__.py" else this.rsplit(".", 1)[0]
        imports: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported_names(node, package, known):
                while name and name not in known:  # a.b.SomeClass -> the module a.b
                    name = name.rpartition(".")[0]
                if name and name != this:
                    imports.add(name)
        graph[this] = imports
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        return list(error.args[1])
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_sees_lazy_imports_and_skips_type_checking(tmp_path: Path) -> None:
    """The check itself can fail: a lazy import closing a circle is caught, and an import
    under `if TYPE_CHECKING:` is not counted."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub.b import f\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.c import C\n"
        "def f():\n    from ..a import g\n"
    )
    (package / "c.py").write_text("import pkg.a\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert set(find_cycle(graph) or []) == {"pkg.a", "pkg.sub.b"}
    (package / "sub" / "b.py").write_text("def f():\n    return 1\n")
    assert find_cycle(import_graph(package)) is None


def test_nothing_below_the_api_imports_the_api_or_the_cli() -> None:
    graph = import_graph()
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if not module.startswith(("evalhouse.api", "evalhouse.cli")) and module != "evalhouse"
        for target in targets
        if target.startswith(("evalhouse.api", "evalhouse.cli"))
    )
    assert offenders == []


def test_no_python_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_macro_file_is_over_250_lines() -> None:
    long = {
        str(path.relative_to(REPO)): n
        for path in (REPO / "macros").rglob("*.sql")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MACRO_FILE_LINES
    }
    assert long == {}
