"""Ending a task creates no reference cycles, and a failing supervisor loses nothing.

A cycle is not a leak (the cyclic garbage collector frees it), but every cycle
is work for that collector and keeps whatever it reaches alive until the next
collection: a cancelled task holding a large graph would keep it. These tests
run with the collector off and count what it would have to free.
"""

from __future__ import annotations

import gc
import traceback
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gearwork.core import (
    Task,
    TaskState,
    disable_cancellation,
    open_cancel_scope,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import supervise, suspend


class Boom(Exception):
    pass


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def waits() -> None:
    await sleep_forever()


async def fails_later() -> None:
    await sleep_forever()
    raise Boom("late")


async def fails_at_once() -> None:
    raise Boom("early")


async def cleans_up_then_ends() -> None:
    try:
        await sleep_forever()
    finally:
        async with disable_cancellation():
            await suspend(lambda task: task.step())


async def scope_cancelled_then_finishes() -> int:
    async with open_cancel_scope() as scope:
        scope.cancel()
        await sleep_forever()
    return 7


def _start_and_cancel(aw_factory: Callable[[], Any]) -> None:
    start(aw_factory()).cancel()


def _supervised(aw_factory: Callable[[], Any], wake: bool) -> None:
    task: Task[Any] = Task(aw_factory())
    supervise(task, lambda t: None)
    start(task)
    if wake:
        task.step()
    task.cancel()


def _scope_cancelled() -> None:
    assert start(scope_cancelled_then_finishes()).result == 7


def _finishes() -> None:
    async def returns() -> int:
        await sleep_forever()
        return 1

    task = start(returns())
    task.step()
    assert task.result == 1


def _failed_coroutine_frames_keep_their_caller() -> bool:
    """Whether this interpreter links a coroutine's frame to its caller when it fails.

    CPython 3.12 and 3.13 do (python/cpython#100964, fixed upstream later): the frame
    of a coroutine that raised keeps ``f_back``, the frame that called ``send``, alive,
    and with it the whole calling stack and its locals. A stored exception's traceback
    then reaches whoever resumed the task, and the task too, whatever gearwork does.
    """

    async def raises() -> None:
        raise Boom

    coro = raises()
    try:
        coro.send(None)
    except Boom as e:
        tb = e.__traceback__
        assert tb is not None and tb.tb_next is not None
        return tb.tb_next.tb_frame.f_back is not None
    raise AssertionError("unreachable")


FRAMES_KEEP_CALLER = _failed_coroutine_frames_keep_their_caller()
_CPYTHON_100964 = pytest.mark.skipif(
    FRAMES_KEEP_CALLER,
    reason="this CPython keeps a failed coroutine's caller frames alive (cpython#100964)",
)

ENDINGS = [
    pytest.param(_finishes, id="finished after a step"),
    pytest.param(lambda: _start_and_cancel(waits), id="cancelled while suspended"),
    pytest.param(
        lambda: _start_and_cancel(cleans_up_then_ends),
        id="cancelled, async clean-up under disable_cancellation",
    ),
    pytest.param(_scope_cancelled, id="its cancel scope cancelled"),
    pytest.param(lambda: _supervised(waits, wake=False), id="supervised, cancelled"),
    pytest.param(
        lambda: _supervised(fails_at_once, wake=False),
        id="supervised, failed at once",
        marks=_CPYTHON_100964,
    ),
    pytest.param(
        lambda: _supervised(fails_later, wake=True),
        id="supervised, failed after a step",
        marks=_CPYTHON_100964,
    ),
]


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("ending", ENDINGS)
def test_an_ending_leaves_no_cyclic_garbage(ending: Callable[[], None]) -> None:
    for _ in range(3):  # warm-up: caches, interned strings, ...
        ending()
    gc.collect()
    for _ in range(100):
        ending()
    assert gc.collect() == 0


@pytest.mark.parametrize("factory", [fails_at_once, fails_later])
def test_a_failed_task_and_what_it_holds_are_freed_once_dropped(
    factory: Callable[[], Any],
) -> None:
    # Where the interpreter makes a cycle of it (see FRAMES_KEEP_CALLER), the collector
    # frees it; elsewhere dropping the last reference does.
    class Payload:
        pass

    async def holds_then_fails(held: Payload) -> None:
        await factory()  # the frame keeps *held*, standing for a large graph

    payload = Payload()
    alive = weakref.ref(payload)
    task: Task[None] = Task(holds_then_fails(payload))
    supervise(task, lambda t: None)
    start(task)
    task.step()
    assert isinstance(task.exception(), Boom)
    watch = weakref.ref(task)
    del task, payload
    if FRAMES_KEEP_CALLER:
        gc.collect()
    assert watch() is None
    assert alive() is None


def test_a_failed_task_keeps_a_traceback_that_starts_in_its_coroutine() -> None:
    task: Task[None] = Task(fails_later())
    supervise(task, lambda t: None)
    start(task)
    task.step()
    exc = task.exception()
    assert isinstance(exc, Boom)
    frames = [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
    assert frames == ["fails_later"]


def test_an_unsupervised_failure_reaches_the_resumer_with_the_coroutine_frames() -> None:
    task = start(fails_later())
    with pytest.raises(Boom) as info:
        task.step()
    frames = [entry.name for entry in info.traceback]
    assert frames[0] == "test_an_unsupervised_failure_reaches_the_resumer_with_the_coroutine_frames"
    assert frames[-1] == "fails_later"


def test_done_callbacks_run_even_if_the_supervisor_raises() -> None:
    seen: list[str] = []

    def bad_supervisor(task: Task[Any]) -> None:
        seen.append("supervisor")
        raise Boom("supervisor bug")

    task = Task(waits())
    supervise(task, bad_supervisor)
    task.add_done_callback(lambda t: seen.append("callback 1"))
    task.add_done_callback(lambda t: seen.append("callback 2"))
    start(task)
    with pytest.raises(Boom, match="supervisor bug"):
        task.cancel()
    assert seen == ["supervisor", "callback 1", "callback 2"]
    assert task.state is TaskState.CANCELLED


def test_a_supervisor_error_goes_to_the_exception_handler_like_a_task_error() -> None:
    handled: list[BaseException] = []
    task = Task(waits(), exception_handler=lambda t, exc: handled.append(exc))

    def bad_supervisor(t: Task[Any]) -> None:
        raise Boom("supervisor bug")

    supervise(task, bad_supervisor)
    start(task)
    task.cancel()  # does not raise: the handler takes it
    assert [str(e) for e in handled] == ["supervisor bug"]
