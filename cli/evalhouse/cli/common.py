"""What every command shares: turning errors into messages and exit codes, loading the project."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalhouse.cli.output import Printer


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stopped from outside. A KeyboardInterrupt, so that whatever Ctrl-C
    undoes on its way out is undone for these too; only the message and exit code differ."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_received: list[int] = []  # the stop signals this process got


def _terminate(signum: int, _frame: Any) -> None:
    first = not _received
    _received.append(signum)
    if not first:
        return  # the command is stopping already: a second Ctrl-C must not cut its undo short
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _install_stop_handlers() -> dict[int, Any]:
    """Handlers for Ctrl-C, SIGTERM and SIGHUP while a command runs; the previous ones, to
    put back. Python may only set them from the main thread (not so under some embedders).
    Ctrl-C's handler is Python's own but for the record it keeps: DuckDB turns an exception
    raised while a query runs into its own RuntimeError, and the record says what it was."""
    _received.clear()  # a signal an earlier command got (in the same process) is not ours
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, _terminate) for signum in _STOP_SIGNALS}


def _stopped_message(exc: BaseException) -> str:
    """What an interrupted command did to the warehouse, truthfully."""
    restored = getattr(exc, "warehouse_restored", None)
    if restored is None:
        return "no table was changed"  # a read (query, show, test) or before the first table
    if restored:
        return "every table keeps the version it had before this command"
    return ("the previous tables could not be put back yet; the next build, run or seed puts them back "
            "before it starts")


def _silence_stdout() -> None:
    """The reader of stdout went away (`evalhouse ls | head -3`): later writes, and Python's
    own flush at exit, go nowhere instead of raising BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test runner's buffer)
        pass


def exit_on_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Errors become a message and an exit code (2 project/usage, 1 failed node; see README
    "Errors and exit codes" for 130, 141, 143 and 129)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evalhouse.errors import EvalhouseError

        printer = Printer(quiet=kwargs.get("quiet", False), log_format=kwargs.get("log_format", "text"))
        previous = _install_stop_handlers()
        try:
            try:
                return func(*args, **kwargs)
            except (Exception, KeyboardInterrupt) as exc:
                # DuckDB turns the handler's exception, raised while a query runs, into its
                # own RuntimeError("Query interrupted"): the signal decides the message
                if _received and not isinstance(exc, KeyboardInterrupt):
                    stop = KeyboardInterrupt() if _received[0] == signal.SIGINT else Terminated(_received[0])
                    stop.warehouse_restored = getattr(exc, "warehouse_restored", None)  # type: ignore[attr-defined]
                    raise stop from exc
                raise
        except EvalhouseError as exc:
            printer.error(f"error: {exc.render()}", path=exc.path, line=exc.line)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            # as Unix tools do: no message (the reader chose to stop) and 128 + SIGPIPE
            _silence_stdout()
            sys.exit(141)
        except Terminated as exc:
            name = signal.Signals(exc.signum).name
            printer.error(f"terminated ({name}); {_stopped_message(exc)}")
            sys.exit(128 + exc.signum)
        except KeyboardInterrupt as exc:
            printer.error(f"interrupted; {_stopped_message(exc)}")
            sys.exit(130)
        except Exception as exc:  # a bug in evalhouse, not in the project
            if os.environ.get("EVALHOUSE_DEBUG"):
                raise
            printer.error(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "  hint: this is a bug in evalhouse; rerun with EVALHOUSE_DEBUG=1 for the traceback and report it"
            )
            sys.exit(2)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return wrapper


def read_vars(vars_text: str | None, vars_file: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The vars of --vars-file, then --vars over them; and which option set each key."""
    from evalhouse.errors import ConfigError
    from evalhouse.project.yamlfile import parse_yaml_text, read_yaml

    merged: dict[str, Any] = {}
    given: dict[str, str] = {}
    sources = []
    if vars_file:
        sources.append((f"--vars-file {vars_file}", read_yaml(Path(vars_file), what="--vars-file")))
    if vars_text:
        sources.append(("--vars", parse_yaml_text(vars_text, Path("--vars"), what="--vars")))
    for option, doc in sources:
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            raise ConfigError(f"{doc.path} must be a mapping such as '{{k_values: [5, 10]}}'", path=doc.path)
        merged.update(doc.data)
        given.update(dict.fromkeys(map(str, doc.data), option))
    return merged, given


def evaluation_overrides(options: dict[str, Any]) -> Any:
    """--labels, --train, --items and --candidate NAME=PATH as EvaluationOverrides."""
    from evalhouse.errors import ConfigError
    from evalhouse.project.overrides import EvaluationOverrides, parse_candidate

    candidates: dict[str, str] = {}
    for text in options.get("candidates") or ():
        name, path = parse_candidate(text)
        if name in candidates:  # the last would silently win
            raise ConfigError(f"--candidate {name} is given twice", hint="give each candidate name once")
        candidates[name] = path
    return EvaluationOverrides(labels=options.get("labels_path"), train=options.get("train_path"),
                               items=options.get("items_path"), candidates=candidates)


def load_project(project_dir: str, vars_text: str | None, vars_file: str | None, overrides: Any = None,
                 printer: Printer | None = None) -> Any:
    """The project, with a warning for each --vars/--vars-file key nothing reads (a typo)."""
    from evalhouse.api.project import Project
    from evalhouse.compile.vars_check import unread_vars

    merged, given = read_vars(vars_text, vars_file)
    project = Project.load(project_dir, vars=merged, evaluation_overrides=overrides)
    for warning in unread_vars(project, given):
        (printer or Printer()).warning(warning)
    return project
