"""Reading seed and data files with Spark's readers, typed as DuckDB would type them."""

from __future__ import annotations

import csv
from pathlib import Path

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from evalhouse.errors import SeedError
from evalhouse.execute.seeds import first_ragged_line
from evalhouse.project.config import SeedConfig
from evalhouse.project.nodes import Node
from evalhouse.targets.spark.sql import spark_type


def _q(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def read_csv(spark: SparkSession, path: Path, header: bool, delimiter: str, quote_char: str | None,
             column_types: dict[str, str]) -> DataFrame:
    """A CSV file through Spark's reader: the declared columns with their (DuckDB) types,
    the others inferred (integers as BIGINT, as DuckDB's sniffer has them), a quote inside
    a quoted value doubled (RFC 4180, DuckDB's default), a malformed row an error."""
    quote_char = quote_char or '"'
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        first = next(csv.reader(handle, delimiter=delimiter, quotechar=quote_char), [])
    names = first if header else [f"column{i}" for i in range(len(first))]
    reader = (spark.read.option("header", header).option("sep", delimiter).option("mode", "FAILFAST")
              .option("quote", quote_char).option("escape", quote_char))
    declared = {k.lower(): spark_type(v) for k, v in column_types.items()}
    inferred: dict[str, str] = {}
    if any(n.lower() not in declared for n in names):
        sniffed = reader.option("inferSchema", True).csv(path.as_posix())
        for name, field in zip(names, sniffed.schema.fields, strict=False):
            kind = field.dataType
            inferred[name] = "BIGINT" if isinstance(kind, T.IntegerType) else kind.simpleString()
    ddl = ", ".join(f"{_q(n)} {declared.get(n.lower()) or inferred.get(n, 'STRING')}" for n in names)
    return reader.schema(ddl).csv(path.as_posix())


def seed_frame(spark: SparkSession, project_dir: Path, node: Node, config: SeedConfig) -> DataFrame:
    """The rows of a seed file (CSV, TSV or Parquet), read lazily: errors show when written."""
    path = project_dir / node.path
    if path.stat().st_size == 0:
        raise SeedError(f"seed {node.name} is an empty file", path=node.path, line=1,
                        hint="add a header row and data, or delete the file")
    try:
        if path.suffix.lower() == ".parquet":
            return spark.read.parquet(path.as_posix())
        delimiter = config.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
        return read_csv(spark, path, config.header, delimiter, config.quote, config.column_types)
    except PySparkException as exc:
        raise seed_error(node, path, config, str(exc).strip().splitlines()[0]) from None


def seed_error(node: Node, path: Path, config: SeedConfig, message: str) -> SeedError:
    """What went wrong with a seed file, at the first ragged row when there is one."""
    if path.suffix.lower() != ".parquet":
        ragged = first_ragged_line(path, config)
        if ragged is not None:
            line, fields, expected = ragged
            return SeedError(
                f"seed {node.name} has a row with {fields} fields where the header has {expected}",
                path=node.path, line=line,
                hint="make every row have as many fields as the header (quote values that contain the delimiter)",
            )
    return SeedError(f"seed {node.name} could not be loaded on Spark: {message}", path=node.path,
                     hint="fix that row, or set its column types under seeds: in project.yml")
