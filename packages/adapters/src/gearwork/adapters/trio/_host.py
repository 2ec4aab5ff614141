"""A trio run as a gearwork host (the time protocol of gearwork.adapters.timing)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import trio

from gearwork.adapters.timing import Timing

__all__ = ("TrioHost", "current_host")


class _Timer:
    """A pending ``call_later`` of a :class:`TrioHost`."""

    __slots__ = ("callback", "deadline", "host")

    def __init__(self, host: TrioHost, deadline: float, callback: Callable[[], object]) -> None:
        self.host: TrioHost | None = host
        self.deadline: float = deadline
        self.callback: Callable[[], object] = callback

    def cancel(self) -> None:
        """Drop the timer: its callback never runs. Calling it again does nothing."""
        host = self.host
        if host is not None:
            self.host = None
            host._forget()


class TrioHost(Timing):
    """The current trio run seen through gearwork's host protocol, and its Timing set.

    ``now()`` is the run's clock (``trio.current_time()``, so a test's
    ``MockClock`` drives it too), ``call_soon_threadsafe`` is the run's
    ``TrioToken.run_sync_soon`` and ``call_later`` keeps a heap of deadlines
    served by one trio system task, which sleeps until the earliest deadline
    and is woken early when an earlier one is added. A cancelled timer leaves
    the count of :attr:`pending_timers` at once, and the heap sheds cancelled
    entries as soon as they are the majority.

    Get the host of the running trio run with :func:`current_host` (one per
    run, made on first use). Use it from trio's thread, inside the run. Being
    a :class:`~gearwork.adapters.timing.Timing`, it offers the whole set for
    gearwork tasks in the run (``await host.sleep(1)``, ...); the module
    functions of :mod:`gearwork.adapters.trio` use :func:`current_host`.
    """

    __slots__ = ("_clock", "_dead", "_heap", "_pending", "_scope", "_seq", "_token")

    __module__ = "gearwork.adapters.trio"

    def __init__(self) -> None:
        try:
            self._token = trio.lowlevel.current_trio_token()
        except RuntimeError:
            raise RuntimeError(
                "TrioHost() needs a running trio run: create it inside trio.run() "
                "(or a trio guest run), or use current_host() there"
            ) from None
        self._clock = trio.lowlevel.current_clock()
        self._heap: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._pending = 0
        self._dead = 0
        self._scope: trio.CancelScope | None = None
        trio.lowlevel.spawn_system_task(self._serve_timers, name="gearwork TrioHost timers")
        super().__init__(self)

    def now(self) -> float:
        """The trio run's clock, in seconds."""
        return self._clock.current_time()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Call *callback* in the trio run after *delay* seconds; ``.cancel()`` to drop it."""
        deadline = self._clock.current_time() + max(delay, 0.0)
        timer = _Timer(self, deadline, callback)
        heap = self._heap
        heapq.heappush(heap, (deadline, next(self._seq), timer))
        self._pending += 1
        scope = self._scope
        if scope is not None and heap[0][2] is timer:
            scope.deadline = deadline
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Call *callback* inside the trio run soon; callable from any thread."""
        self._token.run_sync_soon(callback)

    @property
    def pending_timers(self) -> int:
        """Timers that have neither fired nor been cancelled."""
        return self._pending

    def _forget(self) -> None:
        self._pending -= 1
        self._dead += 1
        heap = self._heap
        if self._dead > 32 and self._dead * 2 > len(heap):
            heap[:] = [entry for entry in heap if entry[2].host is not None]
            heapq.heapify(heap)
            self._dead = 0

    def _next_deadline(self) -> float:
        heap = self._heap
        while heap and heap[0][2].host is None:
            heapq.heappop(heap)
            self._dead -= 1
        return heap[0][0] if heap else float("inf")

    async def _serve_timers(self) -> None:
        heap = self._heap
        while True:
            with trio.CancelScope(deadline=self._next_deadline()) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None
            now = self._clock.current_time()
            while heap and heap[0][0] <= now:
                timer = heapq.heappop(heap)[2]
                if timer.host is None:
                    self._dead -= 1
                    continue
                timer.host = None
                self._pending -= 1
                timer.callback()

    def __repr__(self) -> str:
        return f"<TrioHost, {self._pending} pending timers>"


_HOST: trio.lowlevel.RunVar[TrioHost] = trio.lowlevel.RunVar("gearwork_trio_host")


def current_host() -> TrioHost:
    """The :class:`TrioHost` of the running trio run, made on first use.

    :raises RuntimeError: no trio run is active in this thread.
    """
    try:
        return _HOST.get()
    except LookupError:
        host = TrioHost()
        _HOST.set(host)
        return host
    except RuntimeError:
        raise RuntimeError(
            "current_host() needs a running trio run: call it inside trio.run() "
            "(or a trio guest run), on trio's thread"
        ) from None
