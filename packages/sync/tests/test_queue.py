from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gearwork.core import Task, start
from gearwork.sync import (
    LifoQueue,
    PriorityQueue,
    Queue,
    QueueEmpty,
    QueueFull,
    QueueShutDown,
)

QUEUES = pytest.mark.parametrize("cls", [Queue, LifoQueue, PriorityQueue])


async def _put(queue: Queue[Any], item: Any) -> None:
    await queue.put(item)


async def _get_into(queue: Queue[Any], into: list[Any]) -> None:
    into.append(await queue.get())


async def _consume_all(queue: Queue[Any], into: list[Any]) -> str:
    async for item in queue:
        into.append(item)
    return "ended"


# -- construction and sizes ------------------------------------------------------------


@pytest.mark.parametrize("bad", ["3", 2.5, None, True])
@QUEUES
def test_a_maxsize_that_is_not_an_int_is_refused_with_type_error(cls: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match=f"{cls.__name__}\\(\\) needs an int maxsize, got"):
        cls(bad)


@pytest.mark.parametrize("maxsize", [0, -1, -100])
def test_a_maxsize_of_zero_or_less_means_no_limit(maxsize: int) -> None:
    queue: Queue[int] = Queue(maxsize)
    for i in range(1000):
        queue.put_nowait(i)
    assert queue.qsize() == 1000
    assert not queue.full()
    assert queue.maxsize == maxsize


def test_sizes_follow_the_items() -> None:
    queue: Queue[str] = Queue(maxsize=2)
    assert (queue.empty(), queue.full(), queue.qsize()) == (True, False, 0)
    queue.put_nowait("a")
    assert (queue.empty(), queue.full(), queue.qsize()) == (False, False, 1)
    queue.put_nowait("b")
    assert (queue.empty(), queue.full(), queue.qsize()) == (False, True, 2)


def test_put_nowait_into_a_full_queue_raises_queue_full() -> None:
    queue: Queue[int] = Queue(1)
    queue.put_nowait(1)
    with pytest.raises(QueueFull, match="maxsize=1"):
        queue.put_nowait(2)
    assert queue.get_nowait() == 1


def test_get_nowait_from_an_empty_queue_raises_queue_empty() -> None:
    with pytest.raises(QueueEmpty):
        Queue().get_nowait()


def test_queues_are_generic_at_run_time_too() -> None:
    queue = Queue[int](3)
    assert queue.maxsize == 3
    assert LifoQueue[str]().empty()


# -- order ------------------------------------------------------------------------------


@pytest.mark.parametrize("maxsize", [0, 1, 2, 5])
def test_items_come_out_in_the_order_they_were_put_whatever_maxsize(maxsize: int) -> None:
    queue: Queue[int] = Queue(maxsize)
    got: list[int] = []

    async def producer(first: int) -> None:
        for i in range(first, first + 10):
            await queue.put(i)

    producers = [start(producer(0)), start(producer(100))]
    consumer = start(_consume_all(queue, got))
    queue.shutdown()
    assert all(p.finished for p in producers)
    assert consumer.result == "ended"
    if maxsize == 0:
        assert got == list(range(10)) + list(range(100, 110))
    else:
        # The producers alternate as room appears, each one's items in order, and items
        # come out exactly in the order the puts were called.
        assert sorted(got) == list(range(10)) + list(range(100, 110))
        assert [i for i in got if i < 100] == list(range(10))
        assert [i for i in got if i >= 100] == list(range(100, 110))


def test_three_producers_blocked_on_a_full_queue_of_one_deliver_in_the_order_they_put() -> None:
    queue: Queue[str] = Queue(1)
    queue.put_nowait("first")
    producers = [start(_put(queue, name)) for name in ("a", "b", "c")]
    assert not any(p.finished for p in producers)
    got = [queue.get_nowait() for _ in range(4)]
    assert got == ["first", "a", "b", "c"]
    assert all(p.finished for p in producers)


def test_a_blocked_producers_item_moves_in_at_the_moment_a_getter_makes_room() -> None:
    queue: Queue[int] = Queue(2)
    queue.put_nowait(1)
    queue.put_nowait(2)
    producer = start(_put(queue, 3))
    assert queue.get_nowait() == 1
    assert producer.finished
    assert queue.qsize() == 2
    assert [queue.get_nowait(), queue.get_nowait()] == [2, 3]


def test_lifo_queue_gives_the_last_item_first_and_admits_blocked_items_on_top() -> None:
    stack: LifoQueue[int] = LifoQueue(2)
    stack.put_nowait(1)
    stack.put_nowait(2)
    producer = start(_put(stack, 3))
    assert stack.get_nowait() == 2  # 3 moves in on top of 1
    assert producer.finished
    assert [stack.get_nowait(), stack.get_nowait()] == [3, 1]


def test_priority_queue_gives_the_smallest_item_first() -> None:
    queue: PriorityQueue[tuple[int, str]] = PriorityQueue(2)
    queue.put_nowait((5, "e"))
    queue.put_nowait((1, "a"))
    producer = start(_put(queue, (0, "z")))
    assert queue.get_nowait() == (1, "a")
    assert producer.finished
    assert [queue.get_nowait(), queue.get_nowait()] == [(0, "z"), (5, "e")]


def test_a_priority_item_that_does_not_compare_is_refused_and_leaves_the_queue_intact() -> None:
    queue: PriorityQueue[Any] = PriorityQueue()
    for i in (3, 1, 2):
        queue.put_nowait(i)
    with pytest.raises(TypeError):
        queue.put_nowait("three")
    assert queue.qsize() == 3
    assert [queue.get_nowait() for _ in range(3)] == [1, 2, 3]


def test_a_refused_priority_item_is_named_with_the_item_it_could_not_be_compared_with() -> None:
    queue: PriorityQueue[Any] = PriorityQueue()
    for item in ((0, ""), (2, "")):
        queue.put_nowait(item)
    with pytest.raises(TypeError) as info:
        queue.put_nowait((2, 0))
    message = str(info.value)
    assert message.startswith("PriorityQueue refused (2, 0): it cannot be ordered against (2, '')")
    assert "not supported between instances of 'int' and 'str'" in message
    assert isinstance(info.value.__cause__, TypeError)
    # The shape that hypothesis found: heapq accepted (2, 0) and get_nowait() then raised.
    assert [queue.get_nowait(), queue.get_nowait()] == [(0, ""), (2, "")]
    assert queue.empty()


def test_a_priority_queue_gives_equal_items_out_in_the_order_they_were_put() -> None:
    class Job:
        def __init__(self, priority: int, name: str) -> None:
            self.priority, self.name = priority, name

        def __lt__(self, other: Job) -> bool:
            return self.priority < other.priority

    queue: PriorityQueue[Job] = PriorityQueue()
    for priority, name in [(2, "a"), (1, "b"), (2, "c"), (1, "d"), (2, "e"), (0, "f")]:
        queue.put_nowait(Job(priority, name))
    assert [queue.get_nowait().name for _ in range(6)] == ["f", "b", "d", "a", "c", "e"]


def test_a_priority_queue_names_an_item_whose_repr_fails_or_is_long_in_short() -> None:
    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    queue: PriorityQueue[Any] = PriorityQueue()
    queue.put_nowait(1)
    with pytest.raises(TypeError, match=r"refused <Opaque instance at 0x[0-9a-f]+>"):
        queue.put_nowait(Opaque())
    with pytest.raises(TypeError, match=r"refused 'xxxxx.*\.\.\..*xxx': it cannot be ordered"):
        queue.put_nowait("x" * 1000)
    assert queue.qsize() == 1


def test_a_comparison_error_other_than_type_error_leaves_the_priority_queue_intact() -> None:
    class Touchy:
        def __lt__(self, other: object) -> bool:
            raise ValueError("no order today")

    queue: PriorityQueue[Any] = PriorityQueue()
    queue.put_nowait(Touchy())  # nothing to compare with yet
    with pytest.raises(ValueError, match="no order today"):
        queue.put_nowait(Touchy())
    assert queue.qsize() == 1
    assert isinstance(queue.get_nowait(), Touchy)


def test_a_blocked_priority_item_that_does_not_compare_fails_its_own_put_only() -> None:
    queue: PriorityQueue[Any] = PriorityQueue(2)
    queue.put_nowait(1)
    queue.put_nowait(2)
    errors: list[str] = []

    async def put_catching(item: Any) -> None:
        try:
            await queue.put(item)
        except TypeError as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).split(' against')[0]}")

    odd = start(put_catching("not a number"))
    fine = start(_put(queue, 0))
    assert queue.get_nowait() == 1  # makes room: "not a number" fails to go in, 0 goes in
    assert errors == ["TypeError: PriorityQueue refused 'not a number': it cannot be ordered"]
    assert odd.finished
    assert fine.finished
    assert [queue.get_nowait(), queue.get_nowait()] == [0, 2]


# -- waiting getters and putters -----------------------------------------------------------


@QUEUES
def test_put_hands_the_item_to_the_oldest_waiting_getter_synchronously(cls: Any) -> None:
    queue = cls()
    got: list[tuple[int, Any]] = []

    async def getter(i: int) -> None:
        got.append((i, await queue.get()))

    for i in range(3):
        start(getter(i))
    queue.put_nowait("x")
    assert got == [(0, "x")]
    start(_put(queue, "y"))
    assert got == [(0, "x"), (1, "y")]
    assert queue.empty()


def test_a_getter_cancelled_while_waiting_takes_no_item() -> None:
    queue: Queue[str] = Queue()
    lost: list[str] = []
    kept: list[str] = []
    cancelled = start(_get_into(queue, lost))
    start(_get_into(queue, kept))
    cancelled.cancel()
    queue.put_nowait("item")
    assert lost == []
    assert kept == ["item"]


def test_a_putter_cancelled_while_waiting_never_gets_its_item_in() -> None:
    queue: Queue[str] = Queue(1)
    queue.put_nowait("a")
    cancelled = start(_put(queue, "never"))
    waiting = start(_put(queue, "b"))
    cancelled.cancel()
    assert [queue.get_nowait(), queue.get_nowait()] == ["a", "b"]
    assert waiting.finished
    with pytest.raises(QueueEmpty):
        queue.get_nowait()


def test_waiters_cancelled_repeatedly_do_not_grow_the_queue() -> None:
    queue: Queue[int] = Queue(1)
    for _ in range(1000):
        start(_get_into(queue, [])).cancel()
    queue.put_nowait(0)
    for _ in range(1000):
        start(_put(queue, 1)).cancel()
    assert len(queue._getters) == 0
    assert len(queue._putters) == len(queue._pitems) == 0


def test_a_getter_woken_with_an_item_may_put_and_get_again_inside_the_put() -> None:
    queue: Queue[int] = Queue()
    log: list[int] = []

    async def echo() -> None:
        while True:
            item = await queue.get()
            log.append(item)
            if item < 3:
                queue.put_nowait(item + 1)  # nested: nobody waits, it goes in

    start(echo())
    queue.put_nowait(0)
    assert log == [0, 1, 2, 3]
    assert queue.empty()


# -- errors escaping woken tasks -----------------------------------------------------


def test_an_exception_escaping_a_woken_getter_reaches_put_and_the_item_was_delivered() -> None:
    queue: Queue[str] = Queue()
    got: list[str] = []

    async def failing() -> None:
        got.append(await queue.get())
        raise ValueError("getter failed")

    start(failing())
    with pytest.raises(ValueError, match="getter failed"):
        queue.put_nowait("item")
    assert got == ["item"]
    assert queue.empty()


def test_a_get_that_wakes_a_failing_putter_raises_and_puts_its_item_back_at_the_head() -> None:
    queue: Queue[str] = Queue(1)
    queue.put_nowait("a")

    async def failing() -> None:
        await queue.put("b")
        raise ValueError("putter failed")

    start(failing())
    with pytest.raises(ValueError, match="putter failed"):
        queue.get_nowait()
    assert queue.qsize() == 2  # maxsize + 1 until the next get, and nothing is lost
    assert [queue.get_nowait(), queue.get_nowait()] == ["a", "b"]


# -- task_done and join -----------------------------------------------------------------


def test_join_returns_at_once_when_nothing_is_unfinished() -> None:
    async def main() -> str:
        await Queue().join()
        return "joined"

    assert start(main()).result == "joined"


def test_join_waits_until_every_item_put_is_marked_done() -> None:
    queue: Queue[int] = Queue()
    got: list[int] = []
    start(_get_into(queue, got))  # an item handed to a getter counts too
    queue.put_nowait(1)
    queue.put_nowait(2)
    joined: list[str] = []

    async def joiner(name: str) -> None:
        await queue.join()
        joined.append(name)

    start(joiner("a"))
    start(joiner("b"))
    queue.task_done()
    assert joined == []
    assert queue.get_nowait() == 2
    queue.task_done()
    assert joined == ["a", "b"]


def test_task_done_called_too_many_times_raises_value_error() -> None:
    queue: Queue[int] = Queue()
    with pytest.raises(ValueError, match="more times than items were put"):
        queue.task_done()
    queue.put_nowait(1)
    queue.task_done()
    with pytest.raises(ValueError, match="more times than items were put"):
        queue.task_done()


def test_a_joiner_cancelled_while_waiting_is_removed() -> None:
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    joined: list[str] = []

    async def joiner(name: str) -> None:
        await queue.join()
        joined.append(name)

    start(joiner("a")).cancel()
    start(joiner("b"))
    queue.task_done()
    assert joined == ["b"]


# -- shutdown ------------------------------------------------------------------------------


def test_after_shutdown_puts_raise_and_gets_drain_then_raise() -> None:
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    queue.shutdown()
    assert queue.is_shut_down
    with pytest.raises(QueueShutDown, match="put_nowait"):
        queue.put_nowait(3)
    with pytest.raises(QueueShutDown):
        start(_put(queue, 3))
    assert [queue.get_nowait(), queue.get_nowait()] == [1, 2]
    with pytest.raises(QueueShutDown, match="get_nowait"):
        queue.get_nowait()
    with pytest.raises(QueueShutDown):
        start(_get_into(queue, []))


def test_shutdown_wakes_waiting_getters_and_putters_with_queue_shut_down() -> None:
    empty: Queue[int] = Queue()
    full: Queue[int] = Queue(1)
    full.put_nowait(0)
    outcomes: list[str] = []

    async def expect_shutdown(aw: Any, name: str) -> None:
        try:
            await aw
        except QueueShutDown:
            outcomes.append(name)

    start(expect_shutdown(empty.get(), "getter 1"))
    start(expect_shutdown(empty.get(), "getter 2"))
    start(expect_shutdown(full.put(1), "putter"))
    empty.shutdown()
    assert outcomes == ["getter 1", "getter 2"]
    full.shutdown()
    assert outcomes == ["getter 1", "getter 2", "putter"]
    assert full.get_nowait() == 0  # the putter's item never went in
    with pytest.raises(QueueShutDown):
        full.get_nowait()


def test_shutdown_immediate_drops_the_items_and_counts_them_done_for_join() -> None:
    queue: Queue[int] = Queue()
    for i in range(3):
        queue.put_nowait(i)
    joined: list[str] = []

    async def joiner() -> None:
        await queue.join()
        joined.append("joined")

    start(joiner())
    queue.shutdown(immediate=True)
    assert joined == ["joined"]
    assert queue.empty()
    with pytest.raises(QueueShutDown):
        queue.get_nowait()


def test_shutdown_immediate_does_not_count_items_already_taken_as_done() -> None:
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.get_nowait() == 1  # taken, not done yet
    joined: list[str] = []

    async def joiner() -> None:
        await queue.join()
        joined.append("joined")

    start(joiner())
    queue.shutdown(immediate=True)
    assert joined == []
    queue.task_done()
    assert joined == ["joined"]


def test_shutdown_without_immediate_leaves_join_to_the_consumers() -> None:
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    joined: list[str] = []

    async def joiner() -> None:
        await queue.join()
        joined.append("joined")

    start(joiner())
    queue.shutdown()
    assert joined == []
    queue.get_nowait()
    queue.task_done()
    assert joined == ["joined"]


def test_async_for_gets_items_until_the_queue_is_shut_down_and_drained() -> None:
    queue: Queue[int] = Queue()
    got: list[int] = []
    consumer = start(_consume_all(queue, got))
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert got == [1, 2]
    queue.shutdown()
    assert consumer.result == "ended"


def test_async_for_after_an_immediate_shutdown_ends_at_once() -> None:
    queue: Queue[int] = Queue()
    queue.put_nowait(1)
    queue.shutdown(immediate=True)
    got: list[int] = []
    assert start(_consume_all(queue, got)).result == "ended"
    assert got == []


def test_errors_of_tasks_woken_by_shutdown_are_raised_after_waking_everyone() -> None:
    queue: Queue[int] = Queue()
    woken: list[int] = []

    async def getter(i: int) -> None:
        try:
            await queue.get()
        except QueueShutDown:
            woken.append(i)
            if i == 0:
                raise RuntimeError("unhappy") from None

    for i in range(3):
        start(getter(i))
    with pytest.raises(RuntimeError, match="unhappy"):
        queue.shutdown()
    assert woken == [0, 1, 2]


def test_queue_repr_shows_its_state() -> None:
    queue: Queue[int] = Queue(1)
    queue.put_nowait(1)
    start(_put(queue, 2))
    assert repr(queue) == "<Queue maxsize=1 qsize=1 getters=0 putters=1 unfinished=1>"
    with pytest.raises(QueueShutDown):  # it escapes the woken putter
        queue.shutdown()
    assert repr(queue).endswith("unfinished=1 shut down>")


# -- a model ------------------------------------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "put",
                "put",
                "get",
                "get",
                "put_nowait",
                "get_nowait",
                "cancel_putter",
                "cancel_getter",
            ]
        ),
        st.integers(0, 10),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(maxsize=st.integers(0, 3), ops=OPS)
def test_random_puts_gets_and_cancellations_deliver_each_item_once_in_order(
    maxsize: int, ops: list[tuple[str, int]]
) -> None:
    queue: Queue[int] = Queue(maxsize)
    delivered: list[int] = []  # in the order items reached a consumer
    putters: dict[int, Task[None]] = {}  # item -> task still waiting to put it
    getters: list[Task[None]] = []
    cancelled_items: set[int] = set()
    put_items: list[int] = []
    counter = 0

    async def putter(item: int) -> None:
        await queue.put(item)
        del putters[item]

    async def getter() -> None:
        delivered.append(await queue.get())

    def check() -> None:
        waiting_getters = [g for g in getters if not g.done()]
        assert queue.qsize() <= (maxsize if maxsize > 0 else queue.qsize())
        if waiting_getters:
            assert queue.empty()
        if putters:
            assert queue.full()

    for op, pick in ops:
        if op in ("put", "put_nowait"):
            counter += 1
            put_items.append(counter)
            if op == "put":
                task = putters[counter] = Task(putter(counter))
                start(task)  # a put that does not wait removes itself from `putters`
            else:
                try:
                    queue.put_nowait(counter)
                except QueueFull:
                    put_items.pop()
        elif op == "get":
            getters.append(start(getter()))
        elif op == "get_nowait":
            with contextlib.suppress(QueueEmpty):
                delivered.append(queue.get_nowait())
        elif op == "cancel_putter" and putters:
            item = sorted(putters)[pick % len(putters)]
            putters.pop(item).cancel()
            cancelled_items.add(item)
        elif op == "cancel_getter":
            waiting = [g for g in getters if not g.done()]
            if waiting:
                waiting[pick % len(waiting)].cancel()
        check()

    # Let everyone finish: feed the waiting getters, then drain (which admits putters).
    while any(not g.done() for g in getters):
        counter += 1
        put_items.append(counter)
        queue.put_nowait(counter)
    while True:
        try:
            delivered.append(queue.get_nowait())
        except QueueEmpty:
            break
    assert not putters
    expected = [i for i in put_items if i not in cancelled_items]
    assert delivered == expected  # every item once, in the order put was called
