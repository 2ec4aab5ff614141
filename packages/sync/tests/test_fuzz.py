"""Fuzzing: bad arguments get only documented exceptions; random programs against models.

Part 1 calls the public entry points with arbitrary arguments: what comes out is either
a normal result or one of the exceptions the docstrings document (TypeError, ValueError,
InvalidStateError, QueueFull, QueueEmpty, QueueShutDown), each exactly when documented.

Part 2 runs random programs (hypothesis.stateful) over a Queue and an Event against a
simple model of their documented behaviour: every item is delivered exactly once and in
order, no waiter is lost or woken twice, and every task is ended after shutdown+cancel.
How many examples ran is printed among the "gearwork figures" at the end of the run.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from gearwork.core import Cancelled, InvalidStateError, Task, start
from gearwork.sync import (
    AsyncBool,
    AsyncDictionary,
    AsyncValue,
    Box,
    Event,
    ExclusiveBox,
    Future,
    LifoQueue,
    PriorityQueue,
    Queue,
    QueueEmpty,
    QueueFull,
    QueueShutDown,
    StatefulEvent,
)

# Examples run per test, reported at the end of the module (see _report_examples).
EXAMPLES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_examples(report_figure: Callable[[str], None]) -> Iterator[None]:
    yield
    if EXAMPLES:
        detail = ", ".join(f"{name} {count:,}" for name, count in sorted(EXAMPLES.items()))
        report_figure(
            f"sync: hypothesis ran {sum(EXAMPLES.values()):,} generated programs/examples "
            f"({detail})"
        )


def _count(name: str) -> None:
    EXAMPLES[name] += 1


def sizes(small: int, full: int) -> list[Any]:
    return [small, pytest.param(full, marks=pytest.mark.slow)]


# -- part 1: bad arguments ---------------------------------------------------------

# Plain values of many types (no callables: those are predicates, tested apart).
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.complex_numbers(),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.tuples(st.integers(), st.text(max_size=2)),
    # Tuples that compare with some tuples and not others: ties on the first element
    # compare the second, int against str.
    st.tuples(st.integers(0, 2), st.one_of(st.integers(0, 3), st.text(max_size=1))),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.frozensets(st.integers(), max_size=2),
    st.builds(object),
    st.just(Exception),
    st.just(Exception()),
    st.just(...),
)
# Predicates that do not raise on any of the values above.
predicates = st.sampled_from([bool, repr, lambda v: True, lambda v: False, lambda v, *_: v is None])
kwargs_junk = st.dictionaries(st.text(min_size=1, max_size=3), junk, max_size=3)
args_junk = st.lists(junk, max_size=3).map(tuple)

QUEUE_KINDS = [Queue, LifoQueue, PriorityQueue]


@given(st.sampled_from(QUEUE_KINDS), st.one_of(junk, st.integers(-3, 3)))
def test_queue_constructors_take_an_int_maxsize_and_raise_type_error_otherwise(
    kind: type[Queue[Any]], maxsize: object
) -> None:
    _count("bad arguments")
    if isinstance(maxsize, int) and not isinstance(maxsize, bool):
        queue = kind(maxsize)
        assert queue.maxsize == maxsize and queue.empty() and not queue.full()
    else:
        with pytest.raises(TypeError, match=r"needs an int maxsize, got "):
            kind(maxsize)  # type: ignore[arg-type]


@given(st.sampled_from(QUEUE_KINDS), st.integers(0, 4), st.lists(junk, max_size=8))
# heapq accepted the third item (it compares only along one path) and get_nowait() raised.
@example(PriorityQueue, 0, [(0, ""), (2, ""), (2, 0)])
def test_queues_take_any_items_and_give_back_exactly_those_they_accepted(
    kind: type[Queue[Any]], maxsize: int, items: list[object]
) -> None:
    _count("bad arguments")
    queue = kind(maxsize)
    accepted: list[object] = []
    for item in items:
        try:
            queue.put_nowait(item)
        except QueueFull:
            assert 0 < maxsize == queue.qsize()
        except TypeError:
            # Documented for PriorityQueue only: the item does not compare; not put.
            assert kind is PriorityQueue
        else:
            accepted.append(item)
        assert queue.qsize() == len(accepted)
    out = []
    while True:
        try:
            out.append(queue.get_nowait())
        except QueueEmpty:
            break
    assert sorted(map(id, out)) == sorted(map(id, accepted))  # the very same objects
    if kind is Queue:
        assert out == accepted or any(isinstance(x, float) and math.isnan(x) for x in out)
    queue.shutdown(immediate=True)
    with pytest.raises(QueueShutDown):
        queue.get_nowait()
    with pytest.raises(QueueShutDown):
        queue.put_nowait(items[0] if items else None)


# (priority, payload) tuples: a tie on the priority compares the payloads, and int, str
# and None payloads do not compare with each other, so these items compare with some
# items and not with others.
mixed_priority_items = st.tuples(
    st.integers(0, 3), st.one_of(st.integers(0, 2), st.text("ab", max_size=1), st.none())
)


def _drain(queue: Queue[Any]) -> list[Any]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())  # a TypeError here fails the test
    return out


@given(st.lists(st.one_of(mixed_priority_items, st.just("get")), max_size=30))
@example([(0, ""), (2, ""), (2, 0), "get", "get", "get"])
def test_a_priority_queue_refuses_what_it_cannot_order_and_its_gets_never_raise(
    program: list[object],
) -> None:
    # A refused put must leave the queue as it was. Checked against a twin queue that is
    # given only the accepted items: the two must accept the same items and give out the
    # very same objects in the same order.
    _count("PriorityQueue programs")
    queue: PriorityQueue[Any] = PriorityQueue()
    twin: PriorityQueue[Any] = PriorityQueue()
    accepted: list[object] = []
    got: list[object] = []
    for step in program:
        if step == "get":
            if queue.empty():
                assert twin.empty()
                continue
            item = queue.get_nowait()
            assert item is twin.get_nowait()
            got.append(item)
            continue
        size = queue.qsize()
        refusal = ""
        try:
            queue.put_nowait(step)
        except TypeError as exc:
            refusal = str(exc)
        if refusal:
            assert refusal.startswith(f"PriorityQueue refused {step!r}: it cannot be ordered")
            assert queue.qsize() == size
            continue
        twin.put_nowait(step)  # raises if the queues are no longer alike
        accepted.append(step)
    rest = _drain(queue)
    assert [id(x) for x in rest] == [id(x) for x in _drain(twin)]
    got += rest
    assert sorted(map(id, got)) == sorted(map(id, accepted))  # each exactly once


@given(
    st.lists(mixed_priority_items, min_size=1, max_size=6),
    st.lists(mixed_priority_items, max_size=6),
)
def test_blocked_priority_putters_whose_item_cannot_be_ordered_get_type_error_from_put(
    first: list[tuple[int, object]], waiting: list[tuple[int, object]]
) -> None:
    _count("PriorityQueue programs")
    queue: PriorityQueue[Any] = PriorityQueue(len(first))
    accepted: list[object] = []
    for item in first:
        try:
            queue.put_nowait(item)
        except TypeError:
            continue
        accepted.append(item)
    while not queue.full():
        queue.put_nowait(first[0])  # fill up with an item that compares
        accepted.append(first[0])
    outcome: dict[int, str] = {}

    async def putter(i: int, item: object) -> None:
        try:
            await queue.put(item)
        except TypeError as exc:
            outcome[i] = "refused" if "cannot be ordered" in str(exc) else repr(exc)
        else:
            outcome[i] = "put"

    tasks = [start(putter(i, item)) for i, item in enumerate(waiting)]
    got: list[object] = []
    while not queue.empty():
        got.append(queue.get_nowait())  # each get lets in the next putter that compares
        assert queue.qsize() <= len(first)
    assert all(task.finished for task in tasks) and len(outcome) == len(waiting)
    assert set(outcome.values()) <= {"put", "refused"}, outcome
    accepted += [item for i, item in enumerate(waiting) if outcome[i] == "put"]
    assert sorted(map(id, got)) == sorted(map(id, accepted))  # each exactly once
    assert f"putters=0 unfinished={len(accepted)}" in repr(queue)


@given(
    st.lists(
        st.one_of(st.tuples(st.integers(0, 3), st.integers(0, 3)), st.just("get")), max_size=30
    )
)
def test_a_priority_queue_of_ordered_items_gives_the_smallest_oldest_item_first(
    program: list[object],
) -> None:
    _count("PriorityQueue programs")
    queue: PriorityQueue[Any] = PriorityQueue()
    model: list[object] = []  # in the order put; min() picks the first of equal items
    for step in program:
        if step != "get":
            queue.put_nowait(step)
            model.append(step)
        elif model:
            oldest_smallest = min(range(len(model)), key=model.__getitem__)  # type: ignore[arg-type]
            assert queue.get_nowait() is model.pop(oldest_smallest)
    assert [id(x) for x in _drain(queue)] == [id(x) for x in sorted(model)]  # type: ignore[type-var]


@given(junk)
def test_a_queue_shutdown_takes_any_immediate_flag(flag: object) -> None:
    _count("bad arguments")
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    queue.shutdown(immediate=flag)  # type: ignore[arg-type]
    assert queue.is_shut_down
    assert queue.qsize() == (0 if flag else 1)


@given(
    st.sampled_from([Box, ExclusiveBox]),
    args_junk,
    kwargs_junk,
    args_junk,
    kwargs_junk,
    args_junk,
    kwargs_junk,
)
def test_boxes_take_any_item_and_ignore_a_put_when_full_and_an_update_when_empty(
    kind: type[Box] | type[ExclusiveBox],
    args: tuple[object, ...],
    kwargs: dict[str, object],
    args2: tuple[object, ...],
    kwargs2: dict[str, object],
    args3: tuple[object, ...],
    kwargs3: dict[str, object],
) -> None:
    _count("bad arguments")
    box = kind()
    box.update(*args, **kwargs)  # empty: ignored
    assert box.is_empty
    with pytest.raises(InvalidStateError, match=r"\.peek\(\): the box is empty"):
        box.peek()
    got: list[object] = []

    async def get() -> None:
        got.append(await box.get())

    start(get())
    box.put(*args, **kwargs)
    assert got == [(args, kwargs)] and box.peek() == (args, kwargs)
    box.put(*args2, **kwargs2)  # full: ignored
    assert got == [(args, kwargs)] and box.peek() == (args, kwargs)
    box.update(*args2, **kwargs2)
    assert box.peek() == (args2, kwargs2)
    box.put_or_update(*args3, **kwargs3)
    assert box.peek() == (args3, kwargs3) and got == [(args, kwargs)]


@given(st.sampled_from([Event, StatefulEvent]), args_junk, kwargs_junk)
def test_events_pass_any_arguments_through_unchanged(
    kind: type[Event] | type[StatefulEvent], args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    _count("bad arguments")
    event = kind()
    got: list[object] = []

    async def wait() -> None:
        got.append(await event.wait())

    start(wait())
    start(wait())
    event.fire(*args, **kwargs)
    assert got == [(args, kwargs)] * 2
    if isinstance(event, StatefulEvent):
        assert event.params == (args, kwargs)
        event.clear()
        with pytest.raises(InvalidStateError, match="not fired"):
            event.refire(*args, **kwargs)
        with pytest.raises(InvalidStateError, match="not fired"):
            event.params  # noqa: B018


@given(junk, st.one_of(junk, st.builds(ValueError), st.builds(KeyError, st.text(max_size=3))))
def test_future_setters_raise_only_type_error_or_invalid_state_as_documented(
    result: object, exception: object
) -> None:
    _count("bad arguments")
    future: Future[object] = Future()
    # An exception class is not an instance of BaseException, so it is refused too.
    valid = isinstance(exception, BaseException) and not isinstance(
        exception, StopIteration | Cancelled
    )
    if valid:
        future.set_exception(exception)  # type: ignore[arg-type]
        assert future.exception() is exception
    else:
        with pytest.raises(TypeError, match="set_exception"):
            future.set_exception(exception)  # type: ignore[arg-type]
        assert not future.done()
        future.set_result(result)
        assert future.result() is result
    with pytest.raises(InvalidStateError, match="already done"):
        future.set_result(result)
    with pytest.raises(InvalidStateError, match="already done"):
        future.set_exception(ValueError())
    assert future.cancel(result) is False  # type: ignore[arg-type]


non_callable = junk.filter(lambda v: not callable(v))


@given(non_callable)
def test_future_callbacks_must_be_callable_and_any_message_cancels(value: object) -> None:
    _count("bad arguments")
    future: Future[int] = Future()
    with pytest.raises(TypeError, match="needs a callable"):
        future.add_done_callback(value)  # type: ignore[arg-type]
    assert future.remove_done_callback(value) == 0  # type: ignore[arg-type]
    assert future.cancel(value) is True  # type: ignore[arg-type]
    with pytest.raises(Cancelled) as info:
        future.result()
    assert info.value.args == (() if value is None else (str(value),))


@given(junk, st.one_of(junk, predicates), st.one_of(junk, predicates))
def test_async_value_takes_any_value_and_compares_anything_that_is_not_callable(
    initial: object, target: object, new: object
) -> None:
    _count("bad arguments")
    value: AsyncValue[object] = AsyncValue(initial)
    got: list[object] = []

    async def wait() -> None:
        got.append(await value.wait_value(target))

    task = start(wait())
    matches: Callable[[object], object] = target if callable(target) else (lambda v: v == target)
    assert task.finished == bool(matches(initial))
    value.value = new
    changed = not (initial == new)  # noqa: SIM201 - the test AsyncValue makes, for any type
    assert task.finished == bool(matches(initial) or (changed and matches(new)))
    task.cancel()
    assert repr(value).endswith("waiters=0>")


@given(non_callable.filter(lambda v: v is not None))
def test_async_value_predicate_arguments_refuse_non_callables_with_type_error(
    bad: object,
) -> None:
    _count("bad arguments")
    value = AsyncValue(0)
    for method in (value.eventual_values, value.transitions):
        with pytest.raises(TypeError, match=r"needs a callable predicate or None, got \w+"):
            method(bad)  # type: ignore[arg-type]

    async def transition() -> object:
        return await value.wait_transition(bad)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"AsyncValue\.wait_transition\(\) needs a callable"):
        start(transition())
    flag = AsyncBool()

    async def bool_transition() -> object:
        return await flag.wait_transition(bad)  # type: ignore[arg-type]

    if isinstance(bad, bool):
        task = start(bool_transition())
        flag.value = not flag.value
        flag.value = not flag.value
        assert task.finished
    else:
        with pytest.raises(TypeError, match=r"needs a bool, a callable predicate or None"):
            start(bool_transition())
    assert repr(value).endswith("waiters=0>") and repr(flag).endswith("waiters=0>")


@given(st.lists(junk, max_size=2), kwargs_junk)
def test_async_dictionary_constructor_behaves_exactly_like_dict(
    args: list[object], kwargs: dict[str, object]
) -> None:
    _count("bad arguments")
    error: Exception | None = None
    try:
        expected: object = dict(*args, **kwargs)
    except Exception as exc:
        error = exc
    if error is None:
        assert dict(AsyncDictionary(*args, **kwargs)) == expected
    else:
        with pytest.raises(type(error), match=f"^{re.escape(str(error))}$"):
            AsyncDictionary(*args, **kwargs)


@given(junk)
def test_async_dictionary_waits_for_any_hashable_key_and_refuses_unhashable_ones(
    key: object,
) -> None:
    _count("bad arguments")
    mapping: AsyncDictionary[object, int] = AsyncDictionary()

    async def wait() -> int:
        return await mapping.get_wait(key)

    try:
        hash(key)
    except TypeError:
        with pytest.raises(TypeError, match="unhashable"):
            start(wait())
        return
    task = start(wait())
    mapping[key] = 1
    # Keys match as in a dict, identity first: the very same NaN object is found too.
    assert task.result == 1
    assert not mapping.is_waiting(key)


# -- part 2: random programs against a model -----------------------------------------


class QueueModel(RuleBasedStateMachine):
    """Random puts/gets/joins/cancels/shutdowns on a Queue, LifoQueue or PriorityQueue.

    The model keeps what the documentation says: the items in the queue, the waiting
    getters, putters (with their items) and joiners in the order they began waiting, the
    unfinished count, and each task's expected outcome.
    """

    def __init__(self) -> None:
        super().__init__()
        _count("Queue programs")
        self.queue: Queue[int] = Queue()
        self.kind = "fifo"
        self.cap = 0
        self.next_item = 0
        self.items: list[int] = []  # the model's container
        self.getters: list[int] = []  # task ids
        self.putters: list[tuple[int, int]] = []  # (task id, item)
        self.joiners: list[int] = []
        self.unfinished = 0
        self.shut = False
        self.tasks: list[Task[None]] = []
        self.outcome: dict[int, object] = {}  # what each task did, as the tasks say
        self.expected: dict[int, object] = {}  # what the model says; absent: still waiting
        self.delivered: list[int] = []  # items that came out, to anybody
        self.accepted: list[int] = []  # items that went in (put, handed over or admitted)
        self.dropped: list[int] = []  # discarded by shutdown(immediate=True)

    @initialize(kind=st.sampled_from(["fifo", "lifo", "priority"]), maxsize=st.integers(0, 3))
    def make(self, kind: str, maxsize: int) -> None:
        self.kind = kind
        self.queue = {"fifo": Queue, "lifo": LifoQueue, "priority": PriorityQueue}[kind](maxsize)
        self.cap = maxsize if maxsize > 0 else 1 << 60

    # -- the model's container and its rules

    def _take(self) -> int:
        if self.kind == "fifo":
            return self.items.pop(0)
        if self.kind == "lifo":
            return self.items.pop()
        smallest = min(self.items)
        self.items.remove(smallest)
        return smallest

    def _accept(self, item: int) -> None:
        self.accepted.append(item)
        self.unfinished += 1

    def _model_put(self, item: int) -> str:
        """What a put of *item* does now: 'shut down', 'handed', 'added' or 'wait'."""
        if self.shut:
            return "shut down"
        if self.getters:
            getter = self.getters.pop(0)
            self._accept(item)
            self.expected[getter] = ("got", item)
            self.delivered.append(item)
            return "handed"
        if len(self.items) < self.cap:
            self.items.append(item)
            self._accept(item)
            return "added"
        return "wait"

    def _model_get(self) -> int | str:
        """What a get does now: the item, or 'shut down', or 'wait'."""
        if self.items:
            item = self._take()
            self.delivered.append(item)
            if self.putters:
                putter, put_item = self.putters.pop(0)
                self.items.append(put_item)
                self._accept(put_item)
                self.expected[putter] = "put"
            return item
        return "shut down" if self.shut else "wait"

    def _new_item(self) -> int:
        self.next_item += 1
        return self.next_item

    # -- tasks

    def _start(self, body: Callable[[int], Any]) -> int:
        tid = len(self.tasks)
        self.tasks.append(start(body(tid)))
        return tid

    def _putter(self, item: int) -> Callable[[int], Any]:
        async def body(tid: int) -> None:
            try:
                await self.queue.put(item)
            except QueueShutDown:
                self.outcome[tid] = "shut down"
            except Cancelled:
                self.outcome[tid] = "cancelled"
                raise
            else:
                self.outcome[tid] = "put"

        return body

    async def _getter(self, tid: int) -> None:
        try:
            item = await self.queue.get()
        except QueueShutDown:
            self.outcome[tid] = "shut down"
        except Cancelled:
            self.outcome[tid] = "cancelled"
            raise
        else:
            self.outcome[tid] = ("got", item)

    async def _joiner(self, tid: int) -> None:
        try:
            await self.queue.join()
        except Cancelled:
            self.outcome[tid] = "cancelled"
            raise
        self.outcome[tid] = "joined"

    # -- rules

    @rule()
    def put_nowait(self) -> None:
        item = self._new_item()
        will = self._model_put(item)
        if will == "wait":
            with pytest.raises(QueueFull):
                self.queue.put_nowait(item)
        elif will == "shut down":
            with pytest.raises(QueueShutDown):
                self.queue.put_nowait(item)
        else:
            self.queue.put_nowait(item)

    @rule()
    def start_putter(self) -> None:
        item = self._new_item()
        tid = len(self.tasks)
        will = self._model_put(item)
        if will == "wait":
            self.putters.append((tid, item))
        else:
            self.expected[tid] = "shut down" if will == "shut down" else "put"
        self._start(self._putter(item))

    @rule()
    def get_nowait(self) -> None:
        will = self._model_get()
        if will == "wait":
            with pytest.raises(QueueEmpty):
                self.queue.get_nowait()
        elif will == "shut down":
            with pytest.raises(QueueShutDown):
                self.queue.get_nowait()
        else:
            assert self.queue.get_nowait() == will

    @rule()
    def start_getter(self) -> None:
        tid = len(self.tasks)
        will = self._model_get()
        if will == "wait":
            self.getters.append(tid)
        else:
            self.expected[tid] = "shut down" if will == "shut down" else ("got", will)
        self._start(self._getter)

    @rule()
    def start_joiner(self) -> None:
        tid = len(self.tasks)
        if self.unfinished:
            self.joiners.append(tid)
        else:
            self.expected[tid] = "joined"
        self._start(self._joiner)

    @rule()
    def task_done(self) -> None:
        if not self.unfinished:
            with pytest.raises(ValueError, match="called more times"):
                self.queue.task_done()
            return
        self.unfinished -= 1
        if not self.unfinished:
            for joiner in self.joiners:
                self.expected[joiner] = "joined"
            self.joiners = []
        self.queue.task_done()

    @precondition(lambda self: bool(self.getters or self.putters or self.joiners))
    @rule(pick=st.integers(min_value=0))
    def cancel_a_waiting_task(self, pick: int) -> None:
        waiting = self.getters + [tid for tid, _ in self.putters] + self.joiners
        tid = waiting[pick % len(waiting)]
        self.getters = [t for t in self.getters if t != tid]
        self.putters = [(t, i) for t, i in self.putters if t != tid]
        self.joiners = [t for t in self.joiners if t != tid]
        self.expected[tid] = "cancelled"
        self.tasks[tid].cancel()

    @rule(tid=st.integers(min_value=0))
    def cancel_any_task(self, tid: int) -> None:
        # Cancelling a task that has ended is harmless; a waiting one is handled above.
        if self.tasks:
            task = self.tasks[tid % len(self.tasks)]
            if task.done():
                task.cancel()

    @rule(immediate=st.booleans())
    def shutdown(self, immediate: bool) -> None:
        self._model_shutdown(immediate)
        self.queue.shutdown(immediate=immediate)

    def _model_shutdown(self, immediate: bool) -> None:
        self.shut = True
        if immediate and self.items:
            self.dropped += self.items
            self.unfinished = max(0, self.unfinished - len(self.items))
            self.items = []
            if not self.unfinished:
                for joiner in self.joiners:
                    self.expected[joiner] = "joined"
                self.joiners = []
        for tid in self.getters:
            self.expected[tid] = "shut down"
        for tid, _ in self.putters:
            self.expected[tid] = "shut down"
        self.getters, self.putters = [], []

    # -- checks

    @invariant()
    def tasks_did_what_the_model_says(self) -> None:
        assert self.outcome == self.expected
        for tid, task in enumerate(self.tasks):
            assert task.done() == (tid in self.expected), (tid, task)
            if self.expected.get(tid) == "cancelled":
                assert task.cancelled

    @invariant()
    def the_queue_holds_what_the_model_holds(self) -> None:
        queue = self.queue
        assert queue.qsize() == len(self.items)
        assert queue.empty() == (not self.items)
        assert queue.full() == (len(self.items) >= self.cap)
        assert queue.is_shut_down == self.shut
        text = repr(queue)
        assert f"getters={len(self.getters)} putters={len(self.putters)}" in text
        assert f"unfinished={self.unfinished}" in text
        assert len(set(self.delivered)) == len(self.delivered)  # nothing came out twice

    def teardown(self) -> None:
        # Shut down, drain, cancel: every task has ended, and every item that went in
        # came out exactly once, was dropped by an immediate shutdown, or is still there.
        self._model_shutdown(False)
        self.queue.shutdown()
        remaining = []
        while True:
            try:
                remaining.append(self.queue.get_nowait())
            except QueueShutDown:
                break
        assert sorted(remaining) == sorted(self.items)
        for task in self.tasks:
            task.cancel()
        assert all(t.done() for t in self.tasks)
        assert sorted(self.delivered + self.dropped + remaining) == sorted(self.accepted)
        assert len(set(self.accepted)) == len(self.accepted)


class EventModel(RuleBasedStateMachine):
    """Random waits/fires/cancels on an Event, with re-entrant waiters.

    Each waiter, when woken, logs the wake-up and then does one thing, chosen when it
    starts: return ("once"), wait again ("again"), fire the event again from inside the
    fire ("fires"), or cancel a given task ("cancels", possibly one woken by the same
    fire, one waiting again, or itself).
    """

    def __init__(self) -> None:
        super().__init__()
        _count("Event programs")
        self.event = Event()
        self.tasks: list[Task[None]] = []
        self.kinds: list[str] = []
        self.targets: list[int] = []
        self.log: list[tuple[int, object]] = []
        # The model.
        self.m_log: list[tuple[int, object]] = []
        self.state: list[str] = []  # waiting / running / finished / cancelled
        self.pending_cancel: set[int] = set()
        self.waiting: list[int] = []  # in the order they began waiting
        self.fires = 0

    async def _waiter(self, tid: int) -> None:
        while True:
            (tag,), _ = await self.event.wait()
            self.log.append((tid, tag))
            kind = self.kinds[tid]
            if kind == "again":
                continue
            if kind == "fires":
                self.event.fire(("inner", tid))
            elif kind == "cancels":
                self.tasks[self.targets[tid]].cancel()
            return

    # -- the model

    def _m_fire(self, tag: object) -> None:
        snapshot, self.waiting = self.waiting, []
        for tid in snapshot:
            if self.state[tid] == "waiting":
                self._m_wake(tid, tag)

    def _m_wake(self, tid: int, tag: object) -> None:
        self.state[tid] = "running"
        self.m_log.append((tid, tag))
        kind = self.kinds[tid]
        if kind == "again":
            if tid in self.pending_cancel:  # cancelled while it ran: ends at its next await
                self.state[tid] = "cancelled"
            else:
                self.state[tid] = "waiting"
                self.waiting.append(tid)
            return
        if kind == "fires":
            self._m_fire(("inner", tid))
        elif kind == "cancels":
            self._m_cancel(self.targets[tid])
        self.state[tid] = "finished"

    def _m_cancel(self, tid: int) -> None:
        if self.state[tid] == "waiting":
            self.state[tid] = "cancelled"
            if tid in self.waiting:
                self.waiting.remove(tid)
        elif self.state[tid] == "running":
            self.pending_cancel.add(tid)

    # -- rules

    @rule(
        kind=st.sampled_from(["once", "again", "fires", "cancels"]),
        victim=st.integers(min_value=0),
    )
    def start_waiter(self, kind: str, victim: int) -> None:
        tid = len(self.tasks)
        self.kinds.append(kind)
        self.targets.append(victim % (tid + 1))  # whom "cancels" cancels: anybody, or itself
        self.state.append("waiting")
        self.waiting.append(tid)
        self.tasks.append(start(self._waiter(tid)))

    @rule()
    def fire(self) -> None:
        self.fires += 1
        tag = ("outer", self.fires)
        self._m_fire(tag)
        self.event.fire(tag)

    @precondition(lambda self: bool(self.tasks))
    @rule(pick=st.integers(min_value=0))
    def cancel(self, pick: int) -> None:
        tid = pick % len(self.tasks)
        self._m_cancel(tid)
        self.tasks[tid].cancel()

    # -- checks

    @invariant()
    def wakeups_match_the_model(self) -> None:
        assert self.log == self.m_log

    @invariant()
    def task_states_match_the_model(self) -> None:
        for tid, task in enumerate(self.tasks):
            state = self.state[tid]
            assert state != "running"
            assert task.finished == (state == "finished"), (tid, state, task)
            assert task.cancelled == (state == "cancelled"), (tid, state, task)
        waiting = sum(s == "waiting" for s in self.state)
        assert repr(self.event) == f"<Event waiters={waiting}>"

    def teardown(self) -> None:
        for task in self.tasks:
            task.cancel()
        assert all(t.done() for t in self.tasks)
        before = list(self.log)
        self.event.fire("after")
        assert self.log == before  # nobody was left behind to wake
        assert repr(self.event) == "<Event waiters=0>"


@pytest.mark.parametrize("examples", sizes(60, 2_000))
@pytest.mark.parametrize("machine", [QueueModel, EventModel], ids=["Queue", "Event"])
def test_random_programs_agree_with_the_model(
    machine: type[RuleBasedStateMachine], examples: int
) -> None:
    run: Callable[..., None] = run_state_machine_as_test  # untyped in some hypothesis versions
    run(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
