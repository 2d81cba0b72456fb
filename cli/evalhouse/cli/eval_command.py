"""`evalhouse eval RECS.parquet --labels F`: one command, no project (api/quick_eval.py).

Exit codes as `build`: 0 ok, 1 a failed node or test, 2 a usage or input error. stdout holds
only the leaderboard (one JSON object with --format json, for CI); warnings go to stderr.
"""

from __future__ import annotations

import json
import sys

import click

from evalhouse.cli.common import exit_on_error
from evalhouse.cli.output import Printer


def _k_values(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise click.BadParameter(f"'{text}' is not a list of positive integers such as 5,10,20",
                                 param_hint="--k")
    return values


@click.command(name="eval")
@click.argument("files", nargs=-1, metavar="RECS [NAME=PATH ...]")
@click.option("--labels", "labels_path", required=True, metavar="PATH",
              help="The held-out interactions: user_id, item_id[, relevance, ts] (CSV or Parquet).")
@click.option("--train", "train_path", default=None, metavar="PATH",
              help="What the models learned from: user_id, item_id[, rating, ts]. Without it the metrics "
              "that compare with train (novelty, catalog coverage) are not shown.")
@click.option("--items", "items_path", default=None, metavar="PATH",
              help="Item features (item_id and categorical columns), for the diversity metrics.")
@click.option("--k", "k_text", default=None, metavar="K,K,...",
              help="The cut-offs, e.g. 5,10,20 (default: the project template's 5,10,20,50,100).")
@click.option("--baselines", default=None, metavar="NAME,...",
              help="Baselines to build from --train beside the files, e.g. popular,random (default: none).")
@click.option("--warehouse", default=None, type=click.Path(dir_okay=False), metavar="PATH",
              help="Keep the DuckDB warehouse at PATH (a new file) to query later; default: removed.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table for people; json (one object: candidates, key metrics, warnings) for CI; csv.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the leaderboard and errors.")
def eval_command(files: tuple[str, ...], labels_path: str, train_path: str | None, items_path: str | None,
                 k_text: str | None, baselines: str | None, warehouse: str | None, fmt: str, quiet: bool) -> None:
    """Score recommendation files against labels in one command, without a project: each
    file (named by its stem, or NAME=PATH) is a candidate; the files are checked as `build`
    checks them and the metrics are the packaged models'. Prints the key columns of the
    leaderboard; every metric is in the warehouse kept with --warehouse."""
    if not files:
        raise click.UsageError("give at least one recommendations file: evalhouse eval RECS.parquet --labels F")
    k_values = _k_values(k_text)

    def run(**_: object) -> None:
        from evalhouse.api.quick_eval import candidate_names, evaluate_files

        result = evaluate_files(
            candidate_names(files), labels_path, train=train_path, items=items_path, k_values=k_values,
            warehouse=warehouse, baselines=[b.strip() for b in (baselines or "").split(",") if b.strip()],
        )  # no progress lines: stdout is the leaderboard's; a failed node is listed below, on stderr
        for warning in result.warnings:
            click.secho(f"warning: {warning}", fg="yellow", err=True)
        for failure in result.failures:
            click.secho(f"failed: {failure}", fg="red", err=True)
        if fmt == "json":
            click.echo(json.dumps(result.as_json(), default=str))
        elif result.success:
            Printer().table(result.columns, result.rows, fmt=fmt, title="leaderboard")
            if result.left_out and fmt == "table" and not quiet:
                where = f"query {result.warehouse}" if result.warehouse else "keep the warehouse with --warehouse"
                click.echo(f"({result.left_out} more metric columns: {where})", err=True)
        if result.warehouse and not quiet:
            click.echo(f"warehouse kept at {result.warehouse}", err=True)
        sys.exit(0 if result.success else 1)

    exit_on_error(run)(quiet=quiet, log_format="text")
