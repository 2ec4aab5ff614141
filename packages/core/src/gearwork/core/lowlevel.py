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
written as a generator removes the task from its waiting place when an
exception reaches it there.

One exception is the exception: ``GeneratorExit``. It reaches a waiting
awaitable only when Python closes the coroutine of a task that is being
garbage-collected, and then the waiting place is garbage too. Let it pass
without clean-up: dropping the task's last reference while Python is still
closing an outer layer of the same coroutine chain frees the task too early
and makes Python print "coroutine already executing".

An awaitable driven by another event loop (awaited from an asyncio or trio
coroutine by mistake) never sees its registrar called: that loop throws its
own error in at the yield. :func:`explain_foreign_throw` tells that case
apart (then there is nothing to clean up) and notes on the error what went
wrong.

>>> import types
>>> from gearwork.core import start
>>> class Doorbell:
...     # Wakes every task waiting for it, passing who rang.
...     def __init__(self):
...         self._waiting = []
...     def ring(self, who):
...         waiting, self._waiting = self._waiting, []
...         for task in waiting:
...             if task is not None:
...                 task.step(who)
...     @types.coroutine
...     def wait(self):
...         waiting = self._waiting
...         waiting.append(None)  # a slot for the task, filled by the registrar
...         slot = len(waiting) - 1
...         def register(task):
...             waiting[slot] = task
...         try:
...             args, kwargs = yield register
...         except GeneratorExit:
...             raise  # garbage-collected: see below, touch nothing
...         except BaseException:
...             waiting[slot] = None  # cancelled: leave no stale task behind
...             raise
...         return args[0]
>>> bell = Doorbell()
>>> async def answer():
...     return "hello " + await bell.wait()
>>> task = start(answer())
>>> bell.ring("visitor")
>>> task.result
'hello visitor'

The compiled accelerator
------------------------
On CPython, gearwork-core's wheel carries ``gearwork.core._speedups``, a C
module that runs the hot path of :meth:`~gearwork.core.Task.step` (as
asyncio's ``_asyncio`` does for its tasks). It changes no behaviour: the
pure-Python code is the fallback where the module was not built (another
interpreter, an install from source without a C compiler) and when the
environment variable ``GEARWORK_PURE_PYTHON`` is set to anything but ``""`` or
``"0"`` at import. :data:`ACCELERATED` tells which one runs. Everything on
this page works the same with either.
"""

from ._cancel import CancelScope as CancelScope
from ._cancel import CancelShield as CancelShield
from ._cancel import checkpoint_if_cancelled as checkpoint_if_cancelled
from ._instrument import Instrument as Instrument
from ._instrument import get_instrument as get_instrument
from ._instrument import set_instrument as set_instrument
from ._task import ACCELERATED as ACCELERATED
from ._task import RESUME_DEPTH_LIMIT as RESUME_DEPTH_LIMIT
from ._task import Registrar as Registrar
from ._task import Resumption as Resumption
from ._task import cancel_pending as cancel_pending
from ._task import exception_of as exception_of
from ._task import explain_foreign_throw as explain_foreign_throw
from ._task import explain_not_awaitable as explain_not_awaitable
from ._task import raise_if_cancelled as raise_if_cancelled
from ._task import start_each as start_each
from ._task import supervise as supervise
from ._task import supervised_task as supervised_task
from ._task import suspend as suspend

__all__ = (
    "ACCELERATED",
    "RESUME_DEPTH_LIMIT",
    "CancelScope",
    "CancelShield",
    "Instrument",
    "Registrar",
    "Resumption",
    "cancel_pending",
    "checkpoint_if_cancelled",
    "exception_of",
    "explain_foreign_throw",
    "explain_not_awaitable",
    "get_instrument",
    "raise_if_cancelled",
    "set_instrument",
    "start_each",
    "supervise",
    "supervised_task",
    "suspend",
)
