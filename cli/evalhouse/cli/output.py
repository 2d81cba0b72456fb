"""How results look in a terminal (text) or to a machine (one JSON object a line)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from datetime import datetime, timezone
from typing import Any

import click

from evalhouse.cli.table_layout import FALLBACK_WIDTH, MAX_CELL, MIN_WIDTH, layout
from evalhouse.project.secrets import mask, mask_text

STATUS_WORDS = {
    "success": ("OK", "green"),
    "pass": ("PASS", "green"),
    "warn": ("WARN", "yellow"),
    "fail": ("FAIL", "red"),
    "error": ("ERROR", "red"),
    "skipped": ("SKIP", "yellow"),
}
# a node's status as a log level, so that a CI log filter on "error" finds the failed nodes
LEVELS = {"error": "error", "fail": "error", "warn": "warning", "skipped": "warning"}


class Printer:
    def __init__(self, *, quiet: bool = False, log_format: str = "text", width: int | None = None) -> None:
        self.quiet = quiet
        self.json = log_format == "json"
        self.width = width  # of tables; None: the terminal's

    # -- plain messages ------------------------------------------------------------------
    # messages and node lines pass through mask_text: an error may quote SQL holding an
    # env_var() value, a warning a URI with its password; query results are the user's data
    def info(self, message: str, **fields: Any) -> None:
        message = mask_text(message)
        if self.json:
            self._json("info", message=message, **fields)
        elif not self.quiet:
            click.echo(message)

    def warning(self, message: str) -> None:
        message = mask_text(message)
        if self.json:
            self._json("warning", message=message)
        else:
            click.secho(f"warning: {message}", fg="yellow", err=True)

    def error(self, message: str, **fields: Any) -> None:
        message = mask_text(message)
        if self.json:
            self._json("error", message=message, **fields)
        else:
            click.secho(message, fg="red", err=True)

    def _json(self, level: str, **fields: Any) -> None:
        record = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": level,
                  **mask(fields, keys=False)}
        click.echo(json.dumps(record, default=str))

    # -- progress ------------------------------------------------------------------------
    def event(self, kind: str, node: Any, index: int, total: int, result: Any) -> None:
        label = f"{node.materialized} {node.name}"
        if self.json:
            fields = {"event": kind, "node": node.unique_id, "index": index, "total": total}
            if result is not None:
                fields.update(result.to_dict())
            self._json(LEVELS.get(result.status, "info") if result is not None else "info", **fields)
            return
        if self.quiet and (result is None or result.ok):
            return
        if kind == "start":
            click.echo(f"{index} of {total} START {label}")
            return
        word, colour = STATUS_WORDS.get(result.status, (result.status.upper(), "white"))
        detail = [f"{result.execution_time:.2f}s"]
        if result.rows is not None:
            detail.append(f"{result.rows:,} rows")
        if result.failures:
            detail.append(f"{result.failures:,} failing rows")
        line = f"{index} of {total} {click.style(word, fg=colour)} {label} ... [{', '.join(detail)}]"
        click.echo(line)
        if result.status in ("error",) and result.message:
            click.secho("  " + mask_text(result.message).replace("\n", "\n  "), fg="red", err=True)
        if result.status in ("fail", "warn"):
            click.echo(f"  {mask_text(result.message)}; sample:")
            for row in result.sample:
                click.echo(f"    {row}")
            if result.hint:
                click.echo(f"  what to do: {result.hint}")

    def summary(self, result: Any) -> None:
        counts = result.counts()
        parts = [f"{counts.get(k, 0)} {v}" for k, v in (
            ("success", "ok"), ("pass", "passed"), ("warn", "warned"), ("fail", "failed"),
            ("error", "errors"), ("skipped", "skipped")) if counts.get(k)]
        text = f"Done in {result.elapsed:.2f}s: " + (", ".join(parts) or "nothing to do")
        if self.json:
            self._json("info" if result.success else "error", event="summary", success=result.success,
                       counts=counts, elapsed=result.elapsed)
        else:
            click.secho(text, fg="green" if result.success else "red")
        for note in getattr(result, "notes", []):
            self.info(note)

    # -- tables ----------------------------------------------------------------------------
    def table(self, columns: list[str], rows: list[tuple], fmt: str = "table", title: str | None = None,
              more: str = "see every column with --format csv or --format json, or select fewer columns") -> None:
        """Rows as JSON, CSV or a table that fits the terminal (turned or cut when too wide;
        `more` tells how to see what a cut left out)."""
        if fmt == "json" or self.json:
            click.echo(json.dumps([dict(zip(columns, row, strict=False)) for row in rows], default=str))
            return
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
            click.echo(buffer.getvalue(), nl=False)
            return
        from rich.console import Console
        from rich.table import Table

        width = max(MIN_WIDTH, self.width or shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns)
        shown = layout(columns, rows, width, more)
        table = Table(title=title, show_lines=False)
        for column in shown.columns:
            table.add_column(column, overflow="fold", max_width=MAX_CELL)
        for row in shown.rows:
            table.add_row(*row)
        Console(file=sys.stdout, width=width).print(table)
        if shown.note:
            click.echo(f"({shown.note})")
