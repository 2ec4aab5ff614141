"""open_nursery and the context managers around one background task, driven by hand."""

from __future__ import annotations

import gc
import inspect
import traceback
import types
from collections.abc import Callable, Generator
from contextlib import AbstractAsyncContextManager
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
    open_cancel_scope,
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
    Nursery,
    move_on_when,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait_all_cm,
    wait_any_cm,
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


async def protected(event: Event, log: list[str], name: str) -> str:
    async with disable_cancellation():
        await event.wait()
        log.append(name)
    await checkpoint_if_cancelled()  # a cancellation held back by the shield lands here
    return name


def group_of(task: Task[Any]) -> BaseExceptionGroup[BaseException]:
    exc = exception_of(task)
    assert isinstance(exc, BaseExceptionGroup), exc
    return exc


# -- the basics ---------------------------------------------------------------------


def test_the_block_ends_when_its_code_and_every_child_are_done() -> None:
    e1, e2 = Event(), Event()
    log: list[str] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(finish_after(e1))
            nursery.start(finish_after(e2))
            log.append("block done")
        log.append("after")

    task = root(main())
    assert log == ["block done"]
    e1.fire()
    assert log == ["block done"]
    e2.fire()
    assert log == ["block done", "after"]
    assert task.finished


def test_an_empty_nursery_ends_without_suspending() -> None:
    async def main() -> bool:
        async with open_nursery() as nursery:
            was_closed = nursery.closed
        return not was_closed and nursery.closed

    assert root(main()).result is True


def test_start_runs_the_child_until_it_suspends_and_returns_it() -> None:
    log: list[str] = []
    e = Event()

    async def child() -> str:
        log.append("child runs")
        await e.wait()
        return "result"

    async def main() -> None:
        async with open_nursery() as nursery:
            task = nursery.start(child())
            log.append(task.state.name)
        log.append(task.result)

    root(main())
    assert log == ["child runs", "STARTED"]
    e.fire()
    assert log == ["child runs", "STARTED", "result"]


def test_start_accepts_a_task_that_has_not_started() -> None:
    child = Task(sleep_forever())

    async def main() -> None:
        async with open_nursery() as nursery:
            assert nursery.start(child) is child

    task = root(main())
    child.step()
    assert task.finished and child.finished


def test_daemon_children_are_cancelled_when_only_they_are_left() -> None:
    e = Event()

    async def main() -> tuple[str, str]:
        async with open_nursery() as nursery:
            daemon = nursery.start(sleep_forever(), daemon=True)
            worker = nursery.start(finish_after(e))
        return daemon.state.name, worker.state.name

    task = root(main())
    assert not task.done()
    e.fire()
    assert task.result == ("CANCELLED", "FINISHED")


def test_a_nursery_with_only_daemons_ends_with_its_block() -> None:
    async def main() -> str:
        async with open_nursery() as nursery:
            daemon = nursery.start(sleep_forever(), daemon=True)
        return daemon.state.name

    assert root(main()).result == "CANCELLED"


def test_children_can_start_siblings_while_the_block_waits() -> None:
    e1, e2 = Event(), Event()
    nurseries: list[Nursery] = []

    async def spawner() -> None:
        await e1.wait()
        nurseries[0].start(finish_after(e2))

    async def main() -> None:
        async with open_nursery() as nursery:
            nurseries.append(nursery)
            nursery.start(spawner())

    task = root(main())
    e1.fire()
    assert not task.done()  # the sibling keeps it open
    e2.fire()
    assert task.finished


def test_the_block_result_is_available_after_it() -> None:
    async def main() -> int:
        async with open_nursery() as nursery:
            child = nursery.start(fail_now_free())
        return child.result

    async def fail_now_free() -> int:
        return 7

    assert root(main()).result == 7


# -- closing ---------------------------------------------------------------------------


def test_close_from_outside_cancels_children_and_block_and_ends_quietly() -> None:
    nurseries: list[Nursery] = []
    log: list[str] = []

    async def child() -> None:
        try:
            await sleep_forever()
        finally:
            log.append("child cancelled")

    async def main() -> str:
        async with open_nursery() as nursery:
            nurseries.append(nursery)
            nursery.start(child())
            try:
                await sleep_forever()
            finally:
                log.append("block cancelled")
        return "after"

    task = root(main())
    nurseries[0].close()
    assert log == ["child cancelled", "block cancelled"]
    assert task.result == "after"
    nurseries[0].close()  # again: nothing happens


def test_close_from_a_child() -> None:
    e = Event()
    nurseries: list[Nursery] = []

    async def closer() -> None:
        await e.wait()
        nurseries[0].close()

    async def main() -> str:
        async with open_nursery() as nursery:
            nurseries.append(nursery)
            other = nursery.start(sleep_forever())
            me = nursery.start(closer())
            await sleep_forever()
        return f"{other.state.name} {me.state.name}"

    task = root(main())
    e.fire()
    # the closing child was running: it is cancelled when it ends... it just returns
    assert task.result == "CANCELLED FINISHED"


def test_close_from_the_block_itself_then_ending_without_awaiting() -> None:
    async def main() -> str:
        async with open_nursery() as nursery:
            child = nursery.start(sleep_forever())
            nursery.close()
            assert nursery.closed
        return child.state.name

    assert root(main()).result == "CANCELLED"


def test_close_from_the_block_cancels_its_next_await() -> None:
    log: list[str] = []

    async def main() -> str:
        async with open_nursery() as nursery:
            nursery.close()
            log.append("still running")
            await sleep_forever()
            log.append("not reached")
        return "after"

    assert root(main()).result == "after"
    assert log == ["still running"]


def test_start_after_close_is_refused_and_closes_the_coroutine() -> None:
    ran: list[str] = []

    async def child() -> None:
        ran.append("child")

    async def main() -> str:
        async with open_nursery() as nursery:
            nursery.close()
            assert nursery.closed
            coro = child()
            with pytest.raises(InvalidStateError, match=r"closed with close\(\)"):
                nursery.start(coro)
            assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
        return "went on"

    assert root(main()).result == "went on"
    assert ran == []


def test_a_loop_of_starts_with_an_early_failure_adds_no_error_of_its_own() -> None:
    error = Boom()
    ran: list[int] = []

    async def work(i: int) -> None:
        ran.append(i)
        if i == 1:
            raise error
        await sleep_forever()

    async def main() -> None:
        async with open_nursery() as nursery:
            for i in range(4):
                nursery.start(work(i))
            await sleep_forever()

    task = root(main())
    assert ran == [0, 1, 2, 3]  # started into a nursery being cancelled: they still run
    assert group_of(task).exceptions == (error,)


def test_start_after_the_nursery_ended_is_refused() -> None:
    async def main() -> Nursery:
        async with open_nursery() as nursery:
            pass
        return nursery

    nursery = root(main()).result
    coro = sleep_forever_coro()
    with pytest.raises(InvalidStateError, match="has ended"):
        nursery.start(coro)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED


async def sleep_forever_coro() -> None:
    await sleep_forever()


def test_start_before_entering_is_refused() -> None:
    nursery = open_nursery()
    assert isinstance(nursery, Nursery)
    with pytest.raises(InvalidStateError, match="enter the nursery first"):
        nursery.start(sleep_forever())


def test_a_nursery_can_be_entered_only_once() -> None:
    manager = open_nursery()

    async def main() -> None:
        async with manager:
            pass
        async with manager:
            pass

    task = root(main())
    assert isinstance(exception_of(task), InvalidStateError)


def test_daemon_must_be_a_bool() -> None:
    async def main() -> None:
        async with open_nursery() as nursery:
            with pytest.raises(TypeError, match="daemon must be a bool, got int"):
                nursery.start(sleep_forever(), daemon=1)  # type: ignore[call-overload]

    assert root(main()).finished


def test_start_of_a_non_awaitable_says_so() -> None:
    async def main() -> None:
        async with open_nursery() as nursery:
            with pytest.raises(TypeError, match=r"^Nursery.start\(\) argument must be an aw"):
                nursery.start(42)  # type: ignore[call-overload]
            running = nursery.start(sleep_forever())
            with pytest.raises(InvalidStateError, match="already started"):
                nursery.start(running)
            running.cancel()

    assert root(main()).finished


# -- failures ------------------------------------------------------------------------


def test_a_failing_child_cancels_the_block_and_the_others() -> None:
    e = Event()
    error = Boom("child")
    log: list[str] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            other = nursery.start(sleep_forever())
            nursery.start(fail_after(e, error))
            try:
                await sleep_forever()
            finally:
                log.append(f"block cancelled, other {other.state.name}")

    task = root(main())
    e.fire()
    assert log == ["block cancelled, other CANCELLED"]
    assert group_of(task).exceptions == (error,)
    assert task.cancelled


def test_an_exception_in_the_block_cancels_the_children_and_joins_the_group() -> None:
    e = Event()
    error = Boom("block")
    children: list[Task[Any]] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            children.append(nursery.start(finish_after(e)))
            raise error

    task = root(main())
    assert children[0].cancelled
    group = group_of(task)
    assert group.exceptions == (error,)
    assert group.__suppress_context__


def test_several_failures_come_in_one_group_in_order() -> None:
    e = Event()
    first, second, third = Boom("1"), Boom("2"), Boom("3")

    async def fails_when_cancelled() -> None:
        try:
            await sleep_forever()
        finally:
            raise second

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(fails_when_cancelled())
            nursery.start(fail_after(e, first))
            try:
                await sleep_forever()
            finally:
                raise third

    task = root(main())
    e.fire()
    assert group_of(task).exceptions == (first, second, third)


def test_failures_keep_their_tracebacks() -> None:
    async def deep_failure() -> None:
        raise Boom()

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(deep_failure())

    (inner,) = group_of(root(main())).exceptions
    assert traceback.extract_tb(inner.__traceback__)[-1].name == "deep_failure"


def test_a_base_exception_in_a_child_comes_in_a_base_exception_group() -> None:
    fatal = Fatal()

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(fail_now(fatal))
            await sleep_forever()

    group = group_of(root(main()))
    assert type(group) is BaseExceptionGroup
    assert group.exceptions == (fatal,)


def test_a_child_failing_at_start_is_reported_and_the_block_cancelled_at_its_await() -> None:
    error = Boom()
    log: list[str] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(fail_now(error))
            log.append("block goes on until it awaits")
            await sleep_forever()

    task = root(main())
    assert log == ["block goes on until it awaits"]
    assert group_of(task).exceptions == (error,)


def test_an_inner_group_arrives_inside_the_outer_group() -> None:
    e = Event()
    error = Boom()

    async def inner() -> None:
        async with open_nursery() as nursery:
            nursery.start(fail_after(e, error))

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(inner())

    task = root(main())
    e.fire()
    (inner_group,) = group_of(task).exceptions
    assert isinstance(inner_group, ExceptionGroup)
    assert inner_group.exceptions == (error,)


# -- cancellation --------------------------------------------------------------------


def test_cancelling_the_parent_cancels_the_children_first_then_the_parent() -> None:
    order: list[str] = []

    async def child(name: str) -> None:
        try:
            await sleep_forever()
        finally:
            order.append(name)

    async def main() -> None:
        try:
            async with open_nursery() as nursery:
                nursery.start(child("a"))
                nursery.start(child("b"), daemon=True)
                await sleep_forever()
        finally:
            order.append("parent")

    task = root(main())
    task.cancel()
    assert order == ["a", "b", "parent"]
    assert task.cancelled and exception_of(task) is None


def test_cancelling_the_parent_while_it_waits_for_the_children() -> None:
    log: list[str] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(sleep_forever())
        log.append("not reached")

    task = root(main())
    task.cancel()
    assert task.cancelled and exception_of(task) is None
    assert log == []


def test_protected_children_are_waited_for_when_the_parent_is_cancelled() -> None:
    release = Event()
    log: list[str] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(protected(release, log, "protected"))
            nursery.start(protected(release, log, "protected daemon"), daemon=True)
            await sleep_forever()

    task = root(main())
    task.cancel()
    assert task.state is TaskState.STARTED
    release.fire()
    assert log == ["protected", "protected daemon"]
    assert task.cancelled and exception_of(task) is None


def test_a_protected_daemon_is_waited_for_after_a_normal_end() -> None:
    release = Event()
    log: list[str] = []

    async def main() -> str:
        async with open_nursery() as nursery:
            daemon = nursery.start(protected(release, log, "daemon"), daemon=True)
        return daemon.state.name

    task = root(main())
    assert not task.done()
    release.fire()
    assert task.result == "CANCELLED"


@pytest.mark.parametrize("resumed_by", ["a child", "the caller"])
def test_a_cancellation_during_the_shielded_wait_is_delivered_when_it_ends(
    resumed_by: str,
) -> None:
    release = Event()
    log: list[str] = []
    daemon: list[Task[Any]] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            daemon.append(nursery.start(protected(release, log, "daemon"), daemon=True))
        log.append("not reached")

    task = root(main())
    task.cancel()  # while the parent waits, shielded, for the daemon
    if resumed_by == "a child":
        release.fire()  # the daemon ends and its supervisor resumes the parent
    else:
        daemon[0].cancel()  # still protected: nothing happens
        release.fire()
    assert log == ["daemon"]
    assert task.cancelled and exception_of(task) is None


def test_a_protected_child_failing_after_the_parent_was_cancelled_is_not_lost() -> None:
    release = Event()
    error = Boom()

    async def child() -> None:
        async with disable_cancellation():
            await release.wait()
            raise error

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(child())
            await sleep_forever()

    task = root(main())
    task.cancel()
    release.fire()
    assert group_of(task).exceptions == (error,)
    assert task.cancelled


def test_an_outer_cancel_scope_cancels_the_block_and_is_caught_outside() -> None:
    scopes: list[Any] = []

    async def main() -> str:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            async with open_nursery() as nursery:
                child = nursery.start(sleep_forever())
                await sleep_forever()
        return f"caught {scope.cancelled_caught}, child {child.state.name}"

    task = root(main())
    scopes[0].cancel()
    assert task.result == "caught True, child CANCELLED"


def test_a_nursery_inside_disable_cancellation_still_closes_on_a_failure() -> None:
    e, release = Event(), Event()
    error = Boom()
    log: list[str] = []

    async def main() -> None:
        async with disable_cancellation(), open_nursery() as nursery:
            other = nursery.start(sleep_forever())
            nursery.start(fail_after(e, error))
            await release.wait()  # shielded: the block is not cancelled
            log.append(f"block goes on, other {other.state.name}")

    task = root(main())
    e.fire()
    assert log == []
    release.fire()
    assert log == ["block goes on, other CANCELLED"]
    assert group_of(task).exceptions == (error,)


# -- garbage collection -------------------------------------------------------------


def test_an_abandoned_parent_with_children_is_collected_quietly(
    unraisable: list[object],
) -> None:
    log: list[str] = []

    def run() -> None:
        e, release = Event(), Event()

        async def child() -> None:
            try:
                await e.wait()
            finally:
                log.append("child closed")

        async def main() -> None:
            async with open_nursery() as nursery:
                nursery.start(child())
                nursery.start(protected(release, log, "protected"), daemon=True)
                async with open_nursery() as inner:
                    inner.start(child())
                    await e.wait()

        start(main())

    run()
    gc.collect()
    assert unraisable == []
    assert log.count("child closed") == 2


def test_an_abandoned_parent_waiting_for_its_children_is_collected_quietly(
    unraisable: list[object],
) -> None:
    def run() -> None:
        e, release = Event(), Event()
        log: list[str] = []

        async def main() -> None:
            async with open_nursery() as nursery:
                nursery.start(finish_after(e))
                nursery.start(protected(release, log, "p"), daemon=True)

        async def main2() -> None:
            async with run_as_daemon(protected(release, log, "p")):
                pass

        start(main())
        start(main2())

    run()
    gc.collect()
    assert unraisable == []


# -- the one-task context managers ----------------------------------------------------

Manager = Callable[[Any], AbstractAsyncContextManager[Task[Any]]]


def test_move_on_when_is_wait_any_cm() -> None:
    assert move_on_when is wait_any_cm


@pytest.mark.parametrize("manager", [wait_all_cm, wait_any_cm, run_as_main, run_as_daemon])
def test_the_managers_give_the_background_task_started(manager: Manager) -> None:
    bg = Task(sleep_forever())

    async def main() -> None:
        async with manager(bg) as task:
            assert task is bg
            assert task.state is TaskState.STARTED
            task.cancel()

    assert root(main()).finished


@pytest.mark.parametrize("manager", [wait_all_cm, wait_any_cm, run_as_main, run_as_daemon])
def test_the_managers_refuse_bad_arguments(manager: Manager) -> None:
    with pytest.raises(TypeError, match=r"\(\) argument must be an awaitable or a Task, got int"):
        manager(42)
    running = start(sleep_forever())
    with pytest.raises(InvalidStateError, match="already started"):
        manager(running)
    running.cancel()


# Which end of the block or of the background task ends the other, per manager.
# (block finishes first -> background task, background task finishes first -> block)
RULES: dict[str, tuple[str, str]] = {
    "wait_all_cm": ("waited for", "goes on"),
    "wait_any_cm": ("cancelled", "cancelled"),
    "run_as_main": ("waited for", "cancelled"),
    "run_as_daemon": ("cancelled", "goes on"),
}
MANAGERS: dict[str, Manager] = {
    "wait_all_cm": wait_all_cm,
    "wait_any_cm": wait_any_cm,
    "run_as_main": run_as_main,
    "run_as_daemon": run_as_daemon,
}


@pytest.mark.parametrize("name", RULES)
def test_when_the_block_finishes_first(name: str) -> None:
    e_bg = Event()
    log: list[str] = []

    async def main() -> str:
        async with MANAGERS[name](finish_after(e_bg, "bg")) as bg:
            log.append("block done")
        return bg.state.name

    task = root(main())
    assert log == ["block done"]
    if RULES[name][0] == "waited for":
        assert not task.done()
        e_bg.fire()
        assert task.result == "FINISHED"
    else:
        assert task.result == "CANCELLED"


@pytest.mark.parametrize("name", RULES)
def test_when_the_background_task_finishes_first(name: str) -> None:
    e_bg, e_block = Event(), Event()
    log: list[str] = []

    async def main() -> str:
        async with MANAGERS[name](finish_after(e_bg, "bg")):
            try:
                await e_block.wait()
                log.append("block done")
            except Cancelled:
                log.append("block cancelled")
                raise
        return "after"

    task = root(main())
    e_bg.fire()
    if RULES[name][1] == "cancelled":
        assert log == ["block cancelled"]
        assert task.result == "after"
    else:
        assert log == []
        e_block.fire()
        assert log == ["block done"]
        assert task.result == "after"


@pytest.mark.parametrize("name", RULES)
def test_when_the_background_task_is_cancelled_by_someone_else(name: str) -> None:
    e_block = Event()
    log: list[str] = []
    bg = Task(sleep_forever())

    async def main() -> None:
        async with MANAGERS[name](bg):
            try:
                await e_block.wait()
                log.append("block done")
            except Cancelled:
                log.append("block cancelled")
                raise

    task = root(main())
    bg.cancel()
    if name == "run_as_main":  # any end of the main task ends the block
        assert log == ["block cancelled"]
    else:
        assert log == []
        e_block.fire()
        assert log == ["block done"]
    assert task.finished


@pytest.mark.parametrize("name", RULES)
def test_a_failure_of_the_background_task_cancels_the_block(name: str) -> None:
    e_bg = Event()
    error = Boom()
    log: list[str] = []

    async def main() -> None:
        async with MANAGERS[name](fail_after(e_bg, error)):
            try:
                await sleep_forever()
            except Cancelled:
                log.append("block cancelled")
                raise

    task = root(main())
    e_bg.fire()
    assert log == ["block cancelled"]
    assert group_of(task).exceptions == (error,)


@pytest.mark.parametrize("name", RULES)
def test_a_failure_of_the_block_cancels_the_background_task(name: str) -> None:
    error = Boom()

    async def main() -> str:
        bg = Task(sleep_forever())
        try:
            async with MANAGERS[name](bg):
                raise error
        finally:
            assert bg.cancelled

    task = root(main())
    assert group_of(task).exceptions == (error,)


@pytest.mark.parametrize("name", RULES)
def test_cancelling_the_parent_cancels_the_background_task(name: str) -> None:
    bg = Task(sleep_forever())

    async def main() -> None:
        async with MANAGERS[name](bg):
            await sleep_forever()

    task = root(main())
    task.cancel()
    assert bg.cancelled
    assert task.cancelled and exception_of(task) is None


def test_current_task_in_the_block_is_the_parent() -> None:
    async def main() -> bool:
        me = await current_task()
        async with open_nursery():
            same = await current_task() is me
        return same

    assert root(main()).result


def test_a_stray_step_of_the_parent_waiting_for_its_children_changes_nothing() -> None:
    e = Event()

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(finish_after(e))

    task = root(main())
    task.step("stray")
    assert not task.done()
    e.fire()
    assert task.finished


def test_an_exception_thrown_into_the_parent_while_it_unwinds_joins_the_group() -> None:
    release = Event()
    log: list[str] = []
    thrown = Boom("thrown while unwinding")

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(protected(release, log, "p"))
            await sleep_forever()

    task = root(main())
    task.cancel()
    task.throw(thrown)  # while it waits, shielded, for the protected child
    assert not task.done()
    release.fire()
    assert group_of(task).exceptions == (thrown,)
    assert task.cancelled


def test_a_cancellation_arriving_while_the_block_unwinds_loses_no_failure() -> None:
    release = Event()
    raised, failure = Boom("block"), Boom("child")

    async def child() -> None:
        async with disable_cancellation():
            await release.wait()
            raise failure

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(child())
            raise raised

    task = root(main())
    task.cancel()  # held back while the block waits, shielded, for the child
    release.fire()
    assert group_of(task).exceptions == (raised, failure)
    assert task.cancelled
