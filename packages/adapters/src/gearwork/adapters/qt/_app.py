"""``run(main)``: a Qt application whose root task is a gearwork task."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QMetaObject, QObject
from PySide6.QtWidgets import QApplication

from gearwork.core import Cancelled, Task, start
from gearwork.core.lowlevel import exception_of

from ._host import QtHost

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from typing_extensions import TypeVarTuple, Unpack

    Ts = TypeVarTuple("Ts")

__all__ = ("run",)

T = TypeVar("T")


def _keep(task: Task[object], exc: BaseException, /) -> None:
    """The root task's error is raised by run() once Qt's loop is left: nothing to do here."""


def run(async_fn: Callable[[QtHost, Unpack[Ts]], Awaitable[T]], /, *args: Unpack[Ts]) -> T:
    """Run a Qt application whose root task is ``async_fn(host, *args)``; its result.

    Uses the existing ``QApplication`` or makes one, makes a
    :class:`QtHost`, starts the root task (it runs at once, up to its first
    ``await``: create and ``show()`` the windows there) and runs Qt's event
    loop until the root task has ended, then returns its result or raises
    what escaped it. While it runs:

    - closing the last window cancels the root task; the application keeps
      running until the task has ended, so its clean-up can still await
      (under ``disable_cancellation()``, as :func:`gearwork.adapters.trio.run_trio_guest`
      does for trio);
    - tasks started by :meth:`QtHost.start_managed` are cancelled when the
      root task has ended, and report their errors through ``sys.excepthook``;
    - ``QApplication.quit()`` from elsewhere also cancels the root task.

    :raises RuntimeError: called while Qt's event loop is already running.
    :raises Cancelled: the root task ended cancelled (the window was closed).
    """
    app = QApplication.instance()
    if app is None:
        app = QApplication([])
    elif not isinstance(app, QApplication):
        raise RuntimeError(
            f"gearwork.adapters.qt.run() needs a QApplication, found a {type(app).__name__}"
        )
    if getattr(app, "_gearwork_running", False):
        raise RuntimeError("gearwork.adapters.qt.run() is already running Qt's event loop")
    host = QtHost()
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    app._gearwork_running = True  # type: ignore[attr-defined]
    task: Task[T] | None = None
    connections: list[QMetaObject.Connection] = []
    try:
        task = start(async_fn(host, *args), exception_handler=_keep)
        root = task

        def on_last_window_closed() -> None:
            root.cancel("the last window was closed")

        def on_done(_: Task[T]) -> None:
            host.cancel_managed()
            app.exit(0)

        if not task.done():
            connections.append(app.lastWindowClosed.connect(on_last_window_closed))
            task.add_done_callback(on_done)
            while not task.done():
                app.exec()
                if not task.done():  # quit() from elsewhere: wind the root task down
                    task.cancel("the Qt application quit")
    finally:
        for connection in connections:
            QObject.disconnect(connection)
        app._gearwork_running = False  # type: ignore[attr-defined]
        app.setQuitOnLastWindowClosed(quit_on_close)
        host.cancel_managed()
        if task is not None and not task.done():
            task.cancel()
    if task.finished:
        return task.result
    exc = exception_of(task)
    if exc is not None:
        raise exc
    raise Cancelled("the root task was cancelled")
