"""The start-up handshake (Nursery.start_ready / TaskStatus) and defer_to_cancelled."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    InvalidStateError,
    Task,
    current_task,
    open_cancel_scope,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import exception_of, supervise
from gearwork.nursery import (
    TASK_STATUS_IGNORED,
    Nursery,
    TaskStatus,
    defer_to_cancelled,
    open_nursery,
)


class Boom(Exception):
    pass


class Obstacle(Exception):
    pass


def root(aw: Coroutine[Any, Any, Any]) -> Task[Any]:
    task = Task(aw)
    supervise(task, lambda t: None)
    return start(task)


class Gate:
    """Parks tasks until the test opens it."""

    def __init__(self) -> None:
        self.waiting: list[Task[Any]] = []

    async def wait(self) -> None:
        self.waiting.append(await current_task())
        await sleep_forever()

    def open(self) -> None:
        waiting, self.waiting = self.waiting, []
        for task in waiting:
            task.step()


# -- start_ready ----------------------------------------------------------------------


async def server(
    log: list[str], gate: Gate, *, task_status: TaskStatus[str] = TASK_STATUS_IGNORED
) -> None:
    log.append("binding")
    await gate.wait()
    task_status.started("port 8080")
    log.append("serving")
    await sleep_forever()


def test_the_parent_waits_until_the_child_reports_ready_and_gets_its_value() -> None:
    log: list[str] = []
    gate = Gate()
    holder: list[Nursery] = []

    async def main() -> None:
        async with open_nursery() as nursery:
            holder.append(nursery)
            log.append(await nursery.start_ready(server, log, gate))
            log.append("parent goes on")

    task = root(main())
    assert log == ["binding"] and not task.done()
    gate.open()
    # started() resumes the parent synchronously, before the child goes on
    assert log == ["binding", "port 8080", "parent goes on", "serving"]
    assert not task.done()  # the child runs on under the nursery
    holder[0].close()
    assert task.finished


def test_a_child_that_reports_ready_during_its_start_does_not_make_the_parent_wait() -> None:
    async def ready_at_once(*, task_status: TaskStatus[int] = TASK_STATUS_IGNORED) -> None:
        task_status.started(7)
        await sleep_forever()

    async def main() -> int:
        async with open_nursery() as nursery:
            value = await nursery.start_ready(ready_at_once)
            nursery.close()
        return int(value)

    assert root(main()).result == 7


def test_a_child_that_fails_before_it_reports_raises_in_the_parent_not_in_the_nursery() -> None:
    gate = Gate()
    seen: list[str] = []

    async def fails_first(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        await gate.wait()
        raise Boom("could not bind")

    async def main() -> str:
        async with open_nursery() as nursery:
            sibling = nursery.start(sleep_forever())
            try:
                await nursery.start_ready(fails_first)
            except Boom as exc:
                seen.append(str(exc))
            assert not nursery.closed and not sibling.done()  # the nursery is not cancelled
            sibling.cancel()
        return "went on"

    task = root(main())
    gate.open()
    assert seen == ["could not bind"] and task.result == "went on"


@pytest.mark.parametrize("ending", ["returns", "is cancelled"])
def test_a_child_that_ends_before_it_reports_raises_runtime_error_in_the_parent(
    ending: str,
) -> None:
    gate = Gate()
    errors: list[str] = []
    children: list[Task[Any]] = []

    async def never_ready(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        children.append(await current_task())
        await gate.wait()

    async def main() -> None:
        async with open_nursery() as nursery:
            try:
                await nursery.start_ready(never_ready)
            except RuntimeError as exc:
                errors.append(str(exc))

    task = root(main())
    if ending == "returns":
        gate.open()
    else:
        children[0].cancel()
    how = "returned" if ending == "returns" else "was cancelled"
    assert len(errors) == 1 and f"{how} before it called task_status.started()" in errors[0]
    assert task.finished


def test_cancelling_the_waiting_parent_cancels_the_child_and_its_later_error_is_collected() -> None:
    log: list[str] = []

    async def stubborn(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        try:
            await sleep_forever()
        finally:
            log.append("child unwinds")
            raise Boom("from the child's finally")

    async def main() -> None:
        async with open_nursery() as nursery:
            await nursery.start_ready(stubborn)

    task = root(main())
    task.cancel()
    assert log == ["child unwinds"]
    group = exception_of(task)
    assert isinstance(group, BaseExceptionGroup)
    assert [str(e) for e in group.exceptions] == ["from the child's finally"]


def test_started_twice_raises_and_started_on_the_ignored_status_does_nothing() -> None:
    errors: list[str] = []

    async def twice(*, task_status: TaskStatus[int] = TASK_STATUS_IGNORED) -> None:
        task_status.started(1)
        try:
            task_status.started(2)
        except InvalidStateError as exc:
            errors.append(str(exc))

    async def main() -> int:
        async with open_nursery() as nursery:
            return int(await nursery.start_ready(twice))

    assert root(main()).result == 1
    assert errors == ["task_status.started() can be called only once"]
    TASK_STATUS_IGNORED.started("nobody listens")  # harmless
    assert repr(TASK_STATUS_IGNORED) == "<TaskStatus ignored>"


def test_a_function_with_a_task_status_also_runs_under_plain_start() -> None:
    log: list[str] = []
    gate = Gate()

    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.start(server(log, gate))
            gate.open()
            nursery.close()

    assert root(main()).finished
    assert log == ["binding", "serving"]


def test_start_ready_is_refused_once_the_nursery_is_closed() -> None:
    async def main() -> None:
        async with open_nursery() as nursery:
            nursery.close()
            with pytest.raises(InvalidStateError, match=r"start_ready\(\): the nursery was closed"):
                await nursery.start_ready(server, [], Gate())

    assert root(main()).finished


def test_start_ready_checks_its_daemon_flag_and_what_the_function_returns() -> None:
    def not_async(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> int:
        return 3

    async def main() -> None:
        async with open_nursery() as nursery:
            with pytest.raises(TypeError, match="daemon must be a bool"):
                await nursery.start_ready(server, daemon="yes")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="must be an awaitable or a Task, got int"):
                await nursery.start_ready(not_async)  # type: ignore[arg-type]

    assert root(main()).finished


def test_a_daemon_started_with_start_ready_is_cancelled_when_the_block_is_done() -> None:
    children: list[Task[Any]] = []

    async def ready(*, task_status: TaskStatus[None] = TASK_STATUS_IGNORED) -> None:
        children.append(await current_task())
        task_status.started()
        await sleep_forever()

    async def main() -> None:
        async with open_nursery() as nursery:
            await nursery.start_ready(ready, daemon=True)

    assert root(main()).finished  # the daemon did not keep the block open
    assert children[0].cancelled


# -- defer_to_cancelled --------------------------------------------------------------------


async def advance() -> None:
    try:
        await sleep_forever()
    finally:
        raise Obstacle("hit while stopping")


@pytest.mark.parametrize("deferred", [True, False])
def test_a_group_of_the_given_types_gives_way_to_the_scopes_cancellation(deferred: bool) -> None:
    scopes: list[Any] = []

    async def main() -> bool:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            if deferred:
                async with defer_to_cancelled(Obstacle), open_nursery() as nursery:
                    nursery.start(advance())
                    await sleep_forever()
            else:
                async with open_nursery() as nursery:
                    nursery.start(advance())
                    await sleep_forever()
        return scope.cancelled_caught

    task = root(main())
    scopes[0].cancel()
    if deferred:
        assert task.result is True
    else:
        group = exception_of(task)  # without it, the group escapes the scope
        assert isinstance(group, BaseExceptionGroup)
        assert isinstance(group.exceptions[0], Obstacle)


def test_a_bare_exception_of_a_given_type_gives_way_as_well_and_is_chained() -> None:
    caught: list[BaseException | None] = []
    scopes: list[Any] = []

    async def main() -> None:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            try:
                async with defer_to_cancelled(Obstacle):
                    await advance()
            except Cancelled as exc:
                caught.append(exc.__cause__)
                raise

    task = root(main())
    scopes[0].cancel()
    assert task.finished and isinstance(caught[0], Obstacle)


@pytest.mark.parametrize("case", ["not being cancelled", "another type in the group"])
def test_everything_else_passes_unchanged(case: str) -> None:
    gate = Gate()

    async def fails() -> None:
        await gate.wait()
        raise Obstacle("routine")

    async def other() -> None:
        try:
            await sleep_forever()
        finally:
            raise Boom("not routine")

    scopes: list[Any] = []

    async def main() -> None:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            async with defer_to_cancelled(Obstacle), open_nursery() as nursery:
                nursery.start(fails() if case == "not being cancelled" else advance())
                if case != "not being cancelled":
                    nursery.start(other())
                await sleep_forever()

    task = root(main())
    if case == "not being cancelled":
        gate.open()
        kinds: set[type[Exception]] = {Obstacle}
    else:
        scopes[0].cancel()
        kinds = {Obstacle, Boom}
    group = exception_of(task)
    assert isinstance(group, BaseExceptionGroup)
    assert {type(e) for e in group.exceptions} == kinds


def test_defer_to_cancelled_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="at least one exception class"):
        defer_to_cancelled()
    with pytest.raises(TypeError, match="argument 2 must be an exception class, got 3"):
        defer_to_cancelled(Obstacle, 3)  # type: ignore[arg-type]
