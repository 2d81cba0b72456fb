"""One SparkSession per process for the Spark target, made from `targets.spark`.

The session's catalog is Hive's metastore, so the tables and views a build writes are
there for the next process (`evalhouse query --target spark`). By default the metastore
is an embedded Derby database under target/ and the table files live in
target/spark-warehouse; on a cluster both come from `targets.spark` (docs/spark.md).

With `targets.spark.remote` (sc://host:port) the session is a Spark Connect client: the
server has the master, the warehouse and the catalog, so no JVM starts here, no Derby
lock is taken, and `config` holds session settings only (spark.sql.*: what the server
lets a client set). The URL may carry a token; it is masked in every message.

Embedded Derby admits one process at a time. We take a file lock next to it first, so a
second process gets a clear message (or waits, with --wait) instead of a Java stack trace.
pyspark is imported only here and in spark_target.py, and only when Spark is asked for.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ProjectError, WarehouseLockedError
from evalhouse.project.config import PROJECT_FILE
from evalhouse.targets.spark.pyspark_logs import quiet_python_loggers

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from evalhouse.project.loaded import LoadedProject

_EXTERNAL_METASTORE_KEYS = (
    "spark.hadoop.hive.metastore.uris",
    "spark.hadoop.javax.jdo.option.ConnectionURL",
    "spark.sql.catalogImplementation",
)
_LOG4J = """\
# written by evalhouse: Spark's own logging, errors only (the errors reach evalhouse anyway)
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
# the gateway pyspark starts counts as a shell; its level equal to the root's keeps Spark
# from announcing a "default log level"
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
# Hive's metastore logs an expected AlreadyExistsException as an error, with its stack
logger.hms.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler
logger.hms.level = off
# a failing task is logged, with its stack, by each of these; the error reaches evalhouse,
# which names the model and the SQL
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = off
logger.tasks.name = org.apache.spark.scheduler.TaskSetManager
logger.tasks.level = off
logger.writer.name = org.apache.spark.sql.execution.datasources.FileFormatWriter
logger.writer.level = off
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = off
"""


@dataclass(frozen=True)
class SparkSpec:
    """Everything a session is made from; two equal specs can share one session."""

    master: str
    app_name: str
    warehouse: str  # a local path or a URI
    metastore_dir: Path | None  # the local Derby metastore; None when config names another
    log_config: Path
    config: tuple[tuple[str, str], ...]
    remote: str | None = field(default=None, repr=False)  # a Spark Connect URL; it may hold a token
    # project.yml and the line of each `config` key, for a setting a Connect server refuses
    config_file: str = field(default=PROJECT_FILE, compare=False, repr=False)
    config_lines: tuple[tuple[str, int | None], ...] = field(default=(), compare=False, repr=False)

    @property
    def local_warehouse(self) -> Path | None:
        """The warehouse folder on this machine; None on a cluster's storage or a server's."""
        if self.remote is not None or not is_local_path(self.warehouse):
            return None
        return Path(self.warehouse.removeprefix("file:"))

    def session_settings(self) -> dict[str, str]:
        """What every session gets, a Spark Connect one included (runtime SQL settings)."""
        return {
            "spark.sql.session.timeZone": "UTC",  # DuckDB's TIMESTAMP has no time zone
            "spark.sql.legacy.createHiveTableByDefault": "false",
            # DECIMAL products keep their scale, as DuckDB's do: by default Spark would cut
            # decimal(38, 22) x bigint to 6 decimal places (the exact sums of the comparisons)
            "spark.sql.decimalOperations.allowPrecisionLoss": "false",
        }

    def settings(self) -> dict[str, str]:
        """What a session started here gets: the JVM's and the warehouse's settings too."""
        local = self.master.startswith("local")
        settings = {
            "spark.sql.warehouse.dir": self.warehouse,
            "spark.ui.showConsoleProgress": "false",  # the progress lines are evalhouse's
            **self.session_settings(),
        }
        if local:
            settings["spark.ui.enabled"] = "false"
            settings["spark.sql.shuffle.partitions"] = str(max(2, 2 * (os.cpu_count() or 1)))
        java_options = [f"-Dlog4j2.configurationFile={self.log_config.as_posix()}"]
        if self.metastore_dir is not None:
            settings["spark.sql.catalogImplementation"] = "hive"
            settings["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
                f"jdbc:derby:;databaseName={(self.metastore_dir / 'metastore_db').as_posix()};create=true"
            )
            java_options.append(f"-Dderby.system.home={self.metastore_dir.as_posix()}")
        user = dict(self.config)
        # ours first: for a repeated -D option the JVM keeps the last
        user_java = user.pop("spark.driver.extraJavaOptions", "")
        settings["spark.driver.extraJavaOptions"] = " ".join(java_options + ([user_java] if user_java else []))
        settings.update(user)
        return settings


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def spark_spec(project: LoadedProject) -> SparkSpec:
    settings = project.config.targets.spark
    config = tuple(sorted((key, _text(value)) for key, value in settings.config.items()))
    if settings.remote is not None:
        lines = tuple((key, project.doc.line_of(("targets", "spark", "config", key))) for key, _ in config)
        return SparkSpec(master="", app_name=settings.app_name, warehouse="", metastore_dir=None,
                         log_config=project.target_dir.resolve() / "spark-log4j2.properties",
                         config=config, remote=settings.remote, config_file=str(project.doc.path),
                         config_lines=lines)
    warehouse = settings.warehouse_dir
    if "://" not in warehouse and not warehouse.startswith("file:"):
        warehouse = project.resolve_path(warehouse).resolve().as_posix()
    keys = {key for key, _ in config}
    metastore = None
    if not keys & set(_EXTERNAL_METASTORE_KEYS):
        metastore = project.resolve_path(settings.metastore_dir).resolve()
    return SparkSpec(
        master=settings.master,
        app_name=settings.app_name,
        warehouse=warehouse,
        metastore_dir=metastore,
        log_config=project.target_dir.resolve() / "spark-log4j2.properties",
        config=config,
    )


def is_local_path(warehouse: str) -> bool:
    return "://" not in warehouse or warehouse.startswith("file:")


class _ProcessLock:
    """An exclusive lock on a file, held while this process has a session on the metastore."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def acquire(self, wait_seconds: float) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock on this platform: Derby still refuses
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # held for the session's life
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    handle.close()
                    raise WarehouseLockedError(
                        f"the Spark catalog is in use: {holder} has the metastore in {self.path.parent}",
                        path=self.path.parent,
                        hint="wait for that command to finish (or pass --wait SECONDS); "
                        "the embedded Derby metastore admits one process at a time",
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing drops the flock
            self.handle = None


_lock = threading.Lock()
_current: tuple[SparkSpec, SparkSession, _ProcessLock | None] | None = None


def require_pyspark() -> None:
    """Import pyspark, or say how to install it."""
    try:
        with warnings.catch_warnings():
            # pyspark warns on import about pandas versions; evalhouse does not use pandas on Spark
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark.sql  # noqa: F401
            try:  # pyspark imports this while starting; its pandas check warns
                import pyspark.testing.utils  # noqa: F401
            except ImportError:
                pass
    except ImportError:
        raise ProjectError(
            "the Spark target needs pyspark, which is not installed",
            hint="pip install 'evalhouse[spark]' (and Java 17 or later)",
        ) from None


def get_session(spec: SparkSpec, wait_seconds: float = 0.0) -> SparkSession:
    """The process's session for `spec`, started on first use (a different spec restarts it)."""
    global _current
    with _lock:
        if _current is not None and _current[0] == spec:
            return _current[1]
        stop_session_locked()
        require_pyspark()
        if spec.remote is not None:
            from evalhouse.targets.spark.connect import connect_session

            _current = (spec, connect_session(spec), None)
            return _current[1]
        from pyspark.sql import SparkSession

        process_lock = None
        if spec.metastore_dir is not None:
            process_lock = _ProcessLock(spec.metastore_dir / "evalhouse.lock")
            process_lock.acquire(wait_seconds)
        try:
            spec.log_config.parent.mkdir(parents=True, exist_ok=True)
            spec.log_config.write_text(_LOG4J, encoding="utf-8")
            builder = SparkSession.builder.master(spec.master).appName(spec.app_name)
            for key, value in spec.settings().items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
        except Exception as exc:
            if process_lock is not None:
                process_lock.release()
            if isinstance(exc, ProjectError):
                raise
            raise ProjectError(
                f"Spark did not start: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                hint="Spark needs Java 17 or later on PATH (or JAVA_HOME); check targets.spark in project.yml",
            ) from None
        quiet_python_loggers()
        session.sparkContext.setLogLevel("ERROR")
        _current = (spec, session, process_lock)
        try:
            session.catalog.databaseExists("default")  # opens the metastore now, not mid-build
        except Exception as exc:
            stop_session_locked()
            raise WarehouseLockedError(
                f"the Spark catalog could not be opened: {str(exc).splitlines()[0][:300]}",
                path=spec.metastore_dir,
                hint="another Spark process may hold the embedded metastore; stop it, or check the "
                "metastore settings under targets.spark in project.yml",
            ) from None
        return session


def stop_session_locked() -> None:
    global _current
    if _current is None:
        return
    spec, session, process_lock = _current
    _current = None
    if spec.remote is not None:
        from evalhouse.targets.spark.connect import stop_connect_session

        stop_connect_session(session)
        return
    try:
        session.stop()
        if spec.metastore_dir is not None:
            _shut_down_derby(session, spec.metastore_dir)
    except Exception:  # at exit the JVM may already be gone; nothing is left to stop
        pass
    finally:
        if process_lock is not None:
            process_lock.release()


def _shut_down_derby(session: SparkSession, metastore_dir: Path) -> None:
    """Close the embedded metastore database, which outlives the session in this JVM, so
    another process can open it."""
    url = f"jdbc:derby:{(metastore_dir / 'metastore_db').as_posix()};shutdown=true"
    try:
        session._jvm.java.sql.DriverManager.getConnection(url)
    except Exception:  # Derby answers a shutdown with an exception (SQLState 08006)
        pass


def stop_session() -> None:
    """Stop this process's session and release the metastore (it restarts on next use)."""
    with _lock:
        stop_session_locked()


atexit.register(stop_session)
