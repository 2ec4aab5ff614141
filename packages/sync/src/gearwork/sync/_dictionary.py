"""AsyncDictionary: a dict whose keys can be awaited."""

from __future__ import annotations

import sys
import types
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gearwork.core import Cancelled
from gearwork.core.lowlevel import explain_foreign_throw

from ._waiters import raise_errors
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("AsyncDictionary",)

K = TypeVar("K")
V = TypeVar("V")


class _KeyWaiter:
    """A task waiting for a key; ``task`` is ``None`` once it no longer waits."""

    __slots__ = ("pops", "task")

    def __init__(self, pops: bool) -> None:
        self.pops = pops
        self.task: Task[Any] | None = None

    def register(self, task: Task[Any]) -> None:
        self.task = task


class AsyncDictionary(MutableMapping[K, V], Generic[K, V]):
    """A mutable mapping in which tasks can wait for a key to be set.

    It works like a :class:`dict` (the constructor takes the same
    arguments), plus :meth:`get_wait`, :meth:`pop_wait` and
    :meth:`is_waiting`.

    What happens when a key that tasks wait for is set: the value is handed
    out in the order the tasks began waiting. Every :meth:`get_wait` ahead
    of the first :meth:`pop_wait` receives it; that first ``pop_wait``
    takes it, so the key is removed again (it is not in the dictionary
    once the assignment returns); the tasks after it keep waiting for the
    next assignment of the key. Without a ``pop_wait`` among the waiters,
    they all receive the value and the key stays. So when two tasks
    ``pop_wait`` the same key, the one that began waiting first gets the
    first value and the other one waits for the next.

    The tasks that receive the value are chosen before any of them runs,
    and are woken synchronously, in order, before the assignment returns.
    If the ``pop_wait`` task that was chosen is cancelled by a task woken
    before it, the value goes back into the dictionary (handed to the next
    waiters), unless the key was set again meanwhile.

    Errors: an exception escaping a woken root task is raised from the
    assignment after all the chosen tasks have been woken.

    >>> from gearwork.core import start
    >>> replies = AsyncDictionary()
    >>> async def request(number):
    ...     print("reply", number, "=", await replies.pop_wait(number))
    >>> task = start(request(7))
    >>> replies.is_waiting(7)
    True
    >>> replies[7] = "pong"
    reply 7 = pong
    >>> 7 in replies
    False
    """

    __slots__ = ("__weakref__", "_data", "_waiting")

    __module__ = "gearwork.sync"

    _data: dict[K, V]
    # key -> its waiters in waiting order (an insertion-ordered dict with None values, so
    # that a cancelled waiter leaves in O(1)); a key without waiters has no entry.
    _waiting: dict[K, dict[_KeyWaiter, None]]

    def __init__(self, /, *args: Any, **kwargs: Any) -> None:
        self._data = dict(*args, **kwargs)
        self._waiting = {}

    # -- the mapping -----------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        waiters = self._waiting.get(key)
        if waiters:
            self._hand_out(key, value, waiters)

    def __delitem__(self, key: K) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    # -- waiting -----------------------------------------------------------------

    def _hand_out(self, key: K, value: V, waiters: dict[_KeyWaiter, None]) -> None:
        # The waiters up to the first that pops, in waiting order: they all get *value*.
        chosen: list[_KeyWaiter] = []
        for waiter in waiters:
            chosen.append(waiter)
            if waiter.pops:
                break
        for waiter in chosen:
            del waiters[waiter]
        if not waiters:
            del self._waiting[key]
        popped = chosen[-1].pops
        if popped:
            del self._data[key]
        errors: list[BaseException] = []
        for waiter in chosen:
            task = waiter.task
            if task is None:  # cancelled by a task woken before it
                if waiter.pops and key not in self._data:
                    try:
                        self[key] = value  # the value goes back (to the next waiters)
                    except BaseException as exc:
                        errors.append(exc)
                continue
            waiter.task = None
            try:
                task.step(value)
            except BaseException as exc:
                errors.append(exc)
        raise_errors(errors, "several tasks woken by an AsyncDictionary assignment raised")

    def _wait(self, key: K, pops: bool) -> Generator[Registrar, Resumption, V]:
        waiter = _KeyWaiter(pops)
        # Bound before joining the dict: nothing allocates between joining and the yield,
        # so no garbage collection (with finalizers that may set this key) runs while the
        # waiter has no task yet.
        register = waiter.register
        waiting = self._waiting
        waiters = waiting.get(key)
        if waiters is None:
            waiters = waiting[key] = {}
        waiters[waiter] = None
        try:
            args, _ = yield register
            value: V = args[0]
            return value
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except BaseException:
            # Not bound with `as`: that would cost every cancellation (see _waiters).
            exc = sys.exc_info()[1]
            if exc is not None and type(exc) is not Cancelled:
                explain_foreign_throw(exc, _what(self, "pop_wait()" if pops else "get_wait()"))
            del exc
            # Still waiting, chosen and not woken yet (then it is out of the dict), or
            # never registered (driven by something other than a gearwork task, which
            # threw in without calling the registrar): either way, leave nothing behind.
            waiter.task = None
            current = waiting.get(key)
            if current is not None:
                current.pop(waiter, None)
                if not current:
                    del waiting[key]
            raise

    @types.coroutine
    def get_wait(self, key: K) -> Generator[Registrar, Resumption, V]:
        """The value of *key*: at once if it is set, else once it is.

        The key stays in the dictionary (unless a :meth:`pop_wait` that
        began waiting earlier takes it; see the class docstring).

        >>> from gearwork.core import start
        >>> settings = AsyncDictionary()
        >>> async def main():
        ...     return await settings.get_wait("theme")
        >>> task = start(main())
        >>> settings["theme"] = "dark"
        >>> task.result, settings["theme"]
        ('dark', 'dark')
        """
        data = self._data
        if key in data:
            return data[key]
        return (yield from self._wait(key, False))

    @types.coroutine
    def pop_wait(self, key: K) -> Generator[Registrar, Resumption, V]:
        """Remove *key* and return its value: at once if it is set, else once it is.

        Of several tasks waiting to pop the same key, the one that began
        waiting first gets the first value; the others wait for the next.

        >>> from gearwork.core import start
        >>> mailbox = AsyncDictionary()
        >>> async def main():
        ...     return await mailbox.pop_wait("alice")
        >>> task = start(main())
        >>> mailbox["alice"] = "letter"
        >>> task.result, "alice" in mailbox
        ('letter', False)
        """
        data = self._data
        if key in data:
            return data.pop(key)
        return (yield from self._wait(key, True))

    def is_waiting(self, key: K) -> bool:
        """Whether a task is waiting (in :meth:`get_wait` or :meth:`pop_wait`) for *key*.

        >>> AsyncDictionary().is_waiting("anything")
        False
        """
        return bool(self._waiting.get(key))


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"AsyncDictionary": AsyncDictionary}
