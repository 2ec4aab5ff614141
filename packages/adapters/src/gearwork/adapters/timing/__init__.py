"""gearwork.adapters.timing: one time protocol for every host, and the tools built on it.

A *host* is whatever runs the program: an asyncio or trio loop, a GUI
toolkit, the standard library's ``sched``, a hand-written game loop. It
implements the three methods of :class:`Host`:

* ``now()``: its monotonic clock, in seconds;
* ``call_later(delay, callback)``: a timer, returning a :class:`TimerHandle`
  whose ``cancel()`` takes it back (idempotent; afterwards the callback never runs);
* ``call_soon_threadsafe(callback)``: callable from any thread, runs the
  callback on the host's thread soon, waking the host without polling.

Everything else here is written once, on those three methods only, and takes
the host as its first argument: :func:`sleep`, :func:`sleep_until`,
:func:`move_on_after`, :func:`move_on_at`, :func:`fail_after`,
:func:`fail_at` (with movable deadlines, see :class:`DeadlineScope`),
:func:`periodic`, :func:`wait`, :func:`run_in_thread` and :class:`Monitor`.
:class:`Timing` binds them all to one host, and every adapter of
gearwork-adapters offers that same set. A cancelled sleep cancels its timer
at once, so nothing piles up in the host.

This module is for adapter authors too, and is covered by the same
compatibility promise as :mod:`gearwork.core.lowlevel`.

Writing an adapter
------------------
A complete adapter for a hand-written loop: timers in a heap (cancelled ones
are skipped when they come up, the count of live ones stays exact), callbacks
from other threads in a locked list, a :class:`threading.Event` to wake the
loop when it waits. Subclassing :class:`Timing` gives it the whole set.

>>> import heapq, itertools, threading, time
>>> from gearwork.core import start
>>> from gearwork.adapters.timing import Timing
>>> class Timer:
...     __slots__ = ("entry", "loop")
...     def __init__(self, loop, entry):
...         self.loop, self.entry = loop, entry
...     def cancel(self):
...         if self.entry[2] is not None:
...             self.entry[2] = None        # skipped when it reaches the top of the heap
...             self.loop.pending -= 1
>>> class TinyLoop(Timing):
...     __slots__ = ("heap", "ids", "lock", "pending", "posted", "wakeup")
...     def __init__(self):
...         self.heap, self.ids, self.pending = [], itertools.count(), 0
...         self.lock, self.posted, self.wakeup = threading.Lock(), [], threading.Event()
...         super().__init__(self)              # the loop is its own host
...     def now(self):
...         return time.monotonic()
...     def call_later(self, delay, callback):
...         entry = [self.now() + delay, next(self.ids), callback]
...         heapq.heappush(self.heap, entry)
...         self.pending += 1
...         return Timer(self, entry)
...     def call_soon_threadsafe(self, callback):
...         with self.lock:
...             self.posted.append(callback)
...         self.wakeup.set()
...     def run(self, main):
...         task = start(main)
...         while not task.done():
...             with self.lock:
...                 posted, self.posted = self.posted, []
...             for callback in posted:
...                 callback()
...             while self.heap and self.heap[0][2] is None:
...                 heapq.heappop(self.heap)    # cancelled
...             if self.heap and self.heap[0][0] <= self.now():
...                 _, _, callback = heapq.heappop(self.heap)
...                 self.pending -= 1
...                 callback()
...             elif not posted:
...                 timeout = self.heap[0][0] - self.now() if self.heap else None
...                 self.wakeup.wait(timeout)
...                 self.wakeup.clear()
...         return task.result
>>> loop = TinyLoop()
>>> async def main():
...     async with loop.move_on_after(60) as scope:   # cancelled below, when the block ends
...         answer = await loop.run_in_thread(sum, [1, 2, 3])
...         await loop.sleep(0.001)
...     return answer, scope.timed_out, loop.pending
>>> loop.run(main())
(6, False, 0)
"""

from .__about__ import __version__ as __version__
from ._deadline import DeadlineScope as DeadlineScope
from ._deadline import fail_after as fail_after
from ._deadline import fail_at as fail_at
from ._deadline import move_on_after as move_on_after
from ._deadline import move_on_at as move_on_at
from ._monitor import Monitor as Monitor
from ._periodic import Periodic as Periodic
from ._periodic import periodic as periodic
from ._protocol import Host as Host
from ._protocol import TimerHandle as TimerHandle
from ._protocol import check_host as check_host
from ._sleep import sleep as sleep
from ._sleep import sleep_until as sleep_until
from ._thread import run_in_thread as run_in_thread
from ._timing import Timing as Timing
from ._wait import ALL_COMPLETED as ALL_COMPLETED
from ._wait import FIRST_COMPLETED as FIRST_COMPLETED
from ._wait import FIRST_EXCEPTION as FIRST_EXCEPTION
from ._wait import ReturnWhen as ReturnWhen
from ._wait import wait as wait

__all__ = (
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "DeadlineScope",
    "Host",
    "Monitor",
    "Periodic",
    "ReturnWhen",
    "TimerHandle",
    "Timing",
    "__version__",
    "check_host",
    "fail_after",
    "fail_at",
    "move_on_after",
    "move_on_at",
    "periodic",
    "run_in_thread",
    "sleep",
    "sleep_until",
    "wait",
)
