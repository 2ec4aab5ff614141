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

__all__ = (
    "ASYNCIO_SIDE_CANCELLED",
    "AsyncioHost",
    "from_asyncio",
    "from_asyncio_future",
    "to_asyncio",
    "to_asyncio_future",
)
