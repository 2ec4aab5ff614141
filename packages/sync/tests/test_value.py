from __future__ import annotations

from typing import Any

import pytest

from gearwork.core import start
from gearwork.sync import AsyncBool, AsyncValue


async def _collect(aw: Any, into: list[Any]) -> None:
    into.append(await aw)


def test_value_reads_and_writes_the_wrapped_value() -> None:
    value = AsyncValue("a")
    assert value.value == "a"
    value.value = "b"
    assert value.value == "b"
    assert repr(value) == "<AsyncValue value='b' waiters=0>"


def test_wait_value_with_a_matching_value_returns_at_once() -> None:
    value = AsyncValue(3)
    got: list[int] = []
    assert start(_collect(value.wait_value(3), got)).finished
    assert start(_collect(value.wait_value(lambda v: v > 2), got)).finished
    assert got == [3, 3]


def test_wait_value_waits_for_an_equal_value_or_a_true_predicate() -> None:
    value = AsyncValue(0)
    got: list[str] = []

    async def waiter(name: str, target: Any) -> None:
        await value.wait_value(target)
        got.append(name)

    start(waiter("equals 5", 5))
    start(waiter("above 3", lambda v: v > 3))
    start(waiter("negative", lambda v: v < 0))
    value.value = 4
    assert got == ["above 3"]
    value.value = 5
    assert got == ["above 3", "equals 5"]
    assert repr(value) == "<AsyncValue value=5 waiters=1>"


def test_an_assignment_wakes_exactly_the_waiters_it_satisfies_in_wait_order() -> None:
    value = AsyncValue(0)
    log: list[tuple[str, int]] = []

    async def waiter(name: str, predicate: Any) -> None:
        log.append((name, await value.wait_value(predicate)))

    start(waiter("even", lambda v: v % 2 == 0 and v > 0))
    start(waiter("big", lambda v: v >= 10))
    start(waiter("even again", lambda v: v % 2 == 0 and v > 0))
    value.value = 4
    assert log == [("even", 4), ("even again", 4)]
    value.value = 11
    assert log == [("even", 4), ("even again", 4), ("big", 11)]


def test_each_woken_task_receives_the_value_that_met_its_condition() -> None:
    value = AsyncValue(0)
    log: list[tuple[str, int, int]] = []

    async def changer() -> None:
        got = await value.wait_value(1)
        log.append(("changer", got, value.value))
        value.value = 2  # a nested assignment, while the outer one is still waking

    async def watcher() -> None:
        got = await value.wait_value(lambda v: v >= 1)
        log.append(("watcher", got, value.value))

    start(changer())
    start(watcher())
    value.value = 1
    assert log == [("changer", 1, 1), ("watcher", 1, 2)]


def test_assigning_an_equal_value_changes_nothing_and_wakes_nobody() -> None:
    original = [1, 2]
    value = AsyncValue(original)
    got: list[Any] = []
    start(_collect(value.wait_transition(), got))
    value.value = [1, 2]  # equal, not identical
    assert value.value is original
    assert got == []


def test_wait_transition_waits_for_a_change_meeting_the_predicate() -> None:
    value = AsyncValue(10)
    got: list[tuple[int, int]] = []
    task = start(_collect(value.wait_transition(lambda new, old: new < old), got))
    assert not task.finished  # always waits, whatever the current value
    value.value = 20
    assert got == []
    value.value = 15
    assert got == [(15, 20)]


def test_wait_transition_without_a_predicate_takes_any_change() -> None:
    value = AsyncValue("x")
    got: list[tuple[str, str]] = []
    start(_collect(value.wait_transition(), got))
    value.value = "y"
    assert got == [("y", "x")]


def test_a_predicate_that_raises_at_once_raises_in_the_caller() -> None:
    value = AsyncValue(0)

    async def main() -> None:
        await value.wait_value(lambda v: 1 // v)

    with pytest.raises(ZeroDivisionError):
        start(main())
    assert repr(value) == "<AsyncValue value=0 waiters=0>"


def test_a_predicate_that_raises_on_an_assignment_fails_its_own_wait_only() -> None:
    value = AsyncValue(0)
    errors: list[str] = []
    got: list[int] = []

    async def fragile() -> None:
        try:
            await value.wait_value(lambda v: 10 // (v - 3) > 100)
        except ZeroDivisionError as exc:
            errors.append(type(exc).__name__)

    start(fragile())
    start(_collect(value.wait_value(lambda v: v >= 3), got))
    value.value = 3  # raises inside fragile(); the assignment carries on
    assert errors == ["ZeroDivisionError"]
    assert got == [3]
    assert repr(value) == "<AsyncValue value=3 waiters=0>"


def test_a_cancelled_waiter_is_removed_from_the_value() -> None:
    value = AsyncValue(0)
    task = start(_collect(value.wait_value(1), []))
    task.cancel()
    assert repr(value) == "<AsyncValue value=0 waiters=0>"
    value.value = 1


def test_eventual_values_yields_the_current_value_then_later_distinct_matches() -> None:
    value = AsyncValue(1)
    seen: list[int] = []

    async def watch() -> None:
        async for v in value.eventual_values():
            seen.append(v)

    task = start(watch())
    assert seen == [1]
    value.value = 2
    value.value = 3
    assert seen == [1, 2, 3]
    task.cancel()


def test_eventual_values_skips_the_current_value_if_it_does_not_match() -> None:
    value = AsyncValue(1)
    seen: list[int] = []

    async def watch() -> None:
        async for v in value.eventual_values(lambda v: v > 5):
            seen.append(v)

    task = start(watch())
    assert seen == []
    value.value = 7
    assert seen == [7]
    task.cancel()


def test_eventual_values_gives_the_latest_value_after_a_busy_body() -> None:
    value = AsyncValue(0)
    gate = AsyncValue(False)
    seen: list[int] = []

    async def watch() -> None:
        async for v in value.eventual_values():
            seen.append(v)
            await gate.wait_value(True)  # busy elsewhere
            gate.value = False

    task = start(watch())
    value.value = 1
    value.value = 2
    value.value = 3  # missed while busy, but the latest
    gate.value = True
    assert seen == [0, 3]
    task.cancel()


def test_eventual_values_does_not_repeat_a_value_that_came_back() -> None:
    value = AsyncValue(0)
    gate = AsyncValue(False)
    seen: list[int] = []

    async def watch() -> None:
        async for v in value.eventual_values():
            seen.append(v)
            await gate.wait_value(True)
            gate.value = False

    task = start(watch())
    value.value = 1
    value.value = 0  # back to the last value seen before the body finished
    gate.value = True
    value.value = 5
    assert seen == [0, 5]
    task.cancel()


def test_transitions_yields_each_change_while_waiting() -> None:
    value = AsyncValue(0)
    seen: list[tuple[int, int]] = []

    async def watch() -> None:
        async for new, old in value.transitions(lambda new, old: new > old):
            seen.append((new, old))

    task = start(watch())
    value.value = 2
    value.value = 1
    value.value = 3
    assert seen == [(2, 0), (3, 1)]
    task.cancel()


def test_transitions_misses_changes_made_while_the_body_is_suspended() -> None:
    value = AsyncValue(0)
    gate = AsyncValue(False)
    seen: list[tuple[int, int]] = []

    async def watch() -> None:
        async for new, old in value.transitions():
            seen.append((new, old))
            await gate.wait_value(True)
            gate.value = False

    task = start(watch())
    value.value = 1
    value.value = 2  # missed
    gate.value = True
    value.value = 3
    assert seen == [(1, 0), (3, 2)]
    task.cancel()


def test_async_bool_defaults_to_false_and_waits_for_values_and_transitions() -> None:
    flag = AsyncBool()
    assert flag.value is False
    log: list[Any] = []

    async def main() -> None:
        log.append(await flag.wait_value(True))
        log.append(await flag.wait_transition(False))
        log.append(await flag.wait_transition())
        log.append(await flag.wait_transition(lambda new, old: new))

    task = start(main())
    flag.value = True
    assert log == [True]
    flag.value = False
    assert log == [True, (False, True)]
    flag.value = True
    flag.value = False
    flag.value = True
    assert log == [True, (False, True), (True, False), (True, False)]
    assert task.finished


@pytest.mark.parametrize("method", ["eventual_values", "transitions"])
def test_an_iterator_predicate_that_is_not_callable_is_refused_with_type_error(
    method: str,
) -> None:
    with pytest.raises(TypeError, match=f"AsyncValue.{method}\\(\\) needs a callable predicate"):
        getattr(AsyncValue(0), method)(42)


def test_a_transition_predicate_that_is_not_callable_is_refused_with_type_error() -> None:
    async def main() -> None:
        await AsyncValue(0).wait_transition(42)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="wait_transition\\(\\) needs a callable predicate"):
        start(main())


def test_async_bool_wait_transition_refuses_what_is_not_a_bool_or_a_predicate() -> None:
    async def main() -> None:
        await AsyncBool().wait_transition("yes")  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="needs a bool, a callable predicate or None, got str"):
        start(main())


def test_predicates_may_be_given_by_keyword() -> None:
    value = AsyncValue(0)
    seen: list[Any] = []

    async def main() -> None:
        seen.append(await value.wait_transition(predicate=lambda new, old: new > old))
        async for v in value.eventual_values(predicate=lambda v: v > 1):
            seen.append(v)
            break
        async for change in value.transitions(predicate=lambda new, old: new < old):
            seen.append(change)
            break

    task = start(main())
    value.value = 1
    value.value = 2
    value.value = 0
    assert seen == [(1, 0), 2, (0, 2)]
    assert task.finished


def test_async_bool_wait_transition_to_a_value_ignores_changes_to_the_other() -> None:
    flag = AsyncBool(True)
    got: list[tuple[bool, bool]] = []
    start(_collect(flag.wait_transition(True), got))
    flag.value = False
    assert got == []
    flag.value = True
    assert got == [(True, False)]
