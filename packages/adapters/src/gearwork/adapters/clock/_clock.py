"""The tick-driven :class:`Clock`.

How timers are kept
-------------------
A timer is a small list ``[due, seq, callback, clock]`` (a list subclass, so
that the heap compares entries in C: ``due`` first, then the unique ``seq``).
``cancel()`` blanks the callback and takes one off the exact count of
pending timers; the blank entry is dropped when it reaches the top of the
heap (lazy deletion), or when the dead entries outnumber the live ones, in
which case the heap is rebuilt without them (so cancelling many timers
without ticking does not grow the heap for ever).

``tick`` fires due entries whose ``seq`` is older than the tick: an entry
made during the tick has a newer one, and its due time cannot be earlier
than now, so the first such entry on top of the heap ends the firing; it
fires at the next tick. When every timer is due (the latest due time is not
after now: 10,000 tasks sleeping the same time), the whole heap is taken at
once and sorted (a heap built by pushing growing keys is already sorted, so
this is linear), instead of being popped entry by entry.
"""

from __future__ import annotations

import heapq
import math
import threading
import types
from typing import TYPE_CHECKING, Any

from gearwork.adapters.timing import Timing
from gearwork.core import Cancelled, start
from gearwork.core.lowlevel import explain_foreign_throw

from ._fixed import FixedTimestep
from .easing import linear

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("Clock", "Interpolation")

_heappush = heapq.heappush
_heappop = heapq.heappop

_COMPACT_AT = 64  # dead entries tolerated before a rebuild is considered


class _Timer(list):  # type: ignore[type-arg]
    """``[due, seq, callback, clock]``: a timer of a :class:`Clock`, and its handle."""

    __slots__ = ()

    def cancel(self) -> None:
        """Take the timer back; idempotent, and harmless after it fired."""
        if self[2] is not None:
            self[2] = None
            clock: Clock = self[3]
            clock._pending -= 1
            clock._dead += 1
            if clock._dead > _COMPACT_AT and clock._dead > clock._pending:
                clock._compact()

    @property
    def due(self) -> float:
        """The time on its clock at which it fires (or fired)."""
        due: float = self[0]
        return due

    @property
    def cancelled(self) -> bool:
        """Whether it was cancelled (or has fired)."""
        return self[2] is None

    def __repr__(self) -> str:
        state = "done" if self[2] is None else "pending"
        return f"<Clock timer due={self[0]!r} {state}>"


class _Sleep(_Timer):
    """The timer of one ``await clock.sleep(...)``: its own registrar, too."""

    __slots__ = ()

    def __call__(self, task: Task[Any]) -> None:
        self[2] = task.step
        clock: Clock = self[3]
        clock._pending += 1
        _heappush(clock._heap, self)
        if self[0] > clock._latest:
            clock._latest = self[0]


_Sleep.__call__.__qualname__ = (
    "gearwork.adapters.clock.Clock.sleep() was awaited outside a gearwork task "
    "(start the awaiting coroutine with gearwork.core.start)"
)


class Clock(Timing):
    """A clock that moves only when told to: ``clock.tick(dt)`` drives everything.

    Made for game loops, simulations, embedded hosts and deterministic tests.
    :attr:`time` starts at 0.0; ``tick(dt)`` advances it by ``dt * scale``
    (nothing while :attr:`paused`), runs what other threads posted with
    :meth:`call_soon_threadsafe`, fires the timers that are due, in time
    order (ties in the order they were made), wakes the tasks waiting for the
    next frame, and then ticks the child clocks with the same step.

    A Clock is a :class:`~gearwork.adapters.timing.Host` and its own
    :class:`~gearwork.adapters.timing.Timing`: ``await clock.sleep(1)``,
    ``async with clock.move_on_after(2):``, ``clock.periodic(0.5)``, ...
    A timer made during a tick fires at the next tick at the earliest, even
    with a delay of 0.

    *scale* (default 1.0, any number >= 0) multiplies every step; a child
    clock made with :meth:`child` advances with its parent's scaled steps
    times its own scale, and can be paused on its own: the game clock pauses
    while the clock of the menus goes on.

    >>> from gearwork.core import start
    >>> clock = Clock()
    >>> async def blink(log):
    ...     for _ in range(3):
    ...         await clock.sleep(0.5)
    ...         log.append(clock.time)
    >>> log = []
    >>> task = start(blink(log))
    >>> for _ in range(6):
    ...     clock.tick(0.25)
    >>> log
    [0.5, 1.0, 1.5]
    """

    __slots__ = (
        "__weakref__",
        "_children",
        "_dead",
        "_frames",
        "_heap",
        "_latest",
        "_lock",
        "_parent",
        "_paused",
        "_pending",
        "_posted",
        "_scale",
        "_seq",
        "_ticking_seq",
        "_time",
    )

    __module__ = "gearwork.adapters.clock"

    def __init__(self, *, scale: float = 1.0, time: float = 0.0) -> None:
        self._time = _check_number(time, "Clock() time")
        self._scale = _check_scale(scale)
        self._paused = False
        self._heap: list[_Timer] = []
        self._latest = -math.inf  # an upper bound of the due times in the heap
        self._seq = 0
        self._ticking_seq = -1  # the seq limit of the tick in progress; -1 between ticks
        self._pending = 0
        self._dead = 0
        self._frames: list[_FrameWait] = []
        self._posted: list[Callable[[], object]] = []
        self._lock = threading.Lock()
        self._children: list[Clock] = []
        self._parent: Clock | None = None
        super().__init__(self)

    # ------------------------------------------------------------------ the host protocol

    def now(self) -> float:
        """The clock's time: what :attr:`time` says."""
        return self._time

    @property
    def time(self) -> float:
        """Seconds of this clock's time, moved only by :meth:`tick` (and by a parent's)."""
        return self._time

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Call ``callback()`` from the first tick at which ``delay`` more seconds have passed.

        Returns the timer, whose ``cancel()`` takes it back.

        :raises TypeError: *callback* is not callable or *delay* is not a number.
        :raises ValueError: *delay* is negative or NaN.
        """
        try:
            ok = delay >= 0
        except TypeError:
            raise TypeError(
                f"call_later() needs a delay in seconds, got {type(delay).__name__}"
            ) from None
        if not ok:
            raise ValueError(f"call_later() needs a delay >= 0, got {delay!r}")
        if not callable(callback):
            raise TypeError(f"call_later() needs a callable, got {type(callback).__name__}")
        seq = self._seq
        self._seq = seq + 1
        due = self._time + delay
        timer = _Timer((due, seq, callback, self))
        _heappush(self._heap, timer)
        self._pending += 1
        if due > self._latest:
            self._latest = due
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Run ``callback()`` at the start of the next tick; callable from any thread.

        Callbacks run in the order they were posted, also while the clock is paused.
        """
        if not callable(callback):
            raise TypeError(
                f"call_soon_threadsafe() needs a callable, got {type(callback).__name__}"
            )
        with self._lock:
            self._posted.append(callback)

    @property
    def pending_timers(self) -> int:
        """How many timers wait to fire (cancelled and fired ones are not counted)."""
        return self._pending

    # --------------------------------------------------------------------------- sleeping

    def sleep(self, seconds: float, /) -> Awaitable[None]:
        """``await clock.sleep(seconds)``: resume at the first tick *seconds* from now.

        The same as :func:`gearwork.adapters.timing.sleep` on this clock, with
        a faster path: the timer is the registrar. Cancelling the task takes
        the timer back at once.

        :raises TypeError: *seconds* is not a number. :raises ValueError: it is negative or NaN.
        """
        try:
            ok = seconds >= 0
        except TypeError:
            raise TypeError(
                f"sleep() needs a number of seconds, got {type(seconds).__name__}"
            ) from None
        if not ok:
            raise ValueError(f"sleep() needs a number of seconds >= 0, got {seconds!r}")
        seq = self._seq
        self._seq = seq + 1
        return _sleep(_Sleep((self._time + seconds, seq, None, self)))

    def next_frame(self) -> Awaitable[None]:
        """``await clock.next_frame()``: resume at the next tick that is not paused."""
        return _next_frame(self)

    async def n_frames(self, n: int, /) -> None:
        """Wait for *n* ticks of this clock (paused ticks do not count); ``n=0`` returns at once.

        >>> from gearwork.core import start
        >>> clock = Clock()
        >>> task = start(clock.n_frames(2))
        >>> clock.tick(0.016); task.done()
        False
        >>> clock.tick(0.016); task.done()
        True

        :raises TypeError: *n* is not an int. :raises ValueError: it is negative.
        """
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"n_frames() needs an int, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n_frames() needs a number of frames >= 0, got {n}")
        for _ in range(n):
            await _next_frame(self)

    # ------------------------------------------------------------- games: steps, animations

    def fixed_timestep(
        self, step: float, update: Callable[[float], object], /, *, max_steps: int = 8
    ) -> FixedTimestep:
        """Call ``update(step)`` as many times per tick as fixed steps of *step* seconds are due.

        Returns the :class:`FixedTimestep`, whose ``alpha`` says where the
        present lies between two updates, and whose ``cancel()`` stops it.
        It runs in a task woken at each tick (after the timers), so a paused
        clock runs no update, and a scaled one runs them at its pace.

        >>> clock = Clock()
        >>> steps = []
        >>> physics = clock.fixed_timestep(0.5, steps.append)
        >>> clock.tick(1.25)
        >>> steps, physics.alpha
        ([0.5, 0.5], 0.5)
        >>> physics.cancel()
        """
        stepper = FixedTimestep(step, max_steps=max_steps)
        if not callable(update):
            raise TypeError(f"fixed_timestep() needs a callable, got {type(update).__name__}")
        stepper._task = start(self._drive_steps(stepper, update))
        return stepper

    async def _drive_steps(self, stepper: FixedTimestep, update: Callable[[float], object]) -> None:
        last = self._time
        step = stepper.step
        while True:
            await _next_frame(self)
            now = self._time
            for _ in range(stepper.advance(now - last)):
                update(step)
            last = now

    def interpolate(
        self,
        start: float,
        end: float,
        duration: float,
        /,
        *,
        easing: Callable[[float], float] = linear,
    ) -> Interpolation:
        """Iterate over a value going from *start* to *end* in *duration* seconds, once per tick.

        ``async for value in clock.interpolate(0, 100, 2):`` gives *start* at
        once, then one value per tick of this clock (eased by *easing*, see
        :mod:`gearwork.adapters.clock.easing`), and *end* last, exactly. It is
        an async iterator object, not an async generator: breaking out of the
        loop leaves nothing to close.

        >>> from gearwork.core import start
        >>> clock = Clock()
        >>> values = []
        >>> async def fade():
        ...     async for alpha in clock.interpolate(0.0, 1.0, 1.0):
        ...         values.append(alpha)
        >>> task = start(fade())
        >>> for _ in range(4):
        ...     clock.tick(0.5)
        >>> values, task.done()
        ([0.0, 0.5, 1.0], True)

        :raises ValueError: *duration* is negative or NaN.
        """
        _check_duration(duration, "interpolate()")
        return Interpolation(self, start, end, duration, easing)

    async def animate(
        self,
        obj: object,
        duration: float,
        /,
        *,
        easing: Callable[[float], float] = linear,
        **targets: Any,
    ) -> None:
        """Move attributes of *obj* to *targets* over *duration* seconds, updated at each tick.

        ``await clock.animate(sprite, 0.5, x=100, opacity=0.0)``. Each value
        goes from the attribute's value when the call is made to its target,
        eased by *easing*; numbers and tuples (or lists) of numbers, such as
        positions and colours, are animated. At the end every attribute is
        set to its target exactly. A cancelled animation stops where it is.

        >>> from types import SimpleNamespace
        >>> from gearwork.core import start
        >>> clock = Clock()
        >>> ball = SimpleNamespace(x=0.0, pos=(0.0, 10.0))
        >>> task = start(clock.animate(ball, 1.0, x=8.0, pos=(4.0, 0.0)))
        >>> clock.tick(0.25); ball.x, ball.pos
        (2.0, (1.0, 7.5))
        >>> clock.tick(1.0); ball.x, ball.pos, task.done()
        (8.0, (4.0, 0.0), True)

        :raises ValueError: *duration* is negative or NaN.
        :raises AttributeError: *obj* lacks one of the attributes.
        """
        _check_duration(duration, "animate()")
        begin = {name: getattr(obj, name) for name in targets}
        t0 = self._time
        if duration > 0:
            while True:
                await _next_frame(self)
                progress = (self._time - t0) / duration
                if progress >= 1.0:
                    break
                eased = easing(progress)
                for name, target in targets.items():
                    setattr(obj, name, _lerp(begin[name], target, eased))
        for name, target in targets.items():
            setattr(obj, name, target)

    # ----------------------------------------------------------------- scale, pause, children

    @property
    def scale(self) -> float:
        """What every step is multiplied by; assign any number >= 0 (0 freezes the clock)."""
        return self._scale

    @scale.setter
    def scale(self, value: float) -> None:
        self._scale = _check_scale(value)

    @property
    def paused(self) -> bool:
        """Whether the clock is paused: its time stands still, no timer fires, no frame counts."""
        return self._paused

    def pause(self) -> None:
        """Stop the clock's time (and so its children's) until :meth:`resume`."""
        self._paused = True

    def resume(self) -> None:
        """Let the clock's time run again after :meth:`pause`."""
        self._paused = False

    @property
    def parent(self) -> Clock | None:
        """The clock whose ticks drive this one, or ``None`` for a root clock."""
        return self._parent

    def child(self, *, scale: float = 1.0) -> Clock:
        """A new clock driven by this one's ticks: its step is this clock's step times *scale*.

        The child starts at this clock's time, and can be paused and rescaled
        on its own. :meth:`detach` cuts it loose.

        >>> root = Clock()
        >>> game, ui = root.child(), root.child()
        >>> game.pause()
        >>> root.tick(1.0)
        >>> game.time, ui.time
        (0.0, 1.0)
        """
        clock = Clock(scale=scale, time=self._time)
        clock._parent = self
        self._children.append(clock)
        return clock

    def detach(self) -> None:
        """Stop being driven by the parent clock (does nothing for a root clock)."""
        parent = self._parent
        if parent is not None:
            self._parent = None
            parent._children.remove(self)

    # ------------------------------------------------------------------------- ticking

    def tick(self, dt: float, /) -> None:
        """Advance the clock by ``dt * scale`` seconds and run what is due; see the class.

        An exception raised by a timer's callback (or escaping a task it
        resumes) propagates from ``tick``; the timers still due then fire at
        the next tick.

        :raises TypeError: *dt* is not a number. :raises ValueError: it is negative or NaN.
        :raises RuntimeError: called from inside a tick of the same clock.
        """
        try:
            ok = dt >= 0
        except TypeError:
            raise TypeError(f"tick() needs a step in seconds, got {type(dt).__name__}") from None
        if not ok:
            raise ValueError(f"tick() needs a step >= 0, got {dt!r}")
        if self._ticking_seq >= 0:
            raise RuntimeError("Clock.tick() was called from inside a tick of the same clock")
        if self._posted:
            self._run_posted()
        if self._paused:
            return
        dt *= self._scale
        now = self._time = self._time + dt
        heap = self._heap
        if heap and heap[0][0] <= now:
            self._fire(now)
        if self._frames:
            self._wake_frames()
        if self._children:
            for child in tuple(self._children):  # one may detach meanwhile
                child.tick(dt)

    def _run_posted(self) -> None:
        with self._lock:
            posted = self._posted
            self._posted = []
        for i, callback in enumerate(posted):
            try:
                callback()
            except BaseException:
                with self._lock:  # the rest run at the next tick, still first
                    self._posted[:0] = posted[i + 1 :]
                raise

    def _fire(self, now: float) -> None:
        self._ticking_seq = limit = self._seq
        try:
            if self._latest <= now:
                # Everything is due: take the whole heap (see the module docstring).
                due = self._heap
                self._heap = []
                self._latest = -math.inf
                self._dead = 0
                due.sort()
                i, n = 0, len(due)
                try:
                    while i < n:
                        timer = due[i]
                        i += 1
                        callback = timer[2]
                        if callback is not None:
                            timer[2] = None
                            self._pending -= 1
                            callback()
                finally:
                    if i < n:
                        self._put_back(due[i:])
                return
            heap = self._heap
            while heap:
                timer = heap[0]
                if timer[0] > now or timer[1] >= limit:
                    break
                _heappop(heap)
                callback = timer[2]
                if callback is None:
                    self._dead -= 1
                    continue
                timer[2] = None
                self._pending -= 1
                callback()
                heap = self._heap  # a compaction may have replaced it
        finally:
            self._ticking_seq = -1

    def _put_back(self, timers: list[_Timer]) -> None:
        """Return the unfired rest of a taken heap (a callback raised)."""
        heap = self._heap
        for timer in timers:
            if timer[2] is not None:  # still counted as pending
                _heappush(heap, timer)
                if timer[0] > self._latest:
                    self._latest = timer[0]

    def _compact(self) -> None:
        live = [timer for timer in self._heap if timer[2] is not None]
        heapq.heapify(live)
        self._heap = live
        self._dead = 0

    def _wake_frames(self) -> None:
        frames = self._frames
        self._frames = []
        for i, wait in enumerate(frames):
            task = wait.task
            if task is not None:  # else its wait was cancelled
                wait.task = None
                try:
                    task.step()
                except BaseException:
                    self._frames[:0] = frames[i + 1 :]  # they wait for the next tick
                    raise

    def __repr__(self) -> str:
        state = " paused" if self._paused else ""
        return f"<Clock time={self._time!r} scale={self._scale!r}{state} timers={self._pending}>"


@types.coroutine
def _sleep(timer: _Sleep) -> Generator[Registrar, Resumption, None]:
    try:
        yield timer
    except GeneratorExit:
        raise  # garbage-collected while asleep: leave everything as it is
    except Cancelled:
        timer.cancel()
        raise
    except BaseException as exc:
        if not explain_foreign_throw(exc, "gearwork.adapters.clock.Clock.sleep()"):
            timer.cancel()
        raise
    if timer[2] is not None:
        timer.cancel()  # stepped by someone else: the timer must not step the task again


class _FrameWait:
    """One task waiting for the next frame of a clock (``task`` is blanked when it ends)."""

    __slots__ = ("clock", "task")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.task: Task[Any] | None = None

    def __call__(self, task: Task[Any]) -> None:
        self.task = task
        self.clock._frames.append(self)


_FrameWait.__call__.__qualname__ = (
    "gearwork.adapters.clock.Clock.next_frame() was awaited outside a gearwork task "
    "(start the awaiting coroutine with gearwork.core.start)"
)


@types.coroutine
def _next_frame(clock: Clock) -> Generator[Registrar, Resumption, None]:
    wait = _FrameWait(clock)
    try:
        yield wait
    except GeneratorExit:
        raise
    except BaseException as exc:
        if not explain_foreign_throw(exc, "gearwork.adapters.clock.Clock.next_frame()"):
            wait.task = None  # skipped by the tick that wakes the others
        raise
    wait.task = None  # (already, unless something else stepped the task)


def _check_number(value: float, who: str) -> float:
    try:
        if value == value and value not in (math.inf, -math.inf):
            return value
    except TypeError:
        pass
    else:
        raise ValueError(f"{who} needs a finite number, got {value!r}")
    raise TypeError(f"{who} needs a number, got {type(value).__name__}")


def _check_scale(scale: float) -> float:
    try:
        ok = scale >= 0 and scale != math.inf
    except TypeError:
        raise TypeError(f"a Clock's scale is a number, got {type(scale).__name__}") from None
    if not ok:
        raise ValueError(f"a Clock's scale is a finite number >= 0, got {scale!r}")
    return scale


def _check_duration(duration: float, who: str) -> None:
    try:
        ok = duration >= 0
    except TypeError:
        raise TypeError(
            f"{who} needs a duration in seconds, got {type(duration).__name__}"
        ) from None
    if not ok:
        raise ValueError(f"{who} needs a duration >= 0, got {duration!r}")


def _lerp(begin: Any, end: Any, eased: float) -> Any:
    if isinstance(end, (tuple, list)):
        values = [b + (e - b) * eased for b, e in zip(begin, end, strict=True)]
        return tuple(values) if isinstance(end, tuple) else values
    return begin + (end - begin) * eased


class Interpolation:
    """The async iterator of :meth:`Clock.interpolate` (one value per tick)."""

    __slots__ = ("_clock", "_duration", "_easing", "_end", "_start", "_state", "_t0")

    __module__ = "gearwork.adapters.clock"

    def __init__(
        self,
        clock: Clock,
        start: float,
        end: float,
        duration: float,
        easing: Callable[[float], float],
    ) -> None:
        self._clock = clock
        self._start = start
        self._end = end
        self._duration = duration
        self._easing = easing
        self._state = 0  # 0: not begun, 1: running, 2: ended
        self._t0 = 0.0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> float:
        state = self._state
        clock = self._clock
        if state == 0:
            self._state = 1 if self._duration > 0 else 2
            self._t0 = clock._time
            return self._start if self._duration > 0 else self._end
        if state == 2:
            raise StopAsyncIteration
        await _next_frame(clock)
        progress = (clock._time - self._t0) / self._duration
        if progress >= 1.0:
            self._state = 2
            return self._end
        start = self._start
        value: float = start + (self._end - start) * self._easing(progress)
        return value


# Doctests of methods: the classes above claim `gearwork.adapters.clock` as their module, so
# the doctest finder would skip their methods when it scans this module.
__test__ = {"Clock": Clock}
