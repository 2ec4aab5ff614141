"""gearwork on pygame: ``pip install gearwork-adapters[pygame]`` (pulls pygame-ce).

:class:`PygameHost` owns the frame loop (:func:`run`, :meth:`PygameHost.run`):
each frame it hands pygame's events to the registered handlers in priority
order, fires the timers of the time protocol of
:mod:`gearwork.adapters.timing`, resumes the tasks awaiting the next frame
and calls the per-frame draw callbacks in their order, then flips the
display. Tasks await events with :meth:`PygameHost.event` (one event, with a
filter, a priority and "consume") or :meth:`PygameHost.events` (one handler
for a loop of events), and run inside the dispatch. Other threads wake the
loop with a posted pygame event.

Typical game (it opens a window, so it is not a doctest)::

    import pygame
    from gearwork.adapters.pygame import run

    async def main(host):
        ev = await host.event(pygame.KEYDOWN, filter=lambda e: e.key == pygame.K_SPACE)
        async with host.move_on_after(2):
            async for dt in host.frames():
                ...  # animate by dt seconds

    run(main, size=(320, 240), fps=60)
"""

from __future__ import annotations

try:
    import pygame as _pygame
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gearwork.adapters.pygame needs pygame-ce: pip install gearwork-adapters[pygame]"
    ) from _missing

from ._host import DrawHandle as DrawHandle
from ._host import EventStream as EventStream
from ._host import Handler as Handler
from ._host import PygameHost as PygameHost
from ._host import run as run

del _pygame

__all__ = ("DrawHandle", "EventStream", "Handler", "PygameHost", "run")
