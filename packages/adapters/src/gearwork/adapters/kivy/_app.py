"""``run(main)``: a Kivy App whose root task is a gearwork task."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from kivy.clock import Clock

from gearwork.core import Cancelled, Task, start
from gearwork.core.lowlevel import exception_of

from ._host import KivyHost

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from kivy.app import App
    from typing_extensions import TypeVarTuple, Unpack

    Ts = TypeVarTuple("Ts")

__all__ = ("run",)

T = TypeVar("T")


def _keep(task: Task[object], exc: BaseException, /) -> None:
    """The root task's error is raised by run() once Kivy's loop is left: nothing to do here."""


def run(
    async_fn: Callable[[KivyHost, Unpack[Ts]], Awaitable[T]],
    /,
    *args: Unpack[Ts],
    app: App | None = None,
) -> T:
    """Run a Kivy app whose root task is ``async_fn(host, *args)``; its result.

    Runs *app* (a plain ``kivy.app.App()`` by default; pass your own for its
    ``build()``, title, kv file) with ``app.run()``, making a
    :class:`KivyHost` and the window first. The root task starts when the
    app dispatches ``on_start`` (the window and ``app.root`` exist; add
    widgets to ``app.root`` or to ``kivy.core.window.Window``) and runs at
    once up to its first ``await``. When it ends, the app stops and
    :func:`run` returns its result or raises what escaped it. While it runs:

    - closing the window (and anything else that dispatches the Window's
      ``on_request_close``, such as Escape with Kivy's ``exit_on_escape``)
      cancels the root task; the window stays until the task has ended, so
      its clean-up can still await (under ``disable_cancellation()``), then
      the app stops;
    - ``App.stop()`` from elsewhere also cancels the root task; clean-up that
      still awaits then is driven by ticking Kivy's clock after its loop
      has ended (timers and threads work, the window is gone);
    - tasks started by :meth:`KivyHost.start_managed` are cancelled when the
      root task has ended, and report their errors to Kivy's ``ExceptionManager``.

    Kivy cannot run an ``App`` twice in one process reliably: call this
    once per process.

    :raises TypeError: *app* is not a ``kivy.app.App``.
    :raises RuntimeError: Kivy's event loop is already running.
    :raises Cancelled: the root task ended cancelled (the window was closed).
    """
    from kivy.app import App
    from kivy.base import EventLoop

    if app is None:
        app = App()
    elif not isinstance(app, App):
        raise TypeError(f"run() app must be a kivy.app.App, got {type(app).__name__}")
    if EventLoop.status == "started":
        raise RuntimeError("gearwork.adapters.kivy.run() needs Kivy's event loop not running")
    from kivy.core.window import Window  # creates the window

    host = KivyHost()
    root: list[Task[T]] = []

    def on_done(_: Task[T]) -> None:
        host.cancel_managed()
        app.stop()

    def on_start(*_: object) -> None:
        if root:
            return
        task = start(async_fn(host, *args), exception_handler=_keep)
        root.append(task)
        if task.done():
            on_done(task)
        else:
            task.add_done_callback(on_done)

    def on_request_close(*_: object, **__: object) -> bool:
        if root and not root[0].done():
            root[0].cancel("the window was closed")
            return not root[0].done()  # keep the window while the clean-up runs
        return False

    def on_stop(*_: object) -> None:
        if root and not root[0].done():
            root[0].cancel("the Kivy app stopped")

    bindings = [
        (app, "on_start", app.fbind("on_start", on_start)),
        (app, "on_stop", app.fbind("on_stop", on_stop)),
        (Window, "on_request_close", Window.fbind("on_request_close", on_request_close)),
    ]
    try:
        app.run()
        while root and not root[0].done():  # clean-up awaiting after App.stop()
            Clock.tick()
    finally:
        for dispatcher, name, uid in bindings:
            dispatcher.unbind_uid(name, uid)
        host.cancel_managed()
        if root and not root[0].done():
            root[0].cancel()
    if not root:
        raise RuntimeError("the Kivy app did not start (no window could be created)")
    task = root[0]
    if task.finished:
        return task.result
    exc = exception_of(task)
    if exc is not None:
        raise exc
    raise Cancelled("the root task was cancelled")
