"""The low-level API: suspend, supervise, supervised_task, the limit constant."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest

from gearwork.core import (
    InvalidStateError,
    Task,
    TaskState,
    set_default_exception_handler,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import RESUME_DEPTH_LIMIT, supervise, supervised_task, suspend


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
        supervised_task(task, lambda t: None)  # type: ignore[arg-type]
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
