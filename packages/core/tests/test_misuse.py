"""Misuse gets a clear, specific exception; bad arguments never produce anything else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearwork.core import (
    Cancelled,
    CancelScope,
    InvalidStateError,
    Task,
    current_task,
    set_default_exception_handler,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import CancelShield, supervise

# Anything but an awaitable or a task.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
    st.just(Exception),
    st.just(sleep_forever),  # the function, not a call of it
)


@given(junk)
def test_start_rejects_anything_that_is_not_awaitable_with_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=r"^start\(\) needs an awaitable or a Task, got \w+$"):
        start(value)  # type: ignore[call-overload]


@given(junk)
def test_task_rejects_anything_that_is_not_awaitable_with_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=r"^Task\(\) needs an awaitable, got \w+$"):
        Task(value)  # type: ignore[arg-type]


@given(junk.filter(lambda v: v is not None and not callable(v)))
def test_callables_are_checked_where_they_are_stored(value: object) -> None:
    task = start(sleep_forever())
    try:
        with pytest.raises(TypeError):
            task.add_done_callback(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            task.set_exception_handler(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            set_default_exception_handler(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            supervise(task, value)  # type: ignore[arg-type]
    finally:
        task.cancel()


@given(junk.filter(lambda v: not isinstance(v, BaseException)))
def test_throw_accepts_only_exception_instances(value: object) -> None:
    task = start(sleep_forever())
    with pytest.raises(TypeError, match="needs an exception instance"):
        task.throw(value)  # type: ignore[arg-type]
    task.cancel()


@given(junk.filter(lambda v: v is not None))
def test_cancel_scopes_and_shields_accept_only_tasks(value: object) -> None:
    with pytest.raises(TypeError, match="needs a Task or None"):
        CancelScope(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Task or None"):
        CancelShield(value)  # type: ignore[arg-type]


@given(st.one_of(st.text(), st.integers(), st.none(), st.builds(object)))
def test_any_name_and_cancel_message_is_accepted_as_text(value: object) -> None:
    seen: list[tuple[object, ...]] = []

    async def body() -> None:
        try:
            await sleep_forever()
        except Cancelled as e:
            seen.append(e.args)
            raise

    task = start(body())
    task.set_name(value)
    assert task.get_name() == str(value)
    task.cancel(value)  # type: ignore[arg-type]
    assert seen == [() if value is None else (str(value),)]


@given(st.lists(st.integers(), max_size=4), st.dictionaries(st.text(max_size=3), st.integers()))
def test_step_passes_any_arguments_through(args: list[int], kwargs: dict[str, int]) -> None:
    task = start(sleep_forever())
    task.step(*args, **kwargs)
    assert task.result == (tuple(args), kwargs)


def test_resuming_a_finished_task_with_throw_raises_invalid_state() -> None:
    task = start(sleep_forever())
    task.step()
    with pytest.raises(InvalidStateError, match="not suspended"):
        task.throw(ValueError())


def test_stepping_an_ended_task_is_a_harmless_no_op() -> None:
    # Documented: a stale wake-up (a callback that fires after the task ended) must not
    # crash the program that delivers it.
    task = start(sleep_forever())
    task.cancel()
    task.step("late")
    assert task.cancelled


def test_awaiting_a_gearwork_awaitable_from_asyncio_fails_loudly() -> None:
    async def main() -> None:
        await sleep_forever()

    with pytest.raises(RuntimeError, match=r"bad yield.*gearwork\.core\.sleep_forever"):
        asyncio.run(main())


def test_awaiting_current_task_from_asyncio_fails_loudly() -> None:
    async def main() -> Any:
        return await current_task()

    with pytest.raises(RuntimeError, match=r"bad yield.*gearwork\.core\.current_task"):
        asyncio.run(main())


def test_a_started_task_cannot_be_given_a_second_context() -> None:
    import contextvars

    task: Task[Any] = Task(sleep_forever(), context=contextvars.copy_context())
    with pytest.raises(InvalidStateError, match="context of its own"):
        start(task, context=contextvars.copy_context())
    task.cancel()
