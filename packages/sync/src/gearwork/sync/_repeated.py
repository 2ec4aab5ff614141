"""Repeated events with one listener: UnqueuedRepeatedEvent and MailboxRepeatedEvent.

What "the listener is still processing" means without an event loop
-------------------------------------------------------------------
The listener runs ``async for _ in event:``. A :meth:`set` call wakes it
and its loop body runs *inside* that ``set()`` call, synchronously. If the
body does not suspend, the listener is back at the top of the loop, waiting
again, before ``set()`` returns: then no ``set()`` can ever find it busy.
It is "still processing" only while its body is suspended on something
else (``await clock.sleep(1)``, another event, ...), or while the body
itself (or code it calls) calls ``set()`` re-entrantly. Those are the cases
where the two classes differ.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from gearwork.core import Cancelled, InvalidStateError
from gearwork.core.lowlevel import explain_foreign_throw

from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Generator

    from typing_extensions import Self

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("MailboxRepeatedEvent", "UnqueuedRepeatedEvent")


def _second_listener(event: object) -> InvalidStateError:
    name = type(event).__name__
    return InvalidStateError(
        f"{name}: another task is already listening; a {name} has one listener at a time"
    )


class UnqueuedRepeatedEvent:
    """A repeated event with one listener; a :meth:`set` it cannot take is dropped.

    One task listens with ``async for _ in event:``; each :meth:`set` while
    it waits at the top of the loop runs one iteration. A ``set()`` while
    the listener is still processing the previous one (see the module
    docstring: its body is suspended elsewhere), or while nobody listens,
    is ignored, not queued.

    :raises InvalidStateError: from ``async for``, when another task is
        already listening.

    >>> from gearwork.core import start
    >>> event = UnqueuedRepeatedEvent()
    >>> async def listen():
    ...     async for _ in event:
    ...         print("triggered")
    >>> event.set()  # no listener yet: dropped
    >>> task = start(listen())
    >>> event.set()
    triggered
    >>> event.set()
    triggered
    >>> task.cancel()
    """

    __slots__ = ("__weakref__", "_register", "_task")

    __module__ = "gearwork.sync"

    _task: Task[Any] | None
    _register: Registrar

    def __init__(self) -> None:
        self._task = None
        self._register = self._take_task

    def _take_task(self, task: Task[Any]) -> None:
        self._task = task

    # asyncio's "bad yield" error shows this name when the awaitable is misused there.
    _take_task.__qualname__ = "gearwork.sync.UnqueuedRepeatedEvent.<registrar>"

    def set(self) -> None:
        """Run one iteration of the listener if it is waiting; otherwise do nothing.

        :raises BaseException: what escaped the woken root task.

        >>> UnqueuedRepeatedEvent().set()  # nobody listens: nothing happens
        """
        task = self._task
        if task is not None:
            self._task = None
            task.step()

    def __aiter__(self) -> Self:
        """``async for _ in event``: the listener's loop; it never ends by itself."""
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, None]:
        """Wait for the next :meth:`set` (see the class docstring)."""
        if self._task is not None:
            raise _second_listener(self)
        try:
            yield self._register
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            self._task = None
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "__anext__()")):
                self._task = None
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} listening={self._task is not None}>"


class MailboxRepeatedEvent:
    """A repeated event with one listener that keeps up to one :meth:`set` for later.

    One task listens with ``async for _ in event:``. A :meth:`set` while it
    waits at the top of the loop runs one iteration at once. A ``set()``
    while it is still processing (see the module docstring), or before
    anybody listens, is kept: the next time the listener comes back to the
    loop it runs an iteration at once. Several such calls count as one.

    Use it to say "the data changed, have a look": if the data is a
    collection the listener drains, nothing is lost; single values may be
    overwritten before the listener looks (a :class:`Queue` keeps them all).

    :raises InvalidStateError: from ``async for``, when another task is
        already listening.

    >>> from gearwork.core import start
    >>> inbox = []
    >>> event = MailboxRepeatedEvent()
    >>> async def listen():
    ...     async for _ in event:
    ...         print("processing", inbox)
    ...         inbox.clear()
    >>> inbox.append("early")
    >>> event.set()  # nobody listens yet: kept
    >>> task = start(listen())
    processing ['early']
    >>> inbox.append("later")
    >>> event.set()
    processing ['later']
    >>> task.cancel()
    """

    __slots__ = ("__weakref__", "_pending", "_register", "_task")

    __module__ = "gearwork.sync"

    _task: Task[Any] | None
    _register: Registrar
    _pending: bool

    def __init__(self) -> None:
        self._task = None
        self._register = self._take_task
        self._pending = False

    def _take_task(self, task: Task[Any]) -> None:
        self._task = task

    # asyncio's "bad yield" error shows this name when the awaitable is misused there.
    _take_task.__qualname__ = "gearwork.sync.MailboxRepeatedEvent.<registrar>"

    @property
    def is_pending(self) -> bool:
        """Whether a :meth:`set` is kept for the listener's next iteration.

        >>> MailboxRepeatedEvent().is_pending
        False
        """
        return self._pending

    def set(self) -> None:
        """Run one iteration of the listener now if it waits, else keep one for later.

        :raises BaseException: what escaped the woken root task.

        >>> event = MailboxRepeatedEvent()
        >>> event.set()  # nobody listens yet: kept
        >>> event.is_pending
        True
        """
        task = self._task
        if task is not None:
            self._task = None
            task.step()
        else:
            self._pending = True

    def __aiter__(self) -> Self:
        """``async for _ in event``: the listener's loop; it never ends by itself."""
        return self

    @types.coroutine
    def __anext__(self) -> Generator[Registrar, Resumption, None]:
        """Return at once for a kept :meth:`set`, else wait for the next one."""
        if self._pending:
            self._pending = False
            return
        if self._task is not None:
            raise _second_listener(self)
        try:
            yield self._register
        except GeneratorExit:
            raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
        except Cancelled:  # the common case, first: binding it would cost
            self._task = None
            raise
        except BaseException as exc:
            if not explain_foreign_throw(exc, _what(self, "__anext__()")):
                self._task = None
            raise

    def __repr__(self) -> str:
        return f"<{type(self).__name__} listening={self._task is not None} pending={self._pending}>"


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {
    "UnqueuedRepeatedEvent": UnqueuedRepeatedEvent,
    "MailboxRepeatedEvent": MailboxRepeatedEvent,
}
