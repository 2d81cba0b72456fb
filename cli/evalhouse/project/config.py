"""The schema of project.yml, validated with pydantic.

Unknown keys are errors (with a "did you mean"), wrong types name the key path and the
line. Per-folder model config is free-form by nature (folder names are keys), so it is
validated separately in `folder_config.py`.
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from evalhouse.errors import ConfigError, did_you_mean
from evalhouse.project.envvars import render_env_vars
from evalhouse.project.secrets import is_secret, mask, remember
from evalhouse.project.yamlfile import YamlDocument, read_yaml
from evalhouse.targets.spark.remote import parse_connect_url

PROJECT_FILE = "project.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Paths(_Strict):
    models: str = "models"
    macros: str = "macros"
    seeds: str = "seeds"
    data_tests: str = "tests/data"
    target: str = "target"


class SeedConfig(_Strict):
    column_types: dict[str, str] = Field(default_factory=dict)
    delimiter: str | None = None
    header: bool = True
    quote: str | None = None
    alias: str | None = None
    schema_name: str | None = Field(default=None, alias="schema")
    enabled: bool = True


class MlflowConfig(_Strict):
    enabled: bool = False
    tracking_uri: str | None = None
    experiment: str | None = None
    run_name: str | None = None
    timeout_seconds: float = 10.0
    # a table with more rows is not copied into the run's artifacts (the per-user values at
    # 200k users are 21.6M rows, 760 MB of CSV per build); null copies every table
    max_table_rows: int | None = Field(default=1_000_000, ge=0)


class RenderConfig(_Strict):
    """Bounds of one template render; a render past them fails with a TemplateError."""

    timeout_seconds: float = Field(default=30.0, gt=0)
    max_output_mb: float = Field(default=50.0, gt=0)


class CandidateFile(_Strict):
    path: str
    probabilities: bool = False
    description: str | None = None


class EvaluationConfig(_Strict):
    """Where the evaluation inputs come from; read by the demo project's models."""

    labels: str | None = None
    train: str | None = None
    candidates: dict[str, str | CandidateFile] = Field(default_factory=dict)
    predictions: dict[str, str] = Field(default_factory=dict)
    ab_events: str | None = None
    user_attributes: str | None = None
    inference_log: str | None = None
    items: str | None = None  # item features: item_id and categorical columns (ILD, category diversity, calibration)
    # splits a text category cell into several categories ("Action|Comedy"); null: one category per cell
    items_delimiter: str | None = "|"
    baselines: list[str] | None = None
    baseline: str | None = None
    show_after_build: str | None = "leaderboard"

    @field_validator("items_delimiter")
    @classmethod
    def _a_delimiter(cls, value: str | None) -> str | None:
        if value == "":
            raise ValueError("must be at least one character, such as '|', or null for one category per cell")
        return value


# the sizes DuckDB 2.0.1 accepts for memory_limit and max_temp_directory_size (tried one by
# one): a number and a unit in 1000s or 1024s (case-insensitive), or a share of the machine's
# RAM, spaces anywhere; checked here because DuckDB only complains when the warehouse opens
_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?([kmgt]i?b|[kmgt]|b|%)$", re.IGNORECASE)


class DuckdbSettings(_Strict):
    threads: int | None = Field(default=None, ge=1)
    memory_limit: str | None = None
    preserve_insertion_order: bool | None = None
    temp_directory: str | None = None
    max_temp_directory_size: str | None = None  # how much DuckDB may spill into temp_directory
    # folders and files project SQL may read and write besides the project folder, the
    # evaluation inputs and the warehouse (relative to the project); see README "Choices"
    allowed_paths: list[str] = Field(default_factory=list)

    @field_validator("memory_limit", "max_temp_directory_size")
    @classmethod
    def _a_size(cls, value: str | None) -> str | None:
        if value is not None and not _SIZE.match(re.sub(r"\s", "", value)):
            raise ValueError("must be a size such as 512MB, 8GB or 75% (of the machine's memory)")
        return value


class SparkSettings(_Strict):
    """`targets.spark`: where `--target spark` runs (see docs/spark.md)."""

    master: str = "local[*]"
    app_name: str = "evalhouse"
    warehouse_dir: str = "target/spark-warehouse"  # table files; a URI (hdfs://, s3a://) on a cluster
    metastore_dir: str = "target/spark-metastore"  # the local Derby catalog, unless config names a metastore
    config: dict[str, str | int | float | bool] = Field(default_factory=dict)  # any spark.* setting
    # sc://host:port: a Spark Connect server runs the build, with its own master, warehouse
    # and catalog (so the four keys above that start a Spark here are refused beside it)
    remote: str | None = None

    @field_validator("remote")
    @classmethod
    def _a_connect_url(cls, value: str | None) -> str | None:
        if value is not None:
            for name, param in parse_connect_url(value).params:
                if is_secret(name):
                    remember(param)  # a token is masked wherever it would be printed
        return value


# what starts a Spark in this process; a Spark Connect server has its own
LOCAL_SPARK_KEYS = ("master", "app_name", "warehouse_dir", "metastore_dir")


class Targets(_Strict):
    spark: SparkSettings = Field(default_factory=SparkSettings)


# -- the deployment gate (`evalhouse gate CANDIDATE`; gate.py, docs/evaluation.md) ----------
MetricAtK = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(@[0-9]+)?$")]  # ndcg@10


class Bounds(_Strict):
    """The allowed range of a value: `{min: 0.2}`, `{max: 0.5}` or both."""

    min: float | None = None
    max: float | None = None


class BaselineRule(_Strict):
    """A metric@k of the candidate against the baseline, from the comparisons table."""

    metric: MetricAtK
    max_regression: float | None = Field(default=0.0, ge=0)  # largest drop of the mean allowed; null: any
    require: Literal["none", "not_worse", "better"] = "not_worse"  # ...significantly (p below alpha)
    lower_is_better: bool | None = None  # null: the metric's direction (metric_definitions)
    p_value: Literal["p_adjusted", "p_ttest", "p_randomization"] = "p_adjusted"


class SliceRule(_Strict):
    """No slice of metrics_by_slice worse than the baseline's same slice by more than margin."""

    metrics: list[MetricAtK] = Field(default_factory=lambda: ["ndcg@10"])
    margin: float = Field(default=0.0, ge=0)
    min_users: int = Field(default=0, ge=0)  # slices with fewer users are left out
    lower_is_better: bool | None = None  # null: the metric's direction (metric_definitions)


class ServingRule(_Strict):
    """Latency percentiles (ms) and cost per 1,000 requests, from evaluation.inference_log."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    cost_per_1k: float | None = None


class HealthWeights(_Strict):
    accuracy: float = Field(default=0.5, ge=0)
    coverage: float = Field(default=0.25, ge=0)
    stability: float = Field(default=0.25, ge=0)


class HealthIndex(_Strict):
    """A diagnostic: the weighted mean of three metric@k values in [0, 1], higher better."""

    accuracy: MetricAtK = "ndcg@10"
    coverage: MetricAtK = "catalog_coverage@10"
    stability: MetricAtK = "jaccard@10"
    weights: HealthWeights = Field(default_factory=HealthWeights)


class GateConfig(_Strict):
    alpha: float = Field(default=0.05, gt=0, lt=1)
    thresholds: dict[MetricAtK, Bounds] = Field(default_factory=dict)
    versus_baseline: list[BaselineRule] = Field(default_factory=list)
    slices: SliceRule | None = None
    serving: ServingRule | None = None
    guardrails: dict[MetricAtK, Bounds] = Field(default_factory=dict)
    when_missing: Literal["fail", "skip"] = "fail"  # a value that cannot exist yet by design (gate_values.py)
    health: HealthIndex = Field(default_factory=HealthIndex)


class LeaderboardConfig(_Strict):
    """`leaderboard:` what `build` prints and the report shows of the wide leaderboard table
    (evaluation/leaderboard.py); the table itself keeps every metric@K."""

    metrics: list[str] | None = None  # such as [ndcg@10, recall@100]; unset: the metrics marked key: true
    max_columns: int = Field(default=10, ge=1)  # the default choice's size


class ProjectConfig(_Strict):
    name: str
    version: str = "0.1.0"
    warehouse: str = "target/warehouse.duckdb"
    paths: Paths = Field(default_factory=Paths)
    vars: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)
    seeds: dict[str, SeedConfig] = Field(default_factory=dict)
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    duckdb: DuckdbSettings = Field(default_factory=DuckdbSettings)
    targets: Targets = Field(default_factory=Targets)
    gate: GateConfig = Field(default_factory=GateConfig)
    render: RenderConfig = Field(default_factory=RenderConfig)
    leaderboard: LeaderboardConfig = Field(default_factory=LeaderboardConfig)


def _field_names(model: type[BaseModel]) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        names.append(info.alias or name)
    return names


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the keys at `loc`, if the path is static."""
    current: Any = ProjectConfig
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fields = {info.alias or name: info for name, info in current.model_fields.items()}
        info = fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        current = _first_model(annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _first_model(arg)
            if found is not None:
                return found
    return None


def _describe(error: dict[str, Any], doc: YamlDocument) -> ConfigError:
    loc = tuple(part for part in error["loc"] if not isinstance(part, str) or "[" not in part)
    dotted = ".".join(str(part) for part in loc)
    line = doc.line_of(loc)
    if error["type"] == "extra_forbidden":
        owner = _model_at(loc[:-1])
        hint = did_you_mean(str(loc[-1]), _field_names(owner)) if owner else None
        allowed = ", ".join(_field_names(owner)) if owner else ""
        return ConfigError(
            f"unknown key '{dotted}'",
            path=doc.path,
            line=line,
            hint=hint or (f"allowed keys here: {allowed}" if allowed else "remove the key"),
        )
    if error["type"] == "missing":
        return ConfigError(
            f"missing required key '{dotted}'", path=doc.path, line=line, hint=f"add '{loc[-1]}:'"
        )
    if error["type"] == "value_error":  # our own validators: the message says what is expected
        return ConfigError(
            f"key '{dotted}' {error['ctx']['error']} (got {mask(error.get('input'))!r})",
            path=doc.path,
            line=line,
            hint="fix the value on that line",
        )
    return ConfigError(
        f"key '{dotted}': {error['msg']} (got {mask(error.get('input'))!r})",
        path=doc.path,
        line=line,
        hint="fix the value's type on that line",
    )


def validate_config(doc: YamlDocument) -> ProjectConfig:
    """The config of a parsed project.yml: its {{ env_var() }} values rendered, then validated."""
    if doc.data is not None and not isinstance(doc.data, dict):
        raise ConfigError(
            "project.yml must be a mapping of keys to values",
            path=doc.path,
            line=1,
            hint="start with 'name: my_project'",
        )
    data = render_env_vars(doc) or {}
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # pydantic reports every branch of a union; the first error is the telling one
        raise _describe(errors[0], doc) from None
    _check_spark_remote(config.targets.spark, doc)
    return config


def _check_spark_remote(settings: SparkSettings, doc: YamlDocument) -> None:
    """With `remote`, the keys that start a Spark in this process would be silently
    ignored (the server has its own): refuse them instead."""
    local = [key for key in LOCAL_SPARK_KEYS if key in settings.model_fields_set]
    if settings.remote is None or not local:
        return
    raise ConfigError(
        f"key 'targets.spark.{local[0]}' does not go with 'targets.spark.remote': a Spark Connect "
        "server has its own master, application, warehouse and catalog",
        path=doc.path,
        line=doc.line_of(("targets", "spark", local[0])),
        hint=f"remove '{local[0]}:' to build on the server, or remove 'remote:' to start Spark here",
    )


def load_config(project_dir: Path) -> tuple[ProjectConfig, YamlDocument]:
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(
            f"no {PROJECT_FILE} in {project_dir}",
            path=path,
            hint="run this in a project folder, pass --project-dir, or create one with 'evalhouse init'",
        )
    doc = read_yaml(path, what=PROJECT_FILE)
    return validate_config(doc), doc

