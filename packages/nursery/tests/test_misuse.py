"""Misuse: every construct of gearwork-nursery awaited by asyncio instead of a gearwork task.

asyncio cannot drive gearwork's suspension protocol: at the first yield it throws its
"bad yield" RuntimeError back in. That error must come out, with a note naming the
construct, and every child the construct already started must be cancelled, not left
running or unawaited.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from gearwork.core import Task, TaskState, sleep_forever
from gearwork.nursery import (
    azip,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)


async def _ticks() -> AsyncIterator[int]:
    for i in range(3):
        await sleep_forever()
        yield i


def _children() -> list[Task[Any]]:
    return [Task(sleep_forever()), Task(sleep_forever())]


async def _use_nursery(children: list[Task[Any]]) -> None:
    async with open_nursery() as nursery:
        nursery.start(children[0])


async def _use_cm(cm: Callable[[Task[Any]], Any], children: list[Task[Any]]) -> None:
    async with cm(children[0]):
        pass


async def _use_azip(children: list[Task[Any]]) -> None:
    async for _ in azip(_ticks(), _ticks()):
        pass


# name in the note -> how a coroutine uses it; whether it cancels the children it started
CASES: list[tuple[str, Callable[[list[Task[Any]]], Awaitable[Any]], bool]] = [
    ("wait_all()", lambda c: wait_all(*c), True),
    ("wait_any()", lambda c: wait_any(*c), True),
    ("wait()", lambda c: wait(c), False),
    ("open_nursery()", _use_nursery, False),
    ("wait_all_cm()", lambda c: _use_cm(wait_all_cm, c), False),
    ("wait_any_cm()", lambda c: _use_cm(wait_any_cm, c), False),
    ("run_as_main()", lambda c: _use_cm(run_as_main, c), False),
    ("run_as_daemon()", lambda c: _use_cm(run_as_daemon, c), False),
    ("azip()", _use_azip, True),
]


@pytest.mark.parametrize(("name", "use", "starts_children"), CASES, ids=[c[0] for c in CASES])
def test_awaited_from_asyncio_it_explains_and_leaves_no_child_behind(
    name: str,
    use: Callable[[list[Task[Any]]], Awaitable[Any]],
    starts_children: bool,
    unraisable: list[object],
) -> None:
    children = _children()

    async def main() -> None:
        await use(children)

    with pytest.raises(RuntimeError, match="bad yield") as info:
        asyncio.run(main())
    # A note, or for wait() (which has no except clause to add one from) the name of its
    # registrar in asyncio's own message.
    explained = [note for note in getattr(info.value, "__notes__", ()) if "gearwork task" in note]
    if "gearwork task" in str(info.value):
        explained.append(str(info.value).split("bad yield: ", 1)[1])
    assert len(explained) == 1, (str(info.value), getattr(info.value, "__notes__", None))
    assert f"gearwork.nursery.{name} was awaited outside a gearwork task" in explained[0]
    assert "gearwork.core.start" in explained[0]
    if name == "azip()":
        pass  # its children are its own steps' tasks, not the ones given here
    elif name == "wait()":
        # As asyncio.wait, it leaves the tasks it started running: they are the caller's.
        assert [child.state for child in children] == [TaskState.STARTED] * 2
    elif starts_children:
        # wait_all() and wait_any() start their children as they are awaited, before
        # the first yield: those are cancelled.
        assert [child.state for child in children] == [TaskState.CANCELLED] * 2
    else:
        # The blocks never ran: a background task given to one is ended, never started.
        assert children[0].state in (TaskState.CREATED, TaskState.CANCELLED)
        if name != "open_nursery()":
            assert children[0].cancelled
    for child in children:
        child.cancel()
    assert unraisable == []
