"""asyncio's event loop as a gearwork host (the time protocol of gearwork.adapters.timing)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from gearwork.adapters.timing import Timing

__all__ = ("AsyncioHost", "current_host")


class _Timer:
    """A pending ``call_later``: asyncio's handle plus the host's count of live timers."""

    __slots__ = ("_callback", "_handle", "_host")

    def __init__(self, host: AsyncioHost, callback: Callable[[], object]) -> None:
        self._host: AsyncioHost | None = host
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None

    def _fire(self) -> None:
        host = self._host
        if host is not None:
            self._host = None
            self._handle = None
            host._pending -= 1
            self._callback()

    def cancel(self) -> None:
        """Cancel the timer: its callback never runs. Calling it again does nothing."""
        host = self._host
        if host is not None:
            self._host = None
            host._pending -= 1
            handle = self._handle
            self._handle = None
            if handle is not None:
                handle.cancel()


class AsyncioHost(Timing):
    """An asyncio event loop seen through gearwork's host protocol, and its Timing set.

    ``now()`` is ``loop.time()``, ``call_later`` is ``loop.call_later`` (its
    handle's ``cancel()`` takes the timer out of the loop's schedule) and
    ``call_soon_threadsafe`` is the loop's own, which wakes the loop through
    its self-pipe: no polling. :attr:`pending_timers` counts the timers
    scheduled through this host that have neither fired nor been cancelled.
    Being a :class:`~gearwork.adapters.timing.Timing`, it offers the whole
    set for gearwork tasks on the loop: ``await host.sleep(1)``,
    ``host.move_on_after(2)``, ``host.run_in_thread(fn)``, ... The module
    functions of :mod:`gearwork.adapters.asyncio` do the same on the running
    loop's host (:func:`current_host`).

    :param loop: the loop to host on; by default the running one.
    :raises RuntimeError: no loop is given and none is running in this thread.

    >>> import asyncio
    >>> async def main():
    ...     host = AsyncioHost()
    ...     fired = asyncio.Event()
    ...     host.call_later(0.001, fired.set)
    ...     await fired.wait()
    ...     return host.pending_timers
    >>> asyncio.run(main())
    0
    """

    __slots__ = ("__weakref__", "_pending", "loop")

    __module__ = "gearwork.adapters.asyncio"

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "AsyncioHost() needs a loop: create it inside a running asyncio loop "
                    "or pass AsyncioHost(loop)"
                ) from None
        elif not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"AsyncioHost() needs an asyncio event loop, got {type(loop).__name__}")
        self.loop: asyncio.AbstractEventLoop = loop
        self._pending = 0
        super().__init__(self)

    def now(self) -> float:
        """The loop's monotonic clock, in seconds (``loop.time()``)."""
        return self.loop.time()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Call *callback* on the loop after *delay* seconds; ``.cancel()`` the result to drop it.

        The loop's own timer handle is cancelled with it.
        """
        timer = _Timer(self, callback)
        timer._handle = self.loop.call_later(delay, timer._fire)
        self._pending += 1
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Call *callback* on the loop's thread soon; callable from any thread."""
        self.loop.call_soon_threadsafe(callback)

    @property
    def pending_timers(self) -> int:
        """Timers scheduled through this host that have not fired and were not cancelled."""
        return self._pending

    def __repr__(self) -> str:
        return f"<AsyncioHost {self.loop!r}, {self._pending} pending timers>"


_hosts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncioHost] = (
    weakref.WeakKeyDictionary()
)


def current_host() -> AsyncioHost:
    """The :class:`AsyncioHost` of the running loop, made on first use and kept with the loop.

    :raises RuntimeError: no asyncio loop is running in this thread.
    """
    loop = asyncio._get_running_loop()
    if loop is None:
        raise RuntimeError(
            "gearwork.adapters.asyncio's timing functions need a running asyncio loop: "
            "call them from gearwork tasks that run inside it, or use AsyncioHost(loop)"
        )
    host = _hosts.get(loop)
    if host is None:
        host = _hosts[loop] = AsyncioHost(loop)
    return host
