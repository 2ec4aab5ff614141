"""The low-level API for authors of primitives, supervisors and adapters.

Everything here is public and stable; gearwork-sync, gearwork-nursery and
gearwork-adapters are built on it and on :mod:`gearwork.core` alone.

The suspension protocol
-----------------------
An awaitable suspends a task by yielding a *registrar*: a callable that the
task calls with itself right after the yield (``await suspend(registrar)``
does exactly that). The registrar stores the task wherever the wake-up will
come from. Whoever wakes the task calls ``task.step(*args, **kwargs)``; the
``await`` then evaluates to ``(args, kwargs)``. ``task.throw(exc)`` raises an
exception at the ``await`` instead. If the task is cancelled while it waits,
:class:`~gearwork.core.Cancelled` is raised at the ``await``; an awaitable
written as a generator removes the task from its waiting place in a
``finally`` block.

>>> import types
>>> from gearwork.core import start
>>> class Doorbell:
...     def __init__(self):
...         self.waiters = []
...     def ring(self, who):
...         waiters, self.waiters = self.waiters, []
...         for task in waiters:
...             task.step(who)
...     @types.coroutine
...     def wait(self):
...         try:
...             args, kwargs = yield self.waiters.append
...         except BaseException:
...             self.waiters.remove(task_of_this_wait)  # doctest: +SKIP
...             raise
...         return args[0]
>>> bell = Doorbell()
>>> async def answer():
...     return "hello " + await bell.wait()
>>> task = start(answer())
>>> bell.ring("visitor")
>>> task.result
'hello visitor'
"""

from ._cancel import CancelScope as CancelScope
from ._cancel import CancelShield as CancelShield
from ._cancel import checkpoint_if_cancelled as checkpoint_if_cancelled
from ._task import RESUME_DEPTH_LIMIT as RESUME_DEPTH_LIMIT
from ._task import Registrar as Registrar
from ._task import Resumption as Resumption
from ._task import supervise as supervise
from ._task import suspend as suspend

__all__ = (
    "RESUME_DEPTH_LIMIT",
    "CancelScope",
    "CancelShield",
    "Registrar",
    "Resumption",
    "checkpoint_if_cancelled",
    "supervise",
    "suspend",
)
