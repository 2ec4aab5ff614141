"""The tick-driven :class:`Clock`.

How timers are kept
-------------------
Timers that fall due at the same time share a *bucket*: a list (of a small
list subclass) of what to wake, in the order it was added, with one entry
``(due, seq, bucket)`` in a heap ordered by due time, then by the unique
``seq`` of the bucket. A sleeping task is put in the bucket *by the list's
own append*, the registrar the sleep yields: no Python-level registrar, no
timer object, no handle per sleep. When 10,000 tasks sleep the same time
from the same tick, that is one bucket and one heap entry, and the tick that
wakes them walks one list, as an event's ``fire()`` does. A ``call_later``
timer is a small object in a bucket too; every entry of a bucket has a
``step()`` method (a task's, or the timer's), which is what the tick calls.

The clock keeps its last bucket open: a timer whose due time equals it is
appended there, any other makes a new bucket. Each tick closes it first, so a
timer made during a tick lands in a bucket newer than the tick (its ``seq``
is past the tick's limit), and the tick stops at the first such bucket: it
fires at the next tick at the earliest.

Cancelling writes ``None`` at the entry's index (the entry knows it: the
length of the bucket when it was appended) and trims trailing ``None``, so a
task that sleeps and is cancelled again and again leaves an empty bucket
behind, not a growing one. The count of pending timers is the sum over the
heap's buckets of their length minus their ``None`` entries, kept by each
bucket. Buckets emptied by cancellations stay in the heap until they come up,
unless they outnumber the live ones, when the heap is rebuilt without them.
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

_COMPACT_AT = 64  # heap entries tolerated before empty buckets are swept out


class _Bucket(list[Any]):
    """What falls due at one time: tasks and timers, woken by ``entry.step()`` in order."""

    __slots__ = ("dead", "due", "fired", "push")

    def __init__(self, due: float) -> None:
        super().__init__()
        self.due: float = due
        self.dead: int = 0  # None entries (cancelled) in the list
        self.fired: bool = False  # taken out of the heap by a tick
        self.push: Callable[[Any], None] = self.append  # the registrar of a sleep, bound once

    def forget(self, index: int) -> None:
        """Blank the entry at *index* (it was cancelled) and trim trailing blanks."""
        if index < len(self) and self[index] is not None:
            self[index] = None
            self.dead += 1
            while self and self[-1] is None:
                self.pop()
                self.dead -= 1


class _Timer:
    """A ``call_later`` timer of a :class:`Clock`, and its handle."""

    __slots__ = ("_bucket", "_callback", "_index")

    def __init__(self, bucket: _Bucket, callback: Callable[[], object]) -> None:
        self._bucket = bucket
        self._index = len(bucket)
        self._callback: Callable[[], object] | None = callback
        bucket.append(self)

    def step(self) -> None:
        """Fire the timer (the tick calls this): run its callback once, unless cancelled."""
        callback = self._callback
        if callback is not None:
            self._callback = None
            callback()

    def cancel(self) -> None:
        """Take the timer back; idempotent, and harmless after it fired."""
        if self._callback is not None:
            self._callback = None
            bucket = self._bucket
            if not bucket.fired:
                bucket.forget(self._index)

    @property
    def due(self) -> float:
        """The time on its clock at which it fires (or fired)."""
        return self._bucket.due

    @property
    def cancelled(self) -> bool:
        """Whether it was cancelled or has fired."""
        return self._callback is None

    def __repr__(self) -> str:
        state = "done" if self._callback is None else "pending"
        return f"<Clock timer due={self._bucket.due!r} {state}>"


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
        "_firing",
        "_frames",
        "_heap",
        "_last",
        "_lock",
        "_parent",
        "_paused",
        "_posted",
        "_scale",
        "_seq",
        "_time",
    )

    __module__ = "gearwork.adapters.clock"

    def __init__(self, *, scale: float = 1.0, time: float = 0.0) -> None:
        self._time = _check_number(time, "Clock() time")
        self._scale = _check_scale(scale)
        self._paused = False
        self._heap: list[tuple[float, int, _Bucket]] = []
        self._last: _Bucket | None = None  # the open bucket (see the module docstring)
        self._seq = 0  # the seq of the next bucket
        self._firing = False
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
        return _Timer(self._bucket(self._time + delay), callback)

    def _bucket(self, due: float) -> _Bucket:
        """The open bucket if it falls due at *due*, else a new one (made the open one)."""
        bucket = self._last
        if bucket is not None and bucket.due == due:
            return bucket
        return self._new_bucket(due)

    def _new_bucket(self, due: float) -> _Bucket:
        bucket = self._last = _Bucket(due)
        seq = self._seq
        self._seq = seq + 1
        heap = self._heap
        _heappush(heap, (due, seq, bucket))
        if len(heap) > _COMPACT_AT and seq & 63 == 0:
            self._sweep()
        return bucket

    def _sweep(self) -> None:
        """Rebuild the heap without its empty buckets, if they are most of it."""
        heap = self._heap
        live = [entry for entry in heap if len(entry[2]) > entry[2].dead]
        if len(live) * 2 < len(heap):
            last = self._last
            if last is not None and not len(last) > last.dead:
                live.append((last.due, self._seq - 1, last))  # the open one stays
            heapq.heapify(live)
            self._heap = live

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
        """How many timers and sleeps wait to fire (cancelled and fired ones are not counted)."""
        return sum(len(bucket) - bucket.dead for _, _, bucket in self._heap)

    # --------------------------------------------------------------------------- sleeping

    @types.coroutine
    def sleep(self, seconds: float, /) -> Generator[Registrar, Resumption, None]:
        """``await clock.sleep(seconds)``: resume at the first tick *seconds* from the await.

        The same as :func:`gearwork.adapters.timing.sleep` on this clock, with
        a faster path: the task goes straight into the bucket of its due time
        (see the module docstring). Cancelling the task takes it out at once.
        Being a generator, it checks *seconds* when it is awaited.

        :raises TypeError: *seconds* is not a number. :raises ValueError: it is negative or NaN.
        """
        try:
            due = self._time + seconds  # counted from the await, as the generic sleep does
        except TypeError:
            raise TypeError(
                f"sleep() needs a number of seconds, got {type(seconds).__name__}"
            ) from None
        if not seconds >= 0:
            raise ValueError(f"sleep() needs a number of seconds >= 0, got {seconds!r}")
        bucket = self._last
        if bucket is None or bucket.due != due:
            bucket = self._new_bucket(due)
        index = len(bucket)  # the bucket's append (the registrar) puts the task there
        try:
            yield bucket.push
        except GeneratorExit:
            raise  # garbage-collected while asleep: leave everything as it is
        except Cancelled:
            if not bucket.fired:
                bucket.forget(index)
            raise
        except BaseException as exc:
            if (
                not explain_foreign_throw(exc, "gearwork.adapters.clock.Clock.sleep()")
                and not bucket.fired
            ):
                bucket.forget(index)
            raise
        if not bucket.fired:
            bucket.forget(index)  # stepped by someone else: the tick must not step it again

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
        if self._firing:
            raise RuntimeError("Clock.tick() was called from inside a tick of the same clock")
        limit = self._seq
        self._last = None  # what is made from now on waits for the next tick
        if self._posted:
            self._run_posted()
        if self._paused:
            return
        dt *= self._scale
        now = self._time = self._time + dt
        heap = self._heap
        if heap and heap[0][0] <= now:
            self._fire(now, limit)
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

    def _fire(self, now: float, limit: int) -> None:
        self._firing = True
        try:
            heap = self._heap
            while heap:
                due, seq, bucket = heap[0]
                if due > now or seq >= limit:
                    break  # not due, or made during this tick
                _heappop(heap)
                bucket.fired = True
                try:
                    for entry in bucket:
                        if entry is not None:
                            entry.step()
                except BaseException:
                    self._put_back(bucket, entry, seq)
                    raise
                heap = self._heap  # a sweep may have replaced it
        finally:
            self._firing = False

    def _put_back(self, bucket: _Bucket, failed: Any, seq: int) -> None:
        """After *failed* raised: the rest of *bucket* fires at the next tick, indices kept."""
        done = bucket.index(failed) + 1
        bucket[:done] = [None] * done
        bucket.dead = bucket.count(None)
        bucket.fired = False
        _heappush(self._heap, (bucket.due, seq, bucket))

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
        return (
            f"<Clock time={self._time!r} scale={self._scale!r}{state} timers={self.pending_timers}>"
        )


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
