"""Queues: :class:`Queue`, :class:`LifoQueue`, :class:`PriorityQueue`.

The surface is asyncio's (as of Python 3.13, shutdown included); the
difference is that every wake-up is synchronous.

How items move
--------------
- A getter waits only while the queue is empty, and a putter only while it
  is full, so both never wait at the same time.
- :meth:`Queue.put` with a getter waiting hands the item straight to the
  oldest getter (stepping it with the item), so an item can never be taken
  by a later getter or lost if the getter is cancelled afterwards.
- A waiting putter keeps its item *outside* the queue. When a getter makes
  room, the oldest waiting putter's item moves in at that very moment, and
  that putter is woken. So items come out in the order their ``put`` was
  called, whatever ``maxsize`` is, and a putter cancelled while it waits
  never gets its item into the queue.

How waiters are kept
--------------------
Getters and putters wait in deques (putters' items in a second deque, index
for index). A waiter notes its *ticket*, the absolute position it took
(``base + len`` where ``base`` counts the entries ever removed from the
left), so that on cancellation it can write a tombstone (``None``) at
``ticket - base`` in O(1); wakers skip tombstones, and trailing ones are
trimmed at once. The deques' ``append`` methods are bound once and used
directly as registrars.
"""

from __future__ import annotations

import reprlib
import sys
import types
from bisect import bisect_right
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gearwork.core import Cancelled
from gearwork.core.lowlevel import explain_foreign_throw

from ._event import Event
from ._waiters import raise_errors
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull", "QueueShutDown")

T = TypeVar("T")

_UNBOUNDED = sys.maxsize


class QueueEmpty(Exception):
    """Raised by :meth:`Queue.get_nowait` when the queue is empty.

    It is gearwork's own class (not a subclass of :class:`asyncio.QueueEmpty`:
    importing asyncio would cost every user tens of milliseconds), so code
    ported from asyncio catches ``gearwork.sync.QueueEmpty`` instead.
    """

    __module__ = "gearwork.sync"


class QueueFull(Exception):
    """Raised by :meth:`Queue.put_nowait` when the queue is full."""

    __module__ = "gearwork.sync"


class QueueShutDown(Exception):
    """Raised by putting into a queue that was shut down, or getting from it once empty.

    See :meth:`Queue.shutdown`.
    """

    __module__ = "gearwork.sync"


def _drop(tasks: deque[Task[Any] | None], items: deque[Any] | None, index: int) -> None:
    """Tombstone the waiter at *index* (and its item), then trim trailing tombstones.

    A negative *index* means that a waker already took the waiter out. (A waiter that
    never registered, because another event loop drove its awaitable, is not dropped at
    all: see explain_foreign_throw in put() and get().)
    """
    if index < 0 or index >= len(tasks):
        return
    tasks[index] = None
    if items is None:
        while tasks and tasks[-1] is None:
            tasks.pop()
    else:
        items[index] = None  # let the item go now
        while tasks and tasks[-1] is None:
            tasks.pop()
            items.pop()


class Queue(Generic[T]):
    """A first-in, first-out queue with asyncio's interface, without an event loop.

    :param maxsize: how many items the queue holds before ``put`` waits;
        zero or less means no limit.
    :raises TypeError: *maxsize* is not an int.

    ``await queue.put(item)`` adds an item, waiting while the queue is
    full; ``await queue.get()`` takes the oldest one, waiting while the
    queue is empty. Waiting tasks are woken synchronously by the call that
    lets them go on, in the order they began waiting, and items always come
    out in the order their ``put`` was called, even when producers had to
    wait. :meth:`task_done` and :meth:`join` count items through, and
    :meth:`shutdown` ends the queue (``async for item in queue`` stops
    there).

    Errors: an exception that escapes a root task woken by the queue
    propagates out of the call that woke it, once the queue's state is
    final. ``put()`` has then delivered its item; a ``get()`` that woke a
    putter puts the item it took back at the head of the queue before
    raising, so no item is lost (the queue may hold ``maxsize + 1`` items
    until the next get).

    >>> from gearwork.core import start
    >>> queue = Queue(maxsize=1)
    >>> async def consumer():
    ...     async for item in queue:
    ...         print("consumed", item)
    >>> async def producer():
    ...     for item in "abc":
    ...         await queue.put(item)
    ...         print("produced", item)
    >>> task = start(consumer())
    >>> task = start(producer())
    consumed a
    produced a
    consumed b
    produced b
    consumed c
    produced c
    >>> queue.shutdown()
    """

    __slots__ = (
        "__weakref__",
        "_add",
        "_cap",
        "_gadd",
        "_gbase",
        "_getters",
        "_items",
        "_joined",
        "_maxsize",
        "_padd",
        "_pbase",
        "_pitems",
        "_putter_item",
        "_putters",
        "_shut",
        "_take",
        "_unfinished",
    )

    __module__ = "gearwork.sync"

    _items: Any  # the container; its type is the subclass's business
    _add: Callable[[T], object]  # puts an item into the container
    _take: Callable[[], T]  # takes the next item out
    _maxsize: int
    _cap: int  # maxsize, or sys.maxsize for no limit: `len(items) < cap` means room
    _getters: deque[Task[Any] | None]
    _gadd: Callable[[Task[Any] | None], None]
    _gbase: int  # how many entries ever left _getters from the left
    _putters: deque[Task[Any] | None]
    _pitems: deque[T | None]  # the waiting putters' items, index for index
    _padd: Callable[[Task[Any]], None]  # _add_putter, bound once
    _putter_item: T | None  # the item of the putter being registered
    _pbase: int
    _unfinished: int
    _joined: Event | None
    _shut: bool

    def __init__(self, maxsize: int = 0) -> None:
        if not isinstance(maxsize, int) or isinstance(maxsize, bool):
            raise TypeError(
                f"{type(self).__name__}() needs an int maxsize, got "
                f"{type(maxsize).__name__} {maxsize!r}"
            )
        self._maxsize = maxsize
        self._cap = maxsize if maxsize > 0 else _UNBOUNDED
        self._init_items()
        getters: deque[Task[Any] | None] = deque()
        self._getters = getters
        self._gadd = getters.append
        self._gbase = 0
        putters: deque[Task[Any] | None] = deque()
        self._putters = putters
        self._padd = self._add_putter
        self._putter_item = None
        self._pitems = deque()
        self._pbase = 0
        self._unfinished = 0
        self._joined = None
        self._shut = False

    # -- the container; subclasses change the order --------------------------

    def _init_items(self) -> None:
        items: deque[T] = deque()
        self._items = items
        self._add = items.append
        self._take = items.popleft

    def _put_back(self, item: T) -> None:
        """Return *item*, just taken, to the head of the queue."""
        self._items.appendleft(item)

    # -- sizes -----------------------------------------------------------------

    @property
    def maxsize(self) -> int:
        """The number of items allowed in the queue; zero or less means no limit.

        >>> Queue(5).maxsize
        5
        """
        return self._maxsize

    def qsize(self) -> int:
        """The number of items in the queue (waiting putters' items not included).

        >>> queue = Queue()
        >>> queue.put_nowait("a")
        >>> queue.qsize()
        1
        """
        return len(self._items)

    def empty(self) -> bool:
        """Whether the queue holds no item.

        >>> Queue().empty()
        True
        """
        return not self._items

    def full(self) -> bool:
        """Whether the queue holds ``maxsize`` items (never, without a limit).

        >>> queue = Queue(1)
        >>> queue.put_nowait("x")
        >>> queue.full()
        True
        """
        return len(self._items) >= self._cap

    # -- putting ---------------------------------------------------------------

    @types.coroutine
    def put(self, item: T) -> Generator[Registrar, Resumption, None]:
        """Put *item* into the queue, waiting while it is full.

        If a getter is waiting, *item* goes straight to the oldest one, which
        runs until its next suspension before this returns. If the queue is
        full, the task waits behind any earlier putters; its item enters the
        queue when a getter makes room, and not at all if the task is
        cancelled first.

        :raises QueueShutDown: the queue was shut down, before or while the
            task waited (the item was not put).

        >>> from gearwork.core import start
        >>> queue = Queue(maxsize=1)
        >>> async def produce():
        ...     await queue.put(1)
        ...     await queue.put(2)  # waits: the queue is full
        ...     return "done"
        >>> task = start(produce())
        >>> queue.get_nowait()  # makes room: 2 moves in, the producer finishes
        1
        >>> task.result, queue.get_nowait()
        ('done', 2)
        """
        if self._shut:
            raise _shut_down(self, "put")
        getters = self._getters
        if getters:  # the queue is empty: hand the item over
            task = getters.popleft()
            self._gbase += 1
            while task is None:  # the last getter is never a tombstone
                task = getters.popleft()
                self._gbase += 1
            self._unfinished += 1
            task.step(item)
            return
        if len(self._items) < self._cap:
            self._add(item)
            self._unfinished += 1
            return
        putters = self._putters
        ticket = self._pbase + len(putters)
        self._putter_item = item  # the registrar files it with the task
        try:
            args = (yield self._padd)[0]
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            _drop(putters, self._pitems, ticket - self._pbase)
            raise
        except BaseException as exc:
            if explain_foreign_throw(exc, _what(self, "put()")):
                if self._putter_item is item:
                    self._putter_item = None  # never filed: let it go
            else:
                _drop(putters, self._pitems, ticket - self._pbase)
            raise
        if args:  # woken with an error instead of being let in
            raise args[0]

    def _add_putter(self, task: Task[Any]) -> None:
        # The registrar of put(). The item waits here, not in _pitems, until the task
        # comes, so that a put driven by another event loop (which never calls this) leaves
        # the putters and their items paired.
        self._putters.append(task)
        self._pitems.append(self._putter_item)
        self._putter_item = None

    _add_putter.__qualname__ = "gearwork.sync.Queue.put.<registrar>"

    def put_nowait(self, item: T) -> None:
        """Put *item* into the queue without waiting.

        A waiting getter gets it at once, as with :meth:`put`.

        :raises QueueFull: the queue is full.
        :raises QueueShutDown: the queue was shut down.

        >>> queue = Queue(maxsize=1)
        >>> queue.put_nowait("a")
        >>> queue.put_nowait("b")
        Traceback (most recent call last):
          ...
        gearwork.sync.QueueFull: Queue.put_nowait(): the queue is full (maxsize=1)
        """
        if self._shut:
            raise _shut_down(self, "put_nowait")
        getters = self._getters
        if getters:
            task = getters.popleft()
            self._gbase += 1
            while task is None:
                task = getters.popleft()
                self._gbase += 1
            self._unfinished += 1
            task.step(item)
        elif len(self._items) < self._cap:
            self._add(item)
            self._unfinished += 1
        else:
            raise QueueFull(
                f"{type(self).__name__}.put_nowait(): the queue is full (maxsize={self._maxsize})"
            )

    # -- getting ---------------------------------------------------------------

    @types.coroutine
    def get(self) -> Generator[Registrar, Resumption, T]:
        """Take the next item out of the queue, waiting while it is empty.

        Taking an item from a full queue lets the oldest waiting putter's
        item in and wakes that putter before this returns. A getter that is
        cancelled while it waits is removed and takes no item.

        :raises QueueShutDown: the queue was shut down and is empty (or was
            shut down with ``immediate=True``).

        >>> from gearwork.core import start
        >>> queue = Queue()
        >>> async def consume():
        ...     return await queue.get()
        >>> task = start(consume())
        >>> queue.put_nowait("parcel")
        >>> task.result
        'parcel'
        """
        if self._items:
            item = self._take()
            if self._putters:
                self._admit(item)
            return item
        if self._shut:
            raise _shut_down(self, "get")
        getters = self._getters
        ticket = self._gbase + len(getters)
        try:
            args = (yield self._gadd)[0]
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            _drop(getters, None, ticket - self._gbase)
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "get()")):
                _drop(getters, None, ticket - self._gbase)
            raise
        if args:
            return args[0]  # type: ignore[no-any-return]
        raise _shut_down(self, "get")

    def get_nowait(self) -> T:
        """Take the next item out of the queue without waiting.

        :raises QueueEmpty: the queue is empty.
        :raises QueueShutDown: the queue is empty and was shut down.

        >>> queue = Queue()
        >>> queue.put_nowait(1)
        >>> queue.get_nowait()
        1
        >>> queue.get_nowait()
        Traceback (most recent call last):
          ...
        gearwork.sync.QueueEmpty: Queue.get_nowait(): the queue is empty
        """
        if self._items:
            item = self._take()
            if self._putters:
                self._admit(item)
            return item
        if self._shut:
            raise _shut_down(self, "get_nowait")
        raise QueueEmpty(f"{type(self).__name__}.get_nowait(): the queue is empty")

    def _admit(self, taken: T) -> None:
        """A get made room: move the oldest waiting putter's item in, wake that putter.

        If waking a putter raises, *taken* (the item the get took) goes back
        to the head of the queue and the get raises instead of returning it.
        """
        putters = self._putters
        pitems = self._pitems
        while putters:
            task = putters.popleft()
            item = pitems.popleft()
            self._pbase += 1
            if task is not None:
                try:
                    self._add(item)  # type: ignore[arg-type]
                except Exception as exc:
                    self._refuse(task, exc, taken)
                    return
                self._unfinished += 1
                try:
                    task.step()
                except BaseException:
                    self._put_back(taken)
                    raise
                return

    def _refuse(self, task: Task[Any], exc: Exception, taken: T) -> None:
        """A waiting putter's item could not enter (it does not compare, in a
        PriorityQueue): the putter's ``put`` raises *exc*; the next putter may
        take the room."""
        try:
            task.step(exc)
        except BaseException:
            self._put_back(taken)
            raise
        if self._putters:
            self._admit(taken)

    # -- iteration -------------------------------------------------------------

    def __aiter__(self) -> Self:
        """``async for item in queue`` gets items until the queue is shut down.

        The loop ends when :meth:`get` would raise :class:`QueueShutDown`,
        so it drains the queue first (unless it was shut down with
        ``immediate=True``).

        >>> from gearwork.core import start
        >>> queue = Queue()
        >>> for item in (1, 2):
        ...     queue.put_nowait(item)
        >>> queue.shutdown()
        >>> async def drain():
        ...     return [item async for item in queue]
        >>> start(drain()).result
        [1, 2]
        """
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, T]:
        """The next item (see :meth:`__aiter__`)."""
        try:
            return (yield from self.get())
        except QueueShutDown:
            raise StopAsyncIteration from None

    # -- counting work done ----------------------------------------------------

    def task_done(self) -> None:
        """Tell the queue that one item taken out of it has been dealt with.

        Every item put counts as unfinished until a ``task_done()`` call;
        when none is left, :meth:`join` returns. Tasks waiting in
        :meth:`join` are woken synchronously by the call that finishes the
        last item.

        :raises ValueError: called more times than items were put.

        >>> queue = Queue()
        >>> queue.put_nowait("job")
        >>> queue.get_nowait()
        'job'
        >>> queue.task_done()
        >>> queue.task_done()
        Traceback (most recent call last):
          ...
        ValueError: Queue.task_done() called more times than items were put
        """
        unfinished = self._unfinished
        if unfinished <= 0:
            raise ValueError(
                f"{type(self).__name__}.task_done() called more times than items were put"
            )
        self._unfinished = unfinished - 1
        if unfinished == 1 and self._joined is not None:
            self._joined.fire()

    @types.coroutine
    def join(self) -> Generator[Registrar, Resumption, None]:
        """Wait until every item put has been marked done with :meth:`task_done`.

        Returns at once if no item is unfinished.

        >>> from gearwork.core import start
        >>> queue = Queue()
        >>> queue.put_nowait("job")
        >>> async def wait_for_jobs():
        ...     await queue.join()
        ...     print("all done")
        >>> task = start(wait_for_jobs())
        >>> _ = queue.get_nowait()
        >>> queue.task_done()
        all done
        """
        if self._unfinished:
            joined = self._joined
            if joined is None:
                joined = self._joined = Event()
            try:
                yield from joined.wait()
            except Cancelled:
                raise  # the common case, first: binding it would cost
            except BaseException as exc:
                explain_foreign_throw(exc, _what(self, "join()"))  # named as awaited
                raise

    # -- ending ----------------------------------------------------------------

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down, as :meth:`asyncio.Queue.shutdown` (Python 3.13).

        From then on, :meth:`put` and :meth:`put_nowait` raise
        :class:`QueueShutDown`, and so do :meth:`get` and :meth:`get_nowait`
        once the queue is empty. Every waiting putter is woken with
        :class:`QueueShutDown` (its item is not put), and so is every
        waiting getter (the queue is empty when getters wait).

        With ``immediate=True`` the items still in the queue are discarded
        at once, each counting as done for :meth:`join` (which is woken if
        nothing is left unfinished), so gets raise at once.

        All the tasks are woken synchronously, getters first, then putters,
        then joiners; an exception escaping one of them is raised after the
        others have been woken.

        >>> queue = Queue()
        >>> queue.put_nowait(1)
        >>> queue.shutdown()
        >>> queue.get_nowait()  # items put before the shutdown still come out
        1
        >>> queue.get_nowait()
        Traceback (most recent call last):
          ...
        gearwork.sync.QueueShutDown: Queue.get_nowait(): the queue was shut down
        """
        self._shut = True
        wake_joiners = False
        if immediate:
            dropped = len(self._items)
            self._items.clear()
            if dropped:
                self._unfinished = max(0, self._unfinished - dropped)
                wake_joiners = self._unfinished == 0
        getters = list(self._getters)
        self._gbase += len(getters)
        self._getters.clear()
        putters = list(self._putters)
        self._pbase += len(putters)
        self._putters.clear()
        self._pitems.clear()
        errors: list[BaseException] = []
        for task in getters:
            if task is not None:
                try:
                    task.step()  # no item: the get raises QueueShutDown
                except BaseException as exc:
                    errors.append(exc)
        for task in putters:
            if task is not None:
                try:
                    task.step(_shut_down(self, "put"))
                except BaseException as exc:
                    errors.append(exc)
        if wake_joiners and self._joined is not None:
            try:
                self._joined.fire()
            except BaseException as exc:
                errors.append(exc)
        raise_errors(errors, "several tasks woken by shutdown() raised")

    @property
    def is_shut_down(self) -> bool:
        """Whether :meth:`shutdown` has been called.

        >>> queue = Queue()
        >>> queue.shutdown()
        >>> queue.is_shut_down
        True
        """
        return self._shut

    def __repr__(self) -> str:
        getters = sum(t is not None for t in self._getters)
        putters = sum(t is not None for t in self._putters)
        shut = " shut down" if self._shut else ""
        return (
            f"<{type(self).__name__} maxsize={self._maxsize} qsize={len(self._items)}"
            f" getters={getters} putters={putters} unfinished={self._unfinished}{shut}>"
        )


def _shut_down(queue: Queue[Any], method: str) -> QueueShutDown:
    return QueueShutDown(f"{type(queue).__name__}.{method}(): the queue was shut down")


class LifoQueue(Queue[T]):
    """A last-in, first-out :class:`Queue` (a stack), like :class:`asyncio.LifoQueue`.

    Everything else (waiting, shutdown, join) works as in :class:`Queue`; a
    waiting putter's item enters when a getter makes room, on top.

    >>> stack = LifoQueue()
    >>> for item in (1, 2, 3):
    ...     stack.put_nowait(item)
    >>> [stack.get_nowait() for _ in range(3)]
    [3, 2, 1]
    """

    __slots__ = ()

    __module__ = "gearwork.sync"

    def _init_items(self) -> None:
        items: list[T] = []
        self._items = items
        self._add = items.append
        self._take = items.pop

    def _put_back(self, item: T) -> None:
        self._items.append(item)


def _sorted_insert(items: list[Any], queue_name: str, item: Any) -> None:
    """Insert *item* into the sorted list *items*, after the items equal to it.

    The binary search compares *item* with about log2(len(items)) items,
    always including the two it ends up between. If a comparison raises
    TypeError, nothing was inserted and a TypeError naming both items is
    raised instead; any other exception from a comparison propagates as it
    is, the list unchanged too.
    """
    try:
        index = bisect_right(items, item)
    except TypeError as exc:
        raise _refused(items, queue_name, item, exc) from exc
    items.insert(index, item)


def _refused(items: list[Any], queue_name: str, item: Any, exc: TypeError) -> TypeError:
    """The TypeError for an item that does not compare with an item of the queue.

    To name the other item, the binary search is retraced in Python: the
    same comparisons in the same order (only after one of them already
    raised, so the normal path pays nothing for this).
    """
    other: Any = _NOBODY
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        candidate = items[mid]
        try:
            before = item < candidate
        except TypeError:
            other = candidate
            break
        if before:
            hi = mid
        else:
            lo = mid + 1
    against = "an item in the queue" if other is _NOBODY else f"{_repr(other)}, in the queue"
    return TypeError(
        f"{queue_name} refused {_repr(item)}: it cannot be ordered against {against} "
        f"({exc}); the item was not put. The items of a {queue_name} must all compare "
        "with each other: use (priority, counter, payload) tuples for payloads that do not"
    )


_NOBODY = object()
_short = reprlib.Repr()  # for error messages: long reprs are cut, failing ones replaced
_short.maxstring = _short.maxother = 60
_repr = _short.repr


class PriorityQueue(Queue[T]):
    """A :class:`Queue` that gives out its smallest item first, like :class:`asyncio.PriorityQueue`.

    Items are kept in a list sorted with ``<`` (by binary insertion, with
    :mod:`bisect`); among equal items the one put first comes out first,
    which :mod:`heapq` (and asyncio) do not promise. What is guaranteed:

    - ``put`` compares the new item with about log2(n) of the n items in
      the queue, including the two it will sit between. If one of these
      comparisons raises :class:`TypeError`, the item is refused: ``put``
      raises a TypeError naming it and the item it could not be compared
      with, and the queue is left exactly as it was.
    - ``get`` and ``get_nowait`` compare nothing, so they never raise
      TypeError: every accepted item comes out, exactly once.
    - For items that are totally ordered by ``<`` (numbers, strings,
      tuples of such), the order is the sorted order, first-in first-out
      among equal items.

    Items need not compare with *every* other item for ``put`` to accept
    them, only with the ones the search meets: an item that does not
    compare with some item further away (which only happens when ``<`` is
    not transitive over the items, such as tuples that mix payload types)
    may be accepted, and comes out where it was placed. Use tuples such as
    ``(priority, counter, payload)`` to give any payload a total order.

    Cost, for n items in the queue: ``put`` makes O(log n) comparisons and
    moves O(n) pointers in memory (C's ``memmove``, cheap next to a
    comparison for queues up to some thousands of items); ``get`` makes no
    comparison and moves O(n) pointers.

    :raises TypeError: from ``put`` and ``put_nowait``, for an item that
        cannot be ordered against the items it is compared with. A putter
        waiting on a full queue gets it from its ``put`` when its item
        would move in; the next waiting putter may then take the room.

    >>> queue = PriorityQueue()
    >>> for item in ((5, "e"), (1, "a"), (3, "c"), (1, "b")):
    ...     queue.put_nowait(item)
    >>> queue.put_nowait((3, None))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    TypeError: PriorityQueue refused (3, None): it cannot be ordered against (3, 'c'), ...
    >>> [queue.get_nowait() for _ in range(queue.qsize())]
    [(1, 'a'), (1, 'b'), (3, 'c'), (5, 'e')]
    """

    __slots__ = ()

    __module__ = "gearwork.sync"

    def _init_items(self) -> None:
        items: list[Any] = []  # kept sorted; T is not bounded, so not list[T]
        self._items = items
        self._add = partial(_sorted_insert, items, type(self).__name__)
        self._take = partial(items.pop, 0)

    def _put_back(self, item: T) -> None:
        # The item was just taken from the head, and it came before the items equal to
        # it: putting it back at the head restores the order without comparing anything.
        self._items.insert(0, item)


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"Queue": Queue, "LifoQueue": LifoQueue, "PriorityQueue": PriorityQueue}
