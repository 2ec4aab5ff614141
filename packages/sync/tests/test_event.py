from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gearwork.core import Cancelled, InvalidStateError, Task, open_cancel_scope, start
from gearwork.core.lowlevel import RESUME_DEPTH_LIMIT
from gearwork.sync import Event, ExclusiveEvent, StatefulEvent
from gearwork.sync._event import _no_list

Resumption = tuple[tuple[Any, ...], dict[str, Any]]

CALL_SHAPES = [
    ((), {}),
    ((1,), {}),
    ((1, 2, 3), {}),
    ((), {"key": "value"}),
    ((1,), {"key": "value"}),
]


async def _wait_once(event: Any, into: list[Resumption]) -> None:
    into.append(await event.wait())


# -- Event ------------------------------------------------------------------------


def test_event_has_no_set_state_so_a_waiter_waits_for_the_next_fire() -> None:
    event = Event()
    got: list[Resumption] = []
    event.fire("before")
    task = start(_wait_once(event, got))
    assert got == []
    assert not task.finished
    event.fire("after")
    assert got == [(("after",), {})]


@pytest.mark.parametrize(("args", "kwargs"), CALL_SHAPES)
@pytest.mark.parametrize("waiters", [1, 3])
def test_fire_passes_its_arguments_to_every_waiter(
    args: tuple[Any, ...], kwargs: dict[str, Any], waiters: int
) -> None:
    event = Event()
    got: list[Resumption] = []
    for _ in range(waiters):
        start(_wait_once(event, got))
    event.fire(*args, **kwargs)
    assert got == [(args, kwargs)] * waiters


def test_fire_without_waiters_does_nothing() -> None:
    Event().fire(1, x=2)


@pytest.mark.parametrize("waiters", [1, 2, 5])
def test_a_task_waiting_again_inside_the_fire_that_woke_it_waits_for_the_next_fire(
    waiters: int,
) -> None:
    event = Event()
    counts = [0] * waiters

    async def loop(i: int) -> None:
        while True:
            await event.wait()
            counts[i] += 1

    tasks = [start(loop(i)) for i in range(waiters)]
    event.fire()
    assert counts == [1] * waiters
    event.fire()
    assert counts == [2] * waiters
    for task in tasks:
        task.cancel()


def test_waiters_keep_their_order_when_the_first_one_is_cancelled_and_more_arrive() -> None:
    event = Event()
    log: list[str] = []

    async def waiter(name: str) -> None:
        await event.wait()
        log.append(name)

    a = start(waiter("a"))  # kept on its own
    start(waiter("b"))  # goes behind a
    a.cancel()
    start(waiter("c"))  # must go behind b, not in a's place
    event.fire()
    assert log == ["b", "c"]


def test_a_waiter_cancelled_while_it_is_the_only_one_leaves_the_event_empty() -> None:
    event = Event()
    task = start(_wait_once(event, []))
    task.cancel()
    assert repr(event) == "<Event waiters=0>"
    got: list[Resumption] = []
    start(_wait_once(event, got))
    event.fire(1)
    assert got == [((1,), {})]


def test_waiting_and_being_cancelled_repeatedly_does_not_grow_the_event() -> None:
    event = Event()
    keeper = start(_wait_once(event, []))
    second = start(_wait_once(event, []))
    for _ in range(1000):
        start(_wait_once(event, [])).cancel()
    assert event._tasks is not None
    assert len(event._tasks) == 1  # only `second`; the cancelled ones were trimmed
    keeper.cancel()
    second.cancel()


def test_a_waiter_that_catches_its_cancellation_and_waits_again_is_woken_once() -> None:
    event = Event()
    log: list[str] = []
    scopes: list[Any] = []

    async def waiter() -> None:
        async with open_cancel_scope() as scope:
            scopes.append(scope)
            await event.wait()
        log.append("scope cancelled")
        await event.wait()
        log.append("woken")
        await event.wait()
        log.append("woken twice")

    start(_wait_once(event, []))  # someone else holds the first place
    task = start(waiter())
    scopes[0].cancel()
    assert log == ["scope cancelled"]
    event.fire()
    assert log == ["scope cancelled", "woken"]
    task.cancel()


def test_event_repr_counts_the_waiters() -> None:
    event = Event()
    tasks = [start(_wait_once(event, [])) for _ in range(3)]
    assert repr(event) == "<Event waiters=3>"
    tasks[1].cancel()
    assert repr(event) == "<Event waiters=2>"


def test_events_are_weak_referenceable() -> None:
    import weakref

    for cls in (Event, ExclusiveEvent, StatefulEvent):
        event = cls()
        assert weakref.ref(event)() is event
        assert weakref.WeakMethod(event.fire)() == event.fire


class _ObjectWithAList:
    """The smallest event one can write: a weak-referenceable object and an empty list."""

    __slots__ = ("__weakref__", "waiting")

    def __init__(self) -> None:
        self.waiting: list[object] = []


def _traced_bytes_each(make: Callable[[], object], n: int = 2000) -> float:
    keep: list[object] = [None] * n  # allocated before tracing starts
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            keep[i] = make()
        return (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()


def test_an_event_nobody_waits_for_is_no_larger_than_an_object_holding_an_empty_list(
    report_figure: Callable[[str], None],
) -> None:
    event_bytes = _traced_bytes_each(Event)
    reference = _traced_bytes_each(_ObjectWithAList)
    report_figure(
        f"sync: an Event with no waiter takes {event_bytes:.0f} B "
        f"(an object holding an empty list: {reference:.0f} B)"
    )
    assert event_bytes <= reference


def _made(event: Event) -> tuple[object, object, object]:
    """What the event has made so far: its registrar, its list, the list's append."""
    return event._register, event._tasks, event._append


def test_an_event_makes_its_registrar_at_the_first_wait_and_its_list_at_the_second() -> None:
    event = Event()
    assert _made(event) == (None, None, _no_list)  # nothing made in advance
    first = start(_wait_once(event, []))
    registrar, tasks, _ = _made(event)
    assert registrar is not None and tasks is None  # one waiter: no list
    second = start(_wait_once(event, []))
    assert event._tasks == [second]
    event.fire()
    assert first.finished and second.finished
    assert _made(event) == (registrar, None, _no_list)  # the list dropped, the registrar kept


@given(st.lists(st.tuples(st.sampled_from(["wait", "cancel", "fire"]), st.integers(0, 20))))
def test_event_wakes_exactly_the_tasks_waiting_at_each_fire_in_order(
    ops: list[tuple[str, int]],
) -> None:
    event = Event()
    woken: list[int] = []
    waiting: list[int] = []  # the model: who waits, in order
    tasks: dict[int, Task[None]] = {}

    async def waiter(i: int) -> None:
        await event.wait()
        woken.append(i)

    for n, (op, pick) in enumerate(ops):
        if op == "wait":
            tasks[n] = start(waiter(n))
            waiting.append(n)
        elif op == "cancel" and waiting:
            victim = waiting.pop(pick % len(waiting))
            tasks[victim].cancel()
        elif op == "fire":
            del woken[:]
            expected, waiting = waiting, []
            event.fire()
            assert woken == expected
    assert repr(event) == f"<Event waiters={len(waiting)}>"


def _chain(make: Any, links: int) -> list[int]:
    """Task i waits on event i, then fires event i + 1: resumptions nest deeper and deeper."""
    events = [make() for _ in range(links + 1)]
    done: list[int] = []

    async def link(i: int) -> None:
        await events[i].wait()
        done.append(i)
        events[i + 1].fire()

    for i in range(links):
        start(link(i))
    events[0].fire()
    return done


@pytest.mark.parametrize("make", [Event, ExclusiveEvent, StatefulEvent])
def test_a_long_chain_of_wake_ups_through_events_completes_in_order(make: Any) -> None:
    links = 20 * RESUME_DEPTH_LIMIT
    assert _chain(make, links) == list(range(links))


@pytest.mark.slow
def test_a_chain_of_100_000_wake_ups_through_events_completes() -> None:
    assert len(_chain(Event, 100_000)) == 100_000


def test_waiters_registering_while_an_earlier_wake_up_is_queued_are_not_confused() -> None:
    # Past the depth limit a woken task only runs later; meanwhile the event must
    # already count it as gone, so that a new waiter starts afresh.
    outer = [Event() for _ in range(RESUME_DEPTH_LIMIT + 2)]
    target = Event()
    log: list[str] = []

    async def deep(i: int) -> None:
        await outer[i].wait()
        if i + 1 < len(outer):
            outer[i + 1].fire()
        else:
            target.fire("first")  # too deep: the waiter's resumption is queued
            log.append("fired first")
            start(newcomer())  # waits on `target` before the queued one has run
            target.fire("second")
            log.append("fired second")

    async def first_waiter() -> None:
        log.append(f"first got {(await target.wait())[0][0]}")

    async def newcomer() -> None:
        log.append(f"newcomer got {(await target.wait())[0][0]}")

    start(first_waiter())
    for i in range(len(outer)):
        start(deep(i))
    outer[0].fire()
    assert log == ["fired first", "fired second", "first got first", "newcomer got second"]


# -- ExclusiveEvent -------------------------------------------------------------------


@pytest.mark.parametrize(("args", "kwargs"), CALL_SHAPES)
def test_exclusive_event_passes_its_arguments(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    event = ExclusiveEvent()
    got: list[Resumption] = []
    start(_wait_once(event, got))
    event.fire(*args, **kwargs)
    assert got == [(args, kwargs)]


def test_a_second_waiter_on_an_exclusive_event_gets_invalid_state_error() -> None:
    event = ExclusiveEvent()
    got: list[Resumption] = []
    first = start(_wait_once(event, got))

    async def second() -> str:
        try:
            await event.wait()
        except InvalidStateError as exc:
            return str(exc)
        return "no error"

    message = start(second()).result
    assert "another task is already waiting" in message
    event.fire("still there")  # the first waiter was not disturbed
    assert got == [(("still there",), {})]
    assert first.finished


def test_an_exclusive_event_is_free_again_once_its_waiter_is_cancelled() -> None:
    event = ExclusiveEvent()
    start(_wait_once(event, [])).cancel()
    got: list[Resumption] = []
    start(_wait_once(event, got))
    event.fire()
    assert got == [((), {})]


def test_an_exclusive_event_has_no_set_state() -> None:
    event = ExclusiveEvent()
    event.fire()
    task = start(_wait_once(event, []))
    assert not task.finished
    assert repr(event) == "<ExclusiveEvent waiting=True>"
    task.cancel()
    assert repr(event) == "<ExclusiveEvent waiting=False>"


def test_the_woken_task_may_wait_on_an_exclusive_event_again_at_once() -> None:
    event = ExclusiveEvent()
    count = 0

    async def loop() -> None:
        nonlocal count
        while True:
            await event.wait()
            count += 1

    task = start(loop())
    for _ in range(3):
        event.fire()
    assert count == 3
    task.cancel()


def test_an_exception_escaping_the_task_woken_by_an_exclusive_event_reaches_fire() -> None:
    event = ExclusiveEvent()

    async def failing() -> None:
        await event.wait()
        raise ValueError("from the task")

    start(failing())
    with pytest.raises(ValueError, match="from the task"):
        event.fire()
    start(_wait_once(event, []))  # the event is free again


# -- StatefulEvent ---------------------------------------------------------------------


def test_a_stateful_event_stays_fired_so_waiting_returns_at_once() -> None:
    event = StatefulEvent()
    event.fire(1, a=2)
    got: list[Resumption] = []
    task = start(_wait_once(event, got))
    assert task.finished
    assert got == [((1,), {"a": 2})]


def test_a_stateful_event_wakes_its_waiters_with_the_parameters() -> None:
    event = StatefulEvent()
    got: list[Resumption] = []
    for _ in range(3):
        start(_wait_once(event, got))
    event.fire("go")
    assert got == [(("go",), {})] * 3
    assert event.is_fired
    assert event.params == (("go",), {})


def test_firing_a_fired_stateful_event_keeps_the_first_parameters() -> None:
    event = StatefulEvent()
    event.fire("first")
    event.fire("second")
    assert event.params == (("first",), {})


def test_refire_replaces_the_parameters_of_a_fired_event_and_refuses_an_unfired_one() -> None:
    event = StatefulEvent()
    with pytest.raises(InvalidStateError, match="not fired"):
        event.refire(1)
    event.fire(1)
    event.refire(2)
    assert event.params == ((2,), {})


def test_fire_or_refire_fires_then_refires() -> None:
    event = StatefulEvent()
    got: list[Resumption] = []
    start(_wait_once(event, got))
    event.fire_or_refire(1)
    assert got == [((1,), {})]
    event.fire_or_refire(2)
    assert event.params == ((2,), {})


def test_clear_makes_later_waiters_wait_for_the_next_fire() -> None:
    event = StatefulEvent()
    event.fire()
    event.clear()
    assert not event.is_fired
    with pytest.raises(InvalidStateError, match="no params"):
        _ = event.params
    got: list[Resumption] = []
    task = start(_wait_once(event, got))
    assert not task.finished
    event.fire(3)
    assert got == [((3,), {})]


def test_the_asyncio_vocabulary_works_on_a_stateful_event() -> None:
    event = StatefulEvent()
    assert not event.is_set()
    got: list[Resumption] = []
    start(_wait_once(event, got))
    event.set()
    assert event.is_set()
    assert got == [((), {})]
    event.clear()
    assert not event.is_set()


def test_a_woken_waiter_that_clears_and_waits_again_waits_for_the_next_fire() -> None:
    event = StatefulEvent()
    rounds: list[int] = []

    async def consumer() -> None:
        for i in range(3):
            await event.wait()
            event.clear()
            rounds.append(i)

    task = start(consumer())
    event.fire()
    assert rounds == [0]
    event.fire()  # the consumer cleared it inside the previous fire, so this one counts
    event.fire()
    assert rounds == [0, 1, 2]
    assert task.finished


def test_a_cancelled_waiter_of_a_stateful_event_is_removed() -> None:
    event = StatefulEvent()
    task = start(_wait_once(event, []))
    task.cancel()
    assert repr(event) == "<StatefulEvent not fired waiters=0>"
    event.fire()
    assert repr(event) == "<StatefulEvent fired waiters=0>"


def test_cancelling_a_waiter_raises_cancelled_at_its_await() -> None:
    event = Event()
    caught: list[str] = []

    async def waiter() -> None:
        try:
            await event.wait()
        except Cancelled:
            caught.append("cancelled")
            raise

    task = start(waiter())
    task.cancel()
    assert caught == ["cancelled"]
    assert task.cancelled


# -- the asyncio habit on events without a set state -----------------------------------


@pytest.mark.parametrize("cls", [Event, ExclusiveEvent])
@pytest.mark.parametrize("name", ["set", "is_set", "clear"])
def test_asyncio_s_set_state_methods_raise_attribute_error_pointing_to_stateful_event(
    cls: type[Event] | type[ExclusiveEvent], name: str
) -> None:
    event = cls()
    with pytest.raises(AttributeError) as info:
        getattr(event, name)()
    message = str(info.value)
    assert message.startswith(f"'{cls.__name__}' object has no attribute '{name}'; ")
    assert f"gearwork.sync.{cls.__name__} has no set state" in message
    assert "use StatefulEvent, which has set(), is_set(), clear() and wait()" in message
    assert info.value.name == name and info.value.obj is event
    # Still a missing attribute to the usual tools.
    assert not hasattr(event, name)
    assert getattr(event, name, "default") == "default"


def test_the_message_names_a_subclass_and_the_gearwork_class_it_comes_from() -> None:
    class ButtonEvent(Event):
        __slots__ = ()

    with pytest.raises(AttributeError, match=r"^'.*ButtonEvent' object has no attribute 'set'; "):
        ButtonEvent().set()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"gearwork\.sync\.Event has no set state"):
        ButtonEvent().is_set()  # type: ignore[attr-defined]


def test_the_stateful_event_keeps_its_asyncio_methods() -> None:
    event = StatefulEvent()
    event.set()
    assert event.is_set()
    event.clear()
    assert not event.is_set()


def test_events_pay_nothing_for_the_asyncio_hint_on_other_attributes() -> None:
    # No __getattr__: it would route every attribute lookup of the class through a slower
    # hook and keep the interpreter from specialising them.
    for cls in (Event, ExclusiveEvent):
        assert not hasattr(cls, "__getattr__")
        assert type(cls).__getattribute__(cls, "__getattribute__") is object.__getattribute__
