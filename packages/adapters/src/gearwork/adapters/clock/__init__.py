"""gearwork.adapters.clock: a tick-driven clock for game loops, simulations and tests.

:class:`Clock` moves only when ``clock.tick(dt)`` is called, so a program
driven by it is deterministic. It is a host of the time protocol
(:mod:`gearwork.adapters.timing`) and offers the whole set (``sleep``,
``move_on_after``, ``fail_after``, ``periodic``, ``wait``,
``run_in_thread``, ``monitor``) plus what games need: time scale,
pause/resume, child clocks, fixed timesteps (:class:`FixedTimestep`,
:meth:`Clock.fixed_timestep`), ``n_frames``, and animations
(:meth:`Clock.animate`, :meth:`Clock.interpolate`) with the easing functions
of :mod:`gearwork.adapters.clock.easing`. Nothing to install:
``pip install gearwork-adapters[clock]`` pulls nothing more.

>>> from gearwork.core import start
>>> from gearwork.adapters.clock import Clock
>>> clock = Clock()
>>> async def main():
...     async with clock.move_on_after(1.0) as scope:
...         await clock.sleep(5)
...     return scope.timed_out, clock.time
>>> task = start(main())
>>> for _ in range(10):
...     clock.tick(0.25)
>>> task.result
(True, 1.0)
"""

from . import easing as easing
from ._clock import Clock as Clock
from ._clock import Interpolation as Interpolation
from ._fixed import FixedTimestep as FixedTimestep

__all__ = ("Clock", "FixedTimestep", "Interpolation", "easing")
