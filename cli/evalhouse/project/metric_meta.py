"""Metric metadata: what each metric is, declared in YAML beside the model that computes it.

    models:
      - name: ndcg_at_k
        meta:
          metrics:
            ndcg:
              display_name: NDCG
              family: ranking
              direction: higher      # higher | lower | neutral: which way is better
              range: [0, 1]          # null for an open end: [0, null]
              description: discounted gain of the relevant items, over the ideal list's
              key: true              # one of the leaderboard's default columns

A model whose rows are other models' metrics (ranking_metrics averages the per-user ones)
says so with `meta: {metrics_from_tag: user_metric}` instead. The leaderboard, the
comparisons (a win is an improvement), the report, MLflow and the gate read one table of
this, `metric_definitions`, so a metric's direction is written once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalhouse.errors import ConfigError, did_you_mean
from evalhouse.project.yamlfile import YamlDocument

DIRECTIONS = ("higher", "lower", "neutral")
FAMILIES = ("ranking", "beyond_accuracy", "classification", "regression", "stability", "other")
METRIC_KEYS = ("display_name", "family", "direction", "range", "description", "key")
REQUIRED = ("family", "direction", "description")


@dataclass(frozen=True)
class MetricMeta:
    name: str
    model: str
    display_name: str
    family: str
    direction: str
    range_min: float | None
    range_max: float | None
    description: str
    key: bool
    path: Path
    line: int | None
    position: int = 0  # declaration order across the project's YAML files: the display order

    def as_row(self) -> dict[str, Any]:
        return {"metric": self.name, "model": self.model, "display_name": self.display_name,
                "family": self.family, "direction": self.direction, "range_min": self.range_min,
                "range_max": self.range_max, "description": self.description, "key": self.key,
                "position": self.position}


def _error(message: str, doc: YamlDocument, where: tuple, hint: str | None = None) -> ConfigError:
    return ConfigError(message, path=doc.path, line=doc.line_of(where), hint=hint)


def _bound(value: Any, doc: YamlDocument, where: tuple) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _error(f"a range end must be a number or null, not {value!r}", doc, where,
                     "write range: [0, 1], or [0, null] for an open end")
    return float(value)


def _parse_one(name: str, spec: Any, model: str, doc: YamlDocument, where: tuple) -> MetricMeta:
    if not isinstance(spec, dict):
        raise _error(f"metric '{name}' of model {model}: expected a mapping of {', '.join(METRIC_KEYS)}", doc, where)
    for key in spec:
        if key not in METRIC_KEYS:
            raise _error(f"metric '{name}' of model {model}: unknown key '{key}'", doc, where + (key,),
                         did_you_mean(str(key), METRIC_KEYS) or f"allowed keys: {', '.join(METRIC_KEYS)}")
    missing = [key for key in REQUIRED if not spec.get(key)]
    if missing:
        raise _error(f"metric '{name}' of model {model} has no {' or '.join(missing)}", doc, where,
                     "every metric declares family, direction (higher, lower or neutral) and a one-line "
                     "description (docs/evaluation.md, 'Adding a metric')")
    direction = str(spec["direction"]).lower()
    if direction not in DIRECTIONS:
        raise _error(f"metric '{name}': direction must be higher, lower or neutral, not '{spec['direction']}'",
                     doc, where + ("direction",), did_you_mean(direction, DIRECTIONS))
    family = str(spec["family"])
    if family not in FAMILIES:
        raise _error(f"metric '{name}': unknown family '{family}'", doc, where + ("family",),
                     did_you_mean(family, FAMILIES) or f"one of {', '.join(FAMILIES)}")
    bounds = spec.get("range", [None, None])
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise _error(f"metric '{name}': range must be [min, max]", doc, where + ("range",),
                     "write range: [0, 1], or [0, null] for an open end")
    low, high = (_bound(b, doc, where + ("range",)) for b in bounds)
    if low is not None and high is not None and low > high:
        raise _error(f"metric '{name}': range [{low}, {high}] ends below its start", doc, where + ("range",))
    return MetricMeta(name=name, model=model, display_name=str(spec.get("display_name") or name), family=family,
                      direction=direction, range_min=low, range_max=high, description=str(spec["description"]),
                      key=bool(spec.get("key", False)), path=doc.path, line=doc.line_of(where))


def parse_model_meta(meta: Any, model: str, doc: YamlDocument, where: tuple) -> tuple[list[MetricMeta], str | None]:
    """The metrics a model's `meta:` declares, and the tag it takes its metrics from."""
    if not isinstance(meta, dict):
        return [], None
    source_tag = meta.get("metrics_from_tag")
    declared = meta.get("metrics")
    if declared is None:
        return [], str(source_tag) if source_tag else None
    if not isinstance(declared, dict) or not declared:
        raise _error(f"model {model}: meta.metrics must map each metric name to its metadata", doc,
                     where + ("metrics",))
    return [_parse_one(str(name), spec, model, doc, where + ("metrics", name))
            for name, spec in declared.items()], str(source_tag) if source_tag else None
