"""Future: asyncio's Future without an event loop."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from gearwork.core import Cancelled, InvalidStateError, Task
from gearwork.core.lowlevel import explain_foreign_throw

from ._waiters import raise_errors
from ._waiters import what as _what

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from types import TracebackType

    from gearwork.core.lowlevel import Registrar, Resumption

__all__ = ("Future",)

T = TypeVar("T")

_PENDING = 0
_FINISHED = 1  # a result or an exception was set
_CANCELLED = 2


class Future(Generic[T]):
    """A result that will be set later, with asyncio's Future interface and no event loop.

    Someone calls :meth:`set_result`, :meth:`set_exception` or
    :meth:`cancel`; every task awaiting the future is then woken and the
    done-callbacks are called, synchronously, before that call returns, in
    the order they were registered (awaiting tasks and callbacks in one
    order).

    ``await future`` evaluates to the result, raises the exception that was
    set, or raises :class:`~gearwork.core.Cancelled` if the future was
    cancelled; ``await future.wait()`` (anyioutils' form) is the same but
    evaluates to ``None`` for a cancelled future. Awaiting a future that is
    already done does not suspend.

    Cancelling a *task* that awaits a future only stops that task waiting:
    the future stays pending for its other awaiters and for whoever will
    set it. (asyncio cancels the future too; a gearwork future can be
    shared by several tasks and outlive any of them.) Call :meth:`cancel`
    to cancel the future itself.

    Errors: an exception raised by a callback, or escaping a woken root
    task, does not stop the others; it is raised from the call that
    completed the future afterwards (several as a
    :class:`~gearwork.core.BaseExceptionGroup`).

    >>> from gearwork.core import start
    >>> future = Future()
    >>> async def main():
    ...     print("answer:", await future)
    >>> task = start(main())
    >>> future.add_done_callback(lambda f: print("callback sees", f.result()))
    >>> future.set_result(42)
    answer: 42
    callback sees 42
    """

    __slots__ = ("__weakref__", "_callbacks", "_cancel_msg", "_exc", "_result", "_state", "_tb")

    __module__ = "gearwork.sync"

    _state: int
    _result: T
    _exc: BaseException | None
    _tb: TracebackType | None
    _cancel_msg: str | None
    # Done-callbacks and awaiting tasks, in registration order; None marks a removed one.
    _callbacks: list[Callable[[Future[T]], object] | Task[Any] | None] | None

    def __init__(self) -> None:
        self._state = _PENDING
        self._exc = None
        self._tb = None
        self._cancel_msg = None
        self._callbacks = None

    # -- read-outs -----------------------------------------------------------------

    def done(self) -> bool:
        """Whether the future has a result or an exception, or was cancelled.

        >>> Future().done()
        False
        """
        return self._state != _PENDING

    def cancelled(self) -> bool:
        """Whether the future was cancelled.

        >>> future = Future()
        >>> future.cancel()
        True
        >>> future.cancelled()
        True
        """
        return self._state == _CANCELLED

    def result(self) -> T:
        """The result.

        :raises InvalidStateError: the future is not done yet.
        :raises Cancelled: the future was cancelled (with the message given
            to :meth:`cancel`, if any).
        :raises BaseException: the exception set with :meth:`set_exception`.

        >>> future = Future()
        >>> future.set_exception(KeyError("missing"))
        >>> future.result()
        Traceback (most recent call last):
          ...
        KeyError: 'missing'
        """
        state = self._state
        if state == _FINISHED:
            exc = self._exc
            if exc is None:
                return self._result
            raise exc.with_traceback(self._tb)
        if state == _CANCELLED:
            raise self._cancelled_error()
        raise InvalidStateError(f"{self!r}: result() of a future that is not done yet")

    def exception(self) -> BaseException | None:
        """The exception set with :meth:`set_exception`, or ``None`` if a result was set.

        :raises InvalidStateError: the future is not done yet.
        :raises Cancelled: the future was cancelled.

        >>> future = Future()
        >>> future.set_result("fine")
        >>> print(future.exception())
        None
        """
        state = self._state
        if state == _FINISHED:
            return self._exc
        if state == _CANCELLED:
            raise self._cancelled_error()
        raise InvalidStateError(f"{self!r}: exception() of a future that is not done yet")

    def _cancelled_error(self) -> Cancelled:
        msg = self._cancel_msg
        return Cancelled() if msg is None else Cancelled(msg)

    # -- completing ----------------------------------------------------------------

    def set_result(self, result: T) -> None:
        """Set the result; wake the awaiting tasks and call the done-callbacks.

        :raises InvalidStateError: the future is already done.
        :raises BaseException: what a callback raised or what escaped a woken
            root task, once all of them have run.

        >>> future = Future()
        >>> future.set_result("ok")
        >>> future.set_result("again")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
          ...
        gearwork.core.InvalidStateError: <Future finished result='ok'>: set_result() ...
        """
        if self._state != _PENDING:
            raise InvalidStateError(f"{self!r}: set_result() of a future that is already done")
        self._result = result
        self._state = _FINISHED
        if self._callbacks is not None:
            self._run_callbacks()

    def set_exception(self, exception: BaseException) -> None:
        """Set an exception; wake the awaiting tasks and call the done-callbacks.

        Awaiting the future, or calling :meth:`result`, raises *exception*.

        :raises TypeError: *exception* is not an exception instance (an
            exception class is refused too: pass ``ValueError()``, not
            ``ValueError``), or it is a :class:`StopIteration` (which cannot
            travel through a coroutine) or a
            :class:`~gearwork.core.Cancelled` (use :meth:`cancel`).
        :raises InvalidStateError: the future is already done.

        >>> future = Future()
        >>> future.set_exception(ValueError)
        Traceback (most recent call last):
          ...
        TypeError: set_exception() needs an exception instance, got the class ValueError; pass ValueError() instead
        """  # noqa: E501
        given: object = exception  # checked at run time, whatever the annotation says
        if isinstance(given, type):
            raise TypeError(
                "set_exception() needs an exception instance, got the class "
                f"{given.__name__}; pass {given.__name__}() instead"
            )
        if not isinstance(given, BaseException):
            raise TypeError(
                f"set_exception() needs an exception instance, got {type(given).__name__}"
            )
        if isinstance(exception, StopIteration):
            raise TypeError(
                "set_exception(): StopIteration cannot be raised into a coroutine; "
                "wrap it in another exception"
            )
        if isinstance(exception, Cancelled):
            raise TypeError("set_exception(): to cancel a future, call its cancel() method")
        if self._state != _PENDING:
            raise InvalidStateError(f"{self!r}: set_exception() of a future that is already done")
        self._exc = exception
        self._tb = exception.__traceback__
        self._state = _FINISHED
        if self._callbacks is not None:
            self._run_callbacks()

    def cancel(self, msg: str | None = None) -> bool:
        """Cancel the future; wake the awaiting tasks and call the done-callbacks.

        The awaiting tasks get :class:`~gearwork.core.Cancelled` (with
        *msg*, if given) at their ``await``, as :meth:`result` raises it.

        :returns: ``True`` if the future was cancelled now, ``False`` if it
            was already done.
        :raises BaseException: what a callback raised or what escaped a woken
            root task, once all of them have run.

        >>> future = Future()
        >>> future.cancel("no longer needed")
        True
        >>> future.cancel()
        False
        >>> future.result()
        Traceback (most recent call last):
          ...
        gearwork.core.Cancelled: no longer needed
        """
        if self._state != _PENDING:
            return False
        self._cancel_msg = None if msg is None else str(msg)
        self._state = _CANCELLED
        if self._callbacks is not None:
            self._run_callbacks()
        return True

    def _run_callbacks(self) -> None:
        callbacks = self._callbacks
        assert callbacks is not None
        self._callbacks = None
        errors: list[BaseException] | None = None
        for entry in callbacks:
            if entry is None:
                continue
            try:
                if isinstance(entry, Task):
                    entry.step()
                else:
                    entry(self)
            except BaseException as exc:
                if errors is None:
                    errors = []
                errors.append(exc)
        if errors is not None:
            raise_errors(errors, "several callbacks or woken tasks of a future raised")

    # -- callbacks -----------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Future[T]], object], /) -> None:
        """Call ``fn(future)`` when the future is done; at once if it already is.

        Callbacks are called synchronously by the call that completes the
        future, in the order they were added (interleaved with the awaiting
        tasks in the order those began waiting). Unlike asyncio there is no
        *context* argument: the callback runs in the caller's context.

        :raises TypeError: *fn* is not callable.

        >>> future = Future()
        >>> future.add_done_callback(lambda f: print("done:", f.result()))
        >>> future.set_result(1)
        done: 1
        >>> future.add_done_callback(lambda f: print("late:", f.result()))
        late: 1
        """
        if not callable(fn):
            raise TypeError(f"add_done_callback() needs a callable, got {type(fn).__name__}")
        if self._state != _PENDING:
            fn(self)
            return
        callbacks = self._callbacks
        if callbacks is None:
            self._callbacks = [fn]
        else:
            callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Future[T]], object], /) -> int:
        """Remove every registration of *fn* (compared with ``==``); return how many.

        >>> future = Future()
        >>> future.add_done_callback(print)
        >>> future.add_done_callback(print)
        >>> future.remove_done_callback(print)
        2
        """
        callbacks = self._callbacks
        if not callbacks:
            return 0
        removed = 0
        for index, entry in enumerate(callbacks):
            if entry is not None and not isinstance(entry, Task) and entry == fn:
                callbacks[index] = None  # awaiting tasks keep their indices
                removed += 1
        _trim(callbacks)
        return removed

    # -- awaiting ------------------------------------------------------------------

    def __await__(self) -> Generator[Registrar, Resumption, T]:
        """``await future``: the result, once the future is done.

        Returns (or raises) at once, without suspending, if the future is
        already done. A task cancelled while it waits stops waiting; the
        future is not affected.

        :raises Cancelled: the future was cancelled.
        :raises BaseException: the exception set with :meth:`set_exception`.
        """
        if self._state == _PENDING:
            callbacks = self._callbacks
            if callbacks is None:
                callbacks = self._callbacks = []
            index = len(callbacks)
            try:
                yield callbacks.append
            except GeneratorExit:
                raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
            except Cancelled:  # the common case, first: binding it would cost
                _forget_waiter(callbacks, index)
                raise
            except BaseException as exc:
                if not explain_foreign_throw(exc, _what(self, None)):
                    _forget_waiter(callbacks, index)
                raise
        return self.result()

    __iter__ = __await__  # ``yield from future`` in generator-based coroutines, as in asyncio

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, T | None]:
        """Wait until the future is done; the result, or ``None`` if it was cancelled.

        anyioutils' ``await future.wait()``: the same as ``await future``
        except that a cancelled future evaluates to ``None`` instead of
        raising :class:`~gearwork.core.Cancelled`. Returns (or raises) at
        once, without suspending, if the future is already done. A task
        cancelled while it waits stops waiting (it gets ``Cancelled`` here,
        as always) and the future is not affected.

        :raises BaseException: the exception set with :meth:`set_exception`.

        >>> from gearwork.core import start
        >>> async def main(future):
        ...     print("waited:", await future.wait())
        >>> done, dropped = Future(), Future()
        >>> tasks = [start(main(done)), start(main(dropped))]
        >>> done.set_result("the answer")
        waited: the answer
        >>> dropped.cancel()
        waited: None
        True
        """
        if self._state == _PENDING:
            callbacks = self._callbacks
            if callbacks is None:
                callbacks = self._callbacks = []
            index = len(callbacks)
            try:
                yield callbacks.append
            except GeneratorExit:
                raise  # see "Clean-up on exceptions" in gearwork.sync._waiters
            except Cancelled:  # the common case, first: binding it would cost
                _forget_waiter(callbacks, index)
                raise
            except BaseException as exc:
                if not explain_foreign_throw(exc, _what(self, "wait()")):
                    _forget_waiter(callbacks, index)
                raise
        if self._state == _CANCELLED:
            return None
        return self.result()

    def __repr__(self) -> str:
        state = self._state
        if state == _PENDING:
            return f"<{type(self).__name__} pending>"
        if state == _CANCELLED:
            return f"<{type(self).__name__} cancelled>"
        if self._exc is not None:
            return f"<{type(self).__name__} finished exception={self._exc!r}>"
        return f"<{type(self).__name__} finished result={self._result!r}>"


def _forget_waiter(callbacks: list[Any], index: int) -> None:
    """Drop the waiting task at *index*, if the future is still pending (else the list
    was taken out and is past that index). A task that never registered is not there:
    see gearwork.sync._event._forget."""
    if index < len(callbacks):
        callbacks[index] = None
        _trim(callbacks)


def _trim(callbacks: list[Any]) -> None:
    while callbacks and callbacks[-1] is None:
        callbacks.pop()


# doctest looks for examples in a module's own objects, and these classes say they belong
# to gearwork.sync (their __module__), so their methods' examples are listed here to run.
__test__ = {"Future": Future}
