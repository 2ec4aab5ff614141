"""gearwork.adapters.sched: the standard library's ``sched`` scheduler as a gearwork host.

:class:`SchedHost` makes a :class:`sched.scheduler` whose waits can be cut
short from any thread (:meth:`SchedHost.call_soon_threadsafe`), and offers
the whole time protocol of :mod:`gearwork.adapters.timing` on it. :func:`run`
is the entry point of a program. Nothing to install:
``pip install gearwork-adapters[sched]`` pulls nothing more.

>>> from gearwork.adapters.sched import run
>>> async def main(host):
...     ticks = []
...     async for elapsed, delta in host.periodic(0.001):
...         ticks.append(delta is None)
...         if len(ticks) == 3:
...             return ticks
>>> run(main)
[True, False, False]
"""

from ._host import SchedHost as SchedHost
from ._host import run as run

__all__ = ("SchedHost", "run")
