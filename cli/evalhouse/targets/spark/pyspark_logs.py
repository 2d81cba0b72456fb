"""pyspark's own loggers, quietened: shared by the local session and the Spark Connect one."""

from __future__ import annotations

import logging


def quiet_python_loggers() -> None:
    # pyspark logs every SQL error it raises, as JSON with the Java stack trace; evalhouse
    # reports the error itself
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pyspark before 4.0 has no such logging
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
