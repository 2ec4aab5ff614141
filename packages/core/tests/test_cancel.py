"""Cancellation: tasks, shields (disable_cancellation) and cancel scopes."""

from __future__ import annotations

import contextlib
import gc
import warnings
from typing import Any

import pytest

from gearwork.core import (
    Cancelled,
    CancelScope,
    InvalidStateError,
    Task,
    TaskState,
    current_task,
    disable_cancellation,
    open_cancel_scope,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import CancelShield, checkpoint_if_cancelled, suspend

# -- Task.cancel ---------------------------------------------------------------------


def test_cancelling_a_suspended_task_raises_cancelled_at_its_await_at_once() -> None:
    log: list[str] = []

    async def body() -> None:
        try:
            await sleep_forever()
        except Cancelled:
            log.append("cancelled")
            raise

    task = start(body())
    task.cancel()
    assert log == ["cancelled"]
    assert task.state is TaskState.CANCELLED
    assert task.cancelled and task.done()
    with pytest.raises(Cancelled):
        task.exception()  # a cancelled task has no exception to give (asyncio's rule)


def test_the_cancel_message_reaches_cancelled() -> None:
    seen: list[tuple[object, ...]] = []

    async def body() -> None:
        try:
            await sleep_forever()
        except Cancelled as e:
            seen.append(e.args)
            raise

    start(body()).cancel("window closed")
    assert seen == [("window closed",)]


def test_a_task_that_cancels_itself_is_cancelled_at_its_next_suspension() -> None:
    log: list[str] = []

    async def body() -> None:
        me = await current_task()
        me.cancel()
        log.append("still running")
        try:
            await sleep_forever()
        except Cancelled:
            log.append("cancelled at the await")
            raise

    task = start(body())
    assert log == ["still running", "cancelled at the await"]
    assert task.cancelled


def test_a_task_cancelled_before_it_starts_is_closed_without_running(
    unraisable: list[object],
) -> None:
    ran: list[bool] = []

    async def body() -> None:
        ran.append(True)

    task = Task(body())
    task.cancel()
    assert task.cancelled and ran == []
    with pytest.raises(InvalidStateError):
        start(task)
    gc.collect()
    assert unraisable == []  # no "coroutine was never awaited"


def test_cancelling_an_ended_task_does_nothing() -> None:
    async def body() -> int:
        return 1

    task = start(body())
    task.cancel()
    assert task.finished and task.result == 1


def test_close_is_an_alias_of_cancel() -> None:
    task = start(sleep_forever())
    task.close()
    assert task.cancelled


def test_a_task_that_swallows_cancelled_and_returns_is_finished() -> None:
    async def body() -> str:
        with contextlib.suppress(Cancelled):
            await sleep_forever()
        return "swallowed"

    task = start(body())
    task.cancel()
    assert task.finished and task.result == "swallowed"


def test_awaiting_during_cancellation_without_a_shield_is_cancelled_again_with_a_hint() -> None:
    notes: list[list[str]] = []

    async def body() -> None:
        try:
            await sleep_forever()
        finally:
            try:
                await sleep_forever()
            except Cancelled as e:
                notes.append(getattr(e, "__notes__", []))
                raise

    task = start(body())
    task.cancel()
    assert task.cancelled
    assert len(notes) == 1 and "disable_cancellation" in notes[0][0]


def test_an_error_raised_while_handling_cancellation_reaches_the_canceller() -> None:
    async def body() -> None:
        try:
            await sleep_forever()
        finally:
            raise ValueError("clean-up failed")

    task = start(body())
    with pytest.raises(ValueError, match="clean-up failed"):
        task.cancel()
    assert task.cancelled and isinstance(task.exception(), ValueError)


# -- disable_cancellation ---------------------------------------------------------------


def test_cancellation_inside_disable_cancellation_is_delivered_at_the_next_suspension() -> None:
    log: list[str] = []

    async def body() -> None:
        async with disable_cancellation():
            await sleep_forever()
            log.append("block finished")
        log.append("after the block")
        await sleep_forever()
        log.append("not reached")

    task = start(body())
    task.cancel()
    assert task.state is TaskState.STARTED
    task.step()
    assert log == ["block finished", "after the block"]
    assert task.cancelled


def test_a_value_computed_under_protection_and_returned_after_the_block_is_kept() -> None:
    async def body() -> int:
        async with disable_cancellation():
            (value,), _ = await sleep_forever()
            result: int = value * 2
        return result

    task = start(body())
    task.cancel()
    task.step(21)
    assert task.finished and task.result == 42


def test_a_cancellation_left_pending_by_a_shield_is_delivered_by_the_next_await() -> None:
    from gearwork.core.lowlevel import cancel_pending, checkpoint_if_cancelled

    seen: list[bool] = []

    async def body() -> None:
        me = await current_task()
        async with disable_cancellation():
            await sleep_forever()
        seen.append(cancel_pending(me))
        await checkpoint_if_cancelled()  # a suspension point that does not wait
        seen.append(False)  # not reached

    task = start(body())
    task.cancel()
    task.step()
    assert seen == [True] and task.cancelled


def test_nested_shields_deliver_at_the_outermost_exit() -> None:
    log: list[str] = []

    async def body() -> None:
        async with disable_cancellation():
            async with disable_cancellation():
                await sleep_forever()
            log.append("between")
            await sleep_forever()
            log.append("outer done")
        await sleep_forever()
        log.append("not reached")

    task = start(body())
    task.cancel()
    task.step()
    assert log == ["between"]
    task.step()
    assert log == ["between", "outer done"] and task.cancelled


def test_an_await_in_finally_works_under_disable_cancellation_and_the_task_ends_cancelled() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []

    async def body() -> None:
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                args, _ = await suspend(waiting.append)
                log.append(f"clean-up got {args[0]}")
            log.append("after the shield")

    task = start(body())
    task.cancel()
    assert task.state is TaskState.STARTED  # waiting inside its clean-up
    waiting.pop().step("ack")
    assert log == ["clean-up got ack", "after the shield"]
    assert task.cancelled


def test_cancelling_a_task_inside_its_shield_twice_is_harmless() -> None:
    async def body() -> None:
        async with disable_cancellation():
            await sleep_forever()
        await sleep_forever()

    task = start(body())
    task.cancel()
    task.cancel("again")
    task.step()
    assert task.cancelled


def test_an_uncancelled_task_leaves_disable_cancellation_normally() -> None:
    async def body() -> str:
        async with disable_cancellation():
            await sleep_forever()
        return "normal"

    task = start(body())
    task.step()
    assert task.result == "normal"


def test_sync_cancel_shield_protects_the_given_task() -> None:
    async def body() -> str:
        me = await current_task()
        with CancelShield(me):
            await sleep_forever()
        await sleep_forever()
        return "unreachable"

    task = start(body())
    task.cancel()
    assert task.state is TaskState.STARTED
    task.step()
    assert task.cancelled


def test_cancel_shield_checks_its_argument() -> None:
    with pytest.raises(TypeError, match="needs a Task or None, got int"):
        CancelShield(3)  # type: ignore[arg-type]
    with (
        pytest.raises(InvalidStateError, match=r"write `async with disable_cancellation\(\):`"),
        CancelShield(),
    ):
        pass


# -- cancel scopes ---------------------------------------------------------------------


async def scoped(scopes: list[CancelScope], log: list[str]) -> str:
    async with open_cancel_scope() as scope:
        scopes.append(scope)
        await sleep_forever()
        log.append("not reached")
    log.append("after the scope")
    return "done"


def test_cancelling_a_scope_ends_its_block_and_the_task_goes_on() -> None:
    scopes: list[CancelScope] = []
    log: list[str] = []
    task = start(scoped(scopes, log))
    (scope,) = scopes
    assert (scope.cancel_called, scope.closed) == (False, False)
    scope.cancel()
    assert (scope.cancel_called, scope.cancelled_caught, scope.closed) == (True, True, True)
    assert log == ["after the scope"] and task.result == "done"


def test_cancelling_an_outer_scope_passes_through_the_inner_one() -> None:
    scopes: list[CancelScope] = []
    log: list[str] = []

    async def body() -> None:
        async with open_cancel_scope() as outer:
            scopes.append(outer)
            async with open_cancel_scope() as inner:
                scopes.append(inner)
                await sleep_forever()
            log.append("inner exited normally")
        log.append("after outer")

    start(body())
    outer, inner = scopes
    outer.cancel()
    assert log == ["after outer"]
    assert outer.cancelled_caught and not inner.cancelled_caught


def test_an_inner_cancel_after_an_outer_one_does_not_narrow_the_target() -> None:
    scopes: list[CancelScope] = []
    log: list[str] = []

    async def body() -> None:
        async with open_cancel_scope() as outer:
            scopes.append(outer)
            async with disable_cancellation(), open_cancel_scope() as inner:
                scopes.append(inner)
                await sleep_forever()
            log.append("after the shield")
            await sleep_forever()
            log.append("not reached")
        log.append("after outer")

    task = start(body())
    outer, inner = scopes
    outer.cancel()  # recorded: shielded
    inner.cancel()
    task.step()
    assert log == ["after the shield", "after outer"] and outer.cancelled_caught


def test_cancelling_the_task_passes_through_every_scope() -> None:
    scopes: list[CancelScope] = []
    log: list[str] = []
    task = start(scoped(scopes, log))
    task.cancel()
    assert task.cancelled and log == [] and not scopes[0].cancelled_caught


def test_a_scope_cancelled_while_its_task_runs_is_delivered_at_the_next_suspension() -> None:
    log: list[str] = []

    async def body() -> None:
        async with open_cancel_scope() as scope:
            scope.cancel()
            log.append("still running")
            await sleep_forever()
        log.append(f"caught={scope.cancelled_caught}")

    task = start(body())
    assert log == ["still running", "caught=True"] and task.finished


def test_a_scope_cancelled_before_any_suspension_exits_without_catching() -> None:
    async def body() -> bool:
        async with open_cancel_scope() as scope:
            scope.cancel()
        await checkpoint_if_cancelled()  # nothing pending any more
        return scope.cancelled_caught

    assert start(body()).result is False


def test_a_scope_cancelled_before_it_is_entered_cancels_at_the_first_suspension() -> None:
    scope = CancelScope()
    scope.cancel()

    async def body() -> bool:
        async with scope:
            await sleep_forever()
        return scope.cancelled_caught

    assert start(body()).result is True


def test_cancelling_a_closed_scope_does_nothing() -> None:
    scopes: list[CancelScope] = []
    task = start(scoped(scopes, []))
    scopes[0].cancel()
    scopes[0].cancel()
    assert task.finished


def test_a_scope_cancel_message_reaches_cancelled() -> None:
    seen: list[tuple[object, ...]] = []
    scopes: list[CancelScope] = []

    async def body() -> None:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            try:
                await sleep_forever()
            except Cancelled as e:
                seen.append(e.args)
                raise

    start(body())
    scopes[0].cancel("timeout")
    assert seen == [("timeout",)]


def test_a_scope_can_be_entered_only_once() -> None:
    async def body() -> None:
        scope = open_cancel_scope()
        async with scope:
            pass
        async with scope:
            pass

    with pytest.raises(InvalidStateError, match="entered only once"):
        start(body())


def test_scopes_exited_out_of_order_raise_invalid_state() -> None:
    async def body() -> None:
        me = await current_task()
        outer, inner = CancelScope(me), CancelScope(me)
        outer.__enter__()
        inner.__enter__()
        outer.__exit__(None, None, None)

    with pytest.raises(InvalidStateError, match="out of order"):
        start(body())


def test_a_sync_cancel_scope_needs_a_task() -> None:
    with (
        pytest.raises(InvalidStateError, match=r"write `async with open_cancel_scope\(\) as"),
        CancelScope(),
    ):
        pass
    with pytest.raises(TypeError, match="needs a Task or None, got str"):
        CancelScope("task")  # type: ignore[arg-type]


def test_a_cancelled_scope_inside_disable_cancellation_is_delivered_at_exit() -> None:
    scopes: list[CancelScope] = []
    log: list[str] = []

    async def body() -> None:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            async with disable_cancellation():
                await sleep_forever()
                log.append("shield body done")
            log.append("after the shield")
            await sleep_forever()
            log.append("not reached")
        log.append(f"caught={scope.cancelled_caught}")

    task = start(body())
    scopes[0].cancel()
    task.step()
    assert log == ["shield body done", "after the shield", "caught=True"] and task.finished


def test_checkpoint_if_cancelled_raises_only_when_a_cancellation_is_pending() -> None:
    log: list[str] = []

    async def body() -> None:
        await checkpoint_if_cancelled()
        log.append("passed")
        me = await current_task()
        me.cancel()
        await checkpoint_if_cancelled()
        log.append("not reached")

    task = start(body())
    assert log == ["passed"] and task.cancelled


def test_no_warnings_are_emitted_by_cancellation() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        start(scoped([], [])).cancel()
