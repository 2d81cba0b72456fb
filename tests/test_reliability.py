"""Concurrency and crash safety: a second writer is refused clearly, and a build killed with
SIGKILL at any point leaves every table at its previous or its new complete version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import wait_for_line
from warehouse_reader import read_warehouse, relation_names

from evalhouse.cli import main

# The slow model spins for several seconds so another process can act while it runs.
SLOW_TABLE = """
{{ config(materialized='table') }}
select {{ var('version') }} as version, count(*) as n
from range({{ var('spin', 1) }}) a, range({{ var('spin', 1) }}) b
"""

FILES = {
    "models/a_fast.sql": "{{ config(materialized='table') }}"
                         "select {{ var('version') }} as version, range as i from range(1000)",
    "models/b_slow.sql": SLOW_TABLE,
    "models/c_after.sql": "{{ config(materialized='table') }}select version, n from {{ ref('b_slow') }}",
}


def start_build(root: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALHOUSE_")}
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "evalhouse.cli", "build", "--project-dir", str(root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )


def table_versions(warehouse: Path) -> dict[str, set]:
    with read_warehouse(str(warehouse)) as con:
        return {name: {r[0] for r in con.execute(f'select distinct version from {relation}').fetchall()}
                for _, name, relation in relation_names(con) if not name.startswith("__evalhouse")}


def first_build(make_project, files=FILES):
    root = make_project(files)
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--vars", "{version: 1}", "-q"])
    assert result.exit_code == 0, result.output
    return root


def test_a_second_build_fails_fast_naming_the_lock_then_waits(make_project):
    root = first_build(make_project)
    slow = start_build(root, "--vars", "{version: 2, spin: 45000}")
    try:
        wait_for_line(slow, "START table b_slow")
        assert slow.poll() is None
        started = time.monotonic()
        second = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--vars", "{version: 3}"])
        assert time.monotonic() - started < 5
        assert second.exit_code == 2
        assert "another build is writing the warehouse" in second.output
        # the holder by its PID and command line (from /proc, where there is one)
        assert f"process {slow.pid} (" in second.output and "holds the write lock on warehouse.duckdb" in second.output
        assert "--wait SECONDS" in second.output
        assert "Traceback" not in second.output
        query = CliRunner().invoke(main, ["query", "--project-dir", str(root), "select 1"])
        assert query.exit_code == 2 and "the warehouse is being written" in query.output
        waited = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--vars", "{version: 3}",
                                           "--wait", "120", "-q"])
        assert waited.exit_code == 0, waited.output
        assert slow.wait(timeout=60) == 0  # it finished; then the waiting build took the lock
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait()
    assert table_versions(root / "target/warehouse.duckdb") == {"a_fast": {3}, "b_slow": {3}, "c_after": {3}}


@pytest.mark.parametrize(
    "kill_at",
    [("START seed big", 0.05), ("START table b_slow", 0.3), ("START test slow_check", 0.3)],
    ids=["during_seed_load", "during_table_model", "during_test"],
)
def test_sigkill_leaves_previous_or_new_tables_and_the_next_build_succeeds(make_project, tmp_path, kill_at):
    rows = 400_000
    files = {
        **FILES,
        "seeds/big.csv": "version,i\n" + "".join(f"1,{i}\n" for i in range(rows)),
        "tests/data/slow_check.sql": "select * from {{ ref('b_slow') }} b, range({{ var('spin', 1) }}) a, "
                                     "range({{ var('spin', 1) }}) c where b.n + a.range + c.range < 0",
    }
    root = first_build(make_project, files)
    before = table_versions(root / "target/warehouse.duckdb")
    assert before == {"a_fast": {1}, "b_slow": {1}, "c_after": {1}, "big": {1}}
    (root / "seeds/big.csv").write_text("version,i\n" + "".join(f"2,{i}\n" for i in range(rows * 3)))
    process = start_build(root, "--vars", "{version: 2, spin: 45000}")
    needle, delay = kill_at
    wait_for_line(process, needle)
    time.sleep(delay)  # let the statement get going
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    after = table_versions(root / "target/warehouse.duckdb")
    assert set(after) == set(before)
    for name, versions in after.items():
        assert versions in ({1}, {2}), f"{name} holds a mix of versions: {versions}"
    with read_warehouse(str(root / "target/warehouse.duckdb")) as con:
        big_rows = con.execute("select count(*), min(version) from big").fetchone()
        assert big_rows in ((rows, 1), (rows * 3, 2))  # never a partly loaded seed
    # the killed build's journal: the next command that writes puts every table back first
    tested = CliRunner().invoke(main, ["test", "--project-dir", str(root), "--vars", "{version: 2}"])
    assert "an earlier build was stopped before it ended" in tested.output or after == before, tested.output
    assert table_versions(root / "target/warehouse.duckdb") == before
    again = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--vars", "{version: 4}", "-q"])
    assert again.exit_code == 0, again.output
    assert table_versions(root / "target/warehouse.duckdb") == {"a_fast": {4}, "b_slow": {4}, "c_after": {4},
                                                                "big": {2}}
    with read_warehouse(str(root / "target/warehouse.duckdb")) as con:
        leftovers = con.execute("select count(*) from information_schema.tables "
                                "where table_name like '__evalhouse%'").fetchone()[0]
    assert leftovers == 0
