"""gearwork.core: async/await without an event loop.

A task starts running the moment it is started and runs synchronously until it
suspends; it is resumed synchronously by whoever fires what it waits on.

>>> from gearwork.core import start, sleep_forever
>>> async def main():
...     args, kwargs = await sleep_forever()
...     return args[0]
>>> task = start(main())
>>> task.step("pressed")
>>> task.result
'pressed'
"""

from .__about__ import __version__ as __version__
from ._cancel import CancelScope as CancelScope
from ._cancel import disable_cancellation as disable_cancellation
from ._cancel import open_cancel_scope as open_cancel_scope
from ._debug import get_debug as get_debug
from ._debug import set_debug as set_debug
from ._exceptions import BaseExceptionGroup as BaseExceptionGroup
from ._exceptions import Cancelled as Cancelled
from ._exceptions import ExceptionGroup as ExceptionGroup
from ._exceptions import InvalidStateError as InvalidStateError
from ._task import ExceptionHandler as ExceptionHandler
from ._task import Task as Task
from ._task import TaskState as TaskState
from ._task import current_task as current_task
from ._task import dummy_task as dummy_task
from ._task import get_default_exception_handler as get_default_exception_handler
from ._task import set_default_exception_handler as set_default_exception_handler
from ._task import sleep_forever as sleep_forever
from ._task import start as start

__all__ = (
    "BaseExceptionGroup",
    "CancelScope",
    "Cancelled",
    "ExceptionGroup",
    "ExceptionHandler",
    "InvalidStateError",
    "Task",
    "TaskState",
    "__version__",
    "current_task",
    "disable_cancellation",
    "dummy_task",
    "get_debug",
    "get_default_exception_handler",
    "open_cancel_scope",
    "set_debug",
    "set_default_exception_handler",
    "sleep_forever",
    "start",
)
