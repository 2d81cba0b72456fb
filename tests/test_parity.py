"""The comparison of a Spark build with the DuckDB build (evalhouse/api/parity.py), on two
DuckDB relations: no Spark needed. The Spark tests (tests/spark_demo_parity.py) and the
benchmark's Spark contender (bench/spark_parity.py) compare every relation this way."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from evalhouse.api.parity import build_order, compare_relation

COLUMNS = "id integer, name varchar, x double, exact decimal(38, 22), n hugeint, built_at timestamp, build_id varchar"
DUCK_ROWS = [
    (1, "a", 0.5, "0.25", 10, "2026-01-01 10:00:00", "d1"),
    (2, "b", 1 / 3, "0.3333333333333333333333", 20, "2026-01-01 10:00:00", "d1"),
    (3, "c", None, "1.5", 30, "2026-01-02 10:00:00", "d2"),
    (4, None, 12345.678, "2", None, "2026-01-02 10:00:00", "d2"),
]
DUCK_BUILDS = {"d1": "build 1", "d2": "build 2"}
SPARK_BUILDS = {"s1": "build 1", "s2": "build 2"}


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple]) -> str:
    con.execute(f"create table {name} ({COLUMNS})")
    con.executemany(f"insert into {name} values (?, ?, ?, ?, ?, ?, ?)", rows)
    return name


def _spark_rows(change=None) -> list[tuple]:
    """DUCK_ROWS in another order, as another engine gives them: doubles off in their last
    digits, NaN for null, other build times and build ids."""
    rows = [
        (4, None, 12345.678 * (1 + 1e-12), "2", None, "2026-03-03 09:00:00", "s2"),
        (2, "b", 0.1 / 0.3, "0.3333333333333333333333", 20, "2026-03-03 08:00:00", "s1"),
        (3, "c", float("nan"), "1.5", 30, "2026-03-03 09:00:00", "s2"),
        (1, "a", 0.5 + 1e-15, "0.25", 10, "2026-03-03 08:00:00", "s1"),
    ]
    return [change(row) if change else row for row in rows]


def _compare(spark_rows: list[tuple]):
    con = duckdb.connect()
    _table(con, "duck", DUCK_ROWS)
    _table(con, "spark", spark_rows)
    return compare_relation(con, "main.t", "duck", "spark", DUCK_BUILDS, SPARK_BUILDS)


def test_the_same_rows_in_another_order_to_1e_9_are_the_same_relation():
    parity = _compare(_spark_rows())
    assert parity.difference is None
    assert (parity.rows, parity.values) == (4, 4 * 6)  # built_at is left out
    assert 0 < parity.max_difference < 1e-9


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r if r[0] != 1 else (*r[:2], 0.5 + 1e-6, *r[3:]), "1 of 4 rows differ; the first: (1, 'a', 0.5"),
    (lambda r: r if r[0] != 3 else (*r[:4], 31, *r[5:]), "1 of 4 rows differ"),  # integers exactly
    (lambda r: r if r[0] != 3 else (*r[:2], 0.0, *r[3:]), "1 of 4 rows differ"),  # null is not 0
    (lambda r: r if r[0] != 2 else (*r[:3], "0.3333333", *r[4:]), "1 of 4 rows differ"),  # decimals to 1e-9
    (lambda r: r if r[0] != 4 else (*r[:6], "s1"), "1 of 4 rows differ"),  # the build ids by their order
])
def test_a_difference_names_the_first_row_that_differs(change, expected):
    parity = _compare(_spark_rows(change))
    assert parity.difference is not None and parity.difference.startswith(expected), parity.difference
    assert "on DuckDB" in parity.difference and "on Spark" in parity.difference


def test_other_row_counts_or_columns_differ_before_any_value_is_compared():
    assert _compare(_spark_rows()[:3]).difference == "4 rows on DuckDB, 3 on Spark"
    con = duckdb.connect()
    _table(con, "duck", DUCK_ROWS)
    con.execute("create table spark as select id, x as y from duck")
    assert compare_relation(con, "t", "duck", "spark").difference.startswith("columns ['id', 'name'")


def test_rows_equal_to_1e_9_are_paired_by_their_other_columns():
    """0.1 + 0.2 and 0.3 sort apart as doubles; rounded for the sort they are one value, so
    each row meets its own pair (by the text column) rather than its neighbour."""
    con = duckdb.connect()
    con.execute("create table duck as select * from (values (0.1 + 0.2, 'b'), (0.3, 'a')) as t(x, s)")
    con.execute("create table spark as select * from (values (0.3, 'b'), (0.1 + 0.2, 'a')) as t(x, s)")
    con.execute("create table duck_d as select x::double as x, s from duck")
    con.execute("create table spark_d as select x::double as x, s from spark")
    assert compare_relation(con, "t", "duck_d", "spark_d").difference is None


def test_an_empty_relation_and_one_without_numbers():
    con = duckdb.connect()
    con.execute("create table duck (a varchar, b double)")
    con.execute("create table spark (a varchar, b double)")
    assert compare_relation(con, "t", "duck", "spark").max_difference is None
    con.execute("create table duck_s as select 'x' as a")
    con.execute("create table spark_s as select 'y' as a")
    parity = compare_relation(con, "t", "duck_s", "spark_s")
    assert parity.max_difference is None and parity.difference.startswith("1 of 1 rows differ")


def test_builds_are_numbered_by_their_first_start():
    t = dt.datetime(2026, 1, 1)
    rows = [("late", t + dt.timedelta(hours=2)), ("early", t + dt.timedelta(hours=3)), ("early", t)]
    assert build_order(rows) == {"early": "build 1", "late": "build 2"}
