"""Awaiting Kivy events and property changes; following one touch until it is lifted."""

from __future__ import annotations

import collections
import types
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from kivy.event import EventDispatcher

if TYPE_CHECKING:
    from kivy.input.motionevent import MotionEvent
    from kivy.uix.widget import Widget
    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("EventStream", "TouchMoves", "wait_event")

Filter = Callable[..., object]


def _check(
    dispatcher: object, name: object, filter: object, stop_dispatching: bool, who: str
) -> None:
    """Raise a clear error unless *name* is an event or a property of *dispatcher*."""
    if not isinstance(dispatcher, EventDispatcher):
        raise TypeError(
            f"{who} needs a Kivy EventDispatcher (a widget, the Window, ...), "
            f"got {type(dispatcher).__name__}"
        )
    if not isinstance(name, str):
        raise TypeError(f"{who} needs the name of an event or a property, got {name!r}")
    if filter is not None and not callable(filter):
        raise TypeError(f"{who} filter must be callable or None, got {type(filter).__name__}")
    if dispatcher.is_event_type(name):
        return
    if dispatcher.property(name, quiet=True) is None:
        raise ValueError(
            f"{who}: {type(dispatcher).__name__} has no event or property named {name!r} "
            f"(its events: {', '.join(sorted(dispatcher.events()))})"
        )
    if stop_dispatching:
        raise ValueError(
            f"{who}: {name!r} is a property of {type(dispatcher).__name__}, and a property "
            "change cannot be stopped: stop_dispatching is for events only"
        )


class _Waiter:
    """One binding that resumes one waiting task with the first dispatch that passes the filter."""

    __slots__ = ("filter", "stop", "task")

    def __init__(self, filter: Filter | None, stop: bool) -> None:
        self.filter = filter
        self.stop = stop
        self.task: Task[Any] | None = None

    def register(self, task: Task[Any]) -> None:
        self.task = task

    def __call__(self, dispatcher: object, *args: Any, **kwargs: Any) -> bool:
        task = self.task
        if task is None or (self.filter is not None and not self.filter(*args)):
            return False
        self.task = None
        task.step(*args)  # the task runs now, inside Kivy's dispatch
        return self.stop


@types.coroutine
def _wait_event(
    dispatcher: EventDispatcher, name: str, filter: Filter | None, stop: bool
) -> Generator[Registrar, Resumption, tuple[Any, ...]]:
    waiter = _Waiter(filter, stop)
    uid: int = dispatcher.fbind(name, waiter)
    try:
        args, _ = yield waiter.register
    except GeneratorExit:
        raise  # garbage-collected: the waiting place is garbage too
    except BaseException:
        waiter.task = None
        dispatcher.unbind_uid(name, uid)
        raise
    dispatcher.unbind_uid(name, uid)
    return args


def wait_event(
    dispatcher: EventDispatcher,
    name: str,
    /,
    filter: Filter | None = None,
    *,
    stop_dispatching: bool = False,
) -> Awaitable[tuple[Any, ...]]:
    """``args = await wait_event(obj, name)``: the arguments of the next event, or a new value.

    *name* is an event of *dispatcher* (``"on_press"``, ``"on_touch_down"``,
    a custom event of ``__events__``, the Window's ``"on_key_down"``) or one
    of its properties (``"pos"``, ``"text"``). One binding is made with
    ``fbind`` for the wait and removed, by its uid (``unbind_uid``, that
    binding only), when a dispatch passes ``filter(*args)`` (every one does
    without a filter), or when the waiting task ends otherwise or is
    cancelled. The result is what the handlers get after the dispatcher:
    ``(touch,)`` for ``on_touch_down``, ``()`` for ``on_press``, ``(value,)``
    for a property.

    The task is resumed *inside* the dispatch: whatever it does up to its
    next ``await`` has happened when ``dispatch()`` (or the property
    assignment) returns. With *stop_dispatching*, the handler returns True
    for the event it resumes the task with, so Kivy stops dispatching it:
    handlers bound before it and the class's default handler (``on_press()``
    of the widget) do not see it. Property changes cannot be stopped.

    :raises TypeError: *dispatcher* is not an ``EventDispatcher``, *name* not
        a string, or *filter* not callable.
    :raises ValueError: *dispatcher* has no event or property *name*, or
        *stop_dispatching* is asked for a property.

    >>> from kivy.event import EventDispatcher
    >>> from gearwork.core import start
    >>> class Door(EventDispatcher):
    ...     __events__ = ("on_knock",)
    ...     def on_knock(self, who):
    ...         pass
    >>> door = Door()
    >>> task = start(wait_event(door, "on_knock", lambda who: who != "wind"))
    >>> door.dispatch("on_knock", "wind")
    >>> door.dispatch("on_knock", "Ada")
    >>> task.result
    ('Ada',)
    """
    _check(dispatcher, name, filter, stop_dispatching, "wait_event()")
    return _wait_event(dispatcher, name, filter, stop_dispatching)


class EventStream:
    """One binding for a loop of events or property changes: ``async for args in stream``.

    ``async with EventStream(widget, "on_touch_move") as moves: async for
    (touch,) in moves:`` keeps a single ``fbind`` binding for as long as the
    ``async with`` block lasts, so a high-frequency event costs no bind and
    unbind per dispatch. The waiting task is resumed inside each dispatch
    that passes *filter*. Dispatches that come while the task is busy
    elsewhere are kept, up to *maxlen* (the oldest are dropped beyond that;
    ``None``: no limit), and handed out first. With *stop_dispatching* every
    event the stream takes (kept or handed out) stops Kivy's dispatch of it.
    Leaving the block (or cancelling the task) removes the binding, by its
    uid.

    :raises TypeError: see :func:`wait_event`.
    :raises ValueError: see :func:`wait_event`; *maxlen* is negative.
    :raises RuntimeError: iterating outside the ``async with`` block, or from
        two tasks at once.

    >>> from kivy.event import EventDispatcher
    >>> from kivy.properties import NumericProperty
    >>> from gearwork.core import start
    >>> class Gauge(EventDispatcher):
    ...     level = NumericProperty(0)
    >>> gauge = Gauge()
    >>> async def watch():
    ...     seen = []
    ...     async with EventStream(gauge, "level") as levels:
    ...         async for (level,) in levels:
    ...             seen.append(level)
    ...             if level >= 3:
    ...                 return seen
    >>> task = start(watch())
    >>> for level in (1, 2, 3):
    ...     gauge.level = level
    >>> task.result
    [1, 2, 3]
    """

    __slots__ = ("_buffer", "_dispatcher", "_filter", "_name", "_stop", "_task", "_uid")

    __module__ = "gearwork.adapters.kivy"

    def __init__(
        self,
        dispatcher: EventDispatcher,
        name: str,
        /,
        filter: Filter | None = None,
        *,
        stop_dispatching: bool = False,
        maxlen: int | None = None,
    ) -> None:
        _check(dispatcher, name, filter, stop_dispatching, "EventStream()")
        if maxlen is not None and maxlen < 0:
            raise ValueError(f"EventStream() maxlen must be >= 0 or None, got {maxlen}")
        self._dispatcher = dispatcher
        self._name = name
        self._filter = filter
        self._stop = stop_dispatching
        self._buffer: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=maxlen)
        self._uid = 0
        self._task: Task[Any] | None = None

    @property
    def bound(self) -> bool:
        """Whether the stream holds its binding (inside the ``async with`` block)."""
        return self._uid != 0

    def _handler(self, dispatcher: object, *args: Any, **kwargs: Any) -> bool:
        filter = self._filter
        if filter is not None and not filter(*args):
            return False
        task = self._task
        if task is None:
            self._buffer.append(args)
        else:
            self._task = None
            task.step(*args)
        return self._stop

    async def __aenter__(self) -> Self:
        if self._uid:
            raise RuntimeError("this EventStream is already bound")
        self._uid = self._dispatcher.fbind(self._name, self._handler)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the binding; kept events are dropped. Calling it again does nothing."""
        uid, self._uid = self._uid, 0
        self._task = None
        if uid:
            self._dispatcher.unbind_uid(self._name, uid)
        self._buffer.clear()

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[tuple[Any, ...]]:
        return self.next()

    @types.coroutine
    def next(self) -> Generator[Registrar, Resumption, tuple[Any, ...]]:
        """``await stream.next()``: the arguments of the next dispatch (or a kept one)."""
        if not self._uid:
            raise RuntimeError("EventStream.next() needs the stream bound: use `async with`")
        if self._task is not None:
            raise RuntimeError("another task is already waiting on this EventStream")
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


class TouchMoves:
    """The rest of one touch: ``async with TouchMoves(widget, touch) as moves``, then ``async for``.

    Entering the block grabs *touch* for *widget* (``touch.grab(widget)``), so
    the widget gets the touch's moves and its release even outside its
    bounds, and binds ``on_touch_move`` and ``on_touch_up`` of the widget
    (two ``fbind`` bindings). Only the dispatches Kivy makes to the grabbing
    widget (``touch.grab_current is widget``) of this very touch count; every
    other one is left alone. Each turn of ``async for`` gives the touch after
    a move, resuming the task inside that dispatch; the loop ends when the
    touch is lifted (then :attr:`up` is True). Leaving the block, by the end
    of the loop, ``break``, an error or cancellation, ungrabs the touch and
    removes both bindings.

    Kivy updates the touch object in place, so moves made while the task is
    busy elsewhere are not queued: the next turn comes at once and the touch
    holds its latest position. With *stop_dispatching* the grabbed
    dispatches of this touch go no further (the widget's own
    ``on_touch_move()``/``on_touch_up()`` do not see them).

    Typical drag (in a widget's ``on_touch_down`` task)::

        touch = (await wait_event(square, "on_touch_down",
                                  lambda t: square.collide_point(*t.pos)))[0]
        async with TouchMoves(square, touch) as moves:
            async for t in moves:
                square.center = t.pos

    :raises TypeError: *widget* has no ``on_touch_move``/``on_touch_up``
        events, or *touch* is not a touch (no ``grab``).
    :raises RuntimeError: iterating outside the ``async with`` block, or from
        two tasks at once.
    """

    __slots__ = ("_moved", "_stop", "_task", "_touch", "_uids", "_up", "_widget")

    __module__ = "gearwork.adapters.kivy"

    def __init__(
        self, widget: Widget, touch: MotionEvent, /, *, stop_dispatching: bool = False
    ) -> None:
        if not (
            isinstance(widget, EventDispatcher)
            and widget.is_event_type("on_touch_move")
            and widget.is_event_type("on_touch_up")
        ):
            raise TypeError(
                "TouchMoves() needs a widget (an EventDispatcher with on_touch_move and "
                f"on_touch_up), got {type(widget).__name__}"
            )
        if not (callable(getattr(touch, "grab", None)) and hasattr(touch, "grab_current")):
            raise TypeError(
                "TouchMoves() needs a touch (a kivy MotionEvent, as on_touch_down gives), "
                f"got {type(touch).__name__}"
            )
        self._widget = widget
        self._touch = touch
        self._stop = stop_dispatching
        self._uids: tuple[int, int] | None = None
        self._task: Task[Any] | None = None
        self._moved = False
        self._up = bool(touch.time_end != -1)  # lifted already

    @property
    def up(self) -> bool:
        """True once the touch has been lifted."""
        return self._up

    @property
    def touch(self) -> MotionEvent:
        """The touch being followed."""
        return self._touch

    def _ours(self, touch: MotionEvent) -> bool:
        return touch is self._touch and touch.grab_current is self._widget and not self._up

    def _on_move(self, widget: object, touch: MotionEvent) -> bool:
        if not self._ours(touch):
            return False
        task = self._task
        if task is None:
            self._moved = True
        else:
            self._task = None
            task.step()
        return self._stop

    def _on_up(self, widget: object, touch: MotionEvent) -> bool:
        if not self._ours(touch):
            return False
        self._up = True
        task = self._task
        if task is not None:
            self._task = None
            task.step()
        return self._stop

    async def __aenter__(self) -> Self:
        if self._uids is not None:
            raise RuntimeError("this TouchMoves is already open")
        widget = self._widget
        self._touch.grab(widget)
        self._uids = (
            widget.fbind("on_touch_move", self._on_move),
            widget.fbind("on_touch_up", self._on_up),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Ungrab the touch and remove both bindings. Calling it again does nothing."""
        uids, self._uids = self._uids, None
        self._task = None
        if uids is not None:
            widget = self._widget
            widget.unbind_uid("on_touch_move", uids[0])
            widget.unbind_uid("on_touch_up", uids[1])
            self._touch.ungrab(widget)

    def __aiter__(self) -> Self:
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, MotionEvent]:
        if self._uids is None:
            raise RuntimeError("TouchMoves is iterated inside its 'async with' block only")
        if self._task is not None:
            raise RuntimeError("another task is already following this touch")
        if not (self._up or self._moved):

            def register(task: Task[Any]) -> None:
                self._task = task

            try:
                yield register
            except GeneratorExit:
                raise
            except BaseException:
                self._task = None
                raise
        self._moved = False
        if self._up:
            raise StopAsyncIteration
        return self._touch
