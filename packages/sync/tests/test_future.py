from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any

import pytest

from gearwork.core import BaseExceptionGroup, Cancelled, InvalidStateError, start
from gearwork.core.lowlevel import exception_of
from gearwork.sync import Future


async def _await(future: Future[Any], into: list[Any]) -> None:
    into.append(await future)


# -- the asyncio surface -----------------------------------------------------------


def test_a_new_future_is_pending() -> None:
    future: Future[int] = Future()
    assert not future.done()
    assert not future.cancelled()
    with pytest.raises(InvalidStateError, match="not done yet"):
        future.result()
    with pytest.raises(InvalidStateError, match="not done yet"):
        future.exception()
    assert repr(future) == "<Future pending>"


def test_set_result_makes_the_future_done_with_that_result() -> None:
    future: Future[int] = Future()
    future.set_result(3)
    assert future.done()
    assert not future.cancelled()
    assert future.result() == 3
    assert future.exception() is None
    assert repr(future) == "<Future finished result=3>"


def test_set_exception_makes_result_raise_it() -> None:
    future: Future[int] = Future()
    error = KeyError("k")
    future.set_exception(error)
    assert future.done()
    assert future.exception() is error
    for _ in range(2):  # raising it again does not pile up traceback entries
        with pytest.raises(KeyError) as info:
            future.result()
        assert info.value is error
    assert repr(future) == "<Future finished exception=KeyError('k')>"


def test_result_of_a_raised_exception_keeps_its_original_traceback() -> None:
    future: Future[int] = Future()
    try:
        raise ValueError("deep")
    except ValueError as exc:
        future.set_exception(exc)
        depth = len(_frames(exc))
    lengths = []
    for _ in range(3):
        with pytest.raises(ValueError, match="deep") as info:
            future.result()
        lengths.append(len(_frames(info.value)))
    # The original frames, result()'s and this test's: the same each time, never growing.
    assert lengths == [depth + 2] * 3


def _frames(exc: BaseException) -> list[object]:
    frames: list[object] = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (ValueError, "got the class ValueError; pass ValueError\\(\\) instead"),
        ("error", "needs an exception instance, got str"),
        (StopIteration(), "StopIteration cannot be raised into a coroutine"),
        (Cancelled(), "call its cancel\\(\\) method"),
    ],
)
def test_set_exception_refuses_what_is_not_a_raisable_exception(bad: Any, message: str) -> None:
    future: Future[int] = Future()
    with pytest.raises(TypeError, match=message):
        future.set_exception(bad)
    assert not future.done()


def test_setting_a_done_future_raises_invalid_state_error() -> None:
    future: Future[int] = Future()
    future.set_result(1)
    with pytest.raises(InvalidStateError, match="already done"):
        future.set_result(2)
    with pytest.raises(InvalidStateError, match="already done"):
        future.set_exception(ValueError())
    assert not future.cancel()
    assert future.result() == 1


def test_cancel_makes_result_and_exception_raise_cancelled_with_the_message() -> None:
    future: Future[int] = Future()
    assert future.cancel("stop")
    assert future.cancelled()
    assert future.done()
    with pytest.raises(Cancelled) as info:
        future.result()
    assert info.value.args == ("stop",)
    with pytest.raises(Cancelled):
        future.exception()
    assert not future.cancel()
    with pytest.raises(InvalidStateError):
        future.set_result(1)
    assert repr(future) == "<Future cancelled>"


def test_cancel_without_a_message_raises_a_bare_cancelled() -> None:
    future: Future[int] = Future()
    future.cancel()
    with pytest.raises(Cancelled) as info:
        future.result()
    assert info.value.args == ()


# -- callbacks ---------------------------------------------------------------------------


def test_done_callbacks_run_synchronously_in_order_when_the_future_completes() -> None:
    future: Future[str] = Future()
    log: list[str] = []
    future.add_done_callback(lambda f: log.append("a " + f.result()))
    future.add_done_callback(lambda f: log.append("b " + f.result()))
    assert log == []
    future.set_result("done")
    assert log == ["a done", "b done"]


def test_a_callback_added_to_a_done_future_runs_at_once() -> None:
    future: Future[int] = Future()
    future.cancel()
    log: list[bool] = []
    future.add_done_callback(lambda f: log.append(f.cancelled()))
    assert log == [True]


def test_callbacks_and_awaiting_tasks_run_in_one_order() -> None:
    future: Future[int] = Future()
    log: list[str] = []

    async def waiter(name: str) -> None:
        await future
        log.append(name)

    start(waiter("task 1"))
    future.add_done_callback(lambda f: log.append("callback"))
    start(waiter("task 2"))
    future.set_result(0)
    assert log == ["task 1", "callback", "task 2"]


def test_remove_done_callback_removes_every_registration_and_counts_them() -> None:
    future: Future[int] = Future()
    log: list[str] = []

    def one(f: Future[int]) -> None:
        log.append("one")

    def two(f: Future[int]) -> None:
        log.append("two")

    future.add_done_callback(one)
    future.add_done_callback(two)
    future.add_done_callback(one)
    assert future.remove_done_callback(one) == 2
    assert future.remove_done_callback(one) == 0
    future.set_result(1)
    assert log == ["two"]
    assert future.remove_done_callback(two) == 0


def test_removing_a_callback_does_not_disturb_awaiting_tasks() -> None:
    future: Future[int] = Future()
    got: list[int] = []
    future.add_done_callback(print)
    start(_await(future, got))
    assert future.remove_done_callback(print) == 1
    future.set_result(5)
    assert got == [5]


def test_add_done_callback_refuses_what_is_not_callable() -> None:
    with pytest.raises(TypeError, match="needs a callable, got int"):
        Future().add_done_callback(3)  # type: ignore[arg-type]


def test_a_raising_callback_does_not_stop_the_others_and_is_raised_afterwards() -> None:
    future: Future[int] = Future()
    log: list[str] = []

    def bad(f: Future[int]) -> None:
        raise ValueError("callback failed")

    future.add_done_callback(bad)
    future.add_done_callback(lambda f: log.append("ran"))
    with pytest.raises(ValueError, match="callback failed"):
        future.set_result(1)
    assert log == ["ran"]
    assert future.result() == 1


def test_several_raising_callbacks_are_raised_as_a_group() -> None:
    future: Future[int] = Future()

    def bad(f: Future[int]) -> None:
        raise ValueError("callback failed")

    future.add_done_callback(bad)
    future.add_done_callback(bad)
    with pytest.raises(BaseExceptionGroup) as info:
        future.cancel()
    assert len(info.value.exceptions) == 2


# -- awaiting ------------------------------------------------------------------------------


def test_awaiting_a_pending_future_waits_for_its_result() -> None:
    future: Future[str] = Future()
    got: list[str] = []
    task = start(_await(future, got))
    assert not task.finished
    future.set_result("value")
    assert got == ["value"]
    assert task.finished


@pytest.mark.parametrize("outcome", ["result", "exception", "cancelled"])
def test_awaiting_a_done_future_does_not_suspend(outcome: str) -> None:
    future: Future[str] = Future()
    if outcome == "result":
        future.set_result("value")
    elif outcome == "exception":
        future.set_exception(KeyError("k"))
    else:
        future.cancel("gone")
    log: list[str] = []

    async def main() -> None:
        try:
            log.append(await future)
        except KeyError:
            log.append("KeyError")
        except Cancelled as exc:
            log.append(f"Cancelled{exc.args}")

    assert start(main()).finished  # ran to the end without suspending
    assert log == [
        {"result": "value", "exception": "KeyError", "cancelled": "Cancelled('gone',)"}[outcome]
    ]


def test_awaiting_a_future_that_gets_an_exception_raises_it_in_every_awaiting_task() -> None:
    future: Future[int] = Future()
    caught: list[str] = []

    async def main() -> None:
        try:
            await future
        except LookupError as exc:
            caught.append(repr(exc))

    start(main())
    start(main())
    future.set_exception(IndexError(7))
    assert caught == ["IndexError(7)", "IndexError(7)"]


def test_a_task_awaiting_a_future_that_is_cancelled_ends_cancelled() -> None:
    future: Future[int] = Future()
    task = start(_await(future, []))
    future.cancel()
    assert task.cancelled
    assert exception_of(task) is None  # a plain cancellation, not an error


def test_cancelling_a_task_that_awaits_a_future_leaves_the_future_pending() -> None:
    future: Future[int] = Future()
    got: list[int] = []
    cancelled = start(_await(future, []))
    other = start(_await(future, got))
    cancelled.cancel()
    assert cancelled.cancelled
    assert not future.done()  # unlike asyncio: the future is not cancelled
    future.set_result(1)
    assert got == [1]
    assert other.finished


def test_generator_based_coroutines_can_yield_from_a_future() -> None:
    future: Future[int] = Future()

    @types.coroutine
    def legacy() -> Generator[Any, Any, int]:
        return (yield from future)

    async def main() -> int:
        return await legacy()

    task = start(main())
    future.set_result(4)
    assert task.result == 4


def test_a_future_can_be_awaited_many_times_for_the_same_result() -> None:
    future: Future[int] = Future()
    future.set_result(9)

    async def main() -> list[int]:
        return [await future for _ in range(3)]

    assert start(main()).result == [9, 9, 9]


# -- wait(): anyioutils' semantics ---------------------------------------------------


async def _wait(future: Future[Any], into: list[Any]) -> None:
    into.append(await future.wait())


def test_wait_on_a_pending_future_evaluates_to_its_result() -> None:
    future: Future[int] = Future()
    got: list[Any] = []
    task = start(_wait(future, got))
    assert not task.done()
    future.set_result(7)
    assert task.finished and got == [7]


def test_wait_on_a_future_that_is_cancelled_evaluates_to_none() -> None:
    future: Future[int] = Future()
    got: list[Any] = []
    task = start(_wait(future, got))
    future.cancel("not needed")
    assert task.finished and got == [None]


def test_wait_on_a_future_that_gets_an_exception_raises_it() -> None:
    future: Future[int] = Future()
    error = KeyError("k")
    caught: list[BaseException] = []

    async def main() -> None:
        try:
            await future.wait()
        except KeyError as exc:
            caught.append(exc)

    task = start(main())
    future.set_exception(error)
    assert task.finished and caught == [error]


@pytest.mark.parametrize("outcome", ["result", "exception", "cancelled"])
def test_wait_on_a_done_future_does_not_suspend(outcome: str) -> None:
    future: Future[int] = Future()
    if outcome == "result":
        future.set_result(1)
    elif outcome == "exception":
        future.set_exception(ValueError("bad"))
    else:
        future.cancel()
    got: list[Any] = []
    if outcome == "exception":
        with pytest.raises(ValueError, match="bad"):  # out of start(): it did not suspend
            start(_wait(future, got))
        return
    task = start(_wait(future, got))
    assert task.finished and got == [1 if outcome == "result" else None]


def test_a_task_cancelled_in_wait_leaves_and_the_other_waiters_are_woken_in_order() -> None:
    future: Future[str] = Future()
    log: list[str] = []

    async def waiter(name: str) -> None:
        try:
            log.append(f"{name}: {await future.wait()}")
        except Cancelled:
            log.append(f"{name}: cancelled")
            raise

    first = start(waiter("first"))
    middle = start(waiter("middle"))
    future.add_done_callback(lambda f: log.append("callback"))
    last = start(waiter("last"))
    middle.cancel()
    assert middle.cancelled and not future.done()
    assert log == ["middle: cancelled"]
    future.set_result("ok")
    assert log == ["middle: cancelled", "first: ok", "callback", "last: ok"]
    assert first.finished and last.finished


def test_cancelling_every_task_in_wait_leaves_nothing_behind() -> None:
    future: Future[int] = Future()
    tasks = [start(_wait(future, [])) for _ in range(3)]
    for task in reversed(tasks):
        task.cancel()
    assert future.remove_done_callback(print) == 0
    got: list[Any] = []
    later = start(_wait(future, got))
    future.set_result(5)
    assert later.finished and got == [5]
    assert all(task.cancelled for task in tasks)


def test_wait_and_await_of_one_future_wake_in_the_order_they_began() -> None:
    future: Future[int] = Future()
    got: list[Any] = []
    start(_await(future, got))
    start(_wait(future, got))
    future.set_result(3)
    assert got == [3, 3]


def test_a_generator_based_coroutine_can_yield_from_wait() -> None:
    future: Future[int] = Future()

    @types.coroutine
    def legacy() -> Generator[Any, Any, int | None]:
        return (yield from future.wait())

    async def main() -> int | None:
        return await legacy()

    task = start(main())
    future.cancel()
    assert task.finished and task.result is None
