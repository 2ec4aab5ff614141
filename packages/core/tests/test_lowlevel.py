"""The low-level API: suspend, supervise, the limit constant."""

from __future__ import annotations

from typing import Any

import pytest

from gearwork.core import InvalidStateError, Task, TaskState, sleep_forever, start
from gearwork.core.lowlevel import RESUME_DEPTH_LIMIT, supervise, suspend


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
