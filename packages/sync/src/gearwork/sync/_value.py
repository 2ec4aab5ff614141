"""Values that tasks can wait on: :class:`AsyncValue` and :class:`AsyncBool`."""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gearwork.core import Cancelled
from gearwork.core.lowlevel import explain_foreign_throw

from ._waiters import raise_errors
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("AsyncBool", "AsyncValue")

T = TypeVar("T")

_NOTHING: Any = object()  # "no value yet", for eventual_values()


class _Waiter:
    """One task waiting on an :class:`AsyncValue`, with its predicate.

    ``task`` is ``None`` once the waiter no longer waits (woken or
    cancelled), so that a set that has already picked it skips it.
    """

    __slots__ = ("predicate", "task", "transition")

    def __init__(self, predicate: Callable[..., object], transition: bool) -> None:
        self.predicate = predicate
        self.transition = transition  # predicate(value, old) instead of predicate(value)
        self.task: Task[Any] | None = None

    def register(self, task: Task[Any]) -> None:
        self.task = task


def _always(value: object, old: object = None) -> bool:
    return True


def _checked(predicate: Callable[..., object] | None, method: str) -> Callable[..., object]:
    """*predicate*, or "always" for ``None``; TypeError for anything not callable."""
    if predicate is None:
        return _always
    if not callable(predicate):
        raise TypeError(
            f"AsyncValue.{method}() needs a callable predicate or None, "
            f"got {type(predicate).__name__}"
        )
    return predicate


class _Equals:
    """The predicate "equal to *expected*" used by ``wait_value(value)``."""

    __slots__ = ("expected",)

    def __init__(self, expected: object) -> None:
        self.expected = expected

    def __call__(self, value: object) -> bool:
        return bool(value == self.expected)


class AsyncValue(Generic[T]):
    """A value that tasks can wait on: for a value, a condition, or a change.

    Assigning :attr:`value` wakes, synchronously and in the order they began
    waiting, exactly the waiting tasks whose condition the new value meets;
    the others keep waiting. Assigning a value equal (``==``) to the current
    one changes nothing: the old object stays and nobody is woken.

    The predicates run inside the assignment, on the new value, before any
    task is woken, so each woken task receives the value that met its
    condition; it may have changed again by the time the task looks at
    :attr:`value` (another woken task may have assigned it). A predicate
    that raises makes its own task's wait raise that exception; the
    assignment carries on with the other waiters.

    Errors: an exception escaping a woken root task is raised from the
    assignment after all the waiters have been woken (several as a
    :class:`~gearwork.core.BaseExceptionGroup`).

    >>> from gearwork.core import start
    >>> level = AsyncValue(0)
    >>> async def alarm():
    ...     value = await level.wait_value(lambda v: v > 10)
    ...     print("too high:", value)
    >>> task = start(alarm())
    >>> level.value = 5
    >>> level.value = 12
    too high: 12
    """

    __slots__ = ("__weakref__", "_value", "_waiters")

    __module__ = "gearwork.sync"

    _value: T
    # Waiting order, as an insertion-ordered dict with ``None`` values: a cancelled
    # waiter leaves it in O(1), wherever it is.
    _waiters: dict[_Waiter, None]

    def __init__(self, value: T) -> None:
        self._value = value
        self._waiters = {}

    @property
    def value(self) -> T:
        """The wrapped value; assigning it wakes the waiters it satisfies.

        See the class docstring for what an assignment does.

        :raises BaseException: from an assignment, what escaped a woken root
            task, after all the chosen waiters have been woken.

        >>> count = AsyncValue(1)
        >>> count.value += 1
        >>> count.value
        2
        """
        return self._value

    @value.setter
    def value(self, value: T) -> None:
        old = self._value
        if old == value:
            return
        if not self._waiters:
            self._value = value
            return
        # Decide who wakes before waking anyone: a woken task may assign again. The
        # predicates are user code, and may start or cancel waiting tasks, or assign,
        # while they run; so may finalizers, which up to Python 3.11 run inside any
        # allocation that sets off a garbage collection. So the containers are
        # allocated first; then the waiters are taken out with no allocation in between,
        # so that the dict does not change under the loop; tasks that begin waiting
        # meanwhile go to a fresh dict, and are kept after the others at the end; a
        # waiter cancelled meanwhile has no task any more and is left out.
        fresh: dict[_Waiter, None] = {}
        chosen: list[tuple[_Waiter, BaseException | None]] = []
        keep: dict[_Waiter, None] = {}
        old = self._value  # a finalizer may have assigned it during the allocations
        if old == value:
            return
        self._value = value
        waiters = self._waiters
        self._waiters = fresh
        for waiter in waiters:
            if waiter.task is None:
                continue
            try:
                met = waiter.predicate(value, old) if waiter.transition else waiter.predicate(value)
            except Exception as exc:
                chosen.append((waiter, exc))
                continue
            if met:
                chosen.append((waiter, None))
            elif waiter.task is not None:  # its own predicate may have cancelled it
                keep[waiter] = None
        # Whatever dict is current now (the fresh one, or the one a nested assignment put
        # in its place) holds the waiters that began waiting meanwhile: after the others.
        keep.update(self._waiters)
        # A kept waiter cancelled by a later predicate stays here, without a task, until
        # the next assignment passes over it; it is not counted as waiting meanwhile.
        self._waiters = keep
        if not chosen:
            return
        errors: list[BaseException] = []
        for waiter, failure in chosen:
            task = waiter.task
            if task is None:  # cancelled by a task woken before it
                continue
            waiter.task = None
            try:
                if failure is None:
                    task.step(value, old)
                else:
                    task.throw(failure)
            except BaseException as error:
                errors.append(error)
        raise_errors(errors, "several tasks woken by an AsyncValue assignment raised")

    @types.coroutine
    def _wait(
        self, predicate: Callable[..., object], transition: bool
    ) -> Generator[Registrar, Resumption, Resumption]:
        waiter = _Waiter(predicate, transition)
        register = waiter.register  # bound before joining the dict: see the value setter
        self._waiters[waiter] = None
        try:
            return (yield register)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except BaseException:
            # Not bound with `as`: that would cost every cancellation (see _waiters).
            exc = sys.exc_info()[1]
            if exc is not None and type(exc) is not Cancelled:
                method = "wait_transition()" if transition else "wait_value()"
                explain_foreign_throw(exc, _what(self, method))
            del exc
            # Still waiting, chosen and not woken yet (then it is out of the dict), or
            # never registered (driven by something other than a gearwork task, which
            # threw in without calling the registrar): either way, leave nothing behind.
            waiter.task = None
            waiters = self._waiters
            waiters.pop(waiter, None)
            if not waiters:
                self._waiters = {}  # a dict keeps the size it grew to: start afresh
            raise

    @types.coroutine
    def wait_value(
        self, value_or_predicate: T | Callable[[T], object], /
    ) -> Generator[Registrar, Resumption, T]:
        """Wait until the value equals *value_or_predicate*, or meets it if it is callable.

        A callable argument is a predicate, called with the value; anything
        else is compared with ``==``. (To wait for a callable value, pass
        ``lambda v: v is f``.) Returns at once, without suspending, if the
        current value already matches; otherwise the predicate is checked on
        every assignment. Evaluates to the value that matched.

        :raises BaseException: what the predicate raised (the task stops
            waiting).

        >>> from gearwork.core import start
        >>> mode = AsyncValue("idle")
        >>> async def main():
        ...     return await mode.wait_value("running")
        >>> task = start(main())
        >>> mode.value = "running"
        >>> task.result
        'running'
        """
        predicate: Callable[[T], object]
        if callable(value_or_predicate):
            predicate = value_or_predicate
        else:
            predicate = _Equals(value_or_predicate)
        current = self._value
        if predicate(current):
            return current
        args, _ = yield from self._wait(predicate, False)
        value: T = args[0]
        return value

    @types.coroutine
    def wait_transition(
        self, predicate: Callable[[T, T], object] | None = None
    ) -> Generator[Registrar, Resumption, tuple[T, T]]:
        """Wait for the next change of the value that meets ``predicate(value, old)``.

        Always suspends: only assignments made while the task waits count.
        Without a predicate, any change does. Evaluates to
        ``(value, old_value)`` of the change.

        :raises BaseException: what the predicate raised (the task stops
            waiting).

        >>> from gearwork.core import start
        >>> temperature = AsyncValue(20)
        >>> async def main():
        ...     return await temperature.wait_transition(lambda new, old: new < old)
        >>> task = start(main())
        >>> temperature.value = 25
        >>> temperature.value = 18
        >>> task.result
        (18, 25)
        """
        args, _ = yield from self._wait(_checked(predicate, "wait_transition"), True)
        return args

    def eventual_values(self, predicate: Callable[[T], object] | None = None) -> _EventualValues[T]:
        """Iterate over the values meeting *predicate*, with eventual consistency.

        ``async for value in v.eventual_values(pred):`` gets the current value
        first if it meets the predicate, then each later value that meets it
        and differs from the last one received. While the loop body runs, the
        value may change several times: the next iteration gets the latest
        value (if it still meets the predicate and differs), not every
        intermediate one.

        >>> from gearwork.core import start
        >>> count = AsyncValue(0)
        >>> async def watch():
        ...     async for value in count.eventual_values(lambda v: v % 2 == 0):
        ...         print("even:", value)
        >>> task = start(watch())
        even: 0
        >>> for n in range(1, 5):
        ...     count.value = n
        even: 2
        even: 4
        >>> task.cancel()
        """
        return _EventualValues(self, _checked(predicate, "eventual_values"))

    def transitions(self, predicate: Callable[[T, T], object] | None = None) -> _Transitions[T]:
        """Iterate over the changes meeting ``predicate(value, old)``, as ``(value, old)``.

        Each iteration waits like :meth:`wait_transition`: changes made while
        the loop body is suspended elsewhere are not seen. (A body that does
        not suspend is back to waiting before the assignment that woke it
        returns, so then it sees every change.)

        >>> from gearwork.core import start
        >>> light = AsyncValue("red")
        >>> async def watch():
        ...     async for new, old in light.transitions():
        ...         print(old, "->", new)
        >>> task = start(watch())
        >>> light.value = "green"
        red -> green
        >>> light.value = "amber"
        green -> amber
        >>> task.cancel()
        """
        return _Transitions(self, _checked(predicate, "transitions"))

    def __repr__(self) -> str:
        waiting = sum(w.task is not None for w in self._waiters)
        return f"<{type(self).__name__} value={self._value!r} waiters={waiting}>"


class _EventualValues(Generic[T]):
    """The async iterator of :meth:`AsyncValue.eventual_values`."""

    __slots__ = ("_last", "_owner", "_predicate")

    def __init__(self, owner: AsyncValue[T], predicate: Callable[[T], object]) -> None:
        self._owner = owner
        self._predicate = predicate
        self._last: Any = _NOTHING

    def _wanted(self, value: T) -> bool:
        last = self._last
        return bool((last is _NOTHING or value != last) and self._predicate(value))

    def __aiter__(self) -> Self:
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, T]:
        value = yield from self._owner.wait_value(self._wanted)
        self._last = value
        return value


class _Transitions(Generic[T]):
    """The async iterator of :meth:`AsyncValue.transitions`."""

    __slots__ = ("_owner", "_predicate")

    def __init__(self, owner: AsyncValue[T], predicate: Callable[[T, T], object]) -> None:
        self._owner = owner
        self._predicate = predicate

    def __aiter__(self) -> Self:
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, tuple[T, T]]:
        return (yield from self._owner.wait_transition(self._predicate))


class AsyncBool(AsyncValue[bool]):
    """An :class:`AsyncValue` holding a bool, ``False`` unless told otherwise.

    ``wait_value(True)`` and ``wait_transition(False)`` read naturally; both
    also accept predicates, as in :class:`AsyncValue`.

    >>> from gearwork.core import start
    >>> connected = AsyncBool()
    >>> async def main():
    ...     await connected.wait_value(True)
    ...     print("online")
    ...     await connected.wait_transition(False)
    ...     print("offline")
    >>> task = start(main())
    >>> connected.value = True
    online
    >>> connected.value = False
    offline
    """

    __slots__ = ()

    __module__ = "gearwork.sync"

    def __init__(self, value: bool = False) -> None:
        super().__init__(value)

    @types.coroutine
    def wait_transition(
        self, predicate: bool | Callable[[bool, bool], object] | None = None
    ) -> Generator[Registrar, Resumption, tuple[bool, bool]]:
        """Wait for the next change of the value: to *predicate* if it is a bool.

        ``wait_transition(True)`` waits for a change to ``True``;
        ``wait_transition()`` for any change; a callable works as in
        :meth:`AsyncValue.wait_transition`. Evaluates to ``(value, old)``.

        :raises TypeError: *predicate* is neither a bool, a callable nor ``None``.

        >>> from gearwork.core import start
        >>> flag = AsyncBool(True)
        >>> async def main():
        ...     return await flag.wait_transition(True)
        >>> task = start(main())
        >>> flag.value = False
        >>> flag.value = True
        >>> task.result
        (True, False)
        """
        if isinstance(predicate, bool):
            chosen: Callable[[bool, bool], object] | None = _ChangedTo(predicate)
        elif predicate is None or callable(predicate):
            chosen = predicate
        else:
            raise TypeError(
                "AsyncBool.wait_transition() needs a bool, a callable predicate or None, "
                f"got {type(predicate).__name__}"
            )
        return (yield from AsyncValue.wait_transition(self, chosen))


class _ChangedTo:
    """The predicate "changed to *target*" of ``AsyncBool.wait_transition(target)``."""

    __slots__ = ("target",)

    def __init__(self, target: object) -> None:
        self.target = target

    def __call__(self, value: object, old: object) -> bool:
        return bool(value == self.target)


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"AsyncValue": AsyncValue, "AsyncBool": AsyncBool}
