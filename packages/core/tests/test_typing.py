"""Static typing checks: mypy --strict verifies the assert_type calls below.

At run time the functions are only called to make sure they do not fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gearwork.core import Task, current_task, sleep_forever, start
from gearwork.core.lowlevel import Resumption, supervised_task, suspend

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: object, _type: object) -> object:
        return value


async def give_int() -> int:
    return 1


async def give_str() -> str:
    return "s"


def test_start_of_a_coroutine_returning_int_is_a_task_of_int() -> None:
    task = start(give_int())
    assert_type(task, Task[int])
    assert_type(task.result, int)
    assert task.result == 1


def test_start_of_a_task_keeps_its_type() -> None:
    task = start(Task(give_str()))
    assert_type(task, Task[str])
    assert task.result == "s"


def test_awaits_have_precise_types() -> None:
    async def body() -> None:
        me = await current_task()
        assert_type(me, Task[Any])
        resumed = await suspend(lambda t: t.step())
        assert_type(resumed, Resumption)
        args, kwargs = resumed
        assert_type(args, tuple[Any, ...])
        assert_type(kwargs, dict[str, Any])

    start(body())


def test_task_is_covariant() -> None:
    task: Task[object] = start(give_int())
    assert task.finished
    sleeper = start(sleep_forever())
    sleeper.cancel()


def test_supervised_task_keeps_the_type_of_its_awaitable() -> None:
    task = supervised_task(give_int(), lambda t: None)
    assert_type(task, Task[int])
    assert start(task).result == 1
