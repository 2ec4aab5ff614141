"""Misuse gets a clear, specific exception; bad arguments never produce anything else."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable, Generator
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
    set_debug,
    set_default_exception_handler,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import (
    CancelShield,
    checkpoint_if_cancelled,
    explain_foreign_throw,
    start_each,
    supervise,
)

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


# What explain_not_awaitable() may add: a hint to call a function that was passed.
_HINT = r"(; \S+ is a \w+( function)?: (call it|pass what it returns), as in \S+\(\))?$"


@given(junk)
def test_start_rejects_anything_that_is_not_awaitable_with_type_error(value: object) -> None:
    with pytest.raises(
        TypeError, match=r"^start\(\) needs an awaitable or a Task, got \w+" + _HINT
    ):
        start(value)  # type: ignore[call-overload]


@given(junk)
def test_task_rejects_anything_that_is_not_awaitable_with_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=r"^Task\(\) needs an awaitable, got \w+" + _HINT):
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


@given(junk)
def test_start_each_accepts_only_an_iterable_of_tasks(value: object) -> None:
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        with pytest.raises(
            TypeError, match=r"^start_each\(\) needs an iterable of tasks, got \w+$"
        ):
            start_each(value)  # type: ignore[arg-type]
        return
    if not items:
        start_each(value)  # type: ignore[arg-type]  # nothing to start
        return
    with pytest.raises(TypeError, match=r"^start_each\(\) needs tasks, got \w+" + _HINT):
        start_each(value)  # type: ignore[arg-type]


@given(junk, st.one_of(junk, st.text(max_size=5)))
def test_explain_foreign_throw_checks_its_arguments(exc: object, what: object) -> None:
    if not isinstance(exc, BaseException):
        with pytest.raises(TypeError, match=r"^explain_foreign_throw\(\) needs an exception"):
            explain_foreign_throw(exc, "x()")  # type: ignore[arg-type]
    if not isinstance(what, str):
        with pytest.raises(TypeError, match=r"^explain_foreign_throw\(\) needs a str what"):
            explain_foreign_throw(RuntimeError(), what)  # type: ignore[arg-type]
    else:
        assert explain_foreign_throw(RuntimeError(), what) is True


@given(junk.filter(lambda v: not isinstance(v, bool)))
def test_set_debug_accepts_only_a_bool(value: object) -> None:
    with pytest.raises(TypeError, match=r"^set_debug\(\) needs a bool, got \w+" + _HINT):
        set_debug(value)  # type: ignore[arg-type]


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


# What a foreign loop throws in at a gearwork awaitable's yield: asyncio's own error, and
# the one trio throws (imitated by hand: trio is not a test dependency of core).
# core's own awaitables have no except clause (it would cost every cancellation): their
# registrars' names, which the foreign loop's error shows, say what went wrong.
NAMED_BY_REGISTRAR = [
    ("gearwork.core.sleep_forever()", sleep_forever),
    ("gearwork.core.current_task()", current_task),
    ("gearwork.core.lowlevel.checkpoint_if_cancelled()", checkpoint_if_cancelled),
]


@pytest.mark.parametrize(
    ("what", "make"), NAMED_BY_REGISTRAR, ids=[w for w, _ in NAMED_BY_REGISTRAR]
)
def test_awaiting_a_core_awaitable_from_asyncio_names_it_and_the_fix_in_the_error(
    what: str, make: Callable[[], Awaitable[Any]]
) -> None:
    async def main() -> None:
        await make()

    with pytest.raises(RuntimeError, match=r"bad yield") as info:
        asyncio.run(main())
    message = str(info.value)
    assert f"{what} was awaited outside a gearwork task" in message
    assert "gearwork.core.start" in message


# An awaitable written on the public protocol, as the lowlevel docs show, that explains.
seen: list[bool] = []


@types.coroutine
def doorbell(register: Callable[[Task[Any]], object]) -> Generator[Any, Any, Any]:
    try:
        return (yield register)
    except BaseException as exc:
        seen.append(explain_foreign_throw(exc, "Doorbell.wait()"))
        raise


def _foreign_note(exc: BaseException) -> str:
    notes = [str(note) for note in getattr(exc, "__notes__", ()) if "gearwork task" in note]
    assert len(notes) == 1, getattr(exc, "__notes__", None)
    return notes[0]


def test_an_awaitable_built_on_explain_foreign_throw_explains_itself_to_asyncio() -> None:
    seen.clear()

    async def main() -> None:
        await doorbell(lambda task: None)

    with pytest.raises(RuntimeError, match=r"bad yield") as info:
        asyncio.run(main())
    assert seen == [True]
    note = _foreign_note(info.value)
    assert note.startswith("Doorbell.wait() was awaited outside a gearwork task")
    assert "gearwork.core.start" in note


def test_a_trio_like_loop_gets_its_type_error_back_with_the_note() -> None:
    seen.clear()

    async def main() -> None:
        await doorbell(lambda task: None)

    coro = main()
    yielded = coro.send(None)
    complaint = TypeError(f"trio.run received unrecognized yield message {yielded!r}")
    with pytest.raises(TypeError, match="unrecognized yield message") as info:
        coro.throw(complaint)
    assert info.value is complaint
    assert seen == [True]
    assert _foreign_note(complaint).startswith("Doorbell.wait() was awaited outside")


def test_a_cancellation_or_throw_by_a_gearwork_task_gets_no_note() -> None:
    seen.clear()

    async def waits() -> None:
        await doorbell(lambda task: None)

    cancelled = start(waits())
    cancelled.cancel()
    assert cancelled.cancelled

    class Boom(Exception):
        pass

    thrown = start(waits(), exception_handler=lambda task, exc: None)
    boom = Boom()
    thrown.throw(boom)
    assert thrown.exception() is boom
    assert not getattr(boom, "__notes__", None)
    assert seen == [False, False]


def test_a_registrar_error_raised_at_the_await_gets_no_note() -> None:
    seen.clear()

    class Refused(Exception):
        pass

    def refuse(task: Task[Any]) -> None:
        raise Refused("no room")

    async def waits() -> None:
        await doorbell(refuse)

    task = start(waits(), exception_handler=lambda task, exc: None)
    exc = task.exception()
    assert isinstance(exc, Refused)
    assert not getattr(exc, "__notes__", None)
    assert seen == [False]


def test_explain_foreign_throw_names_the_outermost_once_and_skips_generator_exit() -> None:
    exc = RuntimeError("Task got bad yield: <something>")
    assert explain_foreign_throw(exc, "a()")
    notes: list[str] = getattr(exc, "__notes__", [])
    notes.append("someone else's note")
    assert explain_foreign_throw(exc, "b()")  # an outer awaitable of the same chain
    assert [n.split(":")[0] for n in notes] == [
        "b() was awaited outside a gearwork task",
        "someone else's note",
    ]
    exit_ = GeneratorExit()
    assert not explain_foreign_throw(exit_, "a()")
    assert not getattr(exit_, "__notes__", None)


def test_explain_foreign_throw_accepts_an_unhashable_exception() -> None:
    class Unhashable(Exception):
        __hash__ = None  # type: ignore[assignment]

    exc = Unhashable()
    assert explain_foreign_throw(exc, "a()")

    seen.clear()

    async def waits() -> None:
        await doorbell(lambda task: None)

    task = start(waits(), exception_handler=lambda task, exc: None)
    thrown = Unhashable()
    task.throw(thrown)  # gearwork's own throw: recognised, no note
    assert task.exception() is thrown
    assert not getattr(thrown, "__notes__", None)
    assert seen == [False]


def test_a_started_task_cannot_be_given_a_second_context() -> None:
    import contextvars

    task: Task[Any] = Task(sleep_forever(), context=contextvars.copy_context())
    with pytest.raises(InvalidStateError, match="context of its own"):
        start(task, context=contextvars.copy_context())
    task.cancel()


# -- a coroutine object belongs to one task ---------------------------------------------


async def waits_and_returns() -> str:
    (value,), _ = await sleep_forever()
    return str(value)


@types.coroutine
def generator_waits() -> Generator[Any, Any, str]:
    (value,), _ = yield from sleep_forever()
    return str(value)


COROUTINE_KINDS: dict[str, Callable[[], Any]] = {
    "async def": waits_and_returns,
    "@types.coroutine": generator_waits,
}


def _start_again(coro: Any) -> None:
    start(coro)


def _wrap_again(coro: Any) -> None:
    Task(coro)


def _start_task_again(coro: Any) -> None:
    start(Task(coro))


SECOND_STARTS: dict[str, Callable[[Any], None]] = {
    "start(c)": _start_again,
    "Task(c)": _wrap_again,
    "start(Task(c))": _start_task_again,
}


@pytest.mark.parametrize("kind", list(COROUTINE_KINDS))
@pytest.mark.parametrize("again", list(SECOND_STARTS))
def test_starting_a_coroutine_another_task_drives_is_refused_and_leaves_that_task_alone(
    kind: str, again: str
) -> None:
    coro = COROUTINE_KINDS[kind]()
    first = start(coro)
    with pytest.raises(InvalidStateError, match="has already begun running"):
        SECOND_STARTS[again](coro)
    assert first.state.name == "STARTED"
    first.step("still mine")
    assert first.result == "still mine"


@pytest.mark.parametrize("kind", list(COROUTINE_KINDS))
@pytest.mark.parametrize("how", ["start", "start_each"])
def test_a_second_task_made_of_the_same_coroutine_is_refused_when_it_starts(
    kind: str, how: str
) -> None:
    coro = COROUTINE_KINDS[kind]()
    first, second = Task(coro), Task(coro)
    ended: list[str] = []
    second.add_done_callback(lambda t: ended.append(t.state.name))
    start(first)
    with pytest.raises(InvalidStateError, match="has already begun running"):
        start(second) if how == "start" else start_each([second])
    assert ended == ["CANCELLED"]  # told, and its coroutine (the first's) not touched
    first.step(1)
    assert first.result == "1"


def test_starting_a_coroutine_that_has_ended_is_refused() -> None:
    coro = waits_and_returns()
    first = start(coro)
    first.step(1)
    with pytest.raises(InvalidStateError, match="has already run to its end or been closed"):
        start(coro)
    closed = waits_and_returns()
    closed.close()
    with pytest.raises(InvalidStateError, match="has already run to its end or been closed"):
        start(closed)


def test_starting_the_coroutine_that_is_running_is_refused() -> None:
    errors: list[str] = []

    async def starts_itself() -> None:
        try:
            start(me_coro)
        except InvalidStateError as exc:
            errors.append(str(exc))

    me_coro = starts_itself()
    task = start(me_coro)
    assert task.finished and "is running right now" in errors[0]


def test_a_supervised_task_of_a_driven_coroutine_is_refused_when_it_starts() -> None:
    from gearwork.core.lowlevel import supervised_task

    coro = waits_and_returns()
    first = start(coro)
    told: list[str] = []
    second = supervised_task(coro, lambda t: told.append(t.state.name))  # cheap: no check yet
    with pytest.raises(InvalidStateError, match=r"start\(\): the coroutine .* begun running"):
        start(second)
    assert second.cancelled and told == ["CANCELLED"]  # the supervisor hears of it
    assert first.state.name == "STARTED"  # the task that drives the coroutine is left alone
    first.cancel()
    assert first.cancelled


@pytest.mark.parametrize("then", ["cancel", "step", "state", "done"])
def test_a_coroutine_closed_behind_its_tasks_back_leaves_the_task_cancelled(then: str) -> None:
    ended: list[str] = []
    task = start(waits_and_returns())
    task.add_done_callback(lambda t: ended.append(t.state.name))
    task.root_coro.close()
    if then == "cancel":
        task.cancel()  # harmless: no RuntimeError
    elif then == "step":
        task.step(1)  # harmless too
    elif then == "state":
        assert task.state.name == "CANCELLED"
    else:
        assert task.done()
    assert task.cancelled and ended == ["CANCELLED"]
    with pytest.raises(Cancelled):
        task.exception()
    task.cancel()  # and again: nothing happens


def test_a_supervisor_hears_of_a_coroutine_closed_behind_its_tasks_back() -> None:
    seen: list[str] = []
    task = Task(waits_and_returns())
    supervise(task, lambda t: seen.append(t.state.name))
    start(task)
    task.root_coro.close()
    task.cancel()
    assert seen == ["CANCELLED"]
