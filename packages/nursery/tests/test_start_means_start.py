"""Seed fidelity: "start" always starts, block exits are suspension points, one task per coroutine.

Each rule is checked over every construct it applies to: ``wait_all``, ``wait_any``,
an ``azip`` step and ``Nursery.start`` for starting; the exits of ``open_nursery``,
``wait_all_cm``, ``wait_any_cm`` (``move_on_when``), ``run_as_main`` and
``run_as_daemon`` for delivering a pending cancellation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    InvalidStateError,
    Task,
    current_task,
    disable_cancellation,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import exception_of, supervise
from gearwork.nursery import (
    azip,
    move_on_when,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)


class Boom(Exception):
    pass


def root(aw: Coroutine[Any, Any, Any]) -> Task[Any]:
    """Start *aw* as a supervised root task, so that its failure stays in the task."""
    task = Task(aw)
    supervise(task, lambda t: None)
    return start(task)


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


# -- 1. every child given is started, in order, before any is cancelled ------------------


async def in_wait_all(*aws: Coroutine[Any, Any, Any]) -> tuple[Task[Any], ...]:
    return await wait_all(*aws)


async def in_wait_any(*aws: Coroutine[Any, Any, Any]) -> tuple[Task[Any], ...]:
    return await wait_any(*aws)


async def in_a_nursery(*aws: Coroutine[Any, Any, Any]) -> tuple[Task[Any], ...]:
    tasks: list[Task[Any]] = []
    try:
        async with open_nursery() as nursery:
            for aw in aws:
                tasks.append(nursery.start(aw))
    finally:
        started.extend(tasks)
    return tuple(tasks)


started: list[Task[Any]] = []

CONSTRUCTS: dict[str, Callable[..., Coroutine[Any, Any, tuple[Task[Any], ...]]]] = {
    "wait_all": in_wait_all,
    "wait_any": in_wait_any,
    "Nursery.start": in_a_nursery,
}


@pytest.fixture(autouse=True)
def _forget_started() -> None:
    started.clear()


async def finishes_at_once(log: list[str], name: str) -> str:
    log.append(f"{name} ran")
    return name


async def fails_at_once(log: list[str], name: str) -> None:
    log.append(f"{name} ran")
    raise Boom(name)


async def waits(log: list[str], name: str) -> None:
    log.append(f"{name} ran")
    try:
        await sleep_forever()
    finally:
        log.append(f"{name} unwinds")


async def raises_in_finally(log: list[str], name: str) -> None:
    log.append(f"{name} ran")
    try:
        await sleep_forever()
    finally:
        raise Boom(f"{name} in finally")


def test_wait_any_of_two_that_finish_at_once_gives_two_finished_tasks() -> None:
    log: list[str] = []
    task = root(in_wait_any(finishes_at_once(log, "a"), finishes_at_once(log, "b")))
    a, b = task.result
    assert log == ["a ran", "b ran"]
    assert a.finished and b.finished


@pytest.mark.parametrize("construct", ["wait_all", "wait_any", "Nursery.start"])
def test_two_that_fail_at_once_both_run_and_both_errors_leave_in_one_group(
    construct: str,
) -> None:
    log: list[str] = []
    task = root(CONSTRUCTS[construct](fails_at_once(log, "1"), fails_at_once(log, "2")))
    assert log == ["1 ran", "2 ran"]
    group = exception_of(task)
    assert isinstance(group, BaseExceptionGroup)
    assert [str(e) for e in leaves(group)] == ["1", "2"]


# (construct, a child that ends it during its own start): finishing ends wait_any only.
DECIDERS = [
    ("wait_any", finishes_at_once),
    ("wait_any", fails_at_once),
    ("wait_all", fails_at_once),
    ("Nursery.start", fails_at_once),
]


@pytest.mark.parametrize(("construct", "decider"), DECIDERS)
def test_children_after_one_that_ends_the_wait_at_once_still_run_to_their_first_suspension(
    construct: str, decider: Callable[[list[str], str], Coroutine[Any, Any, Any]]
) -> None:
    log: list[str] = []
    task = root(
        CONSTRUCTS[construct](waits(log, "before"), decider(log, "decider"), waits(log, "after"))
    )
    if construct == "Nursery.start":
        # One child per call: the failure cancels the running child at once, and the
        # child started afterwards still runs to its first suspension.
        assert log == [
            "before ran", "decider ran", "before unwinds", "after ran", "after unwinds"
        ]  # fmt: skip
    else:
        # Every child ran before any was cancelled; then the others unwound.
        assert log == [
            "before ran", "decider ran", "after ran", "before unwinds", "after unwinds"
        ]  # fmt: skip
    assert task.done()


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_a_child_whose_finally_raises_after_the_cancellation_is_collected_as_well(
    construct: str,
) -> None:
    log: list[str] = []
    task = root(
        CONSTRUCTS[construct](
            raises_in_finally(log, "early"), fails_at_once(log, "decider"), waits(log, "late")
        )
    )
    group = exception_of(task)
    assert isinstance(group, BaseExceptionGroup)
    assert sorted(str(e) for e in leaves(group)) == ["decider", "early in finally"]
    assert "late ran" in log


def test_an_azip_step_starts_every_anext_even_when_one_iterable_is_exhausted_at_once() -> None:
    log: list[str] = []

    async def empty() -> AsyncIterator[int]:
        log.append("empty asked")
        nothing: tuple[int, ...] = ()
        for item in nothing:  # an async generator that yields nothing
            yield item

    async def slow(name: str) -> AsyncIterator[int]:
        log.append(f"{name} asked")
        try:
            await sleep_forever()
        finally:
            log.append(f"{name} unwinds")
        yield 1  # pragma: no cover

    async def main() -> list[tuple[int, ...]]:
        return [items async for items in azip(slow("first"), empty(), slow("last"))]

    task = root(main())
    assert task.result == []
    assert log == ["first asked", "empty asked", "last asked", "first unwinds", "last unwinds"]


# -- 2. Nursery.start while the block unwinds, after close(), after the end ---------------


def test_start_while_the_block_unwinds_starts_the_child_then_cancels_it() -> None:
    log: list[str] = []
    seen: list[object] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(fails_at_once(log, "failure"))
            seen.append(nursery.closed)  # being cancelled is not closed
            late = nursery.start(raises_in_finally(log, "late"))
            seen.append(late.state.name)
            await sleep_forever()

    task = root(main())
    assert log == ["failure ran", "late ran"]
    assert seen == [False, "CANCELLED"]
    group = exception_of(task)
    assert isinstance(group, BaseExceptionGroup)
    assert [str(e) for e in leaves(group)] == ["failure", "late in finally"]


def test_start_from_a_child_unwinding_in_the_shielded_phase_still_starts() -> None:
    log: list[str] = []
    release_waiters: list[Task[Any]] = []

    async def unwinding_child(nursery: Any) -> None:
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                release_waiters.append(await current_task())
                await sleep_forever()
            nursery.start(waits(log, "started late"))

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(unwinding_child(nursery))
            raise Boom("block")

    task = root(main())
    assert not task.done()
    release_waiters[0].step()
    assert log == ["started late ran", "started late unwinds"]
    assert task.done()


def test_start_after_close_or_after_the_end_raises_naming_why() -> None:
    holder: list[Any] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            holder.append(nursery)
            nursery.close()
            with pytest.raises(InvalidStateError, match=r"closed with close\(\)"):
                nursery.start(sleep_forever())

    root(main())
    nursery = holder[0]
    assert nursery.closed
    with pytest.raises(InvalidStateError, match="block has ended"):
        nursery.start(sleep_forever())


# -- 4. block exits are suspension points ------------------------------------------------


def _nursery_block(bg: Task[Any]) -> AbstractAsyncContextManager[Any]:
    bg.cancel()  # not needed here: closed without running
    return open_nursery()


BLOCKS: dict[str, Callable[[Task[Any]], AbstractAsyncContextManager[Any]]] = {
    "open_nursery": _nursery_block,
    "wait_all_cm": wait_all_cm,
    "wait_any_cm": wait_any_cm,
    "move_on_when": move_on_when,
    "run_as_main": run_as_main,
    "run_as_daemon": run_as_daemon,
}


async def returns_at_once() -> str:
    return "bg"


@pytest.mark.parametrize("block", list(BLOCKS))
def test_a_pending_cancellation_of_the_parent_is_delivered_at_the_block_exit(block: str) -> None:
    log: list[str] = []

    async def main() -> None:
        me = await current_task()
        async with BLOCKS[block](Task(returns_at_once())):
            me.cancel()  # running: delivered at the next suspension point
            log.append("end of block")
        log.append("after the block")

    task = root(main())
    assert log == ["end of block"]
    assert task.cancelled and exception_of(task) is None


@pytest.mark.parametrize("block", list(BLOCKS))
def test_a_cancellation_protected_around_the_block_is_not_delivered_at_its_exit(
    block: str,
) -> None:
    async def main() -> str:
        me = await current_task()
        async with disable_cancellation():
            async with BLOCKS[block](Task(returns_at_once())):
                me.cancel()
            return "kept"

    task = root(main())
    assert task.finished and task.result == "kept"


def test_a_value_computed_under_protection_in_a_child_is_kept() -> None:
    async def child() -> int:
        async with disable_cancellation():
            (value,), _ = await sleep_forever()
        return int(value)

    async def main(worker: Task[int]) -> None:
        async with open_nursery() as nursery:
            nursery.start(worker)
            nursery.close()

    worker = Task(child())
    task = root(main(worker))
    worker.step(5)
    assert worker.finished and worker.result == 5
    assert task.finished


# -- 5. a coroutine object belongs to one task --------------------------------------------


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_the_same_coroutine_given_twice_is_refused_at_once(
    fn: Callable[..., Any],
) -> None:
    log: list[str] = []
    coro = waits(log, "twice")
    with pytest.raises(InvalidStateError, match="argument 2 is the same coroutine object"):
        fn(coro, coro)
    assert log == []  # nothing ran


@pytest.mark.parametrize("fn", [wait_all, wait_any])
def test_the_same_coroutine_given_twice_beside_a_task_is_refused_at_once(
    fn: Callable[..., Any],
) -> None:
    log: list[str] = []
    coro = waits(log, "twice")
    other = Task(waits(log, "other"))
    with pytest.raises(InvalidStateError, match="argument 3 is the same coroutine object"):
        fn(coro, other, coro)
    assert log == [] and other.cancelled


@pytest.mark.parametrize("how", ["Nursery.start", "wait_all", "wait_any", "wait_all_cm"])
def test_a_coroutine_another_task_drives_is_refused_and_that_task_is_left_alone(
    how: str,
) -> None:
    log: list[str] = []
    coro = waits(log, "first")
    first = start(coro)
    errors: list[str] = []

    async def main() -> None:
        try:
            if how == "Nursery.start":
                async with open_nursery() as nursery:
                    try:
                        nursery.start(coro)
                    except InvalidStateError as exc:
                        errors.append(str(exc))
            elif how == "wait_all_cm":
                async with wait_all_cm(coro):
                    pass  # pragma: no cover
            else:
                await (wait_all if how == "wait_all" else wait_any)(coro)
        except InvalidStateError as exc:
            errors.append(str(exc))

    root(main())
    assert len(errors) == 1 and "has already begun running" in errors[0]
    assert "argument" in errors[0]  # it names the call, not gearwork-core's internals
    assert first.state.name == "STARTED" and log == ["first ran"]
    first.cancel()
    assert log == ["first ran", "first unwinds"]


def test_a_cancelled_child_is_not_a_failure_and_exception_raises_cancelled() -> None:
    async def main() -> Task[Any]:
        async with open_nursery() as nursery:
            child = nursery.start(sleep_forever())
            child.cancel()
        return child

    child = root(main()).result
    assert exception_of(child) is None
    with pytest.raises(Cancelled):
        child.exception()
