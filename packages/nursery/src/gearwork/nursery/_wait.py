"""wait_all, wait_any and wait: run several tasks and wait for them.

How it works
------------
One :class:`_Gather` per call supervises every child (made by
``lowlevel.supervised_task``, or given ``lowlevel.supervise`` for a Task
argument, with one bound method shared by all children), so a failing child
hands its exception to the gather instead of to whoever resumed it. The
children start when the call is awaited, while the parent is still running,
all through one ``lowlevel.start_each`` call; the parent then suspends on a
registrar that only records which task it is, and the supervisor of the
last child to end resumes it. Nothing is allocated per child beyond what
gearwork-core needs for a supervised task, and a call whose children all
end during their start never suspends.

Start means start: a child that ends the wait during its own start (it
finishes a ``wait_any``, or fails) does not keep the children after it from
starting. While the children are being started, stopping only records the
decision; every child then runs to its first suspension, and only after the
last one has started are the others cancelled (trio's rule: a task started
into a cancelled nursery still runs to its first checkpoint).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Awaitable, Generator, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypeVar, final, overload

from gearwork.core import Cancelled, InvalidStateError, Task, TaskState, start
from gearwork.core.lowlevel import (
    CancelShield,
    Registrar,
    Resumption,
    exception_of,
    explain_foreign_throw,
    start_each,
    supervise,
    supervised_task,
    suspend,
)

from ._common import close_coroutines, group, to_task, to_tasks

if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = (
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "ReturnWhen",
    "wait",
    "wait_all",
    "wait_any",
)

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")

_CREATED = TaskState.CREATED
_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_PY311 = sys.version_info >= (3, 11)


class _Gather:
    """Starts children, supervises them, and resumes the parent once all have ended.

    The subclasses differ in what ends the wait early (``_child_ended``).
    """

    __slots__ = ("_children", "_errors", "_left", "_parent", "_shield", "_starting", "_stopped")

    _who: ClassVar[str]
    # Set by the function that creates it; the others when the await starts.
    _children: tuple[Task[Any], ...]
    _left: int  # children not ended yet; -1 until the await starts
    _parent: Task[Any] | None
    _errors: list[BaseException] | None
    _stopped: bool
    _starting: bool  # while the children are being started: stopping waits until all have
    _shield: CancelShield | None  # set when the parent shields itself to unwind

    # -- supervision -------------------------------------------------------------

    def _child_ended(self, task: Task[Any], /) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        errors = self._errors
        if errors is None:
            self._errors = [exc]
        else:
            errors.append(exc)
        if not self._stopped:
            self._stop()

    def _stop(self) -> None:
        """Cancel every child that has not ended; while they start, once all have started.

        A cancelled child may end at once and, being the last one, resume the
        parent from inside this loop; only the supervisor call that brings the
        count of live children to zero resumes the parent, so that happens once.
        """
        self._stopped = True
        if self._starting:
            return  # __await__ cancels them once the last child has started
        for child in self._children:
            child.cancel()

    def _abandon(self) -> None:
        """The parent's coroutine is being closed: cancel the children, never resume it."""
        self._parent = None
        self._stopped = True
        for child in self._children:
            child.cancel()

    def _park(self, task: Task[Any], /) -> None:
        self._parent = task

    def _park_shielded(self, task: Task[Any], /) -> None:
        self._parent = task
        shield = self._shield = CancelShield(task)
        shield.__enter__()

    # -- the await -----------------------------------------------------------------

    def __await__(self) -> Generator[Registrar, Resumption, tuple[Task[Any], ...]]:
        if self._left >= 0:
            raise InvalidStateError(f"the result of {self._who} can be awaited only once")
        children = self._children
        self._left = len(children)
        if not children:
            return children
        try:
            # Every child starts, even when one of them ends the wait as it starts: the
            # others are cancelled once the last has started (see the module docstring).
            self._starting = True
            start_each(children)
            self._starting = False
            if self._stopped:
                for child in children:
                    child.cancel()
            while self._left:
                yield self._park
        except BaseException as exc:
            self._starting = False
            if isinstance(exc, GeneratorExit) or (
                type(exc) is not Cancelled
                and explain_foreign_throw(exc, f"gearwork.nursery.{self._who}")
            ):
                # Closed, or driven by another event loop that will never resume it.
                self._abandon()
                raise
            yield from self._unwind(exc)
            if self._errors is not None:
                raise group(self._who, self._errors) from None
            raise
        if self._errors is not None:
            raise group(self._who, self._errors)
        return children

    def _unwind(self, exc: BaseException) -> Generator[Registrar, Resumption, None]:
        """Cancel the children after *exc* hit the parent, and wait for them, shielded.

        The caller then re-raises *exc*, or the group if anything failed. A
        cancellation of the parent that arrives meanwhile stays pending (it is
        delivered at the parent's next suspension) rather than replace them.
        """
        if isinstance(exc, Cancelled):
            if not self._stopped:
                self._stop()
        else:
            self._failed(exc)
        if not self._left:
            return
        try:
            registrar = self._park_shielded
            while self._left:
                try:
                    yield registrar
                except GeneratorExit:
                    self._abandon()
                    raise
                except BaseException as e:  # thrown into the parent while it waits
                    if not isinstance(e, Cancelled):
                        self._failed(e)
                registrar = self._park
        finally:
            shield = self._shield
            if shield is not None:
                # A cancellation that came in meanwhile stays pending; *exc* or the group
                # goes out now.
                self._shield = None
                shield.__exit__(None, None, None)


@final
class _WaitAll(_Gather):
    __slots__ = ()
    _who = "wait_all()"

    def _child_ended(self, task: Task[Any], /) -> None:
        left = self._left = self._left - 1
        exc = exception_of(task)  # None if it finished or was cancelled
        if exc is not None:
            self._failed(exc)
        if not left:
            parent = self._parent
            if parent is not None:
                parent.step()


@final
class _WaitAny(_Gather):
    __slots__ = ()
    _who = "wait_any()"

    def _child_ended(self, task: Task[Any], /) -> None:
        left = self._left = self._left - 1
        if task.finished:
            if not self._stopped:
                self._stopped = True
                if not self._starting:  # else __await__ does it once all have started
                    for child in self._children:
                        child.cancel()
        else:
            exc = exception_of(task)
            if exc is not None:
                self._failed(exc)
        if not left:
            parent = self._parent
            if parent is not None:
                parent.step()


class _Zip(_Gather):
    """One step of azip: StopAsyncIteration is not an error; it ends the step."""

    __slots__ = ()
    _who = "azip()"

    def _child_ended(self, task: Task[Any], /) -> None:
        left = self._left = self._left - 1
        if not task.finished:
            exc = exception_of(task)
            if isinstance(exc, StopAsyncIteration):
                if not self._stopped:
                    self._stop()
            elif exc is not None:
                self._failed(exc)
        if not left:
            parent = self._parent
            if parent is not None:
                parent.step()


@final
class _ZipLongest(_Zip):
    """One step of azip_longest: StopAsyncIteration ends only that iterable."""

    __slots__ = ()
    _who = "azip_longest()"

    def _child_ended(self, task: Task[Any], /) -> None:
        left = self._left = self._left - 1
        if not task.finished:
            exc = exception_of(task)
            if exc is not None and not isinstance(exc, StopAsyncIteration):
                self._failed(exc)
        if not left:
            parent = self._parent
            if parent is not None:
                parent.step()


_G = TypeVar("_G", bound=_Gather)


def _gather(cls: type[_G], aws: tuple[object, ...], who: str) -> _G:
    """A gather whose children are tasks made of *aws*, supervised by it, not started.

    :raises TypeError: an argument is neither an awaitable nor a Task.
    :raises InvalidStateError: a Task argument has started, is given twice, or
        already has a supervisor; then every child is cancelled before it runs.
    """
    gather = cls()  # no __init__: cheaper than object.__new__(cls), which parses arguments
    gather._left = -1  # not awaited yet
    gather._parent = gather._errors = None
    gather._stopped = gather._starting = False
    on_end = gather._child_ended
    tasks: list[Task[Any]] = []
    append = tasks.append
    each: tuple[Any, ...] = aws  # checked by kind below
    for aw in each:
        # async def coroutines, and @types.coroutine generators such as Event.wait(),
        # that have not begun running (one that has is refused below, by position).
        kind = type(aw)
        if kind is _CoroutineType:
            if aw.cr_await is not None:
                break
        elif kind is not _GeneratorType or (aw.gi_suspended if _PY311 else _begun(aw)):
            break
        try:
            append(supervised_task(aw, on_end))
        except TypeError:
            break  # a plain generator: see below
    else:  # the common case: coroutines only
        n = len(tasks)
        if n > 1 and (
            # The same coroutine given twice: compared by hand below four, cheaper than a set.
            (aws[0] is aws[1] or (n == 3 and (aws[2] is aws[0] or aws[2] is aws[1])))
            if n < 4
            else len(set(aws)) != n
        ):
            _cancel_all(tasks)
            raise _given_twice(aws, who)
        gather._children = tuple(tasks)
        return gather
    # A Task, another kind of awaitable or a bad argument at position len(tasks) + 1:
    # the tasks made so far are good children; check and convert the rest.
    done = len(tasks)
    try:
        rest = to_tasks(aws[done:], who, done + 1)
    except BaseException:
        _cancel_all(tasks)  # refused: their coroutines are closed without running
        raise
    children = gather._children = (*tasks, *rest)
    try:
        if len({id(aw) for aw in aws}) != len(aws):
            raise _given_twice(aws, who)
        for child in rest:
            supervise(child, on_end)
    except BaseException:
        close_coroutines(aws)
        gather._left = len(children)  # the cancelled children count down; nobody is resumed
        gather._abandon()
        raise
    return gather


def _begun(gen: Any) -> bool:
    """Whether the generator *gen* is suspended in its body (Python 3.10's gi_suspended)."""
    frame = gen.gi_frame
    return frame is not None and frame.f_lasti != -1


def _cancel_all(tasks: list[Task[Any]]) -> None:
    """Cancel tasks that have not started: their coroutines are closed without running."""
    for task in tasks:
        task.cancel()


def _given_twice(aws: tuple[object, ...], who: str) -> InvalidStateError:
    seen: set[int] = set()
    for position, aw in enumerate(aws, 1):
        if id(aw) in seen:
            return InvalidStateError(
                f"{who} argument {position} is the same coroutine object as an earlier "
                "argument; a coroutine can run in one task only (call the coroutine "
                "function once per argument)"
            )
        seen.add(id(aw))
    raise AssertionError("no argument is given twice")  # pragma: no cover


AwaitableOrTask: TypeAlias = "Awaitable[T] | Task[T]"


@overload
def wait_all() -> Awaitable[tuple[()]]: ...
@overload
def wait_all(aw1: AwaitableOrTask[T1], /) -> Awaitable[tuple[Task[T1]]]: ...
@overload
def wait_all(
    aw1: AwaitableOrTask[T1], aw2: AwaitableOrTask[T2], /
) -> Awaitable[tuple[Task[T1], Task[T2]]]: ...
@overload
def wait_all(
    aw1: AwaitableOrTask[T1], aw2: AwaitableOrTask[T2], aw3: AwaitableOrTask[T3], /
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3]]]: ...
@overload
def wait_all(
    aw1: AwaitableOrTask[T1],
    aw2: AwaitableOrTask[T2],
    aw3: AwaitableOrTask[T3],
    aw4: AwaitableOrTask[T4],
    /,
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3], Task[T4]]]: ...
@overload
def wait_all(
    aw1: AwaitableOrTask[T1],
    aw2: AwaitableOrTask[T2],
    aw3: AwaitableOrTask[T3],
    aw4: AwaitableOrTask[T4],
    aw5: AwaitableOrTask[T5],
    /,
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3], Task[T4], Task[T5]]]: ...
@overload
def wait_all(*aws: AwaitableOrTask[Any]) -> Awaitable[tuple[Task[Any], ...]]: ...
def wait_all(*aws: AwaitableOrTask[Any]) -> Awaitable[tuple[Task[Any], ...]]:
    """Run every awaitable as a child task and wait until all of them have ended.

    The children start at once, in order, and run until they first suspend.
    The first child that fails (raises anything but
    :class:`~gearwork.core.Cancelled`) cancels the others; ``wait_all`` then
    waits until every child has ended, including children that are inside
    ``disable_cancellation()``, and raises an :class:`ExceptionGroup` holding
    each failure (a :class:`BaseExceptionGroup` if one of them is not an
    :class:`Exception`). A child that is cancelled by someone else is not a
    failure. If the waiting task is cancelled, the children are cancelled and
    waited for, then :class:`~gearwork.core.Cancelled` propagates. With no
    argument it returns ``()`` at once.

    Every child starts, even when an earlier one fails during its own start:
    the others are cancelled only once the last has started, so
    ``wait_all(fails(1), fails(2))`` of two children that fail at once
    raises one group holding both errors.

    Returns the child tasks, in argument order: read ``task.result`` of each.
    A :class:`~gearwork.core.Task` that has not started may be passed instead
    of an awaitable.

    :raises TypeError: an argument is neither an awaitable nor a Task (the
        message gives its position); no child is started then.
    :raises InvalidStateError: a Task argument has already started, is
        given twice, or already has a supervisor, or a coroutine argument
        has begun running (another task drives it); no child is started then.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(a, b):
    ...     tasks = await wait_all(a, b)
    ...     return [t.result for t in tasks]
    >>> a, b = Task(sleep_forever()), Task(sleep_forever())
    >>> task = start(main(a, b))
    >>> a.step("left")
    >>> task.done()
    False
    >>> b.step("right")
    >>> task.result
    [(('left',), {}), (('right',), {})]
    """
    return _gather(_WaitAll, aws, "wait_all()")


@overload
def wait_any() -> Awaitable[tuple[()]]: ...
@overload
def wait_any(aw1: AwaitableOrTask[T1], /) -> Awaitable[tuple[Task[T1]]]: ...
@overload
def wait_any(
    aw1: AwaitableOrTask[T1], aw2: AwaitableOrTask[T2], /
) -> Awaitable[tuple[Task[T1], Task[T2]]]: ...
@overload
def wait_any(
    aw1: AwaitableOrTask[T1], aw2: AwaitableOrTask[T2], aw3: AwaitableOrTask[T3], /
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3]]]: ...
@overload
def wait_any(
    aw1: AwaitableOrTask[T1],
    aw2: AwaitableOrTask[T2],
    aw3: AwaitableOrTask[T3],
    aw4: AwaitableOrTask[T4],
    /,
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3], Task[T4]]]: ...
@overload
def wait_any(
    aw1: AwaitableOrTask[T1],
    aw2: AwaitableOrTask[T2],
    aw3: AwaitableOrTask[T3],
    aw4: AwaitableOrTask[T4],
    aw5: AwaitableOrTask[T5],
    /,
) -> Awaitable[tuple[Task[T1], Task[T2], Task[T3], Task[T4], Task[T5]]]: ...
@overload
def wait_any(*aws: AwaitableOrTask[Any]) -> Awaitable[tuple[Task[Any], ...]]: ...
def wait_any(*aws: AwaitableOrTask[Any]) -> Awaitable[tuple[Task[Any], ...]]:
    """Run every awaitable as a child task; as soon as one finishes, cancel the others.

    The children start at once, in order, and run until they first suspend.
    The moment a child *finishes* (returns), every other child is cancelled,
    and ``wait_any`` returns once they have all ended (children inside
    ``disable_cancellation()`` are waited for). A child that finishes while
    the others are being cancelled also counts as finished, so check
    ``task.finished`` of each task rather than assuming a single winner.

    Start means start: if a child finishes during its own start, the
    children after it still start and run to their first suspension; only
    then are they cancelled, and one that had no suspension before that
    point has simply finished too (``wait_any(a(), b())`` of two children
    that finish at once gives two ``FINISHED`` tasks). A child cancelled by
    someone else does not end the
    wait; if every child ends that way, ``wait_any`` returns with none
    finished. Failures and cancellation of the waiting task behave as in
    :func:`wait_all`: the others are cancelled, and an :class:`ExceptionGroup`
    (or :class:`~gearwork.core.Cancelled`) propagates.

    Returns the child tasks, in argument order.

    :raises TypeError: an argument is neither an awaitable nor a Task (the
        message gives its position); no child is started then.
    :raises InvalidStateError: a Task argument has already started, is
        given twice, or already has a supervisor, or a coroutine argument
        has begun running (another task drives it); no child is started then.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(a, b):
    ...     tasks = await wait_any(a, b)
    ...     return [t.state.name for t in tasks]
    >>> a, b = Task(sleep_forever()), Task(sleep_forever())
    >>> task = start(main(a, b))
    >>> b.step()
    >>> task.result
    ['CANCELLED', 'FINISHED']
    """
    return _gather(_WaitAny, aws, "wait_any()")


# -- wait(): the asyncio-style, unstructured form ---------------------------------------

FIRST_COMPLETED: Final = "FIRST_COMPLETED"
"""``wait()`` returns when any task ends (finishes, fails or is cancelled)."""
FIRST_EXCEPTION: Final = "FIRST_EXCEPTION"
"""``wait()`` returns when any task fails, or when all have ended."""
ALL_COMPLETED: Final = "ALL_COMPLETED"
"""``wait()`` returns when every task has ended."""

ReturnWhen: TypeAlias = Literal["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"]
"""The values ``wait(return_when=...)`` accepts (the same strings as asyncio's)."""

_RETURN_WHEN = (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED)


def _keep_exception(task: Task[Any], /) -> None:
    """Supervisor of the tasks ``wait()`` starts: the exception stays in the task."""


class _Watch:
    """Done callback of ``wait()``: resumes the caller once its condition holds."""

    __slots__ = ("_left", "_mode", "_parent", "ready")

    def __init__(self, mode: str, count: int) -> None:
        self._mode = mode
        self._left = count
        self._parent: Task[Any] | None = None
        self.ready = False

    def task_ended(self, task: Task[Any]) -> None:
        self._left -= 1
        if self.ready:
            return
        if (
            not self._left
            or self._mode == FIRST_COMPLETED
            or (self._mode == FIRST_EXCEPTION and exception_of(task) is not None)
        ):
            self.ready = True
            parent = self._parent
            if parent is not None:
                parent.step()

    def park(self, task: Task[Any]) -> None:
        self._parent = task

    # Shown in another loop's "bad yield" error if wait() is awaited outside a gearwork
    # task; an except clause adding a note would cost every cancelled wait().
    park.__qualname__ = (
        "gearwork.nursery.wait() was awaited outside a gearwork task "
        "(start the awaiting coroutine with gearwork.core.start)"
    )


async def wait(
    aws: Iterable[AwaitableOrTask[T]], *, return_when: ReturnWhen = ALL_COMPLETED
) -> tuple[set[Task[T]], set[Task[T]]]:
    """Wait for tasks, the asyncio way: return ``(done, pending)`` when *return_when* holds.

    *aws* may hold awaitables, tasks that have not started (both are started
    here, in order) and tasks that are already running or done. *return_when*
    is :data:`FIRST_COMPLETED` (any task ends, in any way),
    :data:`FIRST_EXCEPTION` (a task fails, or all have ended) or
    :data:`ALL_COMPLETED` (the default); asyncio's constants are the same
    strings. Nothing is cancelled: when ``wait`` returns, or when the waiting
    task is cancelled, the pending tasks keep running and belong to the
    caller, exactly as with :func:`asyncio.wait`. Use :func:`wait_any`,
    :func:`wait_all` or a nursery when children must not outlive the call.

    The exceptions of tasks that ``wait`` started stay in the tasks (read
    ``task.exception()``); they are not raised, neither here nor to whoever
    resumes the tasks. There is no *timeout* argument: gearwork-nursery has
    no clock. Race ``wait`` against a sleep of your host's adapter instead.

    :raises ValueError: *aws* is empty, or *return_when* is not one of the
        three constants.
    :raises TypeError: *aws* is not iterable, or holds something that is
        neither an awaitable nor a Task.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(a, b):
    ...     done, pending = await wait([a, b], return_when=FIRST_COMPLETED)
    ...     return done == {a}, pending == {b}
    >>> a, b = Task(sleep_forever()), Task(sleep_forever())
    >>> task = start(main(a, b))
    >>> a.step()
    >>> task.result
    (True, True)
    >>> b.cancel()  # b is still running: it belongs to the caller
    """
    if return_when not in _RETURN_WHEN:
        raise ValueError(
            "wait() return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, "
            f"got {return_when!r}"
        )
    if isinstance(aws, Task) or not isinstance(aws, Iterable):
        raise TypeError(
            f"wait() needs an iterable of awaitables or Tasks, got {type(aws).__name__}"
            + ("; wrap it in a list" if isinstance(aws, Task) else "")
        )
    given = tuple(aws)
    tasks: dict[Task[Any], None] = {}  # in order, without duplicates
    created: list[Task[Any]] = []
    try:
        for position, aw in enumerate(given, 1):
            if isinstance(aw, Task):
                tasks[aw] = None
            else:
                task = to_task(aw, f"wait() item {position}")
                created.append(task)
                tasks[task] = None
    except BaseException:
        close_coroutines(given)
        for task in created:
            task.cancel()  # closes the coroutine of a wrapped awaitable
        raise
    if not tasks:
        raise ValueError("wait() needs at least one awaitable or Task")
    to_start = [task for task in tasks if task.state is _CREATED]
    for task in to_start:
        supervise(task, _keep_exception)
    watch = _Watch(return_when, len(tasks))
    on_end = watch.task_ended
    for task in tasks:
        task.add_done_callback(on_end)
    try:
        for task in to_start:
            start(task)
        while not watch.ready:
            await suspend(watch.park)
    finally:
        for task in tasks:
            if not task.done():
                task.remove_done_callback(on_end)
    done = {task for task in tasks if task.done()}
    return done, {task for task in tasks if not task.done()}
