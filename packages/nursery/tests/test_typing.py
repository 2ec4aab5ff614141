"""Static typing checks: mypy --strict verifies the assert_type calls below.

At run time the functions run too, to make sure the examples work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from gearwork.core import Task, sleep_forever, start
from gearwork.nursery import (
    FIRST_COMPLETED,
    Nursery,
    azip,
    azip_longest,
    move_on_when,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type
else:

    def assert_type(value: object, _type: object) -> object:
        return value


async def give_int() -> int:
    return 1


async def give_str() -> str:
    return "s"


async def count(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def letters() -> AsyncIterator[str]:
    for letter in "ab":
        yield letter


def test_wait_all_and_wait_any_give_typed_tuples() -> None:
    async def body() -> None:
        a, b = await wait_all(give_int(), give_str())
        assert_type(a, Task[int])
        assert_type(b, Task[str])
        assert_type(a.result, int)
        one = await wait_any(give_int(), Task(give_str()), give_int())
        assert_type(one, tuple[Task[int], Task[str], Task[int]])
        many = await wait_all(
            give_int(), give_int(), give_int(), give_int(), give_int(), give_int()
        )
        assert_type(many, tuple[Task[Any], ...])
        none = await wait_any()
        assert_type(none, tuple[()])

    assert start(body()).finished


def test_the_nursery_gives_typed_tasks() -> None:
    async def body() -> None:
        async with open_nursery() as nursery:
            assert_type(nursery, Nursery)
            task = nursery.start(give_int())
            assert_type(task, Task[int])
            same = nursery.start(Task(give_str()), daemon=True)
            assert_type(same, Task[str])

    assert start(body()).finished


def test_the_one_task_managers_give_the_typed_task() -> None:
    async def body() -> None:
        async with wait_all_cm(give_int()) as a:
            assert_type(a, Task[int])
        async with wait_any_cm(give_str()) as b:
            assert_type(b, Task[str])
        async with move_on_when(give_str()) as c:
            assert_type(c, Task[str])
        async with run_as_main(give_int()) as d:
            assert_type(d, Task[int])
        async with run_as_daemon(Task(give_int())) as e:
            assert_type(e, Task[int])

    assert start(body()).finished


def test_wait_gives_sets_of_tasks() -> None:
    async def body() -> None:
        done, pending = await wait([give_int(), give_int()], return_when=FIRST_COMPLETED)
        assert_type(done, set[Task[int]])
        assert_type(pending, set[Task[int]])

    assert start(body()).finished


def test_azip_gives_typed_tuples() -> None:
    async def body() -> None:
        async for pair in azip(count(2), letters()):
            assert_type(pair, tuple[int, str])
        async for padded in azip_longest(count(3), letters()):
            assert_type(padded, tuple[int | None, str | None])
        async for filled in azip_longest(count(3), letters(), fillvalue=0.5):
            assert_type(filled, tuple[int | float, str | float])

    assert start(body()).finished


def test_a_sleeping_child_is_a_task_of_resumption() -> None:
    async def body() -> None:
        async with open_nursery() as nursery:
            task = nursery.start(sleep_forever())
            task.cancel()

    assert start(body()).finished
