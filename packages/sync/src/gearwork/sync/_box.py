"""Boxes: :class:`Box` and :class:`ExclusiveBox`, one item kept until cleared."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from gearwork.core import Cancelled, InvalidStateError
from gearwork.core.lowlevel import explain_foreign_throw

from ._event import _Waiters
from ._waiters import step
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Generator

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("Box", "ExclusiveBox")


class Box(_Waiters):
    """Holds one item, an ``(args, kwargs)`` pair, until it is cleared.

    ``await box.get()`` evaluates to the item at once if the box holds one,
    else it waits for :meth:`put`. Getting does not take the item out: it
    stays for every later getter until :meth:`clear`. Any number of tasks
    may wait; :meth:`put` wakes them synchronously, in the order they began
    waiting.

    A box holds one item only. :meth:`put` fills an empty box and does
    nothing to a full one (the item already there stays); :meth:`update`
    replaces the item of a full box and does nothing to an empty one (no
    getter is woken). :meth:`put_or_update` does whichever applies, so the
    box then holds the new item either way. This is the same rule as a
    second :meth:`StatefulEvent.fire`, which changes nothing.

    >>> from gearwork.core import start
    >>> box = Box()
    >>> async def show():
    ...     args, kwargs = await box.get()
    ...     print("got", args, kwargs)
    >>> task = start(show())
    >>> box.put(1, crow="raven")
    got (1,) {'crow': 'raven'}
    >>> task = start(show())  # the item is still there
    got (1,) {'crow': 'raven'}
    >>> box.clear()
    >>> box.is_empty
    True
    """

    __slots__ = ("_item",)
    _awaited = "get()"

    __module__ = "gearwork.sync"

    _item: Resumption | None

    def __init__(self) -> None:
        super().__init__()
        self._item = None

    @property
    def is_empty(self) -> bool:
        """Whether the box holds no item.

        >>> box = Box()
        >>> box.is_empty
        True
        >>> box.put()
        >>> box.is_empty
        False
        """
        return self._item is None

    def put(self, /, *args: Any, **kwargs: Any) -> None:
        """Put the item ``(args, kwargs)`` into the box if it is empty, and wake every getter.

        The waiting getters are woken synchronously, in the order they began
        waiting; each ``get()`` evaluates to ``(args, kwargs)``. If the box
        already holds an item, nothing happens: that item stays (use
        :meth:`update` or :meth:`put_or_update` to replace it).

        :raises BaseException: what escaped a woken root task, after every
            getter has been woken (several together as a
            :class:`~gearwork.core.BaseExceptionGroup`).

        >>> box = Box()
        >>> box.put("apple")
        >>> box.put("pear")  # full: ignored
        >>> box.peek()
        (('apple',), {})
        """
        if self._item is not None:
            return
        self._item = (args, kwargs)
        if self._task is not None or self._tasks:
            self._wake(args, kwargs)

    def update(self, /, *args: Any, **kwargs: Any) -> None:
        """Replace the item with ``(args, kwargs)`` if the box holds one.

        Nobody waits on a full box, so nobody is woken. If the box is empty,
        nothing happens: it stays empty and its getters keep waiting (use
        :meth:`put` or :meth:`put_or_update` to fill it).

        >>> box = Box()
        >>> box.update("apple")  # empty: ignored
        >>> box.is_empty
        True
        >>> box.put("apple")
        >>> box.update("pear")
        >>> box.peek()
        (('pear',), {})
        """
        if self._item is not None:
            self._item = (args, kwargs)

    def put_or_update(self, /, *args: Any, **kwargs: Any) -> None:
        """:meth:`put` if the box is empty, else :meth:`update`.

        >>> box = Box()
        >>> box.put_or_update(1)
        >>> box.put_or_update(2)
        >>> box.peek()
        ((2,), {})
        """
        if self._item is None:
            self.put(*args, **kwargs)
        else:
            self._item = (args, kwargs)

    def clear(self) -> None:
        """Remove the item, if any; later getters wait for the next :meth:`put`.

        >>> box = Box()
        >>> box.put(1)
        >>> box.clear()
        >>> box.is_empty
        True
        """
        self._item = None

    def peek(self) -> Resumption:
        """The item, without awaiting.

        :raises InvalidStateError: the box is empty.

        >>> box = Box()
        >>> box.put(3, 4)
        >>> box.peek()
        ((3, 4), {})
        """
        item = self._item
        if item is None:
            raise InvalidStateError(f"{type(self).__name__}.peek(): the box is empty")
        return item

    @types.coroutine
    def get(self) -> Generator[Registrar, Resumption, Resumption]:
        """The item, ``(args, kwargs)``: at once if the box holds one, else after :meth:`put`.

        The item stays in the box. A task cancelled while it waits is
        removed without disturbing the other getters.

        >>> from gearwork.core import start
        >>> box = Box()
        >>> async def main():
        ...     args, kwargs = await box.get()
        ...     return args
        >>> task = start(main())
        >>> box.put("hello")
        >>> task.result
        ('hello',)
        """
        item = self._item
        if item is not None:
            return item
        return (yield from self._park())

    def __repr__(self) -> str:
        state = "empty" if self._item is None else "full"
        return f"<{type(self).__name__} {state} waiters={self._count_waiters()}>"


class ExclusiveBox:
    """Like :class:`Box`, for at most one waiting getter at a time; faster.

    A second task that starts waiting in :meth:`get` while another one
    waits gets :class:`~gearwork.core.InvalidStateError`. Getting from a
    full box never waits, so any number of tasks may get then.

    >>> from gearwork.core import start
    >>> box = ExclusiveBox()
    >>> async def main():
    ...     args, kwargs = await box.get()
    ...     return args[0]
    >>> task = start(main())
    >>> box.put("parcel")
    >>> task.result
    'parcel'
    """

    __slots__ = ("__weakref__", "_item", "_register", "_task")

    __module__ = "gearwork.sync"

    _item: Resumption | None
    _task: Task[Any] | None
    _register: Registrar

    def __init__(self) -> None:
        self._item = None
        self._task = None
        self._register = self._take_task

    def _take_task(self, task: Task[Any]) -> None:
        self._task = task

    # asyncio's "bad yield" error shows this name when the awaitable is misused there.
    _take_task.__qualname__ = "gearwork.sync.ExclusiveBox.get.<registrar>"

    @property
    def is_empty(self) -> bool:
        """Whether the box holds no item.

        >>> ExclusiveBox().is_empty
        True
        """
        return self._item is None

    def put(self, /, *args: Any, **kwargs: Any) -> None:
        """Put the item ``(args, kwargs)`` into the box if it is empty, and wake the getter.

        If the box already holds an item, nothing happens: that item stays.

        :raises BaseException: what escaped the woken root task.

        >>> box = ExclusiveBox()
        >>> box.put(1)
        >>> box.put(2)  # full: ignored
        >>> box.peek()
        ((1,), {})
        """
        if self._item is not None:
            return
        self._item = (args, kwargs)
        task = self._task
        if task is not None:
            self._task = None
            step(task, args, kwargs)

    def update(self, /, *args: Any, **kwargs: Any) -> None:
        """Replace the item with ``(args, kwargs)`` if the box holds one.

        If the box is empty, nothing happens (it stays empty).

        >>> box = ExclusiveBox()
        >>> box.update(1)  # empty: ignored
        >>> box.is_empty
        True
        >>> box.put(1)
        >>> box.update(2)
        >>> box.peek()
        ((2,), {})
        """
        if self._item is not None:
            self._item = (args, kwargs)

    def put_or_update(self, /, *args: Any, **kwargs: Any) -> None:
        """:meth:`put` if the box is empty, else :meth:`update`.

        >>> box = ExclusiveBox()
        >>> box.put_or_update(1)
        >>> box.put_or_update(2)
        >>> box.peek()
        ((2,), {})
        """
        if self._item is None:
            self.put(*args, **kwargs)
        else:
            self._item = (args, kwargs)

    def clear(self) -> None:
        """Remove the item, if any.

        >>> box = ExclusiveBox()
        >>> box.put(1)
        >>> box.clear()
        >>> box.is_empty
        True
        """
        self._item = None

    def peek(self) -> Resumption:
        """The item, without awaiting.

        :raises InvalidStateError: the box is empty.

        >>> ExclusiveBox().peek()
        Traceback (most recent call last):
          ...
        gearwork.core.InvalidStateError: ExclusiveBox.peek(): the box is empty
        """
        item = self._item
        if item is None:
            raise InvalidStateError(f"{type(self).__name__}.peek(): the box is empty")
        return item

    @types.coroutine
    def get(self) -> Generator[Registrar, Resumption, Resumption]:
        """The item, ``(args, kwargs)``: at once if the box holds one, else after :meth:`put`.

        :raises InvalidStateError: the box is empty and another task is
            already waiting in ``get()``.

        >>> from gearwork.core import start
        >>> box = ExclusiveBox()
        >>> box.put(7)
        >>> async def main():
        ...     return await box.get()
        >>> start(main()).result
        ((7,), {})
        """
        item = self._item
        if item is not None:
            return item
        if self._task is not None:
            raise InvalidStateError(
                f"{type(self).__name__}.get(): another task is already waiting; an "
                f"{type(self).__name__} has one waiting getter at a time (use Box for several)"
            )
        try:
            return (yield self._register)
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            self._task = None
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "get()")):
                self._task = None
            raise

    def __repr__(self) -> str:
        state = "empty" if self._item is None else "full"
        return f"<{type(self).__name__} {state} waiting={self._task is not None}>"


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"Box": Box, "ExclusiveBox": ExclusiveBox}
