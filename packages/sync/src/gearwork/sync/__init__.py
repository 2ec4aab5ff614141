"""gearwork.sync: events, boxes, queues, futures and values for loop-less tasks.

Every primitive here resumes the tasks waiting on it synchronously, inside
the call that lets them go on (``fire()``, ``put()``, ``set_result()``,
assigning a value...), in the order they began waiting. A task cancelled
while it waits is removed without disturbing the others.

>>> from gearwork.core import start
>>> from gearwork.sync import Queue
>>> queue = Queue()
>>> async def consumer():
...     while True:
...         print("got", await queue.get())
>>> task = start(consumer())
>>> queue.put_nowait("hello")
got hello
>>> task.cancel()
"""

from .__about__ import __version__ as __version__
from ._box import Box as Box
from ._box import ExclusiveBox as ExclusiveBox
from ._dictionary import AsyncDictionary as AsyncDictionary
from ._event import Event as Event
from ._event import ExclusiveEvent as ExclusiveEvent
from ._event import StatefulEvent as StatefulEvent
from ._future import Future as Future
from ._queue import LifoQueue as LifoQueue
from ._queue import PriorityQueue as PriorityQueue
from ._queue import Queue as Queue
from ._queue import QueueEmpty as QueueEmpty
from ._queue import QueueFull as QueueFull
from ._queue import QueueShutDown as QueueShutDown
from ._repeated import MailboxRepeatedEvent as MailboxRepeatedEvent
from ._repeated import UnqueuedRepeatedEvent as UnqueuedRepeatedEvent
from ._value import AsyncBool as AsyncBool
from ._value import AsyncValue as AsyncValue

__all__ = (
    "AsyncBool",
    "AsyncDictionary",
    "AsyncValue",
    "Box",
    "Event",
    "ExclusiveBox",
    "ExclusiveEvent",
    "Future",
    "LifoQueue",
    "MailboxRepeatedEvent",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "QueueShutDown",
    "StatefulEvent",
    "UnqueuedRepeatedEvent",
    "__version__",
)
