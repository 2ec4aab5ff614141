"""The low-level API: suspend, supervise, supervised_task, start_each, the limit constant."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

from gearwork.core import (
    Cancelled,
    InvalidStateError,
    Task,
    TaskState,
    current_task,
    set_default_exception_handler,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import (
    RESUME_DEPTH_LIMIT,
    start_each,
    supervise,
    supervised_task,
    suspend,
)


class Boom(Exception):
    pass


async def fails(waiting: list[Task[Any]]) -> None:
    await suspend(waiting.append)
    raise Boom("child failed")


def test_suspend_hands_the_task_to_the_registrar_and_returns_what_step_passed() -> None:
    waiting: list[Task[Any]] = []

    async def body() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return await suspend(waiting.append)

    task = start(body())
    assert waiting == [task]
    task.step(1, two=2)
    assert task.result == ((1,), {"two": 2})


def test_a_supervisor_takes_over_the_exception_and_runs_before_done_callbacks() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []
    task: Task[None] = Task(fails(waiting))
    supervise(task, lambda t: log.append(f"supervisor sees {t.exception()!r}"))
    task.add_done_callback(lambda t: log.append("callback"))
    start(task)
    waiting.pop().step()  # does not raise: the supervisor owns the error
    assert log == ["supervisor sees Boom('child failed')", "callback"]
    assert task.state is TaskState.CANCELLED


def test_a_supervisor_is_told_about_every_ending() -> None:
    ended: list[TaskState] = []
    task = Task(sleep_forever())
    supervise(task, lambda t: ended.append(t.state))
    start(task)
    task.cancel()
    assert ended == [TaskState.CANCELLED]


def test_a_task_has_at_most_one_supervisor() -> None:
    task = start(sleep_forever())
    supervise(task, lambda t: None)
    with pytest.raises(InvalidStateError, match="already has a supervisor"):
        supervise(task, lambda t: None)
    task.cancel()


def test_an_ended_task_cannot_be_supervised() -> None:
    task = start(sleep_forever())
    task.cancel()
    with pytest.raises(InvalidStateError, match="already ended"):
        supervise(task, lambda t: None)


def test_a_supervisor_must_be_callable() -> None:
    task = start(sleep_forever())
    with pytest.raises(TypeError, match="needs a callable, got NoneType"):
        supervise(task, None)  # type: ignore[arg-type]
    task.cancel()


def test_the_resume_depth_limit_is_a_positive_int() -> None:
    assert isinstance(RESUME_DEPTH_LIMIT, int) and RESUME_DEPTH_LIMIT > 1


def test_an_ended_task_drops_its_supervisor_and_callbacks() -> None:
    import weakref

    class Owner:
        def on_end(self, task: Task[Any]) -> None:
            pass

    owner = Owner()
    task = Task(sleep_forever())
    supervise(task, owner.on_end)
    task.add_done_callback(owner.on_end)
    start(task)
    ref = weakref.ref(owner)
    del owner
    assert ref() is not None  # held through the task's hooks while it runs
    task.cancel()
    assert ref() is None  # freed by reference counting alone, the task still alive
    assert task.cancelled


@pytest.mark.parametrize("ending", ["finish", "cancel", "fail"])
def test_hooks_do_not_run_inside_the_handling_of_the_tasks_ending(ending: str) -> None:
    # A supervisor often resumes a parent task; that task must not see the child's
    # StopIteration, Cancelled or error as the exception being handled (it would
    # chain into its own errors and confuse shields).
    import sys

    seen: list[object] = []
    waiting: list[Task[Any]] = []
    task: Task[None] = Task(fails(waiting) if ending == "fail" else suspend(waiting.append))  # type: ignore[arg-type]
    supervise(task, lambda t: seen.append(sys.exc_info()[1]))
    task.add_done_callback(lambda t: seen.append(sys.exc_info()[1]))
    start(task)
    if ending == "cancel":
        task.cancel()
    else:
        waiting.pop().step()
    assert seen == [None, None]


# -- supervised_task ----------------------------------------------------------------------


def test_supervised_task_makes_a_task_that_waits_to_be_started() -> None:
    ended: list[Task[Any]] = []
    waiting: list[Task[Any]] = []
    task: Task[None] = supervised_task(fails(waiting), ended.append)
    assert task.state is TaskState.CREATED
    assert waiting == []
    assert start(task) is task
    assert waiting == [task]
    waiting.pop().step()  # does not raise: the supervisor owns the error
    assert ended == [task]
    assert isinstance(task.exception(), Boom)


def test_supervised_task_is_supervise_on_a_new_task() -> None:
    task = supervised_task(sleep_forever(), lambda t: None)
    with pytest.raises(InvalidStateError, match="already has a supervisor"):
        supervise(task, lambda t: None)
    task.cancel()
    assert task.cancelled


def test_supervised_task_accepts_any_awaitable() -> None:
    class Ready:
        def __await__(self) -> Generator[Any, Any, str]:
            yield from ()  # ready at once: never suspends
            return "ready"

    ended: list[Task[Any]] = []
    task = start(supervised_task(Ready(), ended.append))
    assert task.result == "ready"
    assert ended == [task]


def test_supervised_task_refuses_a_task_and_points_to_supervise() -> None:
    task = Task(sleep_forever())
    with pytest.raises(TypeError, match=r"got a Task; use supervise\(\) for a Task"):
        supervised_task(task, lambda t: None)
    task.cancel()


@pytest.mark.parametrize(
    ("aw", "on_end", "message"),
    [
        (42, lambda t: None, "supervised_task() needs an awaitable, got int"),
        (None, print, "supervised_task() needs an awaitable, got NoneType"),
        ("coroutine", "not callable", "supervised_task() needs a callable, got str"),
    ],
)
def test_supervised_task_names_what_is_wrong(aw: Any, on_end: Any, message: str) -> None:
    if aw == "coroutine":
        aw = sleep_forever()
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        supervised_task(aw, on_end)
    if isinstance(aw, Generator):
        aw.close()


# -- a supervisor that raises, on every way a task can end --------------------------------


async def finishes_after_a_step(waiting: list[Task[Any]]) -> str:
    await suspend(waiting.append)
    return "done"


def _bad_supervisor(task: Task[Any]) -> None:
    raise Boom("supervisor bug")


@pytest.mark.parametrize("ending", ["finishes after a step", "fails after a step", "cancelled"])
def test_a_supervisor_error_reaches_whoever_resumed_the_task(ending: str) -> None:
    waiting: list[Task[Any]] = []
    body = fails(waiting) if ending == "fails after a step" else finishes_after_a_step(waiting)
    task = start(supervised_task(body, _bad_supervisor))
    end = task.cancel if ending == "cancelled" else waiting.pop().step
    with pytest.raises(Boom, match="supervisor bug"):
        end()
    assert task.done()


@pytest.mark.parametrize("ending", ["finishes after a step", "fails after a step", "cancelled"])
def test_a_supervisor_error_goes_to_the_default_handler_when_there_is_one(ending: str) -> None:
    handled: list[tuple[Task[Any], BaseException]] = []
    waiting: list[Task[Any]] = []
    body = fails(waiting) if ending == "fails after a step" else finishes_after_a_step(waiting)
    task = start(supervised_task(body, _bad_supervisor))
    previous = set_default_exception_handler(lambda t, exc: handled.append((t, exc)))
    end = task.cancel if ending == "cancelled" else waiting.pop().step
    try:
        end()  # does not raise: the handler takes it
    finally:
        set_default_exception_handler(previous)
    assert [(t, str(exc)) for t, exc in handled] == [(task, "supervisor bug")]


# -- start_each ---------------------------------------------------------------------------


async def logs_then_waits(log: list[str], name: str, waiting: list[Task[Any]]) -> str:
    log.append(f"{name} runs")
    await suspend(waiting.append)
    log.append(f"{name} resumed")
    return name


def test_start_each_starts_the_tasks_in_order_each_until_it_suspends() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []
    tasks = [Task(logs_then_waits(log, name, waiting)) for name in "abc"]
    start_each(tasks)
    assert log == ["a runs", "b runs", "c runs"]
    assert waiting == tasks
    assert all(task.state is TaskState.STARTED for task in tasks)
    for task in tasks:
        task.step()
    assert [task.result for task in tasks] == ["a", "b", "c"]


def test_start_each_takes_any_iterable_and_an_empty_one() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []
    start_each(())
    start_each(iter([]))
    tasks = (Task(logs_then_waits(log, name, waiting)) for name in "ab")
    start_each(tasks)
    assert log == ["a runs", "b runs"]
    for task in waiting:
        task.cancel()


def test_start_each_skips_a_task_that_an_earlier_one_cancelled_before_its_turn() -> None:
    # The nursery case: the first child fails at once and its supervisor cancels the
    # siblings; the ones not started yet never run.
    log: list[str] = []
    waiting: list[Task[Any]] = []

    async def fails_at_once() -> None:
        raise Boom("first child")

    siblings = [Task(logs_then_waits(log, name, waiting)) for name in "bc"]

    def cancel_siblings(task: Task[Any]) -> None:
        log.append(f"supervisor sees {task.exception()!r}")
        for sibling in siblings:
            sibling.cancel()

    first = supervised_task(fails_at_once(), cancel_siblings)
    start_each([first, *siblings])
    assert log == ["supervisor sees Boom('first child')"]
    assert [task.state for task in siblings] == [TaskState.CANCELLED] * 2
    assert waiting == []


def test_start_each_leaves_a_task_that_someone_else_started_as_it_is() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []
    second = Task(logs_then_waits(log, "b", waiting))

    async def starts_the_second() -> None:
        log.append("a runs")
        start(second)
        await suspend(waiting.append)

    first = Task(starts_the_second())
    start_each([first, second])
    assert log == ["a runs", "b runs"]  # b ran once, not twice
    assert waiting == [second, first]
    for task in waiting:
        task.cancel()


def test_start_each_lets_an_error_out_and_leaves_the_rest_unstarted() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []

    async def fails_at_once() -> None:
        raise Boom("unsupervised")

    first = Task(logs_then_waits(log, "a", waiting))
    failing = Task(fails_at_once())
    last = Task(logs_then_waits(log, "c", waiting))
    with pytest.raises(Boom, match="unsupervised"):
        start_each([first, failing, last])
    assert failing.state is TaskState.CANCELLED
    assert last.state is TaskState.CREATED
    assert log == ["a runs"]
    first.cancel()
    last.cancel()


def test_start_each_runs_finishing_tasks_and_their_supervisors() -> None:
    ended: list[Task[Any]] = []

    async def value(n: int) -> int:
        return n

    tasks = [supervised_task(value(n), ended.append) for n in range(3)]
    start_each(tasks)
    assert ended == tasks
    assert [task.result for task in tasks] == [0, 1, 2]


def test_start_each_refuses_what_is_not_a_task_after_starting_the_tasks_before_it() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []
    first = Task(logs_then_waits(log, "a", waiting))
    coro = sleep_forever()
    with pytest.raises(TypeError, match=r"^start_each\(\) needs tasks, got generator$"):
        start_each([first, coro])  # type: ignore[list-item]
    coro.close()
    assert log == ["a runs"]
    first.cancel()
    with pytest.raises(TypeError):
        start_each(42)  # type: ignore[arg-type]


def test_start_each_nested_past_the_depth_limit_behaves_as_start() -> None:
    # Each task starts the next one from inside its own start, past RESUME_DEPTH_LIMIT:
    # as with start(), each start still runs its task at once, to its first suspension.
    started: list[int] = []
    waiting: list[Task[Any]] = []

    async def level(n: int) -> None:
        started.append(n)
        if n < 3 * RESUME_DEPTH_LIMIT:
            start_each([Task(level(n + 1))])
        await suspend(waiting.append)

    start_each([Task(level(0))])
    assert started == list(range(3 * RESUME_DEPTH_LIMIT + 1))
    assert len(waiting) == 3 * RESUME_DEPTH_LIMIT + 1
    for task in waiting:
        task.cancel()


# -- exception_of, cancel_pending, raise_if_cancelled ------------------------------------


def test_exception_of_never_raises_and_tells_failures_only() -> None:
    from gearwork.core.lowlevel import exception_of

    running = start(sleep_forever())
    assert exception_of(running) is None
    running.cancel()
    assert exception_of(running) is None

    async def fails() -> None:
        raise Boom("x")

    failed = start(fails(), exception_handler=lambda t, e: None)
    assert isinstance(exception_of(failed), Boom)


def test_cancel_pending_follows_a_scope_request_until_the_scope_catches_it() -> None:
    from gearwork.core import disable_cancellation, open_cancel_scope
    from gearwork.core.lowlevel import cancel_pending

    seen: list[bool] = []
    scopes: list[Any] = []

    async def body() -> None:
        me = await current_task()
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            async with disable_cancellation():
                await sleep_forever()
            seen.append(cancel_pending(me))
            await sleep_forever()
        seen.append(cancel_pending(me))

    task = start(body())
    scopes[0].cancel()
    task.step()
    assert seen == [True, False] and task.finished


def test_raise_if_cancelled_delivers_unless_shielded() -> None:
    from gearwork.core import disable_cancellation
    from gearwork.core.lowlevel import raise_if_cancelled

    log: list[str] = []

    async def body() -> str:
        me = await current_task()
        raise_if_cancelled(me)  # nothing pending: returns
        me.cancel()
        async with disable_cancellation():
            raise_if_cancelled(me)  # shielded: returns
            log.append("shielded")
        try:
            raise_if_cancelled(me)
        except Cancelled:
            log.append("delivered")
            raise
        return "not reached"

    task = start(body())
    assert log == ["shielded", "delivered"] and task.cancelled
