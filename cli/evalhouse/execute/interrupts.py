"""Stopping a build cleanly: Ctrl-C and SIGTERM interrupt the statements that run, and a
second signal while the build undoes its work does not cut the undoing short."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def signals_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C, SIGTERM and SIGHUP while the block runs (the block is the clean-up of
    an interrupted build: a second Ctrl-C is harmless). Yields the signals received. Only
    the main thread may set handlers; elsewhere the block runs as it is."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def hold(signum: int, _frame: Any) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in _SIGNALS}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_interruptibly(work: Callable[[], T], interrupt: Callable[[], None]) -> T:
    """Run `work` (one long engine call) on a worker thread while this thread waits where
    Python sees signals. DuckDB checks for Ctrl-C itself only in some cases (not on a
    cursor, not when the process started with Ctrl-C ignored); here Ctrl-C and SIGTERM
    always reach our handlers, which `interrupt` the engine, and the signal's exception
    is raised once the work has stopped."""
    result: list[T] = []
    failure: list[BaseException] = []
    # our own flags, not Thread.is_alive(): a KeyboardInterrupt raised inside Thread.join()
    # can leave the thread marked as stopped while it still runs (CPython 3.11), and the
    # command would then exit with the statement still running, held up at exit until it ends
    started, done = threading.Event(), threading.Event()

    def body() -> None:
        started.set()
        try:
            result.append(work())
        except BaseException as exc:  # handed to the waiting thread
            failure.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=body, name="evalhouse-query", daemon=True)
    try:
        worker.start()
        while not done.wait(0.1):
            pass
    except BaseException:
        with signals_deferred():
            # a signal during start(): the thread runs (or never will) once start() is left
            if started.wait(1.0):
                while not done.is_set():
                    interrupt()
                    done.wait(0.2)
        raise
    if failure:
        raise failure[0]
    return result[0]
