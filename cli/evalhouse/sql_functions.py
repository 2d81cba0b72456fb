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

Every argument and result is a DOUBLE; a null or undefined argument gives null. The
functions are vectorized (a batch of rows per call, through Arrow) when pyarrow is
installed, else called row by row. Registering one on a connection makes it visible to
the connection's cursors too. scipy loads on the first call, not at connect time.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import duckdb


def _special() -> Any:
    from scipy import special

    return special


# name -> (number of arguments, the function on numpy arrays); the scipy.special forms
# are the ones scipy.stats itself evaluates for these distributions
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "student_t_sf": (2, lambda t, df: _special().stdtr(df, -t)),
    "student_t_ppf": (2, lambda p, df: _special().stdtrit(df, p)),
    "normal_sf": (1, lambda z: _special().ndtr(-z)),
    "normal_ppf": (1, lambda p: _special().ndtri(p)),
    "chi2_sf": (2, lambda x, df: _special().chdtrc(df, x)),
}


def _vectorized(compute: Callable[..., Any]) -> Callable[..., Any]:
    def call(*arrays: Any) -> Any:
        import numpy as np
        import pyarrow as pa

        args = [np.asarray(a.to_numpy(zero_copy_only=False), dtype=float) for a in arrays]
        with np.errstate(all="ignore"):
            values = np.asarray(compute(*args), dtype=float)
        return pa.array(values, mask=np.isnan(values))

    return call


def _row_by_row(compute: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: float) -> float | None:
        value = float(compute(*args))
        return None if value != value else value  # NaN (undefined) as null

    return call


def _with_arity(call: Callable[..., Any], arity: int) -> Callable[..., Any]:
    # DuckDB counts the Python function's parameters: give it exactly `arity`
    if arity == 1:
        return lambda a: call(a)
    return lambda a, b: call(a, b)


def register_functions(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Add the functions of FUNCTIONS to a DuckDB connection (and so to its cursors)."""
    if importlib.util.find_spec("pyarrow") is not None:  # found without importing it
        wrap, kind = _vectorized, "arrow"
    else:  # pragma: no cover - pyarrow comes with mlflow
        wrap, kind = _row_by_row, "native"
    for name, (arity, compute) in FUNCTIONS.items():
        connection.create_function(name, _with_arity(wrap(compute), arity), ["DOUBLE"] * arity, "DOUBLE", type=kind)
    return connection
