"""Garbage: abandoned, finished and cancelled tasks leak nothing and make no noise.

Who refers to whom: a waiting task is held by the primitive it waits on (its registrar
stored it), and the task's coroutine holds the primitive (the frames that await it). So
the two form a cycle while the task waits; that is what lets an abandoned pair be
collected together. Once a task stops waiting (woken or cancelled), the primitive lets
go of it at once, and a finished task (whose frames are gone) holds nothing of what it
waited on.

"Noise" is anything Python reports through sys.unraisablehook while collecting:
"coroutine ... ignored GeneratorExit", "coroutine ... was never awaited" (a warning, made
an error by filterwarnings=error, then reported as unraisable), "Exception ignored in",
"coroutine already executing". The ``unraisable`` fixture (conftest.py) collects it; the
two control tests at the end show that it does see such noise.
"""

from __future__ import annotations

import contextlib
import gc
import types
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import pytest

from gearwork.core import Task, TaskState, start
from gearwork.core.lowlevel import Registrar, Resumption
from gearwork.sync import (
    AsyncBool,
    AsyncDictionary,
    AsyncValue,
    Box,
    Event,
    ExclusiveBox,
    ExclusiveEvent,
    Future,
    LifoQueue,
    MailboxRepeatedEvent,
    PriorityQueue,
    Queue,
    StatefulEvent,
    UnqueuedRepeatedEvent,
)

pytestmark = pytest.mark.usefixtures("frozen_heap")  # fast gc.collect(): see conftest.py


class Payload:
    """Data a primitive holds for its users (an item, a value, a result): weakref-able."""


@dataclass(frozen=True)
class Spec:
    """A way of waiting on a primitive.

    ``release(obj, payload)`` lets one waiting task go and leaves *payload* in the
    primitive's own data where it has any (a box's item, a future's result, a value, an
    item still in the queue...), so that a test can tell whether the payload is freed.
    """

    name: str
    make: Callable[[], Any]
    wait: Callable[[Any], Awaitable[object]]
    release: Callable[[Any, Payload], object]
    several: bool  # several tasks may wait at once


def _fire(event: Any, payload: Payload) -> None:
    event.fire(payload)


def _put(box: Any, payload: Payload) -> None:
    box.put(payload)


def _hand_over_then_keep(queue: Queue[Any], payload: Payload) -> None:
    queue.put_nowait(payload)  # goes to the waiting getter
    queue.put_nowait(payload)  # stays in the queue


def _full_queue() -> Queue[Any]:
    queue: Queue[Any] = Queue(2)
    queue.put_nowait(-1)
    queue.put_nowait(-2)
    return queue


def _admit_then_keep(queue: Queue[Any], payload: Payload) -> None:
    queue.get_nowait()  # admits the oldest waiting putter's item
    queue.get_nowait()  # admits the next one, if any
    if not queue.full():
        queue.put_nowait(payload)


def _queue_with_unfinished_work() -> Queue[Any]:
    queue: Queue[Any] = Queue()
    queue.put_nowait(0)
    return queue


def _finish_work_then_keep(queue: Queue[Any], payload: Payload) -> None:
    queue.get_nowait()
    queue.task_done()  # wakes the joiner
    queue.put_nowait(payload)


def _set_result(future: Future[Any], payload: Payload) -> None:
    future.set_result(payload)


def _assign(value: AsyncValue[Any], payload: Payload) -> None:
    value.value = payload


def _set_true(value: AsyncBool, payload: Payload) -> None:
    value.value = True


def _set_key(mapping: AsyncDictionary[str, Any], payload: Payload) -> None:
    mapping["key"] = payload


def _pop_then_keep(mapping: AsyncDictionary[str, Any], payload: Payload) -> None:
    mapping["key"] = payload  # popped by the waiter
    mapping["other"] = payload


def _set(event: Any, payload: Payload) -> None:
    event.set()


SPECS = [
    Spec("Event", Event, lambda e: e.wait(), _fire, True),
    Spec("ExclusiveEvent", ExclusiveEvent, lambda e: e.wait(), _fire, False),
    Spec("StatefulEvent", StatefulEvent, lambda e: e.wait(), _fire, True),
    Spec("Box", Box, lambda b: b.get(), _put, True),
    Spec("ExclusiveBox", ExclusiveBox, lambda b: b.get(), _put, False),
    Spec("Queue.get", Queue, lambda q: q.get(), _hand_over_then_keep, True),
    Spec("LifoQueue.get", LifoQueue, lambda q: q.get(), _hand_over_then_keep, True),
    Spec("PriorityQueue.get", PriorityQueue, lambda q: q.get(), _hand_over_then_keep, True),
    Spec("Queue async for", Queue, lambda q: q.__anext__(), _hand_over_then_keep, True),
    Spec("Queue.put", _full_queue, lambda q: q.put(0), _admit_then_keep, True),
    Spec(
        "Queue.join", _queue_with_unfinished_work, lambda q: q.join(), _finish_work_then_keep, True
    ),
    Spec("Future", Future, lambda f: f, _set_result, True),
    Spec("Future.wait", Future, lambda f: f.wait(), _set_result, True),
    Spec(
        "AsyncValue.wait_value", lambda: AsyncValue(0), lambda v: v.wait_value(bool), _assign, True
    ),
    Spec(
        "AsyncValue.wait_transition",
        lambda: AsyncValue(0),
        lambda v: v.wait_transition(),
        _assign,
        True,
    ),
    Spec(
        "AsyncValue.eventual_values",
        lambda: AsyncValue(0),
        lambda v: v.eventual_values(bool).__anext__(),
        _assign,
        True,
    ),
    Spec(
        "AsyncValue.transitions",
        lambda: AsyncValue(0),
        lambda v: v.transitions().__anext__(),
        _assign,
        True,
    ),
    Spec("AsyncBool.wait_value", AsyncBool, lambda v: v.wait_value(True), _set_true, True),
    Spec("AsyncDictionary.get_wait", AsyncDictionary, lambda d: d.get_wait("key"), _set_key, True),
    Spec(
        "AsyncDictionary.pop_wait",
        AsyncDictionary,
        lambda d: d.pop_wait("key"),
        _pop_then_keep,
        True,
    ),
    Spec("UnqueuedRepeatedEvent", UnqueuedRepeatedEvent, lambda e: e.__anext__(), _set, False),
    Spec("MailboxRepeatedEvent", MailboxRepeatedEvent, lambda e: e.__anext__(), _set, False),
]
SEVERAL = [s for s in SPECS if s.several]

each_spec = pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
each_multi_waiter_spec = pytest.mark.parametrize("spec", SEVERAL, ids=[s.name for s in SEVERAL])


async def _helper(aw: Awaitable[object], cleaned: list[str]) -> object:
    try:
        return await aw
    finally:
        cleaned.append("helper")


def _layered(aw: Awaitable[object], layers: int, cleaned: list[str]) -> Awaitable[object]:
    for _ in range(layers):
        aw = _helper(aw, cleaned)
    return aw


async def _waiter(aw: Awaitable[object], cleaned: list[str]) -> None:
    try:
        await aw
    finally:
        cleaned.append("main")


def _who_holds(obj: object) -> str:
    """For failure messages: the types of what still refers to *obj*."""
    gc.collect()
    return ", ".join(sorted(type(r).__name__ for r in gc.get_referrers(obj)))


def _owned_by(obj: object) -> dict[int, object]:
    """*obj* and the storage it owns: containers and gearwork.sync helper objects reachable
    from it (not tasks, functions or payloads, through which everything is reachable)."""
    owned: dict[int, object] = {id(obj): obj}
    frontier = [obj]
    while frontier:
        found = []
        for holder in frontier:
            for ref in gc.get_referents(holder):
                if id(ref) in owned:
                    continue
                if isinstance(ref, list | tuple | dict | deque) or type(ref).__module__.startswith(
                    "gearwork.sync"
                ):
                    owned[id(ref)] = ref
                    found.append(ref)
        frontier = found
    return owned


def _held_by(task: Task[Any], obj: object) -> bool:
    """Whether *obj* (or storage it owns) refers to *task*."""
    owned = _owned_by(obj)
    return any(id(r) in owned for r in gc.get_referrers(task))


# -- abandoned: the task and the primitive are dropped together --------------------------


@each_spec
@pytest.mark.parametrize("layers", [0, 1, 2])
def test_an_abandoned_waiter_and_its_primitive_are_collected_quietly(
    spec: Spec, layers: int, unraisable: list[object]
) -> None:
    cleaned: list[str] = []
    obj = spec.make()
    task = start(_waiter(_layered(spec.wait(obj), layers, cleaned), cleaned))
    assert task.state is TaskState.STARTED and cleaned == []
    refs: list[weakref.ref[Any]] = [
        weakref.ref(task),
        weakref.ref(task.root_coro),
        weakref.ref(obj),
    ]
    del task, obj
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    # Python closed the coroutine chain: every layer's `finally` ran, once.
    assert sorted(cleaned) == ["helper"] * layers + ["main"]
    assert unraisable == []


# -- woken, finished, cancelled: nobody keeps what it no longer needs ---------------------


@each_spec
def test_a_woken_task_is_dropped_by_its_primitive(spec: Spec) -> None:
    obj = spec.make()
    task_ref = weakref.ref(start(_waiter(spec.wait(obj), [])))
    gc.collect()
    task = task_ref()
    assert task is not None, "a waiting task is kept alive by the primitive it waits on"
    assert _held_by(task, obj)
    del task
    spec.release(obj, Payload())
    gc.collect()
    assert task_ref() is None, _who_holds(task_ref())


@each_spec
def test_a_finished_task_keeps_neither_its_primitive_nor_the_primitives_data(spec: Spec) -> None:
    obj = spec.make()
    payload = Payload()
    task = start(_waiter(spec.wait(obj), []))
    spec.release(obj, payload)
    assert task.finished
    assert not _held_by(task, obj)
    obj_ref, payload_ref = weakref.ref(obj), weakref.ref(payload)
    del obj, payload
    gc.collect()
    assert obj_ref() is None, _who_holds(obj_ref())
    assert payload_ref() is None, _who_holds(payload_ref())
    assert task.finished  # still here, and holding nothing of the above


@each_spec
def test_a_cancelled_task_is_dropped_by_its_primitive_which_still_works(spec: Spec) -> None:
    obj = spec.make()
    log: list[str] = []
    task = start(_waiter(spec.wait(obj), log))
    assert _held_by(task, obj)
    task.cancel()
    assert task.cancelled and log == ["main"]
    assert not _held_by(task, obj)
    task_ref = weakref.ref(task)
    del task
    gc.collect()
    assert task_ref() is None, _who_holds(task_ref())
    later = start(_waiter(spec.wait(obj), log))
    spec.release(obj, Payload())
    assert later.finished and log == ["main", "main"]


@each_multi_waiter_spec
@pytest.mark.parametrize("victim", [0, 1, 2])
def test_a_cancelled_waiter_is_freed_while_the_others_still_wait(spec: Spec, victim: int) -> None:
    obj = spec.make()
    woken: list[int] = []

    async def waiter(i: int) -> None:
        await spec.wait(obj)
        woken.append(i)

    tasks: list[Task[None] | None] = [start(waiter(i)) for i in range(3)]
    cancelled = tasks[victim]
    assert cancelled is not None
    cancelled.cancel()
    victim_ref = weakref.ref(cancelled)
    tasks[victim] = cancelled = None
    gc.collect()
    assert victim_ref() is None, _who_holds(victim_ref())
    for _ in range(2):  # a broadcast wakes both at once; a queue or pop_wait one at a time
        if len(woken) < 2:
            spec.release(obj, Payload())
    assert woken == [i for i in range(3) if i != victim]


@each_spec
def test_a_primitive_dropped_while_tasks_wait_on_it_is_freed_once_they_are_cancelled(
    spec: Spec, unraisable: list[object]
) -> None:
    obj = spec.make()
    tasks = [start(_waiter(spec.wait(obj), [])) for _ in range(3 if spec.several else 1)]
    obj_ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert obj_ref() is not None  # the waiting tasks' frames hold it
    for task in tasks:
        task.cancel()
    gc.collect()
    assert obj_ref() is None, _who_holds(obj_ref())
    assert all(t.cancelled for t in tasks)  # the tasks outlive it, holding nothing
    assert unraisable == []


# -- data that the primitive holds for one waiter goes with that waiter -------------------


@pytest.mark.parametrize("victim", [0, 1, 2])
def test_a_cancelled_putter_s_item_is_freed_at_once(victim: int) -> None:
    queue: Queue[Payload] = Queue(1)
    queue.put_nowait(Payload())
    items = [Payload() for _ in range(3)]

    async def putter(item: Payload) -> None:
        await queue.put(item)

    tasks = [start(putter(item)) for item in items]
    victim_ref = weakref.ref(items[victim])
    tasks[victim].cancel()
    del items
    gc.collect()
    assert victim_ref() is None, _who_holds(victim_ref())
    survivors = [queue.get_nowait() for _ in range(3)][1:]
    assert all(t.finished for i, t in enumerate(tasks) if i != victim)
    assert victim_ref() is None and len(survivors) == 2 and queue.empty()


def test_a_cancelled_value_waiter_s_predicate_is_freed_at_once() -> None:
    value = AsyncValue(0)

    class Predicate:
        def __call__(self, v: int) -> bool:
            return v > 10

    predicates = [Predicate() for _ in range(3)]

    async def waiter(predicate: Predicate) -> None:
        await value.wait_value(predicate)

    tasks = [start(waiter(p)) for p in predicates]
    victim_ref = weakref.ref(predicates[1])
    tasks[1].cancel()
    del predicates
    gc.collect()
    assert victim_ref() is None, _who_holds(victim_ref())
    value.value = 11
    assert [t.state for t in tasks] == [TaskState.FINISHED, TaskState.CANCELLED, TaskState.FINISHED]


def test_a_key_nobody_waits_for_any_more_is_forgotten() -> None:
    mapping: AsyncDictionary[Payload, int] = AsyncDictionary()
    keys = [Payload() for _ in range(3)]

    async def waiter(key: Payload) -> None:
        await mapping.pop_wait(key)

    tasks = [start(waiter(k)) for k in keys for _ in range(2)]
    key_refs = [weakref.ref(k) for k in keys]
    assert all(mapping.is_waiting(k) for k in keys)
    for task in tasks:
        task.cancel()
    assert not any(mapping.is_waiting(k) for k in keys)
    del keys
    gc.collect()
    assert [r() for r in key_refs] == [None, None, None]
    assert len(mapping) == 0


def test_a_future_drops_its_done_callbacks_once_it_is_done() -> None:
    future: Future[int] = Future()

    class Callback:
        def __call__(self, f: Future[int]) -> None:
            pass

    callback = Callback()
    future.add_done_callback(callback)
    callback_ref = weakref.ref(callback)
    del callback
    gc.collect()
    assert callback_ref() is not None
    future.set_result(1)
    gc.collect()
    assert callback_ref() is None, _who_holds(callback_ref())


def test_an_event_s_woken_waiters_are_not_kept_while_it_lives_on() -> None:
    # The registrars are bound once (see gearwork.sync._event), so an event refers to
    # itself; what it must not keep is anybody it has woken.
    event = Event()
    tasks = [start(_waiter(event.wait(), [])) for _ in range(5)]
    refs = [weakref.ref(t) for t in tasks]
    event.fire()
    del tasks
    gc.collect()
    assert [r() for r in refs] == [None] * 5
    assert repr(event) == "<Event waiters=0>"


# -- controls: the detector does see noise --------------------------------------------


def test_control_a_coroutine_that_was_never_awaited_is_reported(
    unraisable: list[object],
) -> None:
    async def never() -> None:
        pass

    coro = never()
    del coro
    gc.collect()
    assert len(unraisable) == 1
    assert "was never awaited" in str(getattr(unraisable[0], "exc_value", ""))
    unraisable.clear()


def _keep_nothing(task: Task[Any]) -> None:
    pass  # a registrar that stores the task nowhere: the task becomes garbage


@types.coroutine
def _stubborn() -> Generator[Registrar, Resumption, None]:
    while True:
        with contextlib.suppress(GeneratorExit):  # wrong: swallows it and waits again
            yield _keep_nothing


def test_control_a_waiter_that_ignores_generator_exit_is_reported(
    unraisable: list[object],
) -> None:
    async def main() -> None:
        await _stubborn()

    start(main())
    gc.collect()
    # Reported once per coroutine object that Python fails to close (here two).
    assert unraisable
    assert all("ignored GeneratorExit" in str(getattr(u, "exc_value", "")) for u in unraisable)
    unraisable.clear()
