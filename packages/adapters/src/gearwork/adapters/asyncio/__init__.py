"""gearwork and asyncio, both directions: ``pip install gearwork-adapters[asyncio]``.

Inside a gearwork task, ``await from_asyncio(aw)`` waits for an asyncio
awaitable; inside asyncio code, ``await to_asyncio(task_or_aw)`` waits for a
gearwork task. :func:`to_asyncio_future` and :func:`from_asyncio_future`
mirror futures across, and :class:`AsyncioHost` is a loop seen through the
time protocol of :mod:`gearwork.adapters.timing`.
"""

from __future__ import annotations

from ._bridge import ASYNCIO_SIDE_CANCELLED as ASYNCIO_SIDE_CANCELLED
from ._bridge import from_asyncio as from_asyncio
from ._bridge import from_asyncio_future as from_asyncio_future
from ._bridge import to_asyncio as to_asyncio
from ._bridge import to_asyncio_future as to_asyncio_future
from ._host import AsyncioHost as AsyncioHost
from ._host import current_host as current_host
from ._timing import fail_after as fail_after
from ._timing import fail_at as fail_at
from ._timing import monitor as monitor
from ._timing import move_on_after as move_on_after
from ._timing import move_on_at as move_on_at
from ._timing import now as now
from ._timing import periodic as periodic
from ._timing import run_in_thread as run_in_thread
from ._timing import sleep as sleep
from ._timing import sleep_until as sleep_until
from ._timing import wait as wait

__all__ = (
    "ASYNCIO_SIDE_CANCELLED",
    "AsyncioHost",
    "current_host",
    "fail_after",
    "fail_at",
    "from_asyncio",
    "from_asyncio_future",
    "monitor",
    "move_on_after",
    "move_on_at",
    "now",
    "periodic",
    "run_in_thread",
    "sleep",
    "sleep_until",
    "to_asyncio",
    "to_asyncio_future",
    "wait",
)
