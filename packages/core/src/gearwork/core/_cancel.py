"""Cancel scopes and cancellation shields.

A task keeps the depth of its open cancel scopes and at most one pending
cancellation request: the scope depth it targets (0 targets the whole task).
Cancelling a scope requests its depth unless an outer target is already
requested; the :class:`Cancelled` that is then raised unwinds every scope
inside the target, and the target scope catches it on exit.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, final

from ._exceptions import Cancelled, InvalidStateError
from ._task import _SUSPENDED, Registrar, Resumption, Task, _registrar_name, current_task

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = (
    "CancelScope",
    "CancelShield",
    "checkpoint_if_cancelled",
    "disable_cancellation",
    "open_cancel_scope",
)


def _closing_exception() -> GeneratorExit | None:
    """The GeneratorExit propagating through the caller, if its coroutine is being closed.

    Python closes a coroutine that is garbage-collected while suspended by
    raising GeneratorExit at its ``await``. Awaiting anything during that
    clean-up makes Python print "coroutine ignored GeneratorExit".
    """
    exc = sys.exc_info()[1]
    return exc if isinstance(exc, GeneratorExit) else None


@final
class CancelScope:
    """A block of a task that can be cancelled on its own, like trio's CancelScope.

    Use ``async with open_cancel_scope() as scope:``. :meth:`cancel` raises
    :class:`Cancelled` inside the block (at once if the task is suspended,
    else at its next suspension); the scope catches it on exit and the task
    carries on after the block. A cancellation of an enclosing scope or of
    the whole task passes through.

    Primitive authors who already hold the running task can skip the await
    with the synchronous form, ``with CancelScope(task) as scope:``; *task*
    must be the task running that code.

    >>> from gearwork.core import open_cancel_scope, sleep_forever, start
    >>> scopes = []
    >>> async def remember():
    ...     async with open_cancel_scope() as scope:
    ...         scopes.append(scope)
    ...         await sleep_forever()
    ...     return "after the block"
    >>> task = start(remember())
    >>> scopes[0].cancel()
    >>> task.result, scopes[0].cancelled_caught
    ('after the block', True)
    """

    __slots__ = ("_cancel_msg", "_depth", "_task", "cancel_called", "cancelled_caught")

    __module__ = "gearwork.core"

    _task: Task[Any] | None
    _depth: int  # 0 until entered, -1 once closed

    def __init__(self, task: Task[Any] | None = None) -> None:
        if task is not None and not isinstance(task, Task):
            raise TypeError(f"CancelScope() needs a Task or None, got {type(task).__name__}")
        self._task = task
        self._depth = 0
        self._cancel_msg: str | None = None
        self.cancel_called: bool = False
        """Whether :meth:`cancel` has been called."""
        self.cancelled_caught: bool = False
        """Whether the scope caught the :class:`Cancelled` its cancellation raised."""

    @property
    def closed(self) -> bool:
        """Whether the block has been exited."""
        return self._depth < 0

    def cancel(self, msg: str | None = None) -> None:
        """Cancel the block; see the class docstring. Does nothing once closed.

        *msg* becomes ``Cancelled.args[0]`` unless the task already has a
        cancellation message.
        """
        if self.cancel_called or self._depth < 0:
            return
        self.cancel_called = True
        if msg is not None:
            self._cancel_msg = str(msg)
        if self._depth:
            self._request()

    def _request(self) -> None:
        task = self._task
        assert task is not None
        depth = self._depth
        req = task._cancel_req
        if req is not None and req <= depth:
            return  # an enclosing target is already requested
        task._cancel_req = depth
        task._thrown = False
        extras = task._more()
        if self._cancel_msg is not None and extras.cancel_msg is None:
            extras.cancel_msg = self._cancel_msg
        if task._st == _SUSPENDED and not extras.shield:
            task._resume_with(task._make_cancelled())

    def __enter__(self) -> Self:
        task = self._task
        if task is None:
            raise InvalidStateError(
                "open_cancel_scope() is an async context manager: write "
                "`async with open_cancel_scope() as scope:` (a plain `with` needs the "
                "task, as in `with lowlevel.CancelScope(task):`)"
            )
        if self._depth:
            raise InvalidStateError("a CancelScope can be entered only once")
        extras = task._more()
        extras.scope_depth = self._depth = extras.scope_depth + 1
        if self.cancel_called:
            self._request()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._task
        assert task is not None
        depth = self._depth
        extras = task._more()
        if extras.scope_depth != depth:
            raise InvalidStateError(
                f"cancel scopes of {task!r} were exited out of order "
                f"(exiting depth {depth}, innermost open is {extras.scope_depth})"
            )
        extras.scope_depth = depth - 1
        self._depth = -1
        if task._cancel_req == depth:
            task._cancel_req = None
            extras.cancel_msg = None
            if isinstance(exc, Cancelled):
                self.cancelled_caught = True
                return True
        return False

    async def __aenter__(self) -> Self:
        if self._task is None:
            self._task = await current_task()
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return self.__exit__(exc_type, exc, tb)


def open_cancel_scope() -> CancelScope:
    """Return a :class:`CancelScope` to enter with ``async with``.

    >>> from gearwork.core import sleep_forever, start
    >>> async def main(scopes):
    ...     async with open_cancel_scope() as scope:
    ...         scopes.append(scope)
    ...         await sleep_forever()
    ...     return "went on"
    >>> scopes = []
    >>> task = start(main(scopes))
    >>> scopes[0].cancel()
    >>> task.result
    'went on'
    """
    return CancelScope()


@final
class CancelShield:
    """Protects a block from cancellation; delivers what was requested on exit.

    ``async with disable_cancellation():`` is the usual form. Inside the
    block a cancellation of the task (or of an enclosing scope) is recorded
    but not raised. Leaving the block raises nothing either: the recorded
    cancellation is delivered at the task's next suspension after the
    block, as in trio. A task that returns right after the block, without
    suspending again, therefore finishes with its value.

    Primitive authors who hold the running task can use the synchronous
    form, ``with CancelShield(task):``.

    If the task's coroutine is being closed because the task was
    garbage-collected while suspended, ``async with`` re-raises the
    ``GeneratorExit`` instead of running the block: nothing could ever
    resume an await inside it.
    """

    __slots__ = ("_task",)

    __module__ = "gearwork.core"

    _task: Task[Any] | None

    def __init__(self, task: Task[Any] | None = None) -> None:
        if task is not None and not isinstance(task, Task):
            raise TypeError(f"CancelShield() needs a Task or None, got {type(task).__name__}")
        self._task = task

    def __enter__(self) -> None:
        task = self._task
        if task is None:
            raise InvalidStateError(
                "disable_cancellation() is an async context manager: write "
                "`async with disable_cancellation():` (a plain `with` needs the task, "
                "as in `with lowlevel.CancelShield(task):`)"
            )
        task._more().shield += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task = self._task
        assert task is not None
        # A cancellation that arrived while shielded stays pending: the task's next
        # suspension delivers it (as in trio), so a value computed under protection
        # and returned right after the block is kept.
        task._more().shield -= 1

    async def __aenter__(self) -> None:
        if self._task is None:
            closing = _closing_exception()
            if closing is not None:
                # The coroutine is being closed (garbage-collected while
                # suspended): nothing can resume it, so skip the block
                # rather than await in it.
                raise closing
            self._task = await current_task()
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self.__exit__(exc_type, exc, tb)


def disable_cancellation() -> CancelShield:
    """Return an async context manager that shields its block from cancellation.

    This is the way to await during clean-up of a cancelled task::

        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                await save_state()   # not cancelled again

    A cancellation requested inside the block is delivered at the task's
    next suspension after it; a task that returns first keeps its result:

    >>> from gearwork.core import sleep_forever, start
    >>> async def main():
    ...     async with disable_cancellation():
    ...         (answer,), _ = await sleep_forever()
    ...     return answer
    >>> task = start(main())
    >>> task.cancel()
    >>> task.state.name  # still inside the block
    'STARTED'
    >>> task.step(42)    # the block ends and the task returns before suspending
    >>> task.result
    42
    """
    return CancelShield()


def _checkpoint(task: Task[Any]) -> None:
    if task._cancel_req is None or task._more().shield:
        task.step()  # resumes it at once (a nested step)


_checkpoint.__qualname__ = _registrar_name("gearwork.core.lowlevel.checkpoint_if_cancelled()")


@types.coroutine
def checkpoint_if_cancelled() -> Generator[Registrar, Resumption, None]:
    """Raise :class:`Cancelled` here if a cancellation is pending, else return at once.

    It does not suspend unless a cancellation is pending and not shielded.
    """
    yield _checkpoint


# Doctests of methods (see the same note in _task.py).
__test__ = {"CancelScope": CancelScope, "CancelShield": CancelShield}
