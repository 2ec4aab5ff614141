"""wait_all, wait_any and wait, driven by hand."""

from __future__ import annotations

import asyncio
import gc
import sys
import traceback
import types
from collections.abc import Generator
from typing import Any

import pytest

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    ExceptionGroup,
    InvalidStateError,
    Task,
    TaskState,
    current_task,
    disable_cancellation,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import (
    Registrar,
    Resumption,
    checkpoint_if_cancelled,
    exception_of,
    supervise,
)
from gearwork.nursery import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    wait,
    wait_all,
    wait_any,
)


class Event:
    """Wakes every waiting task on fire(); a waiter that is cancelled leaves the list."""

    def __init__(self) -> None:
        self.waiters: list[Task[Any]] = []

    def fire(self, *args: Any) -> None:
        for task in list(self.waiters):
            task.step(*args)

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        me: list[Task[Any]] = []

        def register(task: Task[Any]) -> None:
            me.append(task)
            self.waiters.append(task)

        try:
            return (yield register)
        finally:
            if me and me[0] in self.waiters:
                self.waiters.remove(me[0])


def root(aw: Any) -> Task[Any]:
    """Start a root task whose exception stays in the task instead of reaching the resumer."""
    task = aw if isinstance(aw, Task) else Task(aw)
    supervise(task, lambda t: None)
    return start(task)


class Boom(Exception):
    pass


class Fatal(BaseException):
    """A BaseException that is not an Exception, like KeyboardInterrupt."""


async def finish_after(event: Event, value: object = None) -> object:
    await event.wait()
    return value


async def fail_after(event: Event, exc: BaseException) -> None:
    await event.wait()
    raise exc


async def fail_now(exc: BaseException) -> None:
    raise exc


async def finish_now(value: object = None) -> object:
    return value


async def protected(event: Event, log: list[str], name: str) -> str:
    async with disable_cancellation():
        await event.wait()
        log.append(name)
    await checkpoint_if_cancelled()  # a cancellation held back by the shield lands here
    return name


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


# -- wait_all ---------------------------------------------------------------------


def test_wait_all_returns_the_tasks_in_order_once_all_have_finished() -> None:
    e1, e2 = Event(), Event()

    async def main() -> tuple[Task[object], Task[object]]:
        return await wait_all(finish_after(e1, "a"), finish_after(e2, "b"))

    task = root(main())
    e2.fire()
    assert not task.done()
    e1.fire()
    a, b = task.result
    assert (a.result, b.result) == ("a", "b")


def test_wait_all_of_nothing_returns_an_empty_tuple_without_suspending() -> None:
    async def main() -> tuple[()]:
        return await wait_all()

    assert root(main()).result == ()


def test_wait_all_starts_children_in_order_before_the_parent_goes_on() -> None:
    log: list[str] = []

    async def child(name: str, event: Event) -> None:
        log.append(name)
        await event.wait()

    async def main(event: Event) -> None:
        log.append("parent")
        await wait_all(child("a", event), child("b", event))
        log.append("parent again")

    event = Event()
    start(main(event))
    assert log == ["parent", "a", "b"]
    event.fire()
    assert log == ["parent", "a", "b", "parent again"]


def test_wait_all_whose_children_end_during_start_never_suspends() -> None:
    async def main() -> list[object]:
        tasks = await wait_all(finish_now(1), finish_now(2))
        return [t.result for t in tasks]

    assert root(main()).result == [1, 2]


def test_wait_all_cancels_the_others_on_the_first_failure_and_raises_a_group() -> None:
    e1, e2 = Event(), Event()
    error = Boom("first")
    children: list[Task[Any]] = [Task(finish_after(e1)), Task(fail_after(e2, error))]

    async def main() -> None:
        await wait_all(*children)

    task = root(main())
    e2.fire()
    assert task.cancelled
    assert children[0].cancelled and exception_of(children[0]) is None
    group = exception_of(task)
    assert isinstance(group, ExceptionGroup)
    assert group.exceptions == (error,)


def test_a_failure_keeps_its_traceback() -> None:
    async def deep_failure() -> None:
        raise Boom("deep")

    async def main() -> None:
        await wait_all(deep_failure())

    task = root(main())
    exc = exception_of(task)
    assert isinstance(exc, ExceptionGroup)
    (inner,) = exc.exceptions
    frames = [frame.name for frame in traceback.extract_tb(inner.__traceback__)]
    assert frames[-1] == "deep_failure"


def test_failures_during_cancellation_are_collected_too() -> None:
    e1, e2 = Event(), Event()
    first, second = Boom("first"), Boom("second")

    async def fails_when_cancelled() -> None:
        try:
            await e1.wait()
        finally:
            raise second

    async def main() -> None:
        await wait_all(fails_when_cancelled(), fail_after(e2, first))

    task = root(main())
    e2.fire()
    exc = exception_of(task)
    assert isinstance(exc, ExceptionGroup)
    assert list(exc.exceptions) == [first, second]
    assert second.__context__.__class__ is Cancelled


def test_a_base_exception_in_a_child_comes_in_a_base_exception_group() -> None:
    fatal = Fatal()

    async def main() -> None:
        await wait_all(fail_now(fatal))

    task = root(main())
    exc = exception_of(task)
    assert isinstance(exc, BaseExceptionGroup)
    assert not isinstance(exc, ExceptionGroup)
    assert exc.exceptions == (fatal,)


def test_a_child_cancelled_by_someone_else_is_not_a_failure() -> None:
    e = Event()
    a, b = Task(finish_after(e, 1)), Task(sleep_forever())

    async def main() -> None:
        await wait_all(a, b)

    task = root(main())
    b.cancel()
    assert not task.done()
    e.fire()
    assert task.finished
    assert a.finished and b.cancelled


def test_cancelling_the_parent_cancels_the_children_then_the_parent() -> None:
    order: list[str] = []
    e = Event()

    async def child(name: str) -> None:
        try:
            await e.wait()
        finally:
            order.append(name)

    async def main() -> None:
        try:
            await wait_all(child("a"), child("b"))
        finally:
            order.append("parent")

    task = root(main())
    task.cancel()
    assert order == ["a", "b", "parent"]
    assert task.cancelled and exception_of(task) is None


def test_a_protected_child_is_waited_for_when_the_parent_is_cancelled() -> None:
    e, release = Event(), Event()
    log: list[str] = []
    child = Task(protected(release, log, "protected"))

    async def main() -> None:
        await wait_all(finish_after(e), child)

    task = root(main())
    task.cancel()
    assert task.state is TaskState.STARTED  # waiting for the protected child
    release.fire()
    assert log == ["protected"]
    assert child.cancelled  # its cancellation was delivered when it left the shield
    assert task.cancelled and exception_of(task) is None


def test_a_protected_child_failing_after_the_parent_was_cancelled_is_not_lost() -> None:
    release = Event()
    error = Boom()

    async def child() -> None:
        async with disable_cancellation():
            await release.wait()
            raise error

    async def main() -> None:
        await wait_all(child())

    task = root(main())
    task.cancel()
    release.fire()
    exc = exception_of(task)
    assert isinstance(exc, ExceptionGroup)
    assert exc.exceptions == (error,)
    assert task.cancelled


def test_a_parent_inside_disable_cancellation_finishes_the_wait_then_is_cancelled() -> None:
    e = Event()
    log: list[str] = []

    async def main() -> None:
        async with disable_cancellation():
            await wait_all(finish_after(e))
            log.append("wait done")
        log.append("after the shield")
        await sleep_forever()  # the held-back cancellation is delivered here
        log.append("not reached")

    task = root(main())
    task.cancel()
    assert log == []
    e.fire()
    assert log == ["wait done", "after the shield"]
    assert task.cancelled


def test_an_exception_thrown_into_the_waiting_parent_joins_the_group() -> None:
    e = Event()
    thrown = Boom("thrown")
    child = Task(finish_after(e))

    async def main() -> None:
        await wait_all(child)

    task = root(main())
    task.throw(thrown)
    assert child.cancelled
    exc = exception_of(task)
    assert isinstance(exc, ExceptionGroup)
    assert exc.exceptions == (thrown,)


# -- wait_any ---------------------------------------------------------------------


def test_wait_any_cancels_the_others_when_one_finishes() -> None:
    e1, e2 = Event(), Event()

    async def main() -> list[str]:
        tasks = await wait_any(finish_after(e1), finish_after(e2), sleep_forever())
        return [t.state.name for t in tasks]

    task = root(main())
    e2.fire()
    assert task.result == ["CANCELLED", "FINISHED", "CANCELLED"]


def test_wait_any_starts_every_child_even_after_one_finished_at_once() -> None:
    log: list[str] = []

    async def child(name: str) -> str:
        log.append(f"{name} starts")
        try:
            await sleep_forever()
        except Cancelled:
            log.append(f"{name} cancelled")
            raise
        return name

    async def main() -> tuple[Task[Any], ...]:
        return await wait_any(child("a"), finish_now("b"), child("c"))

    task = root(main())
    a, b, c = task.result
    # every child ran to its first suspension before any was cancelled
    assert log == ["a starts", "c starts", "a cancelled", "c cancelled"]
    assert a.cancelled and b.finished and c.cancelled


def test_one_fire_waking_two_children_finishes_only_the_first() -> None:
    e = Event()

    async def main() -> list[bool]:
        tasks = await wait_any(finish_after(e), finish_after(e))
        return [t.finished for t in tasks]

    task = root(main())
    e.fire()  # wakes them one by one: the first one's end cancels the second
    assert task.result == [True, False]


def test_every_child_that_finishes_during_the_start_counts() -> None:
    e = Event()

    async def wakes_the_first_then_finishes() -> str:
        e.fire()  # the first child finishes now: this one is cancelled while it runs...
        return "second"  # ...but it returns before it suspends again

    async def main() -> list[str]:
        tasks = await wait_any(finish_after(e, "first"), wakes_the_first_then_finishes())
        return [t.state.name for t in tasks]

    assert root(main()).result == ["FINISHED", "FINISHED"]


def test_a_protected_child_returning_after_it_was_cancelled_keeps_its_result() -> None:
    e, release = Event(), Event()

    async def finishes_in_shield() -> str:
        async with disable_cancellation():
            await release.wait()
            return "done"  # returning from inside the shield is not a suspension

    async def main() -> list[str]:
        tasks = await wait_any(finish_after(e), finishes_in_shield())
        return [t.state.name for t in tasks]

    task = root(main())
    e.fire()
    assert not task.done()
    release.fire()
    # the pending cancellation would be delivered at a suspension, and none came
    assert task.result == ["FINISHED", "FINISHED"]


def test_wait_any_returns_with_none_finished_if_every_child_is_cancelled() -> None:
    a, b = Task(sleep_forever()), Task(sleep_forever())

    async def main() -> list[bool]:
        tasks = await wait_any(a, b)
        return [t.finished for t in tasks]

    task = root(main())
    a.cancel()
    assert not task.done()
    b.cancel()
    assert task.result == [False, False]


def test_wait_any_raises_a_group_when_a_child_fails() -> None:
    e = Event()
    error = Boom()

    async def main() -> None:
        await wait_any(fail_after(e, error), sleep_forever())

    task = root(main())
    e.fire()
    exc = exception_of(task)
    assert isinstance(exc, ExceptionGroup)
    assert exc.exceptions == (error,)


def test_wait_any_waits_for_a_protected_sibling() -> None:
    e, release = Event(), Event()
    log: list[str] = []

    async def main() -> list[str]:
        tasks = await wait_any(finish_after(e), protected(release, log, "p"))
        return [t.state.name for t in tasks]

    task = root(main())
    e.fire()
    assert not task.done()
    release.fire()
    assert log == ["p"]
    assert task.result == ["FINISHED", "CANCELLED"]


def test_a_child_that_cancels_the_parent_during_start() -> None:
    started: list[str] = []

    async def cancels_parent(parent: list[Task[Any]]) -> None:
        parent[0].cancel()
        await sleep_forever()

    async def child(name: str) -> None:
        started.append(name)
        await sleep_forever()

    parent: list[Task[Any]] = []

    async def main() -> None:
        parent.append(await current_task())
        await wait_any(child("a"), cancels_parent(parent), child("c"))

    task = root(main())
    assert task.cancelled and exception_of(task) is None
    assert started == ["a", "c"]  # the parent's cancellation waits for its suspension


def test_deeply_nested_waits_end_without_recursion_error() -> None:
    e = Event()

    async def level(n: int) -> int:
        if n == 0:
            await e.wait()
            return 0
        (child,) = await wait_any(level(n - 1))
        return child.result + 1

    task = start(level(60))
    e.fire()
    assert task.result == 60


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_a_non_awaitable_argument_is_named_by_its_position(fn: Any) -> None:
    coro = sleep_forever()
    with pytest.raises(TypeError, match=rf"^{fn.__name__}\(\) argument 2 must be an awaitable "):
        fn(finish_now(), 42, coro)
    del coro
    gc.collect()  # the coroutines given were closed: no "never awaited" warning


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_a_started_task_is_refused(fn: Any) -> None:
    running = start(sleep_forever())
    with pytest.raises(InvalidStateError, match=r"argument 1 is .* already started"):
        fn(running)
    running.cancel()


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_the_same_task_twice_is_refused(fn: Any) -> None:
    task = Task(sleep_forever())
    with pytest.raises(InvalidStateError, match=r"argument 2 is .* again"):
        fn(task, task)
    task.cancel()


def test_a_task_with_a_supervisor_already_is_refused_and_nothing_starts() -> None:
    owned = Task(sleep_forever())
    supervise(owned, lambda t: None)
    other = Task(sleep_forever())

    async def main() -> None:
        await wait_all(other, owned)

    task = root(main())
    assert isinstance(exception_of(task), InvalidStateError)
    assert other.cancelled and owned.cancelled


# -- garbage collection -------------------------------------------------------------


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_an_abandoned_parent_is_collected_quietly(fn: Any, unraisable: list[object]) -> None:
    log: list[str] = []

    def run() -> None:
        e, release = Event(), Event()

        async def child() -> None:
            try:
                await e.wait()
            finally:
                log.append("child closed")

        async def main() -> None:
            await fn(child(), protected(release, log, "p"))

        start(main())

    run()
    gc.collect()
    assert unraisable == []
    assert "child closed" in log


# -- wait ---------------------------------------------------------------------------


def test_the_return_when_constants_are_asyncio_s() -> None:
    assert (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED) == (
        asyncio.FIRST_COMPLETED,
        asyncio.FIRST_EXCEPTION,
        asyncio.ALL_COMPLETED,
    )


def test_wait_all_completed_waits_for_every_task() -> None:
    e1, e2 = Event(), Event()
    a, b = Task(finish_after(e1)), Task(finish_after(e2))

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([a, b])

    task = root(main())
    e1.fire()
    assert not task.done()
    e2.fire()
    assert task.result == ({a, b}, set())


def test_wait_first_completed_returns_and_leaves_the_others_running() -> None:
    e1 = Event()
    a, b = Task(finish_after(e1)), Task(sleep_forever())

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([a, b], return_when=FIRST_COMPLETED)

    task = root(main())
    e1.fire()
    assert task.result == ({a}, {b})
    assert b.state is TaskState.STARTED
    b.cancel()


def test_a_cancelled_task_completes_a_first_completed_wait() -> None:
    a, b = Task(sleep_forever()), Task(sleep_forever())

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([a, b], return_when=FIRST_COMPLETED)

    task = root(main())
    b.cancel()
    assert task.result == ({b}, {a})
    a.cancel()


def test_wait_first_exception_returns_on_a_failure_and_keeps_it_in_the_task() -> None:
    e1, e2 = Event(), Event()
    error = Boom()
    a, b, c = Task(finish_after(e1)), Task(fail_after(e2, error)), Task(sleep_forever())

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([a, b, c], return_when=FIRST_EXCEPTION)

    task = root(main())
    e1.fire()
    assert not task.done()
    e2.fire()  # not raised to whoever fired
    assert task.result == ({a, b}, {c})
    assert exception_of(b) is error
    c.cancel()


def test_wait_first_exception_without_a_failure_waits_for_all() -> None:
    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([finish_now(1), finish_now(2)], return_when=FIRST_EXCEPTION)

    done, pending = root(main()).result
    assert sorted(t.result for t in done) == [1, 2]
    assert pending == set()


def test_wait_accepts_running_and_finished_tasks() -> None:
    finished = start(finish_now())
    e = Event()
    running = start(finish_after(e))

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait([finished, running])

    task = root(main())
    e.fire()
    assert task.result == ({finished, running}, set())


def test_cancelling_the_waiter_leaves_the_tasks_running() -> None:
    a = Task(sleep_forever())

    async def main() -> None:
        await wait([a])

    task = root(main())
    task.cancel()
    assert task.cancelled
    assert a.state is TaskState.STARTED
    a.step()
    assert a.finished


def test_wait_rejects_bad_arguments() -> None:
    async def run(*args: Any, **kwargs: Any) -> None:
        await wait(*args, **kwargs)

    with pytest.raises(ValueError, match="at least one"):
        start(run([]))
    with pytest.raises(ValueError, match="return_when"):
        start(run([Task(sleep_forever())], return_when="SOMETIMES"))
    with pytest.raises(TypeError, match="iterable of awaitables or Tasks, got int"):
        start(run(42))
    task = Task(sleep_forever())
    with pytest.raises(TypeError, match="wrap it in a list"):
        start(run(task))
    with pytest.raises(TypeError, match=r"wait\(\) item 2 must be an awaitable"):
        start(run([finish_now(), "x"]))
    task.cancel()


if sys.version_info >= (3, 11):

    def test_groups_are_the_builtin_exception_groups() -> None:
        import builtins

        assert ExceptionGroup is builtins.ExceptionGroup


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_a_stray_step_of_the_waiting_parent_does_not_end_the_wait(fn: Any) -> None:
    e = Event()
    child = Task(finish_after(e))

    async def main() -> None:
        await fn(child)

    task = root(main())
    task.step("stray")
    assert not task.done() and not child.done()
    e.fire()
    assert task.finished


def test_an_exception_thrown_into_the_parent_while_it_unwinds_joins_the_group() -> None:
    release = Event()
    log: list[str] = []
    thrown = Boom("thrown while unwinding")

    async def main() -> None:
        await wait_all(protected(release, log, "p"))

    task = root(main())
    task.cancel()  # the parent waits, shielded, for the protected child
    task.throw(thrown)
    assert not task.done()
    release.fire()
    assert group_of_task(task).exceptions == (thrown,)


def group_of_task(task: Task[Any]) -> BaseExceptionGroup[BaseException]:
    exc = exception_of(task)
    assert isinstance(exc, BaseExceptionGroup)
    return exc


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_the_result_can_be_awaited_only_once(fn: Any) -> None:
    async def main() -> None:
        waiting = fn(finish_now())
        await waiting
        with pytest.raises(InvalidStateError, match="awaited only once"):
            await waiting

    assert root(main()).finished


def test_a_cancellation_arriving_while_the_parent_unwinds_loses_no_failure() -> None:
    release = Event()
    thrown, failure = Boom("thrown"), Boom("child")

    async def child() -> None:
        async with disable_cancellation():
            await release.wait()
            raise failure

    async def main() -> None:
        await wait_all(child())

    task = root(main())
    task.throw(thrown)  # the parent unwinds: it waits, shielded, for the child
    task.cancel()  # held back by the shield
    release.fire()
    assert group_of_task(task).exceptions == (thrown, failure)
    assert task.cancelled
