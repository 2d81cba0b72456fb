"""A Spark Connect session for `targets.spark.remote` (sc://host:port).

The server has the master, the warehouse and the catalog; this process has a gRPC client
and no JVM. So `config` holds session settings only (what the server lets a client set),
and evalhouse's own (time zone, decimal precision) are set the same way. The URL may hold
a token: every message shows it masked (secrets.mask_text).
"""

from __future__ import annotations

import os
import re
import warnings
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ConfigError, ProjectError
from evalhouse.project.secrets import mask_text, remember
from evalhouse.targets.spark.pyspark_logs import quiet_python_loggers
from evalhouse.targets.spark.remote import parse_connect_url

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from evalhouse.targets.spark.session import SparkSpec

# pyspark marks a process that made a Connect session (pyspark.sql.functions then build
# Connect columns); evalhouse unmarks it when that session stops, so a local one can follow
_CONNECT_MODE = "SPARK_CONNECT_MODE_ENABLED"
_marked_connect_mode = False


def connect_session(spec: SparkSpec) -> SparkSession:
    """A Spark Connect session on the server at spec.remote, checked by one catalog call."""
    global _marked_connect_mode
    from pyspark.sql import SparkSession

    assert spec.remote is not None
    shown = mask_text(spec.remote)
    # pyspark takes the token from here when the URL has none: masked like the URL's
    remember(os.environ.get("SPARK_CONNECT_AUTHENTICATE_TOKEN"))
    url = parse_connect_url(spec.remote)
    _check_reachable(url.host, url.port, shown)
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # gRPC's C core logs TLS handshakes to stderr
    _marked_connect_mode = _CONNECT_MODE not in os.environ
    session = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark's pandas version check
            session = SparkSession.builder.remote(spec.remote).create()
        quiet_python_loggers()
        session.catalog.databaseExists("default")  # the server answers (and takes the token) now
    except Exception as exc:
        if session is not None:
            stop_connect_session(session)
        _unmark_connect_mode()
        raise ProjectError(
            f"the Spark Connect server at {shown} did not open a session: {_first_line(exc)}",
            hint="check targets.spark.remote in project.yml (host, port, token; a token needs TLS, "
            "use_ssl=true, except on localhost) and that the server runs",
        ) from None
    try:
        _apply_settings(session, spec)
    except Exception:
        stop_connect_session(session)
        raise
    return session


def _check_reachable(host: str, port: int, shown: str) -> None:
    """Fail in seconds when nothing listens: pyspark's client retries for minutes."""
    import socket

    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise ProjectError(
            f"no Spark Connect server answers at {shown} ({exc.strerror or type(exc).__name__})",
            hint="start the server (sbin/start-connect-server.sh) or fix the host and port of "
            "targets.spark.remote in project.yml",
        ) from None


def _apply_settings(session: SparkSession, spec: SparkSpec) -> None:
    """evalhouse's session settings, then project.yml's `config`, one by one: a setting the
    server keeps for itself (spark.executor.*, static SQL settings) is named with its line."""
    lines = dict(spec.config_lines)
    for key, value in [*spec.session_settings().items(), *spec.config]:
        try:
            session.conf.set(key, value)
        except Exception as exc:
            if key not in lines:  # one of evalhouse's own: the server is not what we need
                raise ProjectError(f"the Spark Connect server refused the setting {key}: {_first_line(exc)}",
                                   hint="evalhouse needs Spark 3.5 or later on the server") from None
            raise ConfigError(
                f"the Spark Connect server does not let a client set 'targets.spark.config.{key}': "
                f"{_first_line(exc)}",
                path=spec.config_file,
                line=lines[key],
                hint="over Spark Connect, config takes session settings (spark.sql.*); set the others "
                "where the server starts (its --conf or spark-defaults.conf)",
            ) from None


_GRPC_STATUS = re.compile(r"status = StatusCode\.(\w+)")
_GRPC_DETAILS = re.compile(r'details = "([^"\n]*)"')


def _first_line(exc: BaseException) -> str:
    """What the server or gRPC said, in one line: a bare gRPC error prints as a Python
    repr over lines (`<_MultiThreadedRendezvous ... status = ... details = "...">`)."""
    text = str(exc).strip()
    status, details = _GRPC_STATUS.search(text), _GRPC_DETAILS.search(text)
    if status and details:
        text = f"{details.group(1)} ({status.group(1)})"
    return mask_text(text.splitlines()[0][:300] if text else type(exc).__name__)


def _unmark_connect_mode() -> None:
    global _marked_connect_mode
    if _marked_connect_mode:
        os.environ.pop(_CONNECT_MODE, None)
        _marked_connect_mode = False


def is_connect(session: Any) -> bool:
    """Whether a session is a Spark Connect client (no SparkContext, no JVM here)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def stop_connect_session(session: SparkSession) -> None:
    """Release the session on the server (which runs on) and close the channel, once: a
    client left open tries again at exit, for minutes when the server is gone."""
    try:
        session.client.set_retry_policies([])  # one try: the server may be gone already
        session.stop()
    except Exception:  # nothing is left to release
        pass
    finally:
        _unmark_connect_mode()
