from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest

from gearwork.core import start
from gearwork.sync import AsyncDictionary


async def _collect(aw: Any, into: list[Any]) -> None:
    into.append(await aw)


def test_it_is_a_mutable_mapping_built_like_a_dict() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary({"a": 1}, b=2)
    assert isinstance(mapping, MutableMapping)
    assert dict(mapping) == {"a": 1, "b": 2}
    mapping["c"] = 3
    del mapping["a"]
    assert sorted(mapping) == ["b", "c"]
    assert len(mapping) == 2
    assert "b" in mapping
    assert mapping.get("missing") is None
    assert mapping.pop("b") == 2
    mapping.update(d=4)
    assert repr(mapping) == "AsyncDictionary({'c': 3, 'd': 4})"
    with pytest.raises(KeyError):
        mapping["missing"]


def test_get_wait_returns_at_once_for_a_present_key_and_keeps_it() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary(k=1)
    got: list[int] = []
    assert start(_collect(mapping.get_wait("k"), got)).finished
    assert got == [1]
    assert mapping["k"] == 1


def test_pop_wait_returns_at_once_for_a_present_key_and_removes_it() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary(k=1)
    got: list[int] = []
    assert start(_collect(mapping.pop_wait("k"), got)).finished
    assert got == [1]
    assert "k" not in mapping


def test_every_get_wait_waiter_receives_the_value_and_the_key_stays() -> None:
    mapping: AsyncDictionary[str, str] = AsyncDictionary()
    got: list[str] = []
    for _ in range(3):
        start(_collect(mapping.get_wait("k"), got))
    assert mapping.is_waiting("k")
    mapping["k"] = "v"
    assert got == ["v", "v", "v"]
    assert mapping["k"] == "v"
    assert not mapping.is_waiting("k")


def test_of_two_pop_wait_waiters_the_first_gets_the_first_value() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    log: list[tuple[str, int]] = []

    async def popper(name: str) -> None:
        log.append((name, await mapping.pop_wait("k")))

    start(popper("first"))
    start(popper("second"))
    mapping["k"] = 1
    assert log == [("first", 1)]
    assert "k" not in mapping
    assert mapping.is_waiting("k")
    mapping["k"] = 2
    assert log == [("first", 1), ("second", 2)]
    assert "k" not in mapping


def test_getters_ahead_of_the_first_popper_see_the_value_and_those_behind_wait() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    log: list[str] = []

    async def getter(name: str) -> None:
        await mapping.get_wait("k")
        log.append(name)

    async def popper(name: str) -> None:
        await mapping.pop_wait("k")
        log.append(name)

    start(getter("get 1"))
    start(popper("pop 1"))
    start(getter("get 2"))
    start(popper("pop 2"))
    mapping["k"] = 0
    assert log == ["get 1", "pop 1"]
    mapping["k"] = 0
    assert log == ["get 1", "pop 1", "get 2", "pop 2"]
    assert "k" not in mapping


def test_waiters_for_other_keys_are_not_woken() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    got: list[int] = []
    start(_collect(mapping.get_wait("a"), got))
    mapping["b"] = 1
    assert got == []
    assert mapping.is_waiting("a")
    assert not mapping.is_waiting("b")


def test_a_cancelled_waiter_is_forgotten() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    task = start(_collect(mapping.pop_wait("k"), []))
    task.cancel()
    assert not mapping.is_waiting("k")
    mapping["k"] = 1
    assert mapping["k"] == 1


def test_if_the_chosen_popper_is_cancelled_before_its_turn_the_value_goes_back() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    log: list[str] = []
    victims: list[Any] = []

    async def canceller() -> None:
        await mapping.get_wait("k")
        log.append("getter")
        victims[0].cancel()

    start(canceller())
    victims.append(start(_collect(mapping.pop_wait("k"), [])))
    later: list[int] = []
    start(_collect(mapping.pop_wait("k"), later))
    mapping["k"] = 7
    assert log == ["getter"]
    assert victims[0].cancelled
    assert later == [7]  # the value went back and on to the next popper
    assert "k" not in mapping


def test_setting_a_key_with_update_or_setdefault_wakes_its_waiters() -> None:
    mapping: AsyncDictionary[str, int] = AsyncDictionary()
    got: list[int] = []
    start(_collect(mapping.get_wait("a"), got))
    start(_collect(mapping.get_wait("b"), got))
    mapping.update(a=1)
    mapping.setdefault("b", 2)
    assert got == [1, 2]
