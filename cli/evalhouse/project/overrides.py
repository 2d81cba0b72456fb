"""Evaluation inputs given for one invocation (`--labels`, `--train`, `--items`,
`--candidate NAME=PATH`), laid over project.yml's `evaluation` block.

A CI job that evaluates a fresh model file names it on the command line instead of
rewriting project.yml. A `--candidate` whose name project.yml has replaces that file (its
probabilities and description stay); a new name is added; the other candidates stay.
Relative paths start at the current folder, as any path on a command line does; they are
stored absolute, so the project (which resolves its own paths from its folder) and the
sandbox's allow-list (`LoadedProject.sandbox_paths`) take them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalhouse.errors import ConfigError
from evalhouse.project.config import EvaluationConfig

_FILE_KEYS = ("labels", "train", "items")


@dataclass(frozen=True)
class EvaluationOverrides:
    labels: str | Path | None = None
    train: str | Path | None = None
    items: str | Path | None = None
    candidates: Mapping[str, str | Path] = field(default_factory=dict)  # name -> file

    @classmethod
    def of(cls, value: EvaluationOverrides | Mapping[str, Any] | None) -> EvaluationOverrides:
        """The overrides from themselves, a mapping with the same keys, or nothing."""
        if value is None or isinstance(value, EvaluationOverrides):
            return value or cls()
        unknown = sorted(set(value) - {*_FILE_KEYS, "candidates"})
        if unknown:
            raise ConfigError(f"evaluation_overrides: unknown key '{unknown[0]}'",
                              hint=f"use {', '.join(_FILE_KEYS)} or candidates")
        if not isinstance(value.get("candidates", {}), Mapping):
            raise ConfigError("evaluation_overrides: 'candidates' must map names to files",
                              hint="e.g. {'candidates': {'fresh': 'recs.parquet'}}")
        return cls(**value)

    def __bool__(self) -> bool:
        return any(getattr(self, key) for key in _FILE_KEYS) or bool(self.candidates)


def option_name(key_path: tuple[str, ...]) -> str:
    """The command-line option that sets `evaluation.<key_path>`: --labels, --candidate m."""
    return f"--candidate {key_path[1]}" if key_path[0] == "candidates" else f"--{key_path[0]}"


def parse_candidate(text: str) -> tuple[str, str]:
    """`NAME=PATH` -> (name, path); anything else is a clear error naming the option."""
    name, sep, path = text.partition("=")
    name, path = name.strip(), path.strip()
    if not sep or not name or not path:
        raise ConfigError(f"--candidate '{text}' is not NAME=PATH",
                          hint="name the candidate and its file: --candidate my_model=recs.parquet")
    return name, path


def _existing(option: str, value: str | Path, cwd: Path) -> str:
    if not isinstance(value, str | Path):
        raise ConfigError(f"{option}: {value!r} is not a path", hint="give the file's path as a string")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else cwd / path
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(f"{option}: file '{value}' {what}",
                          hint="give a CSV or Parquet file; relative paths start at the current folder")
    return path.resolve().as_posix()


def apply_overrides(evaluation: EvaluationConfig, overrides: EvaluationOverrides,
                    cwd: Path | None = None) -> tuple[EvaluationConfig, dict[tuple[str, ...], str]]:
    """The evaluation block with the overrides laid over it, validated as project.yml's
    is, and the option that set each overridden key (`("candidates", "m")` -> `--candidate m`)."""
    cwd = cwd or Path.cwd()
    data = evaluation.model_dump(by_alias=True)
    named: dict[tuple[str, ...], str] = {}
    for key in _FILE_KEYS:
        value = getattr(overrides, key)
        if value:
            named[(key,)] = option_name((key,))
            data[key] = _existing(named[(key,)], value, cwd)
    candidates = dict(data.get("candidates", {}))
    for name, value in overrides.candidates.items():
        named[("candidates", name)] = option_name(("candidates", name))
        path = _existing(named[("candidates", name)], value, cwd)
        entry = candidates.get(name)
        candidates[name] = {**entry, "path": path} if isinstance(entry, dict) else path
    if overrides.candidates:
        data["candidates"] = candidates
    try:
        return EvaluationConfig.model_validate(data), named
    except ValidationError as exc:  # a candidate name that is not a string, given through the API
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"evaluation override '{where}': {error['msg']}",
                          hint="name each candidate with a string") from None

