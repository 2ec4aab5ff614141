"""gearwork and trio, both directions; trio in guest mode: ``pip install gearwork-adapters[trio]``.

Inside a gearwork task on trio's thread, ``await from_trio(async_fn, *args)``
runs a trio function; inside trio code, ``await to_trio(task_or_aw)`` waits
for a gearwork task. :class:`TrioHost` (see :func:`current_host`) is a trio
run seen through the time protocol of :mod:`gearwork.adapters.timing`, and
:func:`start_guest_run` / :func:`run_trio_guest` run trio as a guest of any
gearwork host. :class:`TaskStats` (from :mod:`gearwork.adapters.stats`)
reports slow steps, long waits and busy tasks.
"""

from __future__ import annotations

try:
    import trio as _trio
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gearwork.adapters.trio needs trio: pip install gearwork-adapters[trio]"
    ) from _missing

from gearwork.adapters.stats import TaskStats as TaskStats

from ._bridge import TRIO_SIDE_CANCELLED as TRIO_SIDE_CANCELLED
from ._bridge import from_trio as from_trio
from ._bridge import to_trio as to_trio
from ._guest import GuestHost as GuestHost
from ._guest import run_trio_guest as run_trio_guest
from ._guest import start_guest_run as start_guest_run
from ._host import TrioHost as TrioHost
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

del _trio

__all__ = (
    "TRIO_SIDE_CANCELLED",
    "GuestHost",
    "TaskStats",
    "TrioHost",
    "current_host",
    "fail_after",
    "fail_at",
    "from_trio",
    "monitor",
    "move_on_after",
    "move_on_at",
    "now",
    "periodic",
    "run_in_thread",
    "run_trio_guest",
    "sleep",
    "sleep_until",
    "start_guest_run",
    "to_trio",
    "wait",
)
