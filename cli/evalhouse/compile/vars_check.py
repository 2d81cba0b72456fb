"""A --vars key that nothing reads: most likely a typo (`--vars '{treshold: 3}'`), which
would otherwise change nothing without a word. A warning, not an error: a var may be meant
for a model not written yet, or read under a name built at render time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from evalhouse.errors import did_you_mean

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

# vars the Python side reads too: LoadedProject.baseline_name(), the report's leaderboard
ENGINE_VARS = frozenset({"baseline", "leaderboard_order"})
# var('name') / var("name", default) as written in a model, test or macro file
_VAR_CALL = re.compile(r"""\bvar\(\s*(['"])([^'"]+)\1""")


def vars_named(texts: Iterable[str]) -> set[str]:
    """The names var() is called with in these template texts, also in a branch a render
    does not take (a var read only on Spark, say)."""
    return {match.group(2) for text in texts for match in _VAR_CALL.finditer(text)}


def _template_texts(project: LoadedProject) -> Iterable[str]:
    for node in project.nodes.values():
        yield node.raw
    for path in project.macro_files:
        yield (project.dir / path).read_text(encoding="utf-8")


def unread_vars(project: LoadedProject, given: Mapping[str, str]) -> list[str]:
    """A warning for each key of `given` (key -> the option that set it: --vars or
    --vars-file) that project.yml does not declare under vars: and no template reads."""
    known = set(project.config.vars) | ENGINE_VARS
    unknown = [key for key in given if key not in known]
    if not unknown:
        return []
    known |= vars_named(_template_texts(project))
    unknown = [key for key in unknown if key not in known]
    if not unknown:
        return []
    # what the text does not show (a name built at render time): compile knows what was read
    from evalhouse.compile.compiler import compile_project
    from evalhouse.errors import EvalhouseError

    try:
        known |= compile_project(project, check_sql=False).vars_read
    except EvalhouseError:
        pass  # the command itself reports what does not compile
    warnings = []
    for key in (k for k in unknown if k not in known):
        hint = did_you_mean(key, known) or "declare it under 'vars:' in project.yml, or read it with var('...')"
        warnings.append(f"{given[key]} sets '{key}', which project.yml does not declare under 'vars:' and no "
                        f"model or macro reads with var(): it changes nothing; {hint}")
    return warnings
