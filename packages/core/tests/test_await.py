"""Waiting for a task from another task: ``await task``, ``task.wait()``, and who sees a failure."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gearwork.core import (
    Cancelled,
    InvalidStateError,
    Task,
    current_task,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import supervise


class Boom(Exception):
    pass


async def returns_when_stepped() -> str:
    (value,), _ = await sleep_forever()
    return str(value)


async def fails_when_stepped() -> None:
    await sleep_forever()
    raise Boom("from the awaited task")


# The two forms differ only for a cancelled task: asyncio's raises, anyioutils' gives None.
FORMS: dict[str, Callable[[Task[Any]], Awaitable[Any]]] = {
    "await task": lambda task: task,
    "await task.wait()": lambda task: task.wait(),
}


@pytest.fixture(params=list(FORMS))
def form(request: pytest.FixtureRequest) -> Callable[[Task[Any]], Awaitable[Any]]:
    return FORMS[request.param]


async def awaiting(
    task: Task[Any], form: Callable[[Task[Any]], Awaitable[Any]], log: list[object]
) -> None:
    try:
        log.append(("result", await form(task)))
    except Boom as exc:
        log.append(("raised", exc))


def test_awaiting_a_task_gives_its_result_when_it_finishes(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    log: list[object] = []
    worker = start(returns_when_stepped())
    waiter = start(awaiting(worker, form, log))
    assert log == [] and not waiter.done()
    worker.step(7)
    assert log == [("result", "7")] and waiter.finished


def test_awaiting_a_task_that_already_finished_does_not_suspend(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    log: list[object] = []
    worker = start(returns_when_stepped())
    worker.step(1)
    waiter = start(awaiting(worker, form, log))
    assert log == [("result", "1")] and waiter.finished


def test_a_failure_goes_to_the_awaiter_and_not_to_whoever_resumed_the_task(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    log: list[object] = []
    worker = start(fails_when_stepped())
    start(awaiting(worker, form, log))
    worker.step()  # does not raise: the awaiter took the exception over
    assert log == [("raised", worker.exception())]


def test_a_failure_goes_to_the_awaiter_and_not_to_the_exception_handler(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    handled: list[BaseException] = []
    log: list[object] = []
    worker = start(fails_when_stepped(), exception_handler=lambda t, e: handled.append(e))
    start(awaiting(worker, form, log))
    worker.step()
    assert handled == [] and len(log) == 1


def test_a_failure_nobody_awaits_any_more_goes_to_the_resumer(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    log: list[object] = []
    worker = start(fails_when_stepped())
    waiter = start(awaiting(worker, form, log))
    waiter.cancel()  # it stops waiting: nothing is lost, the resumer gets it
    with pytest.raises(Boom):
        worker.step()
    assert log == []


def test_an_awaiter_that_does_not_catch_the_failure_passes_it_on_to_the_resumer(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    async def lets_it_through(task: Task[Any]) -> None:
        await form(task)

    worker = start(fails_when_stepped())
    waiter = start(lets_it_through(worker))
    with pytest.raises(Boom):
        worker.step()  # the waiter fails with it, and its failure goes to this resumer
    assert waiter.exception() is worker.exception()


def test_every_awaiter_gets_the_outcome_in_the_order_they_began_waiting(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    log: list[object] = []

    async def named(name: str) -> None:
        log.append((name, await form(worker)))

    worker = start(returns_when_stepped())
    start(named("first"))
    start(named("second"))
    worker.step("x")
    assert log == [("first", "x"), ("second", "x")]


def test_awaiting_a_failed_task_again_raises_its_exception_again(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    worker = start(fails_when_stepped())
    with pytest.raises(Boom):
        worker.step()
    log: list[object] = []
    start(awaiting(worker, form, log))
    assert log == [("raised", worker.exception())]


def test_awaiting_a_cancelled_task_raises_cancelled_in_the_awaiter() -> None:
    log: list[str] = []

    async def waiter(task: Task[Any]) -> None:
        try:
            await task
        except Cancelled as exc:
            log.append(f"cancelled: {exc}")
            raise

    worker = start(sleep_forever())
    boss = start(waiter(worker))
    worker.cancel("stop")
    assert log == ["cancelled: stop"] and boss.cancelled


def test_wait_on_a_cancelled_task_gives_none() -> None:
    log: list[object] = []
    worker = start(sleep_forever())
    worker.cancel()
    start(awaiting(worker, FORMS["await task.wait()"], log))
    assert log == [("result", None)]


def test_awaiting_a_task_that_has_not_started_waits_for_it_to_end() -> None:
    log: list[object] = []
    worker = Task(returns_when_stepped())
    start(awaiting(worker, FORMS["await task"], log))
    start(worker)
    assert log == []
    worker.step("late")
    assert log == [("result", "late")]


def test_a_task_cannot_await_itself(form: Callable[[Task[Any]], Awaitable[Any]]) -> None:
    async def selfish() -> None:
        me = await current_task()
        await form(me)

    with pytest.raises(InvalidStateError, match="awaits itself"):
        start(selfish())


def test_a_cancelled_awaiter_leaves_no_callback_behind(
    form: Callable[[Task[Any]], Awaitable[Any]],
) -> None:
    worker = start(returns_when_stepped())
    waiter = start(awaiting(worker, form, []))
    waiter.cancel()
    assert worker.remove_done_callback(print) == 0
    worker.step(1)  # no stale awaiter is woken
    assert waiter.cancelled and worker.finished


def test_a_supervised_task_keeps_its_supervisor_and_the_awaiter_also_gets_the_failure() -> None:
    supervised: list[BaseException | None] = []
    log: list[object] = []
    worker = Task(fails_when_stepped())
    supervise(worker, lambda t: supervised.append(t.exception()))
    start(worker)
    start(awaiting(worker, FORMS["await task"], log))
    worker.step()
    assert supervised == [worker.exception()] and log == [("raised", worker.exception())]


# -- exception() and print_stack() ------------------------------------------------------


def test_exception_of_a_cancelled_task_raises_cancelled_with_its_message() -> None:
    task = start(sleep_forever())
    task.cancel("enough")
    with pytest.raises(Cancelled, match="enough"):
        task.exception()


def test_exception_of_a_finished_task_is_none_and_of_a_failed_one_is_the_exception() -> None:
    finished = start(returns_when_stepped())
    finished.step(1)
    assert finished.exception() is None
    failed = start(fails_when_stepped(), exception_handler=lambda t, e: None)
    failed.step()
    assert isinstance(failed.exception(), Boom)


def test_print_stack_of_a_suspended_task_shows_where_it_waits() -> None:
    task = start(returns_when_stepped(), name="shown")
    out = io.StringIO()
    task.print_stack(file=out)
    text = out.getvalue()
    assert text.startswith("Stack for <Task 'shown' STARTED (suspended)> (most recent call last):")
    assert "in returns_when_stepped" in text and "await sleep_forever()" in text
    limited = io.StringIO()
    task.print_stack(limit=1, file=limited)
    assert "returns_when_stepped" not in limited.getvalue()  # the newest frame only
    task.cancel()


def test_print_stack_of_a_failed_task_shows_its_traceback_and_exception() -> None:
    task = start(fails_when_stepped(), exception_handler=lambda t, e: None)
    task.step()
    out = io.StringIO()
    task.print_stack(file=out)
    text = out.getvalue()
    assert text.startswith("Traceback for <Task")
    assert 'raise Boom("from the awaited task")' in text
    assert text.rstrip().endswith("Boom: from the awaited task")


def test_print_stack_of_a_finished_task_says_there_is_none() -> None:
    task = start(returns_when_stepped(), name="done")
    task.step(1)
    out = io.StringIO()
    task.print_stack(file=out)
    assert out.getvalue() == "No stack for <Task 'done' FINISHED>\n"
