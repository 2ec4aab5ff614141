from __future__ import annotations

from typing import Any

import pytest

from gearwork.core import InvalidStateError, start
from gearwork.sync import Box, ExclusiveBox

Resumption = tuple[tuple[Any, ...], dict[str, Any]]

BOXES = pytest.mark.parametrize("make", [Box, ExclusiveBox])


async def _get_once(box: Any, into: list[Resumption]) -> None:
    into.append(await box.get())


@BOXES
def test_a_box_keeps_its_item_until_cleared(make: Any) -> None:
    box = make()
    box.put(1, crow="raven")
    got: list[Resumption] = []
    for _ in range(3):
        assert start(_get_once(box, got)).finished  # no waiting while full
    assert got == [((1,), {"crow": "raven"})] * 3
    assert not box.is_empty
    box.clear()
    assert box.is_empty
    task = start(_get_once(box, got))
    assert not task.finished


@BOXES
def test_put_wakes_the_waiting_getter_with_the_item(make: Any) -> None:
    box = make()
    got: list[Resumption] = []
    task = start(_get_once(box, got))
    box.put("a", b="c")
    assert task.finished
    assert got == [(("a",), {"b": "c"})]
    assert box.peek() == (("a",), {"b": "c"})


def test_put_wakes_every_waiting_getter_in_order() -> None:
    box = Box()
    log: list[int] = []

    async def getter(i: int) -> None:
        await box.get()
        log.append(i)

    for i in range(4):
        start(getter(i))
    box.put()
    assert log == [0, 1, 2, 3]
    assert repr(box) == "<Box full waiters=0>"


@BOXES
def test_a_put_into_a_full_box_does_nothing_and_keeps_the_first_item(make: Any) -> None:
    box = make()
    box.put("first", key=1)
    box.put("second", key=2)
    assert box.peek() == (("first",), {"key": 1})
    got: list[Resumption] = []
    assert start(_get_once(box, got)).finished
    assert got == [(("first",), {"key": 1})]


@BOXES
def test_a_put_into_a_full_box_wakes_nobody_again(make: Any) -> None:
    box = make()
    woken: list[Resumption] = []

    async def get_twice() -> None:
        woken.append(await box.get())
        box.clear()
        woken.append(await box.get())

    task = start(get_twice())
    box.put(1)  # wakes the getter, which clears the box and waits again
    assert woken == [((1,), {})] and not task.done()
    box.put(2)
    assert task.finished
    box.put(3)  # full: no getter is woken, nothing changes
    assert woken == [((1,), {}), ((2,), {})]
    assert box.peek() == ((2,), {})


@BOXES
def test_an_update_of_an_empty_box_does_nothing_and_wakes_nobody(make: Any) -> None:
    box = make()
    got: list[Resumption] = []
    task = start(_get_once(box, got))
    box.update("ignored")
    assert box.is_empty and not task.finished and got == []
    with pytest.raises(InvalidStateError, match="empty"):
        box.peek()
    box.put("real")
    assert got == [(("real",), {})] and task.finished


@BOXES
def test_update_replaces_the_item_of_a_full_box(make: Any) -> None:
    box = make()
    box.put(1)
    box.update(2, k="v")
    assert box.peek() == ((2,), {"k": "v"})


@BOXES
def test_an_update_after_clear_does_nothing(make: Any) -> None:
    box = make()
    box.put(1)
    box.clear()
    box.update(2)
    assert box.is_empty


@BOXES
def test_put_or_update_puts_then_updates(make: Any) -> None:
    box = make()
    got: list[Resumption] = []
    start(_get_once(box, got))
    box.put_or_update(1)
    assert got == [((1,), {})]
    box.put_or_update(2)
    assert box.peek() == ((2,), {})


@BOXES
def test_peek_of_an_empty_box_raises(make: Any) -> None:
    with pytest.raises(InvalidStateError, match="empty"):
        make().peek()


@BOXES
def test_a_getter_cancelled_while_waiting_leaves_the_box_usable(make: Any) -> None:
    box = make()
    start(_get_once(box, [])).cancel()
    got: list[Resumption] = []
    start(_get_once(box, got))
    box.put(5)
    assert got == [((5,), {})]


def test_a_second_waiting_getter_of_an_exclusive_box_gets_invalid_state_error() -> None:
    box = ExclusiveBox()
    got: list[Resumption] = []
    start(_get_once(box, got))
    with pytest.raises(InvalidStateError, match="another task is already waiting"):
        start(_get_once(box, []))
    box.put("kept")
    assert got == [(("kept",), {})]
    assert repr(box) == "<ExclusiveBox full waiting=False>"


def test_any_number_of_tasks_get_from_a_full_exclusive_box() -> None:
    box = ExclusiveBox()
    box.put(1)
    got: list[Resumption] = []
    for _ in range(3):
        start(_get_once(box, got))
    assert len(got) == 3


@BOXES
def test_an_exception_escaping_the_woken_getter_reaches_put_after_the_item_is_in(
    make: Any,
) -> None:
    box = make()

    async def failing() -> None:
        await box.get()
        raise ValueError("getter failed")

    start(failing())
    with pytest.raises(ValueError, match="getter failed"):
        box.put("item")
    assert box.peek() == (("item",), {})
