"""Awaiting Qt signals from gearwork tasks: once, as a stream, and a dialog's result."""

from __future__ import annotations

import collections
import types
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMetaObject, QObject, SignalInstance

from gearwork.core import Task

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("SignalStream", "open_dialog", "wait_signal")

Filter = Callable[..., object]


def _check_signal(signal: object, who: str) -> SignalInstance:
    if not isinstance(signal, SignalInstance):
        raise TypeError(
            f"{who} needs a bound Qt signal (such as button.clicked), got {type(signal).__name__}"
        )
    return signal


def _check_filter(filter: Filter | None, who: str) -> Filter | None:
    if filter is not None and not callable(filter):
        raise TypeError(f"{who} filter must be callable or None, got {type(filter).__name__}")
    return filter


@types.coroutine
def _wait_signal(
    signal: SignalInstance, filter: Filter | None
) -> Generator[Registrar, Resumption, tuple[Any, ...]]:
    waiter: list[Task[Any] | None] = [None]

    def slot(*args: Any) -> None:
        task = waiter[0]
        if task is not None and (filter is None or filter(*args)):
            waiter[0] = None
            QObject.disconnect(connection)
            task.step(*args)

    def register(task: Task[Any]) -> None:
        waiter[0] = task

    connection: QMetaObject.Connection = signal.connect(slot)
    try:
        args, _ = yield register
    except GeneratorExit:
        raise
    except BaseException:
        if waiter[0] is not None:
            waiter[0] = None
            QObject.disconnect(connection)
        raise
    return args


def wait_signal(
    signal: SignalInstance, /, filter: Filter | None = None
) -> Awaitable[tuple[Any, ...]]:
    """``args = await wait_signal(obj.sig, filter)``: the arguments of the next emission.

    One connection is made to *signal* for the wait and removed (that
    connection only, by its ``QMetaObject.Connection``) when an emission
    passes ``filter(*args)`` (every one does without a filter), or when the
    waiting task is cancelled. The task is resumed *inside* the emission:
    whatever it does up to its next ``await`` has happened when ``emit()``
    (or Qt's ``clicked``, ...) returns.

    :raises TypeError: *signal* is not a bound signal, or *filter* is not callable.
    """
    return _wait_signal(
        _check_signal(signal, "wait_signal()"), _check_filter(filter, "wait_signal()")
    )


class SignalStream:
    """One connection to a signal for a loop of emissions: ``async for args in stream``.

    ``async with SignalStream(view.mouse_moved) as moves: async for x, y in moves:``
    keeps a single connection for as long as the ``async with`` block lasts,
    so a high-frequency signal costs no connect/disconnect per emission. The
    waiting task is resumed inside each emission that passes *filter*.
    Emissions that come while the task is busy elsewhere are kept, up to
    *maxlen* (the oldest are dropped beyond that; ``None``: no limit), and
    handed out first. Leaving the block (or cancelling the task) removes the
    connection.

    :raises TypeError: *signal* is not a bound signal, or *filter* is not callable.
    :raises ValueError: *maxlen* is negative.
    :raises RuntimeError: iterating outside the ``async with`` block, or from
        two tasks at once.
    """

    # __weakref__: PySide6 6.8.0-6.8.2.1 take a weak reference to a bound method's object
    # when the method is connected to a signal.
    __slots__ = ("__weakref__", "_buffer", "_connection", "_filter", "_signal", "_task")

    __module__ = "gearwork.adapters.qt"

    def __init__(
        self, signal: SignalInstance, /, filter: Filter | None = None, *, maxlen: int | None = None
    ) -> None:
        self._signal = _check_signal(signal, "SignalStream()")
        self._filter = _check_filter(filter, "SignalStream()")
        if maxlen is not None and maxlen < 0:
            raise ValueError(f"SignalStream() maxlen must be >= 0 or None, got {maxlen}")
        self._buffer: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=maxlen)
        self._connection: QMetaObject.Connection | None = None
        self._task: Task[Any] | None = None

    @property
    def connected(self) -> bool:
        """Whether the stream holds its connection (inside the ``async with`` block)."""
        return self._connection is not None

    def _slot(self, *args: Any) -> None:
        filter = self._filter
        if filter is not None and not filter(*args):
            return
        task = self._task
        if task is None:
            self._buffer.append(args)
        else:
            self._task = None
            task.step(*args)

    async def __aenter__(self) -> SignalStream:
        if self._connection is not None:
            raise RuntimeError("this SignalStream is already open")
        self._connection = self._signal.connect(self._slot)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the connection; buffered emissions are dropped. Calling it again does nothing."""
        connection = self._connection
        if connection is not None:
            self._connection = None
            QObject.disconnect(connection)
        self._buffer.clear()

    def __aiter__(self) -> SignalStream:
        return self

    def __anext__(self) -> Awaitable[tuple[Any, ...]]:
        return self.next()

    @types.coroutine
    def next(self) -> Generator[Registrar, Resumption, tuple[Any, ...]]:
        """``await stream.next()``: the arguments of the next emission (or a buffered one)."""
        if self._connection is None:
            raise RuntimeError("SignalStream.next() needs the stream open: use `async with`")
        if self._task is not None:
            raise RuntimeError("another task is already waiting on this SignalStream")
        if self._buffer:
            return self._buffer.popleft()

        def register(task: Task[Any]) -> None:
            self._task = task

        try:
            args, _ = yield register
        except GeneratorExit:
            raise
        except BaseException:
            self._task = None
            raise
        return args


async def open_dialog(dialog: QDialog, /) -> int:
    """Show *dialog* with ``open()`` (window-modal, never a nested ``exec()`` loop); its result.

    Returns the code ``finished`` carries (``QDialog.DialogCode.Accepted``'s
    value 1 after ``accept()``, 0 after ``reject()`` or closing it). If the
    waiting task is cancelled the dialog is rejected (closed) and
    :class:`~gearwork.core.Cancelled` goes on.

    :raises TypeError: *dialog* is not a QDialog.
    """
    from PySide6.QtWidgets import QDialog

    if not isinstance(dialog, QDialog):
        raise TypeError(f"open_dialog() needs a QDialog, got {type(dialog).__name__}")
    dialog.open()
    try:
        (code,) = await _wait_signal(dialog.finished, None)
    except BaseException:
        if dialog.isVisible():
            dialog.reject()
        raise
    return int(code)
