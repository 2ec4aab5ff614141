"""``run_in_thread``: run a blocking call in a worker thread, wake the task through the host."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

from gearwork.core import Cancelled
from gearwork.core.lowlevel import suspend

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import TypeVarTuple, Unpack

    from gearwork.core import Task

    from ._protocol import Host

    Ts = TypeVarTuple("Ts")

__all__ = ("run_in_thread",)

T = TypeVar("T")


class _Job:
    """One call in one worker thread, and the way back to the waiting task."""

    __slots__ = ("args", "fn", "outcome", "post", "task")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        post: Callable[[Callable[[], object]], None],
    ) -> None:
        self.fn: Callable[..., Any] | None = fn
        self.args = args
        self.post = post
        self.task: Task[Any] | None = None
        self.outcome: tuple[bool, Any] = (False, None)

    def register(self, task: Task[Any]) -> None:
        self.task = task
        name = f"gearwork run_in_thread({getattr(self.fn, '__qualname__', self.fn)!r})"
        threading.Thread(target=self.work, name=name, daemon=True).start()

    def work(self) -> None:  # in the worker thread
        fn, args = self.fn, self.args
        self.fn = None
        self.args = ()
        assert fn is not None
        try:
            self.outcome = (True, fn(*args))
        except BaseException as exc:  # handed to the waiting task, raised there
            self.outcome = (False, exc)
        finally:
            del fn, args
        self.post(self.deliver)

    def deliver(self) -> None:  # on the host's thread
        task = self.task
        if task is not None:  # else the waiting task was cancelled: the outcome is dropped
            self.task = None
            ok, value = self.outcome
            self.outcome = (False, None)
            task.step(ok, value)


async def run_in_thread(host: Host, fn: Callable[[Unpack[Ts]], T], /, *args: Unpack[Ts]) -> T:
    """Call ``fn(*args)`` in a new worker thread; return its result (or raise its exception).

    The awaiting task is suspended while the thread runs. When the call ends,
    the worker hands its outcome to ``host.call_soon_threadsafe``, which wakes
    the host at once: nothing polls. The task resumes on the host's thread.

    Cancelling the awaiting task raises :class:`~gearwork.core.Cancelled` in
    it at once, but a thread cannot be stopped: the call runs to its end in
    the background and its result (or exception) is then dropped, on the
    host's thread, without being reported. Only cancel a call whose side
    effects may still happen.

    :raises TypeError: *fn* is not callable, or *host* has no ``call_soon_threadsafe``.
    """
    if not callable(fn):
        raise TypeError(f"run_in_thread() needs a callable, got {type(fn).__name__}")
    post = getattr(host, "call_soon_threadsafe", None)
    if not callable(post):
        raise TypeError(
            f"run_in_thread() needs a Host with call_soon_threadsafe(), got {type(host).__name__}"
        )
    job = _Job(fn, args, post)
    try:
        (ok, value), _ = await suspend(job.register)
    except Cancelled:
        job.task = None  # abandoned: deliver() drops the outcome
        raise
    except BaseException:
        job.task = None
        raise
    if ok:
        result: T = value
        return result
    try:
        raise value
    finally:
        del value
