"""gearwork.nursery: structured concurrency without an event loop.

Children never outlive the block or the call that started them, and no
exception is lost: failures leave as one :class:`ExceptionGroup`.

>>> from gearwork.core import Task, sleep_forever, start
>>> from gearwork.nursery import wait_any
>>> async def main(click, timeout):
...     tasks = await wait_any(click, timeout)
...     return "clicked" if tasks[0].finished else "timed out"
>>> click, timeout = Task(sleep_forever()), Task(sleep_forever())
>>> task = start(main(click, timeout))
>>> click.step()
>>> task.result, timeout.state.name
('clicked', 'CANCELLED')
"""

from .__about__ import __version__ as __version__
from ._azip import azip as azip
from ._azip import azip_longest as azip_longest
from ._defer import defer_to_cancelled as defer_to_cancelled
from ._nursery import TASK_STATUS_IGNORED as TASK_STATUS_IGNORED
from ._nursery import Nursery as Nursery
from ._nursery import TaskStatus as TaskStatus
from ._nursery import move_on_when as move_on_when
from ._nursery import open_nursery as open_nursery
from ._nursery import run_as_daemon as run_as_daemon
from ._nursery import run_as_main as run_as_main
from ._nursery import wait_all_cm as wait_all_cm
from ._nursery import wait_any_cm as wait_any_cm
from ._wait import ALL_COMPLETED as ALL_COMPLETED
from ._wait import FIRST_COMPLETED as FIRST_COMPLETED
from ._wait import FIRST_EXCEPTION as FIRST_EXCEPTION
from ._wait import ReturnWhen as ReturnWhen
from ._wait import wait as wait
from ._wait import wait_all as wait_all
from ._wait import wait_any as wait_any

__all__ = (
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "TASK_STATUS_IGNORED",
    "Nursery",
    "ReturnWhen",
    "TaskStatus",
    "__version__",
    "azip",
    "azip_longest",
    "defer_to_cancelled",
    "move_on_when",
    "open_nursery",
    "run_as_daemon",
    "run_as_main",
    "wait",
    "wait_all",
    "wait_all_cm",
    "wait_any",
    "wait_any_cm",
)
