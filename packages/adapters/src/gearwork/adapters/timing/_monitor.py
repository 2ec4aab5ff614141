"""``Monitor``: how saturated the host is (anyioutils' Monitor) on any :class:`Host`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, final

from gearwork.core import dummy_task, start

from ._sleep import sleep

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

    from gearwork.core import Task

    from ._protocol import Host

__all__ = ("Monitor",)


@final
class Monitor:
    """Measure how saturated *host* is by how late a timer of *period* seconds fires.

    :meth:`run` sleeps *period* seconds again and again and sets :attr:`result`
    to the time that really passed divided by *period* (at least 1). A result
    close to 1 means an idle host; a large one means long blocking calls or a
    loop that is too busy to call back on time.

    Run it in the background with ``gearwork.core.start(monitor.run())``, or
    use it as an async context manager, which starts :meth:`run` as a task on
    entry and cancels it on exit:

    >>> from gearwork.core import start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> async def main():
    ...     async with Monitor(clock, 0.01) as monitor:
    ...         await clock.sleep(0.05)
    ...         return monitor.result
    >>> task = start(main())
    >>> clock.tick(0.05)  # the timer of 0.01 s fired 0.05 s after it was armed
    >>> round(task.result, 6)
    5.0

    :raises TypeError: *period* is not a number. :raises ValueError: it is not > 0.
    """

    __slots__ = ("_host", "_period", "_result", "_task")

    __module__ = "gearwork.adapters.timing"

    def __init__(self, host: Host, period: float = 0.01) -> None:
        try:
            ok = period > 0 and period != math.inf
        except TypeError:
            raise TypeError(
                f"Monitor() needs a period in seconds, got {type(period).__name__}"
            ) from None
        if not ok:
            raise ValueError(f"Monitor() needs a finite period > 0, got {period!r}")
        self._host = host
        self._period = period
        self._result = 1.0
        self._task: Task[Any] = dummy_task

    @property
    def result(self) -> float:
        """The last measurement, >= 1 (1.0 until the first one is made)."""
        return self._result

    @property
    def period(self) -> float:
        """The period of the measurement, in seconds."""
        return self._period

    async def run(self) -> None:
        """Measure forever (until the task running it is cancelled)."""
        host = self._host
        period = self._period
        now = host.now
        while True:
            before = now()
            await sleep(host, period)
            ratio = (now() - before) / period
            self._result = ratio if ratio > 1.0 else 1.0

    async def __aenter__(self) -> Self:
        if not self._task.done():
            raise RuntimeError("this Monitor is already running")
        self._task = start(self.run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._task.cancel()
