"""A Tk interpreter as a gearwork host: ``after`` timers, a file handler for other threads."""

from __future__ import annotations

import collections
import contextlib
import inspect
import math
import socket
import sys
import threading
import time
import tkinter
from typing import TYPE_CHECKING, Any, TypeVar

from gearwork.adapters.timing import Timing
from gearwork.core import Cancelled, start
from gearwork.core.lowlevel import exception_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from typing_extensions import TypeVarTuple, Unpack

    from gearwork.core import Task

    Ts = TypeVarTuple("Ts")

__all__ = ("TkHost", "run")

T = TypeVar("T")


class _TkTimer:
    """A timer of a :class:`TkHost`: one ``after`` of its Tk interpreter."""

    __slots__ = ("_after_id", "_callback", "_host")

    def __init__(self, host: TkHost, callback: Callable[[], object]) -> None:
        self._host = host
        self._callback: Callable[[], object] | None = callback
        self._after_id = ""

    def _fire(self) -> None:
        callback = self._callback
        if callback is not None:
            self._callback = None
            self._host._pending -= 1
            callback()

    def cancel(self) -> None:
        """Take the ``after`` back from Tk (idempotent, harmless after it fired)."""
        if self._callback is not None:
            self._callback = None
            self._host._pending -= 1
            self._host.root.after_cancel(self._after_id)


class TkHost(Timing):
    """A Tk interpreter as a gearwork host, and its :class:`~gearwork.adapters.timing.Timing`.

    Timers are Tk ``after`` calls (rounded up to whole milliseconds, so a
    sleep never ends early); cancelling one calls ``after_cancel`` at once,
    so nothing piles up in Tk (:attr:`pending_timers`). Other threads wake Tk
    without polling: :meth:`call_soon_threadsafe` queues the callback and
    writes a byte to a socket pair whose reading end is a Tk file handler
    (``createfilehandler``), so it works whatever drives Tk: ``mainloop()``,
    ``update()`` or a ``wait_window()``. Where Tk has no file handlers
    (Windows), the callback goes through ``after`` from the thread instead,
    which Tk serves while ``mainloop()`` runs.

    *root* is the ``tkinter.Tk`` to drive (a new one by default). Callbacks
    of other threads that raise, and tasks started with :meth:`start_root`
    that fail, are reported through ``root.report_callback_exception``, Tk's
    own error reporting. :meth:`close` (done by :func:`run`, and when the
    root window is destroyed) cancels the tasks of :meth:`start_root` and
    removes the file handler.

    :raises TypeError: *root* is not a ``tkinter.Tk``.
    """

    __slots__ = (
        "_closed",
        "_destroy_funcid",
        "_lock",
        "_pending",
        "_posted",
        "_reader",
        "_roots",
        "_signalled",
        "_writer",
        "root",
    )

    __module__ = "gearwork.adapters.tkinter"

    def __init__(self, root: tkinter.Tk | None = None) -> None:
        if root is None:
            root = tkinter.Tk()
        elif not isinstance(root, tkinter.Tk):
            raise TypeError(f"TkHost() needs a tkinter.Tk or None, got {type(root).__name__}")
        self.root: tkinter.Tk = root
        """The ``tkinter.Tk`` that runs everything."""
        self._pending = 0
        self._lock = threading.Lock()
        self._posted: collections.deque[Callable[[], object]] = collections.deque()
        self._signalled = False
        self._closed = False
        self._roots: set[Task[Any]] = set()
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        if hasattr(root.tk, "createfilehandler"):
            self._reader, self._writer = socket.socketpair()
            self._reader.setblocking(False)
            self._writer.setblocking(False)
            root.tk.createfilehandler(self._reader, tkinter.READABLE, self._on_readable)
        self._destroy_funcid = root.bind("<Destroy>", self._on_destroy, add=True)
        super().__init__(self)

    # -- the time protocol -------------------------------------------------

    def now(self) -> float:
        """:func:`time.monotonic`, in seconds."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _TkTimer:
        """``root.after`` *delay* seconds (rounded up to a millisecond); return its timer."""
        if not callable(callback):
            raise TypeError(f"call_later() needs a callable, got {type(callback).__name__}")
        timer = _TkTimer(self, callback)
        ms = math.ceil(delay * 1000) if delay > 0 else 0
        timer._after_id = self.root.after(ms, timer._fire)
        self._pending += 1
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """From any thread: run ``callback()`` in Tk's thread soon, waking Tk at once.

        :raises TypeError: *callback* is not callable.
        :raises RuntimeError: the host is closed.
        """
        if not callable(callback):
            raise TypeError(
                f"call_soon_threadsafe() needs a callable, got {type(callback).__name__}"
            )
        with self._lock:
            if self._closed:
                raise RuntimeError("this TkHost is closed")
            self._posted.append(callback)
            if self._signalled:
                return  # a byte is already on its way
            self._signalled = True
        writer = self._writer
        if writer is not None:
            # the buffer is full: Tk wakes anyway
            with contextlib.suppress(BlockingIOError):  # pragma: no cover
                writer.send(b"\0")
        else:  # pragma: no cover - Windows
            self.root.after(0, self._drain)

    def _on_readable(self, fileobj: object, mask: int) -> None:
        reader = self._reader
        if reader is not None:
            with contextlib.suppress(BlockingIOError):  # pragma: no cover - woken twice
                reader.recv(4096)
        self._drain()

    def _drain(self) -> None:
        with self._lock:
            self._signalled = False
            posted, self._posted = self._posted, collections.deque()
        for callback in posted:
            try:
                callback()
            except Exception:
                self.root.report_callback_exception(*sys.exc_info())

    @property
    def pending_timers(self) -> int:
        """How many timers made by :meth:`call_later` wait to fire."""
        return self._pending

    # -- root tasks -------------------------------------------------------

    def _report(self, task: Task[Any], exc: BaseException) -> None:
        self.root.report_callback_exception(type(exc), exc, exc.__traceback__)

    def start_root(self, aw: Awaitable[T], /) -> Task[T]:
        """Start *aw* as a root task of the app; it is cancelled when the app ends.

        Its errors go to ``root.report_callback_exception`` instead of to
        whoever resumed it. "When the app ends" is :meth:`close`: at the end
        of :func:`run`, or when the root window is destroyed, for apps that
        run their own ``mainloop()``.

        :raises RuntimeError: the host is closed.
        """
        if self._closed:
            if inspect.iscoroutine(aw):
                aw.close()  # never to run: no "never awaited" warning
            raise RuntimeError("this TkHost is closed: no new root task")

        task = start(aw, exception_handler=self._report)
        if not task.done():
            self._roots.add(task)
            task.add_done_callback(self._roots.discard)
        return task

    @property
    def root_tasks(self) -> frozenset[Task[Any]]:
        """The tasks of :meth:`start_root` that have not ended."""
        return frozenset(self._roots)

    def _on_destroy(self, ev: tkinter.Event[tkinter.Misc]) -> None:
        if ev.widget is self.root:
            self.close()

    def close(self) -> None:
        """Cancel the tasks of :meth:`start_root` and remove the file handler (idempotent).

        Tasks whose clean-up still waits (shielded) keep running for as long as
        Tk does. Afterwards :meth:`call_soon_threadsafe` raises RuntimeError.
        """
        for task in list(self._roots):
            task.cancel()
        with self._lock:
            if self._closed:
                return
            self._closed = True
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if reader is not None and writer is not None:
            # the interpreter is gone
            with contextlib.suppress(tkinter.TclError):  # pragma: no cover
                self.root.tk.deletefilehandler(reader)
            reader.close()
            writer.close()


def run(
    async_fn: Callable[[TkHost, Unpack[Ts]], Awaitable[T]],
    /,
    *args: Unpack[Ts],
    root: tkinter.Tk | None = None,
) -> T:
    """Run an app: ``async_fn(host, *args)`` as the root task in Tk's ``mainloop()``.

    A :class:`TkHost` is made on *root* (a new ``tkinter.Tk`` by default) and
    the task starts inside the main loop. When it ends, the app ends: the
    tasks of :meth:`TkHost.start_root` are cancelled, the main loop returns
    and the root window is destroyed; its result is returned. Closing the
    root window (the window manager's close button) cancels the root task
    instead of destroying the window at once: its clean-up runs (and may
    await, shielded), then the app ends and this raises
    :class:`~gearwork.core.Cancelled`. An exception that escapes the root
    task ends the app and is raised from here, once: it is not also given to
    ``root.report_callback_exception``, which reports the errors of the
    tasks of :meth:`TkHost.start_root` and of Tk's own callbacks.

    :raises RuntimeError: called while the main loop of *root* is running.
    """
    host = TkHost(root)
    root = host.root
    task: Task[T] | None = None
    failed: list[BaseException] = []

    def main_ended(ended: Task[T]) -> None:
        exc = exception_of(ended)
        if exc is not None and not isinstance(exc, Cancelled):
            failed.append(exc)
        host.close()
        root.quit()

    def keep(ended: Task[T], exc: BaseException) -> None:
        """The root task's error is raised once the main loop has returned: nothing here."""

    def begin() -> None:
        nonlocal task
        task = start(async_fn(host, *args), exception_handler=keep)
        task.add_done_callback(main_ended)

    def on_close() -> None:
        if task is not None and not task.done():
            task.cancel()
        elif task is None:
            root.quit()

    root.protocol("WM_DELETE_WINDOW", on_close)
    root.after(0, begin)
    try:
        root.mainloop()
    finally:
        host.close()
        if task is not None and not task.done():
            task.cancel()
        with contextlib.suppress(tkinter.TclError):  # pragma: no cover - already destroyed
            root.destroy()
    if task is None:
        raise Cancelled("the app was closed before the main task started")
    if task.finished:
        return task.result
    if failed:
        raise failed[0]
    raise Cancelled("the main task was cancelled: the window was closed")
