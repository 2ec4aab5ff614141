"""Events: :class:`Event`, :class:`ExclusiveEvent` and :class:`StatefulEvent`.

How waiters are kept
--------------------
Most events have at most one waiter at a time, so the first waiter is kept in
a slot of its own (``_task``) and only the others go to a list (``_tasks``),
which is created when a second task comes and dropped by the ``fire()`` that
wakes its tasks. Whoever wakes the waiters takes them out *before* stepping
them, so a woken task is never found in the event again; a waiter therefore
only needs clean-up when an exception (cancellation, ``throw``) reaches it
while it waits, and the normal path of ``wait`` does no clean-up at all.

A waiter in the list knows its index (the length of the list when it
registered). On an exception it writes ``None`` there (a tombstone, O(1),
skipped by the wake-up loop) and trims trailing tombstones, so a waiter that
repeatedly waits and is cancelled does not grow the list.

An event that nobody has waited for holds nothing but empty slots (72 bytes
on 64-bit CPython, less than an object holding an empty list). The
registrars are bound methods, made when first needed and kept:
``_register`` (bound ``_take_task``) at the first wait, the list's bound
``append`` with the list. Yielding them allocates nothing, which is what
keeps a ping (one task waiting again and again) fast. (The bound
``_register`` refers to its event, so an event that has been waited on is
freed by the cyclic garbage collector rather than the moment its last
reference goes.)

Finalizers
----------
Up to Python 3.11 the garbage collector runs inside whichever allocation
crosses its threshold, so the finalizers of garbage (``__del__``) may run in
the middle of ``fire()`` or ``wait()``, and fire, wait on or cancel waiters
of the very event at hand. So nothing is allocated between reading the
waiter state and replacing it: ``fire()`` takes the waiters out by emptying
the slots (it allocates nothing at all), and ``wait()`` makes
the registrar, or the list for a second waiter, *before* it reads the state
it acts on; a finalizer that ran during the allocation simply came first.
From Python 3.12 on, a collection that an allocation makes due runs at the
next safe point instead, such as the start of a Python call (the start of a
registrar among them): so after allocating, ``wait()`` reads the state in a
call of its own, where that collection runs first, and allocates nothing
more before it registers.
(Replacing the state first and allocating afterwards let such a fire wake
the same waiters a second time, or a waiter that registered during the
allocation be overwritten.)
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, ClassVar

from gearwork.core import Cancelled, InvalidStateError
from gearwork.core.lowlevel import explain_foreign_throw

from ._waiters import step, wake_all, wake_rest
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("Event", "ExclusiveEvent", "StatefulEvent")


class _Waiters:
    """The waiter bookkeeping shared by :class:`Event`, :class:`StatefulEvent` and Box."""

    __slots__ = ("__weakref__", "_append", "_register", "_task", "_tasks")

    _task: Task[Any] | None  # the first waiter, while it is the only one or the oldest
    _tasks: list[Task[Any] | None] | None  # the later waiters (None marks a cancelled one)
    _append: Callable[[Task[Any] | None], None]  # _tasks.append, or _no_list without a list
    _register: Registrar | None  # _take_task, bound at the first wait
    _awaited: ClassVar[str] = "wait()"  # what _park serves, named in misuse notes

    def __init__(self) -> None:
        self._task = None
        self._tasks = None
        self._append = _no_list
        self._register = None

    def _take_task(self, task: Task[Any]) -> None:
        self._task = task

    # asyncio's "bad yield" error shows this name when the awaitable is misused there.
    _take_task.__qualname__ = "gearwork.sync.<waiter registrar>"

    def _bind_registrar(self) -> Registrar | None:
        """Bind and keep the registrar (at the first wait); ``None`` if the event is busy now.

        The allocation may run finalizers that wait on this event (see
        "Finalizers"): then the caller joins the list of later waiters instead.
        (No AttributeError from an unset slot in place of the ``None`` check:
        an exception raised in a generator gives it a frame object for good,
        240 more bytes for as long as the task waits.)
        """
        register = self._register = self._take_task
        return register if self._is_free() else None

    def _is_free(self) -> bool:
        # A call of its own, made after an allocation: from Python 3.12 on, the collection
        # that the allocation made due runs at the start of a call (not inside the
        # allocation), so it runs here, before the state is read.
        return self._task is None and not self._tasks

    def _later_waiters(self) -> list[Task[Any] | None]:
        """The list of later waiters; made (with its bound ``append``) if there is none.

        The new list is allocated before the slots are read: see "Finalizers"
        in the module docstring.
        """
        fresh: list[Task[Any] | None] = []
        return self._adopt(fresh, fresh.append)

    def _adopt(
        self, fresh: list[Task[Any] | None], append: Callable[[Task[Any] | None], None]
    ) -> list[Task[Any] | None]:
        # A call of its own after the allocations, for the reason given in _is_free.
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = fresh
            self._append = append
        return tasks

    @types.coroutine
    def _park(self) -> Generator[Registrar, Resumption, Resumption]:
        """Wait for :meth:`_wake`; evaluates to the ``(args, kwargs)`` it passes."""
        tasks = self._tasks
        if not tasks:
            if self._task is None:
                register = self._register
                if register is None:  # the first wait
                    register = self._bind_registrar()
                    if register is None:  # a finalizer made the event busy meanwhile
                        return (yield from self._park_later())
                try:
                    return (yield register)
                except GeneratorExit:
                    raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
                except Cancelled:  # the common case, first: binding it would cost
                    self._task = None
                    raise
                except BaseException as exc:
                    if not explain_foreign_throw(exc, _what(self, self._awaited)):
                        self._task = None
                    raise
            if tasks is None:  # a second waiter: the list is made
                tasks = self._later_waiters()
        index = len(tasks)
        try:
            return (yield self._append)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            _forget(tasks, index)
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, self._awaited)):
                _forget(tasks, index)
            raise

    @types.coroutine
    def _park_later(self) -> Generator[Registrar, Resumption, Resumption]:
        """Wait in the list of later waiters (the second half of :meth:`_park`)."""
        tasks = self._tasks
        if tasks is None:
            tasks = self._later_waiters()
        index = len(tasks)
        try:
            return (yield self._append)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            _forget(tasks, index)
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, self._awaited)):
                _forget(tasks, index)
            raise

    def _wake(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Take every waiter out, then step each of them with *args* and *kwargs*."""
        tasks = self._tasks
        if tasks:
            # Read and replace the state without allocating: see "Finalizers" above.
            first = self._task
            self._task = None
            self._tasks = None
            self._append = _no_list
            wake_all(first, tasks, args, kwargs)
            return
        first = self._task
        if first is not None:
            self._task = None
            step(first, args, kwargs)

    def _count_waiters(self) -> int:
        tasks = self._tasks
        later = sum(t is not None for t in tasks) if tasks else 0
        return (self._task is not None) + later


def _no_list(task: Task[Any] | None) -> None:
    """What ``_append`` holds while an event has no list: never called (wait() makes one)."""
    raise AssertionError(f"gearwork.sync: {task!r} registered with an event that has no list")


def _forget(tasks: list[Task[Any] | None], index: int) -> None:
    """Tombstone the waiter at *index*, then drop trailing tombstones.

    An *index* past the end is ignored. (A registered waiter's slot is never trimmed away:
    it holds the task until this tombstones it. A waiter that never registered, because
    another event loop drove its awaitable, is not forgotten at all: its caller asks
    explain_foreign_throw first.)
    """
    if index >= len(tasks):
        return
    tasks[index] = None
    while tasks and tasks[-1] is None:
        tasks.pop()


class _NotAnAsyncioEvent:
    """An :class:`asyncio.Event` method that this event does not have, pointing to StatefulEvent.

    Looked up on an instance, it raises the AttributeError that a missing
    attribute raises (so ``hasattr`` and ``getattr(obj, name, default)``
    behave as usual), with a message that says where the method is. It is a
    descriptor rather than a class-level ``__getattr__``: defining
    ``__getattr__`` replaces the type's attribute lookup with a slower hook
    for *every* attribute and keeps the interpreter from specialising those
    lookups (on Python 3.11, 27% more instructions for an event ping).
    """

    __slots__ = ("_name", "_owner")

    def __set_name__(self, owner: type, name: str) -> None:
        self._owner = owner.__name__
        self._name = name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        if obj is None:
            return self  # looked up on the class: for introspection
        waiting = "the task" if self._owner.startswith("Exclusive") else "the tasks"
        raise AttributeError(
            f"{type(obj).__qualname__!r} object has no attribute {self._name!r}; "
            f"gearwork.sync.{self._owner} has no set state (it wakes only {waiting} waiting "
            "at fire()); use StatefulEvent, which has set(), is_set(), clear() and wait()",
            name=self._name,
            obj=obj,
        )


class Event(_Waiters):
    """Wakes every task waiting for it each time it is fired.

    ``await event.wait()`` suspends the task until the next
    :meth:`fire`, and evaluates to the ``(args, kwargs)`` that :meth:`fire`
    was called with. The event has no "set" state: a task that starts
    waiting always waits for a *later* fire, even if the event was fired a
    moment ago. (:class:`StatefulEvent` remembers that it was fired; it is
    the one with asyncio's ``set()``, ``is_set()`` and ``clear()``, which
    raise an AttributeError saying so here.)

    Any number of tasks may wait; :meth:`fire` wakes them synchronously, in
    the order they began waiting. Events are weak-referenceable, so
    ``event.fire`` can be bound as a toolkit callback held by a weak method.

    >>> from gearwork.core import start
    >>> event = Event()
    >>> async def wait_for_click():
    ...     args, kwargs = await event.wait()
    ...     print("clicked at", args, kwargs)
    >>> event.fire("too early")  # nobody waits: nothing happens
    >>> task = start(wait_for_click())
    >>> event.fire(10, 20, button="left")
    clicked at (10, 20) {'button': 'left'}
    >>> task.finished
    True
    >>> event.set()
    Traceback (most recent call last):
      ...
    AttributeError: 'Event' object has no attribute 'set'; gearwork.sync.Event has no set state (it wakes only the tasks waiting at fire()); use StatefulEvent, which has set(), is_set(), clear() and wait()
    """  # noqa: E501

    __slots__ = ()

    __module__ = "gearwork.sync"

    if not TYPE_CHECKING:  # for type checkers these names do not exist, as at run time
        set = _NotAnAsyncioEvent()
        is_set = _NotAnAsyncioEvent()
        clear = _NotAnAsyncioEvent()

    def fire(self, /, *args: Any, **kwargs: Any) -> None:
        """Wake every waiting task; each ``wait()`` evaluates to ``(args, kwargs)``.

        The waiters are taken out first, then woken one by one in the order
        they began waiting; each runs until its next suspension before the
        next is woken, and all of that happens before ``fire`` returns. A
        woken task that waits again waits for the next fire. Firing an event
        nobody waits for does nothing.

        :raises BaseException: what escaped a woken root task (gearwork-core
            passes it to whoever resumed the task). The other waiters are
            still woken first; several such exceptions are raised together
            as a :class:`~gearwork.core.BaseExceptionGroup`.

        >>> from gearwork.core import start
        >>> event = Event()
        >>> async def waiter(name):
        ...     await event.wait()
        ...     print(name, "woke")
        >>> tasks = [start(waiter("first")), start(waiter("second"))]
        >>> event.fire()
        first woke
        second woke
        """
        if self._tasks:
            # Read and replace the state without allocating: see "Finalizers" in the
            # module docstring.
            tasks = self._tasks
            first = self._task
            self._task = None
            self._tasks = None
            self._append = _no_list
            if args or kwargs:
                wake_all(first, tasks, args, kwargs)
                return
            # wake_all(), inlined for a fire without arguments: two calls fewer.
            it = iter(tasks)
            try:
                if first is not None:
                    first.step()
                for later in it:
                    if later is not None:
                        later.step()
                return
            except BaseException as exc:
                error = exc
            wake_rest(error, it, args, kwargs)
            return
        task = self._task
        if task is not None:
            self._task = None
            # Inlined `step(task, args, kwargs)`: this is the hottest path there is.
            if kwargs:
                task.step(*args, **kwargs)
            elif not args:
                task.step()
            elif len(args) == 1:
                task.step(args[0])
            else:
                task.step(*args)

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        """Wait for the next :meth:`fire`; evaluates to its ``(args, kwargs)``.

        It always suspends, whatever happened before. If the task is
        cancelled while it waits, it is removed from the event (the other
        waiters are not disturbed) and :class:`~gearwork.core.Cancelled` is
        raised here.

        >>> from gearwork.core import start
        >>> event = Event()
        >>> async def main():
        ...     args, kwargs = await event.wait()
        ...     return args[0] * 2
        >>> task = start(main())
        >>> event.fire(21)
        >>> task.result
        42
        """
        # The body of _Waiters._park, inlined to save a generator per wait.
        tasks = self._tasks
        if not tasks:
            if self._task is None:
                register = self._register
                if register is None:  # the first wait
                    register = self._bind_registrar()
                    if register is None:  # a finalizer made the event busy meanwhile
                        return (yield from self._park_later())
                try:
                    return (yield register)
                except GeneratorExit:
                    raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
                except Cancelled:  # the common case, first: binding it would cost
                    self._task = None
                    raise
                except BaseException as exc:
                    if not explain_foreign_throw(exc, _what(self, "wait()")):
                        self._task = None
                    raise
            if tasks is None:  # a second waiter: the list is made (_later_waiters, inlined)
                fresh: list[Task[Any] | None] = []
                tasks = self._adopt(fresh, fresh.append)
        index = len(tasks)
        try:
            return (yield self._append)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            _forget(tasks, index)
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "wait()")):
                _forget(tasks, index)
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} waiters={self._count_waiters()}>"


class ExclusiveEvent:
    """Like :class:`Event`, for at most one waiting task at a time; faster.

    ``await event.wait()`` suspends until the next :meth:`fire` and
    evaluates to its ``(args, kwargs)``. A second task that calls
    :meth:`wait` while one is already waiting gets
    :class:`~gearwork.core.InvalidStateError`. The task that was woken may
    wait again at once (from inside the ``fire`` that woke it, too).

    >>> from gearwork.core import start
    >>> event = ExclusiveEvent()
    >>> async def main():
    ...     while True:
    ...         args, kwargs = await event.wait()
    ...         print("got", *args)
    >>> task = start(main())
    >>> event.fire(1)
    got 1
    >>> event.fire(2)
    got 2
    >>> task.cancel()
    """

    __slots__ = ("__weakref__", "_register", "_task")

    __module__ = "gearwork.sync"

    _task: Task[Any] | None
    _register: Registrar

    if not TYPE_CHECKING:  # see Event
        set = _NotAnAsyncioEvent()
        is_set = _NotAnAsyncioEvent()
        clear = _NotAnAsyncioEvent()

    def __init__(self) -> None:
        self._task = None
        self._register = self._take_task  # bound once: yielding it allocates nothing

    def _take_task(self, task: Task[Any]) -> None:
        self._task = task

    # asyncio's "bad yield" error shows this name when the awaitable is misused there.
    _take_task.__qualname__ = "gearwork.sync.ExclusiveEvent.wait.<registrar>"

    def fire(self, /, *args: Any, **kwargs: Any) -> None:
        """Wake the waiting task, if any; its ``wait()`` evaluates to ``(args, kwargs)``.

        The task runs until its next suspension before ``fire`` returns.
        Without a waiting task nothing happens.

        :raises BaseException: what escaped the woken root task (gearwork-core
            passes it to whoever resumed the task).

        >>> from gearwork.core import start
        >>> event = ExclusiveEvent()
        >>> async def main():
        ...     return await event.wait()
        >>> task = start(main())
        >>> event.fire("a", b="c")
        >>> task.result
        (('a',), {'b': 'c'})
        """
        task = self._task
        if task is not None:
            self._task = None
            if kwargs:
                task.step(*args, **kwargs)
            elif not args:
                task.step()
            elif len(args) == 1:
                task.step(args[0])
            else:
                task.step(*args)

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        """Wait for the next :meth:`fire`; evaluates to its ``(args, kwargs)``.

        :raises InvalidStateError: another task is already waiting (raised
            here, at the ``await``; the waiting task is not disturbed).
        :raises Cancelled: the task was cancelled while it waited; the event
            is free again.

        >>> from gearwork.core import start
        >>> event = ExclusiveEvent()
        >>> async def main():
        ...     await event.wait()
        >>> first = start(main())
        >>> second = start(main())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          ...
        gearwork.core.InvalidStateError: ExclusiveEvent.wait(): another task is already waiting...
        """
        if self._task is not None:
            raise InvalidStateError(
                f"{type(self).__name__}.wait(): another task is already waiting; an "
                f"{type(self).__name__} has one waiter at a time (use Event for several)"
            )
        try:
            return (yield self._register)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            self._task = None
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "wait()")):
                self._task = None
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} waiting={self._task is not None}>"


class StatefulEvent(_Waiters):
    """An event that stays fired until cleared, like :class:`asyncio.Event`.

    While the event is fired, ``await event.wait()`` returns at once; while
    it is not, it waits for :meth:`fire`. Either way it evaluates to the
    ``(args, kwargs)`` of the fire (also readable as :attr:`params`).

    Firing an event that is already fired does nothing: the first fire's
    parameters stay (use :meth:`refire` or :meth:`fire_or_refire` to replace
    them). :meth:`clear` makes it not fired again.

    The asyncio/anyio vocabulary works too, so code written for an
    asyncio-style event ports without renaming: :meth:`set` (fire without
    parameters), :meth:`is_set`, :meth:`clear` and ``await event.wait()``.
    (Unlike asyncio's, ``wait()`` evaluates to the parameters rather than
    ``True``.)

    >>> from gearwork.core import start
    >>> ready = StatefulEvent()
    >>> async def worker(name):
    ...     await ready.wait()
    ...     print(name, "starts")
    >>> early = start(worker("early"))
    >>> ready.set()
    early starts
    >>> late = start(worker("late"))  # fired already: no waiting
    late starts
    >>> ready.clear()
    >>> ready.is_set()
    False
    """

    __slots__ = ("_params",)

    __module__ = "gearwork.sync"

    _params: Resumption | None

    def __init__(self) -> None:
        super().__init__()
        self._params = None

    @property
    def is_fired(self) -> bool:
        """Whether the event is fired (the same as :meth:`is_set`).

        >>> event = StatefulEvent()
        >>> event.fire()
        >>> event.is_fired
        True
        """
        return self._params is not None

    @property
    def params(self) -> Resumption:
        """The ``(args, kwargs)`` of the fire that the event is in.

        :raises InvalidStateError: the event is not fired.

        >>> event = StatefulEvent()
        >>> event.fire(1, key="value")
        >>> event.params
        ((1,), {'key': 'value'})
        """
        params = self._params
        if params is None:
            raise InvalidStateError(f"{self!r} is not fired, so it has no params")
        return params

    def fire(self, /, *args: Any, **kwargs: Any) -> None:
        """Fire the event: it stays fired, and every waiting task is woken.

        Each waiting ``wait()`` evaluates to ``(args, kwargs)``; the tasks
        are woken synchronously, in the order they began waiting. If the
        event is already fired, nothing happens (the parameters of the first
        fire stay; see :meth:`refire`).

        :raises BaseException: what escaped a woken root task, after every
            waiter has been woken (several together as a
            :class:`~gearwork.core.BaseExceptionGroup`).

        >>> event = StatefulEvent()
        >>> event.fire("first")
        >>> event.fire("second")  # already fired: ignored
        >>> event.params
        (('first',), {})
        """
        if self._params is None:
            self._params = (args, kwargs)
            if self._task is not None or self._tasks:
                self._wake(args, kwargs)

    def refire(self, /, *args: Any, **kwargs: Any) -> None:
        """Replace the parameters of a fired event.

        Nobody waits on a fired event, so nobody is woken.

        :raises InvalidStateError: the event is not fired (use :meth:`fire`
            or :meth:`fire_or_refire`).

        >>> event = StatefulEvent()
        >>> event.fire("old")
        >>> event.refire("new")
        >>> event.params
        (('new',), {})
        """
        if self._params is None:
            raise InvalidStateError(
                f"{type(self).__name__}.refire(): the event is not fired; "
                "use fire() or fire_or_refire()"
            )
        self._params = (args, kwargs)

    def fire_or_refire(self, /, *args: Any, **kwargs: Any) -> None:
        """:meth:`fire` if the event is not fired, else :meth:`refire`.

        >>> event = StatefulEvent()
        >>> event.fire_or_refire(1)
        >>> event.fire_or_refire(2)
        >>> event.params
        ((2,), {})
        """
        if self._params is None:
            self.fire(*args, **kwargs)
        else:
            self._params = (args, kwargs)

    def clear(self) -> None:
        """Make the event not fired; later waits wait for the next :meth:`fire`.

        >>> event = StatefulEvent()
        >>> event.set()
        >>> event.clear()
        >>> event.is_fired
        False
        """
        self._params = None

    def set(self) -> None:
        """:meth:`fire` without parameters (asyncio's name).

        >>> event = StatefulEvent()
        >>> event.set()
        >>> event.params
        ((), {})
        """
        self.fire()

    def is_set(self) -> bool:
        """Whether the event is fired (asyncio's name for :attr:`is_fired`).

        >>> StatefulEvent().is_set()
        False
        """
        return self._params is not None

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        """Return the parameters at once if fired, else wait for :meth:`fire`.

        Evaluates to ``(args, kwargs)`` of the fire. A task cancelled while
        it waits is removed without disturbing the other waiters.

        >>> from gearwork.core import start
        >>> event = StatefulEvent()
        >>> event.fire("done")
        >>> async def main():
        ...     return await event.wait()
        >>> start(main()).result  # did not suspend
        (('done',), {})
        """
        params = self._params
        if params is not None:
            return params
        return (yield from self._park())

    def __repr__(self) -> str:
        state = "fired" if self._params is not None else "not fired"
        return f"<{type(self).__name__} {state} waiters={self._count_waiters()}>"


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"Event": Event, "ExclusiveEvent": ExclusiveEvent, "StatefulEvent": StatefulEvent}
