"""pygame's frame loop as a gearwork host: event handlers, timers, frames, draw callbacks."""

from __future__ import annotations

import collections
import heapq
import inspect
import itertools
import sys
import threading
import time
import types
from typing import TYPE_CHECKING, Any, TypeVar

import pygame

from gearwork.adapters.timing import Timing
from gearwork.core import Cancelled, start
from gearwork.core.lowlevel import exception_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Generator

    from typing_extensions import Self, TypeVarTuple, Unpack

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

    Ts = TypeVarTuple("Ts")

__all__ = ("DrawHandle", "EventStream", "Handler", "PygameHost", "run")

T = TypeVar("T")


class _Timer:
    """A timer of a :class:`PygameHost`: an entry of its heap, blanked when cancelled."""

    __slots__ = ("_entry", "_host")

    def __init__(self, host: PygameHost, entry: list[Any]) -> None:
        self._host = host
        self._entry = entry

    def cancel(self) -> None:
        """Take the timer back (idempotent, harmless after it fired)."""
        entry = self._entry
        if entry[2] is not None:
            entry[2] = None
            self._host._cancelled_timer()


class Handler:
    """A registered event handler of a :class:`PygameHost` (see :meth:`PygameHost.add_handler`)."""

    __slots__ = ("_host", "active", "callback", "event_type", "order", "priority")

    __module__ = "gearwork.adapters.pygame"

    def __init__(
        self,
        host: PygameHost,
        event_type: int,
        callback: Callable[[pygame.event.Event], object],
        priority: int,
        order: int,
    ) -> None:
        self._host = host
        self.event_type: int = event_type
        self.callback: Callable[[pygame.event.Event], object] = callback
        self.priority: int = priority
        self.order: int = order
        self.active: bool = True
        """False once removed: from then on it sees no event, even of a dispatch under way."""

    def remove(self) -> None:
        """Unregister the handler now (idempotent)."""
        self.active = False
        handlers = self._host._handlers.get(self.event_type)
        if handlers is not None and self in handlers:
            handlers.remove(self)
            if not handlers:
                del self._host._handlers[self.event_type]


class DrawHandle:
    """A per-frame draw callback of a :class:`PygameHost` (see :meth:`PygameHost.add_draw`)."""

    __slots__ = ("_host", "callback", "key")

    __module__ = "gearwork.adapters.pygame"

    def __init__(
        self, host: PygameHost, callback: Callable[[pygame.Surface], object], key: tuple[int, int]
    ) -> None:
        self._host = host
        self.callback: Callable[[pygame.Surface], object] = callback
        self.key: tuple[int, int] = key

    def remove(self) -> None:
        """Stop calling the callback (idempotent)."""
        draws = self._host._draws
        if self in draws:
            draws.remove(self)


class _Waiter:
    """Resumes one task with the first event that passes the filter."""

    __slots__ = ("consume", "filter", "task")

    def __init__(self, filter: Callable[[pygame.event.Event], bool] | None, consume: bool) -> None:
        self.filter = filter
        self.consume = consume
        self.task: Task[object] | None = None

    def register(self, task: Task[object]) -> None:
        self.task = task

    def __call__(self, ev: pygame.event.Event) -> bool:
        task = self.task
        if task is None or (self.filter is not None and not self.filter(ev)):
            return False
        self.task = None
        task.step(ev)  # the task runs now, inside the dispatch
        return self.consume


def _check_event_args(event_type: object, filter: object, priority: object, who: str) -> None:
    if not isinstance(event_type, int) or isinstance(event_type, bool):
        raise TypeError(
            f"{who} needs an event type (an int such as pygame.KEYDOWN), got {event_type!r}"
        )
    if filter is not None and not callable(filter):
        raise TypeError(f"{who} needs a callable filter or None, got {type(filter).__name__}")
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise TypeError(f"{who} needs an int priority, got {type(priority).__name__}")


class EventStream:
    """One handler for a loop of events: ``async with host.events(pygame.MOUSEMOTION) as s``.

    The handler is registered when the block is entered and removed when it
    ends; each turn of ``async for ev in s`` resumes the task inside the
    dispatch with the next event that passes the filter. Events that come
    while the task is not waiting on the stream are not kept (and not
    consumed).

    :raises RuntimeError: awaited outside its block, or by two tasks at once.
    """

    __slots__ = ("_consume", "_event_type", "_filter", "_handler", "_host", "_priority", "_task")

    __module__ = "gearwork.adapters.pygame"

    def __init__(
        self,
        host: PygameHost,
        event_type: int,
        filter: Callable[[pygame.event.Event], bool] | None,
        priority: int,
        consume: bool,
    ) -> None:
        _check_event_args(event_type, filter, priority, "events()")
        self._host = host
        self._event_type = event_type
        self._filter = filter
        self._priority = priority
        self._consume = consume
        self._handler: Handler | None = None
        self._task: Task[object] | None = None

    def _callback(self, ev: pygame.event.Event) -> bool:
        task = self._task
        if task is None or (self._filter is not None and not self._filter(ev)):
            return False
        self._task = None
        task.step(ev)
        return self._consume

    def _register(self, task: Task[object]) -> None:
        self._task = task

    async def __aenter__(self) -> Self:
        if self._handler is not None:
            raise RuntimeError("this EventStream is already registered")
        self._handler = self._host.add_handler(
            self._event_type, self._callback, priority=self._priority
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the handler now (idempotent); the block does it at its end."""
        handler, self._handler = self._handler, None
        self._task = None
        if handler is not None:
            handler.remove()

    def __aiter__(self) -> Self:
        return self

    def __anext__(self) -> Awaitable[pygame.event.Event]:
        if self._handler is None:
            raise RuntimeError("an EventStream is awaited inside its 'async with' block only")
        if self._task is not None:
            raise RuntimeError("another task is already waiting on this EventStream")
        return self._next()

    @types.coroutine
    def _next(self) -> Generator[Registrar, Resumption, pygame.event.Event]:
        try:
            args, _ = yield self._register
        except GeneratorExit:
            raise
        except BaseException:
            self._task = None
            raise
        ev: pygame.event.Event = args[0]
        return ev


class PygameHost(Timing):
    """pygame's frame loop as a gearwork host, and its :class:`~gearwork.adapters.timing.Timing`.

    One frame (:meth:`frame`, called by :meth:`run`): every pygame event goes
    to the handlers of its type, highest *priority* first (then in the order
    they were added) until one consumes it; callbacks posted by other threads
    run; due timers fire; the tasks awaiting :meth:`next_frame` resume with
    the frame's *dt* in seconds; the draw callbacks run in their order on the
    display surface; the display is flipped.

    Timers are entries of a heap checked every frame (and, when :meth:`run`
    has no fps cap, the loop sleeps in ``pygame.event.wait`` exactly until
    the next one); cancelling one takes it out of :attr:`pending_timers` at
    once and its entry is dropped from the heap. :meth:`call_soon_threadsafe`
    queues the callback and posts a pygame event, which wakes a loop blocked
    in ``pygame.event.wait``.

    Errors of root tasks (:meth:`start_root`) and of posted callbacks go to
    :attr:`on_error`, which prints the traceback through :func:`sys.excepthook`
    (pygame has no error reporting of its own); replace it to show them in the game.

    :raises pygame.error: pygame's display is not initialised (call
        ``pygame.init()`` first; :func:`run` does).
    """

    __slots__ = (
        "_cancelled",
        "_clock",
        "_closed",
        "_draw_ids",
        "_draws",
        "_frame_waiters",
        "_handler_ids",
        "_handlers",
        "_heap",
        "_ids",
        "_last_frame",
        "_lock",
        "_pending",
        "_posted",
        "_roots",
        "_signalled",
        "n_frames",
        "on_error",
        "wakeup_type",
    )

    __module__ = "gearwork.adapters.pygame"

    def __init__(self) -> None:
        if not pygame.get_init():
            raise pygame.error("PygameHost() needs pygame.init() first")
        self.wakeup_type: int = pygame.event.custom_type()
        """The pygame event type that wakes the loop for :meth:`call_soon_threadsafe`."""
        self._heap: list[list[Any]] = []
        self._ids = itertools.count()
        self._pending = 0
        self._cancelled = 0
        self._handlers: dict[int, list[Handler]] = {}
        self._handler_ids = itertools.count()
        self._draws: list[DrawHandle] = []
        self._draw_ids = itertools.count()
        self._frame_waiters: list[Task[Any]] = []
        self._lock = threading.Lock()
        self._posted: collections.deque[Callable[[], object]] = collections.deque()
        self._signalled = False
        self._closed = False
        self._roots: set[Task[Any]] = set()
        self._clock = pygame.time.Clock()
        self._last_frame = time.monotonic()
        self.n_frames: int = 0
        """How many frames have run."""
        self.on_error: Callable[[BaseException], object] = _print_exception
        """Called with what escapes a root task or a posted callback; replace it to show
        errors in the game. The default prints the traceback through :func:`sys.excepthook`."""
        super().__init__(self)

    # -- the time protocol -------------------------------------------------

    def now(self) -> float:
        """:func:`time.monotonic`, in seconds."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Run ``callback()`` at the first frame *delay* seconds from now; return its timer."""
        if not callable(callback):
            raise TypeError(f"call_later() needs a callable, got {type(callback).__name__}")
        entry = [self.now() + max(0.0, delay), next(self._ids), callback]
        heapq.heappush(self._heap, entry)
        self._pending += 1
        return _Timer(self, entry)

    def _cancelled_timer(self) -> None:
        self._pending -= 1
        self._cancelled += 1
        if self._cancelled > 32 and self._cancelled > len(self._heap) // 2:
            self._heap = [e for e in self._heap if e[2] is not None]
            heapq.heapify(self._heap)
            self._cancelled = 0

    @property
    def pending_timers(self) -> int:
        """How many timers made by :meth:`call_later` wait to fire."""
        return self._pending

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """From any thread: run ``callback()`` in the loop's thread soon, waking the loop.

        :raises TypeError: *callback* is not callable.
        :raises RuntimeError: the host is closed.
        """
        if not callable(callback):
            raise TypeError(
                f"call_soon_threadsafe() needs a callable, got {type(callback).__name__}"
            )
        with self._lock:
            if self._closed:
                raise RuntimeError("this PygameHost is closed")
            self._posted.append(callback)
            if self._signalled:
                return
            self._signalled = True
        pygame.event.post(pygame.event.Event(self.wakeup_type))

    # -- events -----------------------------------------------------------

    def add_handler(
        self,
        event_type: int,
        callback: Callable[[pygame.event.Event], object],
        /,
        *,
        priority: int = 0,
    ) -> Handler:
        """Call ``callback(ev)`` for each event of *event_type*; a true result consumes it.

        Handlers of higher *priority* see an event first; a handler that
        returns true stops the ones after it from seeing that event.

        :raises TypeError: a bad event type, callback or priority.
        """
        _check_event_args(event_type, None, priority, "add_handler()")
        if not callable(callback):
            raise TypeError(f"add_handler() needs a callable, got {type(callback).__name__}")
        handler = Handler(self, event_type, callback, priority, next(self._handler_ids))
        handlers = self._handlers.setdefault(event_type, [])
        handlers.append(handler)
        handlers.sort(key=lambda h: (-h.priority, h.order))
        return handler

    def dispatch(self, ev: pygame.event.Event, /) -> bool:
        """Hand *ev* to the handlers of its type now; return True if one consumed it."""
        handlers = self._handlers.get(ev.type)
        if not handlers:
            return False
        # any() stops at the first handler that consumes the event; a snapshot, because
        # handlers come and go while it runs.
        return any(handler.active and handler.callback(ev) for handler in tuple(handlers))

    def event(
        self,
        event_type: int,
        /,
        *,
        filter: Callable[[pygame.event.Event], bool] | None = None,
        priority: int = 0,
        consume: bool = False,
    ) -> Awaitable[pygame.event.Event]:
        """``ev = await host.event(pygame.KEYDOWN)``: wait for one event of *event_type*.

        The task resumes inside the dispatch with the first event for which
        ``filter(ev)`` is true; with *consume*, handlers after it (lower
        priority) do not see that event. The handler is removed when the wait
        ends or is cancelled.

        :raises TypeError: a bad event type, filter or priority.
        """
        _check_event_args(event_type, filter, priority, "event()")
        return self._event(event_type, filter, priority, consume)

    @types.coroutine
    def _event(
        self,
        event_type: int,
        filter: Callable[[pygame.event.Event], bool] | None,
        priority: int,
        consume: bool,
    ) -> Generator[Registrar, Resumption, pygame.event.Event]:
        waiter = _Waiter(filter, consume)
        handler = self.add_handler(event_type, waiter, priority=priority)
        try:
            args, _ = yield waiter.register
        except GeneratorExit:
            raise
        except BaseException:
            waiter.task = None
            handler.remove()
            raise
        handler.remove()
        ev: pygame.event.Event = args[0]
        return ev

    def events(
        self,
        event_type: int,
        /,
        *,
        filter: Callable[[pygame.event.Event], bool] | None = None,
        priority: int = 0,
        consume: bool = False,
    ) -> EventStream:
        """An :class:`EventStream`: one handler for a loop of events of *event_type*."""
        return EventStream(self, event_type, filter, priority, consume)

    # -- frames -----------------------------------------------------------

    def next_frame(self) -> Awaitable[float]:
        """``dt = await host.next_frame()``: wait for the next frame; its dt in seconds."""
        return self._next_frame()

    @types.coroutine
    def _next_frame(self) -> Generator[Registrar, Resumption, float]:
        waiters = self._frame_waiters
        task: Task[Any] | None = None

        def register(t: Task[Any]) -> None:
            nonlocal task
            task = t
            waiters.append(t)

        try:
            args, _ = yield register
        except GeneratorExit:
            raise
        except BaseException:
            if task is not None and task in waiters:
                waiters.remove(task)
            raise
        dt: float = args[0]
        return dt

    async def frames(self) -> AsyncIterator[float]:
        """``async for dt in host.frames():`` one turn per frame, with its dt in seconds."""
        while True:
            yield await self._next_frame()

    def add_draw(
        self, callback: Callable[[pygame.Surface], object], /, *, order: int = 0
    ) -> DrawHandle:
        """Call ``callback(surface)`` every frame, lowest *order* first, until removed.

        :raises TypeError: *callback* is not callable or *order* is not an int.
        """
        if not callable(callback):
            raise TypeError(f"add_draw() needs a callable, got {type(callback).__name__}")
        if not isinstance(order, int) or isinstance(order, bool):
            raise TypeError(f"add_draw() needs an int order, got {type(order).__name__}")
        handle = DrawHandle(self, callback, (order, next(self._draw_ids)))
        self._draws.append(handle)
        self._draws.sort(key=lambda d: d.key)
        return handle

    def frame(self, events: list[pygame.event.Event], /) -> None:
        """Run one frame with *events* (what ``pygame.event.get()`` returned); see the class."""
        now = self.now()
        dt = now - self._last_frame
        self._last_frame = now
        self.n_frames += 1
        wakeup = self.wakeup_type
        for ev in events:
            if ev.type != wakeup:
                self.dispatch(ev)
        self._drain()
        self._fire_timers()
        waiters, self._frame_waiters = self._frame_waiters, []
        for task in waiters:
            task.step(dt)
        surface = pygame.display.get_surface()
        if surface is not None:
            for draw in tuple(self._draws):
                draw.callback(surface)
            pygame.display.flip()

    def _drain(self) -> None:
        with self._lock:
            self._signalled = False
            posted, self._posted = self._posted, collections.deque()
        for callback in posted:
            try:
                callback()
            except Exception as exc:
                self.report_exception(exc)

    def _fire_timers(self) -> None:
        heap = self._heap
        now = self.now()
        while heap and (heap[0][2] is None or heap[0][0] <= now):
            entry = heapq.heappop(heap)
            callback = entry[2]
            if callback is None:
                self._cancelled -= 1
                continue
            entry[2] = None
            self._pending -= 1
            callback()

    def _timeout(self) -> float | None:
        """Seconds until the next timer, 0 if something is due now, None if nothing waits."""
        if self._frame_waiters or self._posted:
            return 0.0
        heap = self._heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
            self._cancelled -= 1
        if not heap:
            return None
        due: float = heap[0][0]
        return max(0.0, due - self.now())

    # -- root tasks and the loop -------------------------------------------

    def report_exception(self, exc: BaseException, /) -> None:
        """Report an error that escaped a root task or a posted callback: :attr:`on_error`."""
        self.on_error(exc)

    def _report(self, task: Task[Any], exc: BaseException) -> None:
        self.report_exception(exc)

    def start_root(self, aw: Awaitable[T], /) -> Task[T]:
        """Start *aw* as a root task, cancelled when the game ends.

        Its errors go to :meth:`report_exception`.

        :raises RuntimeError: the host is closed.
        """
        if self._closed:
            if inspect.iscoroutine(aw):
                aw.close()
            raise RuntimeError("this PygameHost is closed: no new root task")
        task = start(aw, exception_handler=self._report)
        if not task.done():
            self._roots.add(task)
            task.add_done_callback(self._roots.discard)
        return task

    @property
    def root_tasks(self) -> frozenset[Task[Any]]:
        """The tasks of :meth:`start_root` that have not ended."""
        return frozenset(self._roots)

    def close(self) -> None:
        """Cancel the tasks of :meth:`start_root`; afterwards posts are refused (idempotent)."""
        for task in list(self._roots):
            task.cancel()
        with self._lock:
            self._closed = True

    def run(self, main: Awaitable[T], /, *, fps: float = 60) -> T:
        """Start *main* and run frames until it ends; return its result.

        With *fps* > 0 a frame runs every 1/fps seconds (``Clock.tick``);
        with ``fps=0`` the loop sleeps in ``pygame.event.wait`` until an
        event, a post of another thread, the next timer or a frame waiter.
        A ``pygame.QUIT`` event (closing the window) cancels *main*, whose
        clean-up still runs frames (and may await, shielded); then this
        raises :class:`~gearwork.core.Cancelled`. What escapes *main* is
        raised from here. At the end the root tasks are cancelled.

        :raises ValueError: *fps* is negative.
        """
        if fps < 0:
            raise ValueError(f"run() needs fps >= 0, got {fps}")
        quit_handler = self.add_handler(pygame.QUIT, lambda ev: task.cancel(), priority=-(2**31))
        task = start(main)
        try:
            self._last_frame = self.now()
            while not task.done():
                if fps > 0:
                    self._clock.tick(fps)
                    events = pygame.event.get()
                else:
                    timeout = self._timeout()
                    if timeout is None:
                        events = [pygame.event.wait()]
                    elif timeout > 0:
                        events = [pygame.event.wait(max(1, int(timeout * 1000 + 0.999)))]
                    else:
                        events = []
                    events += pygame.event.get()
                    events = [e for e in events if e.type != pygame.NOEVENT]
                self.frame(events)
        finally:
            quit_handler.remove()
            if not task.done():
                task.cancel()
            self.close()
        if task.finished:
            return task.result
        exc = exception_of(task)
        if exc is not None:
            raise exc
        raise Cancelled("the main task was cancelled: the window was closed")


def _print_exception(exc: BaseException) -> None:
    sys.excepthook(type(exc), exc, exc.__traceback__)


def run(
    async_fn: Callable[[PygameHost, Unpack[Ts]], Awaitable[T]],
    /,
    *args: Unpack[Ts],
    size: tuple[int, int] = (640, 480),
    fps: float = 60,
    title: str = "gearwork",
) -> T:
    """Run a game: ``pygame.init()``, a window of *size*, ``async_fn(host, *args)`` as main.

    See :meth:`PygameHost.run` for the loop and *fps*; ``pygame.quit()`` is
    called at the end, whatever happens.
    """
    pygame.init()
    try:
        pygame.display.set_mode(size)
        pygame.display.set_caption(title)
        host = PygameHost()
        return host.run(async_fn(host, *args), fps=fps)
    finally:
        pygame.quit()
