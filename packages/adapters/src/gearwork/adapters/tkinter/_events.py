"""Awaiting Tk events from gearwork tasks; bindings that are removed precisely."""

from __future__ import annotations

import contextlib
import tkinter
import types
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("EventStream", "event", "events", "unbind", "wait_destroyed")

W = TypeVar("W", bound=tkinter.Misc)


def _check(widget: object, sequence: object, filter: object, who: str) -> None:
    if not isinstance(widget, tkinter.Misc):
        raise TypeError(f"{who} needs a tkinter widget, got {type(widget).__name__}")
    if not isinstance(sequence, str) or not (sequence.startswith("<") and sequence.endswith(">")):
        raise ValueError(
            f"{who} needs an event sequence such as '<ButtonRelease-1>' or '<<Done>>', "
            f"got {sequence!r}"
        )
    if filter is not None and not callable(filter):
        raise TypeError(f"{who} needs a callable filter or None, got {type(filter).__name__}")


def unbind(widget: tkinter.Misc, sequence: str, funcid: str, /) -> None:
    """Remove exactly the binding *funcid* of *sequence* on *widget*, and its Tcl command.

    ``widget.unbind(sequence, funcid)`` of CPython before 3.13 removes every
    binding of the sequence (gh-75666); this removes only the line of the
    binding script that calls *funcid* and keeps the others, without patching
    tkinter. Nothing happens to the script if the widget is already destroyed.

    :raises TypeError: *funcid* is not a string (what ``bind()`` returned).
    """
    if not isinstance(funcid, str):
        raise TypeError(f"unbind() needs the funcid that bind() returned, got {funcid!r}")
    path = str(widget)
    try:
        script = widget.tk.call("bind", path, sequence)
    except tkinter.TclError:  # the widget is gone, and its bindings with it
        script = None
    if script:
        lines = str(script).split("\n")
        kept = "\n".join(line for line in lines if line.strip() and funcid not in line)
        widget.tk.call("bind", path, sequence, kept)
    # already deleted with its interpreter
    with contextlib.suppress(tkinter.TclError):  # pragma: no cover
        widget.deletecommand(funcid)


class _Waiter(Generic[W]):
    """One binding that resumes one waiting task with the first event that passes the filter."""

    __slots__ = ("_consume", "_filter", "task")

    def __init__(self, filter: Callable[[tkinter.Event[W]], bool] | None, consume: bool) -> None:
        self._filter = filter
        self._consume = consume
        self.task: Task[object] | None = None

    def register(self, task: Task[object]) -> None:
        self.task = task

    def __call__(self, ev: tkinter.Event[W]) -> Literal["break"] | None:
        task = self.task
        if task is None or (self._filter is not None and not self._filter(ev)):
            return None
        self.task = None
        task.step(ev)  # the task runs now, inside Tk's callback
        return "break" if self._consume else None


@types.coroutine
def _event(
    widget: W,
    sequence: str,
    filter: Callable[[tkinter.Event[W]], bool] | None,
    consume: bool,
) -> Generator[Registrar, Resumption, tkinter.Event[W]]:
    waiter: _Waiter[W] = _Waiter(filter, consume)
    funcid = widget.bind(
        sequence, cast("Callable[[tkinter.Event[tkinter.Misc]], object]", waiter), add=True
    )
    try:
        args, _ = yield waiter.register
    except GeneratorExit:
        raise  # garbage-collected: the waiting place is garbage too
    except BaseException:
        waiter.task = None
        unbind(widget, sequence, funcid)
        raise
    unbind(widget, sequence, funcid)
    ev: tkinter.Event[W] = args[0]
    return ev


def event(
    widget: W,
    sequence: str,
    /,
    *,
    filter: Callable[[tkinter.Event[W]], bool] | None = None,
    consume: bool = False,
) -> Awaitable[tkinter.Event[W]]:
    """``ev = await event(widget, sequence)``: wait for one Tk event; return it.

    Binds *sequence* (``"<ButtonRelease-1>"``, ``"<Key>"``, a virtual event
    ``"<<Done>>"``, ...) on *widget* next to its other bindings, and resumes the
    task inside Tk's callback with the first event for which ``filter(ev)`` is
    true (every event without a filter). With *consume*, that event goes no
    further (the binding returns ``"break"``, so the widget's class bindings,
    such as the ones of an Entry, do not see it). The binding is removed, by
    itself, when the wait ends or is cancelled.

    :raises TypeError: *widget* is not a tkinter widget, or *filter* is not callable.
    :raises ValueError: *sequence* is not an event sequence.
    """
    _check(widget, sequence, filter, "event()")
    return _event(widget, sequence, filter, consume)


class EventStream(Generic[W]):
    """One binding for a loop of events: ``async with events(w, "<Motion>") as s``.

    The binding is made when the block is entered and removed when it ends;
    each ``await anext(stream)`` (or each turn of ``async for``) resumes the
    task inside Tk's callback with the next event that passes the filter.
    Events that come while the task is not waiting on the stream (busy in
    another ``await``) are not kept: high-frequency events such as
    ``<Motion>`` only matter as they come. One task at a time may wait.

    :raises RuntimeError: awaited outside its ``async with`` block, or by two
        tasks at once.
    """

    __slots__ = ("_consume", "_filter", "_funcid", "_sequence", "_task", "_widget")

    __module__ = "gearwork.adapters.tkinter"

    def __init__(
        self,
        widget: W,
        sequence: str,
        /,
        *,
        filter: Callable[[tkinter.Event[W]], bool] | None = None,
        consume: bool = False,
    ) -> None:
        _check(widget, sequence, filter, "events()")
        self._widget = widget
        self._sequence = sequence
        self._filter = filter
        self._consume = consume
        self._funcid: str | None = None
        self._task: Task[object] | None = None

    def _callback(self, ev: tkinter.Event[W]) -> Literal["break"] | None:
        task = self._task
        if task is None or (self._filter is not None and not self._filter(ev)):
            return None
        self._task = None
        task.step(ev)
        return "break" if self._consume else None

    def _register(self, task: Task[object]) -> None:
        self._task = task

    @property
    def bound(self) -> bool:
        """True inside the ``async with`` block, while the binding exists."""
        return self._funcid is not None

    async def __aenter__(self) -> Self:
        if self._funcid is not None:
            raise RuntimeError("this EventStream is already bound")
        self._funcid = self._widget.bind(
            self._sequence,
            cast("Callable[[tkinter.Event[tkinter.Misc]], object]", self._callback),
            add=True,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the binding now (idempotent); the ``async with`` block does it at its end."""
        funcid, self._funcid = self._funcid, None
        self._task = None
        if funcid is not None:
            unbind(self._widget, self._sequence, funcid)

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[tkinter.Event[W]]:
        if self._funcid is None:
            raise RuntimeError("an EventStream is awaited inside its 'async with' block only")
        if self._task is not None:
            raise RuntimeError("another task is already waiting on this EventStream")
        return self._next()

    @types.coroutine
    def _next(self) -> Generator[Registrar, Resumption, tkinter.Event[W]]:
        try:
            args, _ = yield self._register
        except GeneratorExit:
            raise
        except BaseException:
            self._task = None
            raise
        ev: tkinter.Event[W] = args[0]
        return ev


def events(
    widget: W,
    sequence: str,
    /,
    *,
    filter: Callable[[tkinter.Event[W]], bool] | None = None,
    consume: bool = False,
) -> EventStream[W]:
    """An :class:`EventStream` of *sequence* on *widget*: one binding for many events.

    :raises TypeError: *widget* is not a tkinter widget, or *filter* is not callable.
    :raises ValueError: *sequence* is not an event sequence.
    """
    return EventStream(widget, sequence, filter=filter, consume=consume)


async def wait_destroyed(widget: tkinter.Misc, /) -> None:
    """Wait until *widget* (a ``Toplevel`` dialog, say) is destroyed; return at once if it is.

    Closing a ``Toplevel`` with the window manager's close button destroys it
    by default, and so does ``widget.destroy()`` from the dialog's buttons.
    Cancelling the wait leaves the widget as it is.

    :raises TypeError: *widget* is not a tkinter widget.
    """
    if not isinstance(widget, tkinter.Misc):
        raise TypeError(f"wait_destroyed() needs a tkinter widget, got {type(widget).__name__}")
    if not widget.winfo_exists():
        return
    path = str(widget)
    await _event(widget, "<Destroy>", lambda ev: str(ev.widget) == path, False)
