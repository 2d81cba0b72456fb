"""Distribution functions DuckDB does not have, registered from scipy on a connection.

The comparison and A/B models compute their statistics in SQL and call these for the
p-values and quantiles of a few summary rows:

| SQL function | value | scipy |
|---|---|---|
| `student_t_sf(t, df)` | P(T > t), T ~ Student t with df degrees of freedom | `stats.t.sf(t, df)` |
| `student_t_ppf(p, df)` | the p quantile of Student's t | `stats.t.ppf(p, df)` |
| `normal_sf(z)` | P(Z > z), Z standard normal | `stats.norm.sf(z)` |
| `normal_ppf(p)` | the p quantile of the standard normal | `stats.norm.ppf(p)` |
| `chi2_sf(x, df)` | P(X > x), X ~ chi-square with df degrees of freedom | `stats.chi2.sf(x, df)` |

Every argument and result is a DOUBLE; a null argument or an undefined result is null.
They are scalar (row-by-row) functions: the models call them on summary rows only, and an
Arrow-vectorized registration would import pyarrow (a fifth of a second) on every
connection, `evalhouse query` included. scipy loads on the first call, not at connect time
(DuckDB itself imports numpy when a function is registered).
Registering a function on a connection makes it visible to the connection's cursors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb


def _special() -> Any:
    from scipy import special

    return special


# name -> the function; the scipy.special forms are the ones scipy.stats evaluates for
# these distributions
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "student_t_sf": lambda t, df: _special().stdtr(df, -t),
    "student_t_ppf": lambda p, df: _special().stdtrit(df, p),
    "normal_sf": lambda z: _special().ndtr(-z),
    "normal_ppf": lambda p: _special().ndtri(p),
    "chi2_sf": lambda x, df: _special().chdtrc(df, x),
}


def _as_sql_value(compute: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: float | None) -> float | None:
        if any(arg is None for arg in args):
            return None
        value = float(compute(*args))
        return None if value != value else value  # NaN (undefined) as null

    return call


def _with_arity(call: Callable[..., Any], arity: int) -> Callable[..., Any]:
    # DuckDB counts the Python function's parameters: give it exactly `arity`
    if arity == 1:
        return lambda a: call(a)
    return lambda a, b: call(a, b)


def calls_functions(sql: str) -> bool:
    """True when the SQL text names one of the functions (a cheap test before registering)."""
    lowered = sql.lower()
    return any(name in lowered for name in FUNCTIONS)


def register_functions(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Add the functions of FUNCTIONS to a DuckDB connection (and so to its cursors)."""
    for name, compute in FUNCTIONS.items():
        arity = compute.__code__.co_argcount
        connection.create_function(name, _with_arity(_as_sql_value(compute), arity), ["DOUBLE"] * arity, "DOUBLE",
                                   type="native", null_handling="special")
    return connection
