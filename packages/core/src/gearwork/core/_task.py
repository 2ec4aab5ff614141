"""Tasks: coroutines driven directly by whoever resumes them.

How a task runs
---------------
A task drives one coroutine. The coroutine suspends by yielding a
*registration callable* ``f``; right after the yield the task calls
``f(task)``, which stores the task wherever the wake-up will come from. Later,
``task.step(*args, **kwargs)`` sends ``(args, kwargs)`` back into the
coroutine, which runs until its next suspension before ``step`` returns.

Bounded stack
-------------
A resumption that happens while another resumption is in progress on the same
thread nests on the C stack. Each thread has a :class:`_Runtime` that counts
that nesting. A resumption that would nest deeper than
:data:`RESUME_DEPTH_LIMIT` levels is queued instead, and the resumption at the
deepest allowed level (the *drainer*) runs the queue in FIFO order before it
returns, so everything still completes before the top-level call returns and
the stack never grows past the limit. Below the limit nothing is queued, so
ordinary resumption stays exactly synchronous, and the fast path of
:meth:`Task.step` never looks at the queue. A task binds the runtime of the
thread that starts it.

Internal states
---------------
The public :class:`TaskState` has four values; internally ``STARTED`` is split
so that the hot paths can tell "suspended" from "running" with one integer
comparison.
"""

from __future__ import annotations

import enum
import inspect
import sys
import types
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from contextvars import Context
from itertools import count
from threading import current_thread, local
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final, overload

from ._exceptions import BaseExceptionGroup, Cancelled, InvalidStateError, add_note

if TYPE_CHECKING:
    from types import FrameType
    from typing import TextIO, TypeAlias

    # Type checkers see the pure-Python implementation only.
    _TaskCore = object
    _RuntimeCore = object
else:
    # The compiled accelerator (gearwork/core/_speedups.c), when it was built and is
    # not refused: it holds the hot fields of Task and _Runtime and Task.step() in C.
    # GEARWORK_PURE_PYTHON=1 (anything but "" or "0") keeps the pure-Python code.
    import os as _os

    _speedups = None
    if _os.environ.get("GEARWORK_PURE_PYTHON", "") in ("", "0"):
        try:
            from . import _speedups
        except ImportError:  # not built for this interpreter: pure Python
            _speedups = None
    if _speedups is None:

        class _TaskCore:  # object itself cannot come before Generic in Task's bases
            __slots__ = ()

        _RuntimeCore = object
    else:
        _TaskCore = _speedups._TaskCore
        _RuntimeCore = _speedups._RuntimeCore
    ACCELERATED = _speedups is not None
    del _os
ACCELERATED: bool
"""Whether the compiled accelerator (``gearwork.core._speedups``) runs the hot path."""

__all__ = (
    "ACCELERATED",
    "RESUME_DEPTH_LIMIT",
    "ExceptionHandler",
    "Registrar",
    "Resumption",
    "Task",
    "TaskState",
    "cancel_pending",
    "current_task",
    "dummy_task",
    "exception_of",
    "explain_foreign_throw",
    "explain_not_awaitable",
    "get_default_exception_handler",
    "raise_if_cancelled",
    "set_default_exception_handler",
    "sleep_forever",
    "start",
    "start_each",
    "supervise",
    "supervised_task",
    "suspend",
)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Resumption: TypeAlias = "tuple[tuple[Any, ...], dict[str, Any]]"
"""What an ``await`` on a suspension evaluates to: ``(args, kwargs)`` of ``step``."""

Registrar: TypeAlias = "Callable[[Task[Any]], object]"
"""The callable a suspending awaitable yields; it is called with the task."""

ExceptionHandler: TypeAlias = "Callable[[Task[Any], BaseException], object]"
"""Receives an exception that escaped a task: ``handler(task, exc)``."""

RESUME_DEPTH_LIMIT = 32
"""How many resumptions may nest on one thread's stack before they are queued."""

_DRAINER = RESUME_DEPTH_LIMIT - 1  # the depth at which a resumption drains the queue
# From this depth on, step(), start() and start_each() leave their inlined first
# send to Task._run. It is _DRAINER unless an instrument is set (see
# gearwork.core._instrument): then 0, so that every run of a coroutine goes through
# the one method the instrument wraps, and the hot paths cost nothing more without one.
_inline_below = _DRAINER


def _set_inline_below(depth: int) -> None:
    """Change ``_inline_below``, for the pure-Python hot paths and the compiled step alike."""
    global _inline_below
    _inline_below = depth
    if not TYPE_CHECKING and ACCELERATED:
        _speedups._set_inline_below(depth)


# Internal states. Order matters: everything >= _FINISHED is "done".
_CREATED = 0
_RUNNING = 1  # inside coro.send()/coro.throw()
_SUSPENDED = 2  # also while its registrar runs, so that it may resume the task at once
_QUEUED = 3  # resumed past the depth limit; waiting in the runtime's queue
_FINISHED = 4
_CANCELLED = 5


@final
class TaskState(enum.Enum):
    """The life-cycle state of a :class:`Task`."""

    __module__ = "gearwork.core"

    CREATED = enum.auto()
    """Not started yet."""
    STARTED = enum.auto()
    """Running, or suspended waiting to be resumed."""
    CANCELLED = enum.auto()
    """Ended by cancellation or by an exception that escaped the coroutine."""
    FINISHED = enum.auto()
    """The coroutine returned; :attr:`Task.result` holds its value."""


_PUBLIC_STATE = (
    TaskState.CREATED,
    TaskState.STARTED,
    TaskState.STARTED,
    TaskState.STARTED,
    TaskState.FINISHED,
    TaskState.CANCELLED,
)


class _Runtime(_RuntimeCore):
    """Per-thread bookkeeping for nested resumptions."""

    # With the accelerator, the fields are _RuntimeCore's C members.
    __slots__ = () if ACCELERATED else ("depth", "queue", "thread_name")

    depth: int
    queue: deque[tuple[Task[Any], Resumption | None, BaseException | None]]
    thread_name: str

    def __init__(self) -> None:
        self.depth = 0
        self.thread_name = current_thread().name  # for debug mode's messages
        self.queue = deque()

    def drain(self, pending: BaseException | None = None) -> None:
        """Run queued resumptions in FIFO order; called by the drainer only.

        An exception that escapes one queued resumption does not stop the
        others. Afterwards the exceptions (plus *pending*, an exception that
        was already propagating) are raised: alone if there is one, as a
        ``BaseExceptionGroup`` if there are several.
        """
        errors = [] if pending is None else [pending]
        queue = self.queue
        self.depth = RESUME_DEPTH_LIMIT  # so that queued tasks never drain themselves
        try:
            while queue:
                task, value, exc = queue.popleft()
                try:
                    task._run(value, exc)
                except BaseException as e:  # re-raised below
                    errors.append(e)
        finally:
            self.depth = _DRAINER
        if pending is not None and len(errors) == 1:
            return  # the caller re-raises it
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise BaseExceptionGroup("several resumptions failed", errors)


_thread_state = local()


def _new_runtime() -> _Runtime:
    """Create the calling thread's runtime (called once per thread)."""
    rt = _thread_state.runtime = _Runtime()
    return rt


_default_handler: ExceptionHandler | None = None

# The ids of the exceptions that gearwork tasks are throwing into their coroutines right
# now (every one goes through Task._run), so that an awaitable can tell them from an
# exception that another event loop threw in: see explain_foreign_throw. A set of ids
# because some exceptions are unhashable; its operations are atomic across threads.
_throwing: set[int] = set()
_FOREIGN = " was awaited outside a gearwork task"


def set_default_exception_handler(handler: ExceptionHandler | None) -> ExceptionHandler | None:
    """Install the process-wide handler for exceptions escaping root tasks.

    A task with no handler of its own and no supervisor passes an
    :class:`Exception` that escapes its coroutine to ``handler(task, exc)``
    instead of raising it to whoever resumed the task. ``None`` restores the
    default (raise to the resumer). Returns the previous handler.
    ``KeyboardInterrupt``, ``SystemExit`` and other non-``Exception`` errors
    always propagate.

    >>> seen = []
    >>> previous = set_default_exception_handler(lambda task, exc: seen.append(exc))
    >>> async def fails():
    ...     raise ValueError("boom")
    >>> task = start(fails())
    >>> seen
    [ValueError('boom')]
    >>> _ = set_default_exception_handler(previous)
    """
    global _default_handler
    previous = _default_handler
    _default_handler = None if handler is None else _check_handler(handler)
    return previous


def get_default_exception_handler() -> ExceptionHandler | None:
    """Return the handler installed by :func:`set_default_exception_handler`."""
    return _default_handler


# inspect.CO_ITERABLE_COROUTINE: the code flag of a @types.coroutine generator. Spelled
# out so that importing gearwork does not import inspect (about 10 ms).
_CO_ITERABLE_COROUTINE = 0x100


async def _await_awaitable(aw: Awaitable[T]) -> T:
    return await aw


def _as_coroutine(aw: object, who: str) -> Coroutine[Any, Any, Any]:
    """Return a coroutine that drives *aw* with send/throw, or raise TypeError.

    *who* names the caller in the error message: ``"Task()"`` or ``"start()"``.

    :raises InvalidStateError: *aw* is a coroutine that has already begun running.
    """
    if type(aw) is types.CoroutineType:
        if aw.cr_await is not None or aw.cr_running:
            raise _driven_error(aw, who)
        return aw
    if type(aw) is types.GeneratorType and aw.gi_code.co_flags & _CO_ITERABLE_COROUTINE:
        if _driven(aw):
            raise _driven_error(aw, who)
        coro: Coroutine[Any, Any, Any] = aw  # type: ignore[assignment]
        return coro
    if isinstance(aw, Task):
        raise TypeError(f"{who} needs an awaitable, got a Task; pass the Task to start() instead")
    if isinstance(aw, Awaitable):
        return _await_awaitable(aw)
    wanted = "an awaitable or a Task" if who == "start()" else "an awaitable"
    raise TypeError(f"{who} needs {wanted}, got {type(aw).__name__}{explain_not_awaitable(aw)}")


def explain_not_awaitable(obj: object, /) -> str:
    """Say what to do with *obj*, which was given where an awaitable is needed.

    For the error messages of calls that take awaitables: a coroutine
    function or a method (``start(job)``, ``wait_any(event.wait)``) was
    most likely meant to be called, and the hint says so, naming the call.
    Returns ``""`` when there is nothing useful to add. Only error paths
    call it.

    >>> async def job():
    ...     pass
    >>> explain_not_awaitable(job)
    '; job is a coroutine function: call it, as in job()'
    >>> explain_not_awaitable(42)
    ''
    """
    if isinstance(obj, type) or not callable(obj):
        return ""
    name = getattr(obj, "__qualname__", None)
    if not isinstance(name, str):
        return ""
    owner = getattr(obj, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        name = f"{type(owner).__name__.lower()}.{getattr(obj, '__name__', name)}"
        return f"; {name} is a method: call it, as in {name}()"
    if inspect.iscoroutinefunction(obj):
        return f"; {name} is a coroutine function: call it, as in {name}()"
    return f"; {name} is a function: pass what it returns, as in {name}()"


def _driven(coro: object) -> bool:
    """Whether the coroutine (or @types.coroutine generator) *coro* has begun running.

    Such a coroutine belongs to whoever drives it, another task most likely:
    sending ``None`` into it would resume that task's ``await`` with garbage.
    A coroutine that has ended is not "driven": sending into it fails, and
    that failure is explained where it happens (see :func:`_send_refused`).
    """
    if type(coro) is _InContext:
        coro = coro.coro
    if type(coro) is types.CoroutineType:
        return coro.cr_await is not None or coro.cr_running
    if type(coro) is types.GeneratorType:
        if coro.gi_running:
            return True
        frame = coro.gi_frame
        # gi_suspended is new in 3.11; before, a generator that has not run has f_lasti -1.
        return frame is not None and bool(getattr(coro, "gi_suspended", frame.f_lasti != -1))
    return False


def _driven_error(coro: object, who: str) -> InvalidStateError:
    name = getattr(coro, "__qualname__", type(coro).__name__)
    return InvalidStateError(
        f"{who}: the coroutine {name}() has already begun running, so another task "
        "drives it; a coroutine object can be started only once (call the coroutine "
        "function again for a new one)"
    )


def _code_of(coro: object) -> object:
    if type(coro) is _InContext:
        coro = coro.coro
    return getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)


def _send_refused(error: BaseException, coro: object) -> bool:
    """Whether *error* came from ``send``/``throw`` itself, not from the coroutine's code.

    Python refuses to run a coroutine that has ended ("cannot reuse already
    awaited coroutine", RuntimeError) or that is running ("already
    executing", ValueError). Only the error path calls this.
    """
    if type(error) is not RuntimeError and type(error) is not ValueError:
        return False
    code = _code_of(coro)
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return False  # raised inside the coroutine
        tb = tb.tb_next
    return True


def _closed(coro: object) -> bool:
    """Whether the coroutine (or generator) *coro* has no frame any more: it ended or was closed."""
    if type(coro) is _InContext:
        coro = coro.coro
    if type(coro) is types.CoroutineType:
        return coro.cr_frame is None
    if type(coro) is types.GeneratorType:
        return coro.gi_frame is None
    return False


class _InContext:
    """Drives a coroutine inside a :class:`contextvars.Context`.

    A task created with ``context=`` keeps one of these where it would keep
    its coroutine, so tasks without a context pay nothing for the feature.
    """

    __slots__ = ("context", "coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], context: Context) -> None:
        self.coro = coro
        self.context = context

    def send(self, value: Any) -> Any:
        return self.context.run(self.coro.send, value)

    def throw(self, exc: BaseException) -> Any:
        return self.context.run(self.coro.throw, exc)

    def close(self) -> None:
        self.context.run(self.coro.close)


_next_uid = count(1).__next__  # uids, hence default names, follow the order of creation
_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_PY311 = sys.version_info >= (3, 11)  # generators have gi_suspended
_new_task = _TaskCore.__new__


class _Extras:
    """Rarely needed per-task state, allocated on first use to keep tasks small."""

    __slots__ = (
        "callbacks",
        "cancel_msg",
        "handler",
        "scope_depth",
        "shield",
    )

    def __init__(self) -> None:
        self.handler: ExceptionHandler | None = None
        self.callbacks: list[Callable[[Task[Any]], object]] | None = None
        self.cancel_msg: str | None = None
        self.shield = 0  # nesting count of disable_cancellation()
        self.scope_depth = 0  # nesting count of open cancel scopes


class Task(_TaskCore, Generic[T_co]):
    """A coroutine and its state, resumed synchronously by whoever wakes it.

    Create one with :func:`start` (or ``Task(aw)`` followed by ``start(task)``).
    The task runs at once, until the coroutine first suspends; after that each
    :meth:`step` runs it until its next suspension.

    :param aw: the awaitable to drive, usually a coroutine.
    :param name: a name shown in ``repr`` and in error messages.
    :param context: a :class:`contextvars.Context` to run every step in, as
        asyncio tasks do. ``None`` (the default) runs each step in the context
        of whoever resumed it, which is faster. Pass
        ``contextvars.copy_context()`` to isolate the task.
    :param exception_handler: ``handler(task, exc)`` receives an
        :class:`Exception` escaping the coroutine instead of whoever resumed
        the task.
    :raises TypeError: *aw* is not awaitable.

    >>> async def add(a, b):
    ...     return a + b
    >>> task = start(add(1, 2))
    >>> task.finished, task.result
    (True, 3)
    """

    # With the accelerator, _TaskCore holds the fields that every resumption touches
    # (_st, _coro, _rt, _result, _exc, _cancel_req, _extras, _sup) as C members.
    __slots__ = (
        ("__weakref__", "_name", "_thrown", "_uid")
        if ACCELERATED
        else (
            "__weakref__",
            "_cancel_req",
            "_coro",
            "_exc",
            "_extras",
            "_name",
            "_result",
            "_rt",
            "_st",
            "_sup",
            "_thrown",
            "_uid",
        )
    )

    __module__ = "gearwork.core"

    _coro: Coroutine[Any, Any, Any] | _InContext
    _st: int
    _rt: _Runtime
    _result: Any
    _exc: BaseException | None
    _thrown: bool  # whether the pending cancellation has been raised in the task yet
    _cancel_req: int | None  # None, or the cancel-scope depth the request targets (0: task)
    _extras: _Extras | None
    _sup: Callable[[Task[Any]], object] | None  # the supervisor, until the task ends
    _name: str
    _uid: int

    def __init__(
        self,
        aw: Awaitable[T_co],
        /,
        *,
        name: str | None = None,
        context: Context | None = None,
        exception_handler: ExceptionHandler | None = None,
    ) -> None:
        if name is not None or context is not None or exception_handler is not None:
            _check_options(aw, "Task()", name, context, exception_handler)
        coro = _as_coroutine(aw, "Task()")
        self._coro = coro if context is None else _InContext(coro, context)
        self._st = _CREATED
        self._cancel_req = None
        self._extras = None
        self._sup = None
        self._uid = _next_uid()
        if name is not None:
            self._name = name
        if exception_handler is not None:
            self._more().handler = exception_handler

    def _more(self) -> _Extras:
        extras = self._extras
        if extras is None:
            extras = self._extras = _Extras()
        return extras

    # -- read-outs ---------------------------------------------------------

    @property
    def state(self) -> TaskState:
        """The current :class:`TaskState`."""
        st = self._st
        if st == _SUSPENDED and _closed(self._coro):
            self._lost()
            st = self._st
        return _PUBLIC_STATE[st]

    @property
    def finished(self) -> bool:
        """Whether the coroutine returned normally."""
        return self._st == _FINISHED

    @property
    def cancelled(self) -> bool:
        """Whether the task ended by cancellation or by an exception."""
        st = self._st
        if st == _SUSPENDED and _closed(self._coro):
            self._lost()
            st = self._st
        return st == _CANCELLED

    def done(self) -> bool:
        """Whether the task has ended, in either way."""
        st = self._st
        if st == _SUSPENDED and _closed(self._coro):
            self._lost()
            st = self._st
        return st >= _FINISHED

    @property
    def result(self) -> T_co:
        """The value the coroutine returned.

        :raises InvalidStateError: the task has not finished (it is still
            running, or it was cancelled).
        """
        if self._st == _FINISHED:
            return self._result  # type: ignore[no-any-return]
        if self._st == _CANCELLED:
            raise InvalidStateError(f"{self!r} was cancelled and has no result")
        raise InvalidStateError(f"{self!r} has not finished yet")

    def exception(self) -> BaseException | None:
        """The exception that escaped the coroutine; ``None`` if the task finished.

        As in asyncio, a task that was cancelled (rather than failed) has no
        exception to give: asking raises :class:`Cancelled`. Authors of
        supervisors, who need the answer without an exception, use
        :func:`gearwork.core.lowlevel.exception_of`.

        :raises InvalidStateError: the task has not ended.
        :raises Cancelled: the task was cancelled.

        >>> async def fails():
        ...     raise ValueError("boom")
        >>> start(fails(), exception_handler=lambda task, exc: None).exception()
        ValueError('boom')
        >>> task = start(sleep_forever())
        >>> task.cancel("no longer needed")
        >>> task.exception()
        Traceback (most recent call last):
          ...
        gearwork.core.Cancelled: no longer needed
        """
        st = self._st
        if st < _FINISHED:
            raise InvalidStateError(f"{self!r} has not ended yet")
        exc = self._exc
        if exc is None and st == _CANCELLED:
            raise self._cancelled_error()
        return exc

    def _cancelled_error(self) -> Cancelled:
        """A fresh :class:`Cancelled` telling that this (ended) task was cancelled."""
        extras = self._extras
        msg = None if extras is None else extras.cancel_msg
        return Cancelled() if msg is None else Cancelled(msg)

    # -- awaiting the task from another task -------------------------------------

    def __await__(self) -> Generator[Registrar, Resumption, T_co]:
        """``await task``: wait until it ends; its result, its exception, or Cancelled.

        The semantics of asyncio's tasks: the awaiting task gets the value the
        coroutine returned, or the exception that escaped it raised at the
        ``await``, or :class:`Cancelled` if the task was cancelled. A task
        that has ended already gives its outcome at once, without suspending.
        A task can be awaited by any number of tasks, but not by itself.

        Who sees a failure: the task's supervisor if it has one (a nursery
        child); else, when tasks are awaiting it at that moment, those tasks
        and nobody else (the exception is not passed to an exception handler
        nor raised to whoever resumed the task); else the exception handler,
        or whoever resumed the task. An awaiter always gets the outcome it
        awaits, so awaiting a task that failed earlier raises its exception
        again.

        >>> async def child():
        ...     (value,), _ = await sleep_forever()
        ...     return value * 2
        >>> async def parent(task):
        ...     return await task
        >>> worker = start(child())
        >>> boss = start(parent(worker))
        >>> worker.step(21)
        >>> boss.result
        42
        """
        if self._st < _FINISHED:
            yield from self._until_done()
        outcome: T_co = self._outcome(False)
        return outcome

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, T_co | None]:
        """Wait until the task ends; its result, or ``None`` if it was cancelled.

        anyioutils' form of ``await task``: the same, except that a cancelled
        task gives ``None`` instead of raising :class:`Cancelled`. A task
        that failed raises its exception here, and the rules of
        :meth:`__await__` on who sees a failure apply.

        >>> async def waiter(task):
        ...     return await task.wait()
        >>> worker = start(sleep_forever())
        >>> boss = start(waiter(worker))
        >>> worker.cancel()
        >>> boss.finished, boss.result
        (True, None)
        """
        if self._st < _FINISHED:
            yield from self._until_done()
        outcome: T_co | None = self._outcome(True)
        return outcome

    def _until_done(self) -> Generator[Registrar, Resumption, None]:
        awaiter = _Awaiter(self)
        try:
            yield awaiter.register
        except GeneratorExit:
            raise  # garbage-collected: see lowlevel's module docstring
        except BaseException as exc:
            if not explain_foreign_throw(exc, "a gearwork.core.Task"):
                awaiter.waiter = None
                self.remove_done_callback(awaiter)
            raise

    def _outcome(self, none_if_cancelled: bool) -> Any:
        if self._st == _FINISHED:
            return self._result
        exc = self._exc
        if exc is not None:
            raise exc
        if none_if_cancelled:
            return None
        raise self._cancelled_error()

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        """Print the stack of a suspended task, or the traceback of a failed one.

        As asyncio's ``Task.print_stack``: the frames of :meth:`get_stack`
        (*limit* as there), with source lines, then for a failed task the
        exception itself. Writes to *file*, by default ``sys.stderr``.

        >>> async def waits():
        ...     await sleep_forever()
        >>> task = start(waits(), name="waiter")
        >>> task.print_stack(file=sys.stdout)  # doctest: +ELLIPSIS
        Stack for <Task 'waiter' STARTED (suspended)> (most recent call last):
          File "<doctest ...>", line 2, in waits
            await sleep_forever()
          File "...", line ..., in sleep_forever
            return (yield _stay)
        >>> task.cancel()
        """
        import traceback  # only here: importing it costs every program a few ms

        out = sys.stderr if file is None else file
        exc = self._exc if self._st >= _FINISHED else None
        if exc is not None:
            entries = traceback.extract_tb(exc.__traceback__, limit=limit)
            heading = "Traceback for"
        else:
            frames = self.get_stack(limit=limit)
            entries = traceback.StackSummary.extract((f, f.f_lineno) for f in frames)
            heading = "Stack for"
        if not entries and exc is None:
            print(f"No stack for {self!r}", file=out)
            return
        print(f"{heading} {self!r} (most recent call last):", file=out)
        for line in traceback.format_list(entries):
            print(line, file=out, end="")
        if exc is not None:
            for line in traceback.format_exception_only(type(exc), exc):
                print(line, file=out, end="")

    @property
    def root_coro(self) -> Coroutine[Any, Any, Any]:
        """The coroutine the task drives (the start of its await chain)."""
        coro = self._coro
        return coro.coro if type(coro) is _InContext else coro  # type: ignore[return-value]

    def get_coro(self) -> Coroutine[Any, Any, Any]:
        """Same as :attr:`root_coro`, under asyncio's name."""
        return self.root_coro

    @property
    def uid(self) -> int:
        """A unique integer; tasks are numbered from 1 in the order they are created."""
        return self._uid

    def get_name(self) -> str:
        """The task's name; ``Task-<uid>`` unless one was given."""
        try:
            return self._name
        except AttributeError:
            self._name = name = f"Task-{self._uid}"
            return name

    def set_name(self, value: object, /) -> None:
        """Rename the task (the value is converted with ``str``)."""
        self._name = str(value)

    def get_stack(self, *, limit: int | None = None) -> list[FrameType]:
        """The frames of the await chain, outermost first.

        For a suspended task these are the frames where it waits; for a task
        that ended by an exception, the frames of that exception's traceback;
        otherwise an empty list. *limit* keeps the newest (stack) or oldest
        (traceback) frames, as asyncio does.
        """
        frames: list[FrameType] = []
        if self._st < _FINISHED:
            aw: Any = self.root_coro
            while aw is not None:
                frame = getattr(aw, "cr_frame", None) or getattr(aw, "gi_frame", None)
                if frame is not None:
                    frames.append(frame)
                aw = getattr(aw, "cr_await", None) or getattr(aw, "gi_yieldfrom", None)
            if limit is not None:
                frames = frames[-limit:] if limit > 0 else []
        elif self._exc is not None:
            tb = self._exc.__traceback__
            while tb is not None and (limit is None or len(frames) < limit):
                frames.append(tb.tb_frame)
                tb = tb.tb_next
        return frames

    def __repr__(self) -> str:
        st = self._st
        detail = ""
        if st == _SUSPENDED:
            detail = " (suspended)"
        elif st == _RUNNING:
            detail = " (running)"
        elif st == _QUEUED:
            detail = " (queued)"
        return f"<Task {self.get_name()!r} {_PUBLIC_STATE[st].name}{detail}>"

    # -- done callbacks and handlers ------------------------------------------

    def add_done_callback(self, fn: Callable[[Task[T_co]], object], /) -> None:
        """Call ``fn(task)`` when the task ends.

        Callbacks run synchronously, in the order they were added, each
        exactly once. If the task has already ended, *fn* is called at once.
        An exception raised by a callback is treated like one escaping the
        task: it goes to the exception handler, or else to the resumer, after
        the remaining callbacks have run.

        >>> from gearwork.core import sleep_forever
        >>> task = start(sleep_forever())
        >>> task.add_done_callback(lambda t: print("ended:", t.state.name))
        >>> task.cancel()
        ended: CANCELLED
        """
        if not callable(fn):
            raise TypeError(f"add_done_callback() needs a callable, got {type(fn).__name__}")
        if self._st >= _FINISHED:
            fn(self)
            return
        extras = self._more()
        if extras.callbacks is None:
            extras.callbacks = [fn]
        else:
            extras.callbacks.append(fn)

    def remove_done_callback(self, fn: Callable[[Task[T_co]], object], /) -> int:
        """Remove every registration of *fn*; return how many there were."""
        extras = self._extras
        callbacks = None if extras is None else extras.callbacks
        if not callbacks:
            return 0
        kept = [cb for cb in callbacks if cb != fn]
        extras.callbacks = kept  # type: ignore[union-attr]
        return len(callbacks) - len(kept)

    def set_exception_handler(self, handler: ExceptionHandler | None, /) -> None:
        """Send exceptions escaping this task to ``handler(task, exc)``.

        ``None`` falls back to the process-wide handler
        (:func:`set_default_exception_handler`), and if there is none, to
        raising the exception to whoever resumed the task.
        """
        self._more().handler = None if handler is None else _check_handler(handler)

    # -- driving -----------------------------------------------------------

    if not TYPE_CHECKING and ACCELERATED:
        step = _TaskCore.step  # the method below, compiled (gearwork/core/_speedups.c)
    else:

        def step(self, /, *args: Any, **kwargs: Any) -> None:
            """Resume the suspended task; its ``await`` evaluates to ``(args, kwargs)``.

            The task runs until its next suspension before ``step`` returns. If
            the task is not suspended (not started, running, or ended) nothing
            happens, so a stale wake-up is harmless. Call it from the thread that
            started the task; debug mode (:func:`gearwork.core.set_debug`) checks.
            """
            if self._st != _SUSPENDED:
                return
            rt = self._rt
            depth = rt.depth
            if depth >= _inline_below:
                self._deep_step((args, kwargs))
                return
            # The common case, inlined: send, then register the next suspension.
            # Anything unusual (an ending, an error, a pending cancellation) is
            # left to the _step_* methods below. Being above the drainer, it never
            # drains the queue. The compiled step does the same, in the same order.
            rt.depth = depth + 1
            self._st = _RUNNING
            try:
                f = self._coro.send((args, kwargs))
                self._st = _SUSPENDED
                f(self)
            except BaseException as e:
                error = e
            else:
                rt.depth = depth
                if (
                    self._cancel_req is not None
                    and self._st == _SUSPENDED
                    and (self._extras is None or not self._extras.shield)
                ):
                    self._step_cancel()
                return
            # Handled outside the except block, so that what runs next (hooks, other
            # tasks) does not see this exception as the one "being handled".
            rt.depth = depth
            if type(error) is StopIteration and self._st == _RUNNING:
                # The coroutine returned: the common ending, inlined.
                self._st = _FINISHED
                self._result = error.value
                self._exc = None
                del error
                supervisor = self._sup
                if self._extras is not None:
                    self._step_hooks()
                elif supervisor is not None:
                    # A child task's ending: _run_hooks' fast path, inlined.
                    self._sup = None
                    try:
                        supervisor(self)
                        return
                    except BaseException as e:
                        error = e  # a bug in the supervisor: reported like the task's own
                    try:
                        self._step_report(error)
                    finally:
                        del error
                return
            try:
                self._step_failed(error)
            finally:
                del error  # else error -> traceback -> this frame -> error: a cycle

    # The unusual cases of step(), shared by the pure-Python and the compiled step.
    # Each raises what must reach the resumer without gearwork's frames (_escaping).

    def _deep_step(self, value: Resumption) -> None:
        """step() at or past ``_inline_below``: through _run, or queued past the limit."""
        rt = self._rt
        if rt.depth < RESUME_DEPTH_LIMIT:
            try:
                self._run(value, None)
            except BaseException as e:
                raise _escaping(e)
        else:
            self._st = _QUEUED
            rt.queue.append((self, value, None))

    def _deep_begin(self) -> None:
        """A first step at or past ``_inline_below`` (nested deep, or instrumented)."""
        try:
            self._run(None, None)
        except BaseException as e:
            raise _escaping(e)

    def _begin_failed(self, error: BaseException, who: str) -> None:
        """The first send or registrar of a task that *who* started raised *error*."""
        try:
            if self._st == _RUNNING and type(error) is not StopIteration:
                self._check_first_send(error, who)
            self._after_error(error)
        except BaseException as e:
            raise _escaping(e)
        finally:
            del error

    def _step_failed(self, error: BaseException) -> None:
        """The send or the registrar of a step raised *error*."""
        try:
            self._after_error(error)
        except BaseException as e:
            raise _escaping(e)
        finally:
            del error

    def _step_cancel(self) -> None:
        """A step ended with a cancellation pending: deliver it at this suspension."""
        try:
            self._run(None, self._make_cancelled())
        except BaseException as e:
            raise _escaping(e)

    def _step_hooks(self) -> None:
        """A step finished the task, which has done callbacks or a handler to run."""
        try:
            self._run_hooks(None)
        except BaseException as e:
            raise _escaping(e)

    def _step_report(self, error: BaseException) -> None:
        """The supervisor of a task that a step finished raised *error*."""
        try:
            self._report(error)
        except BaseException as e:
            raise _escaping(e)
        finally:
            del error

    def throw(self, exc: BaseException, /) -> None:
        """Raise *exc* inside the suspended task, at the ``await`` where it waits.

        :raises InvalidStateError: the task is not suspended.
        :raises TypeError: *exc* is not an exception instance.
        """
        if not isinstance(exc, BaseException):
            raise TypeError(f"throw() needs an exception instance, got {type(exc).__name__}")
        if self._st != _SUSPENDED:
            raise InvalidStateError(f"throw() needs a suspended task; {self!r} is not suspended")
        try:
            self._resume_with(exc)
        except BaseException as e:
            raise _escaping(e)

    def cancel(self, msg: str | None = None) -> None:
        """Cancel the task as soon as possible.

        A suspended task is cancelled at once: :class:`Cancelled` is raised at
        its ``await`` before this call returns. A running task, or one inside
        ``disable_cancellation()``, gets it at its next suspension. A task that
        has not started is closed without running. Cancelling an ended task
        does nothing. *msg* becomes ``Cancelled.args[0]``.
        """
        st = self._st
        if st >= _FINISHED:
            return
        if msg is not None:
            extras = self._more()
            if extras.cancel_msg is None:
                extras.cancel_msg = str(msg)
        if st == _CREATED:
            self._coro.close()
            self._end(_CANCELLED, None, None)
            return
        if self._cancel_req != 0:
            self._cancel_req = 0  # the whole task is the target now
            self._thrown = False
        if st != _SUSPENDED:
            return  # delivered at its next suspension
        try:
            if self._extras is None:  # the common case: no shield, no message
                self._thrown = True
                if self._rt.depth < RESUME_DEPTH_LIMIT:
                    self._run(None, Cancelled())
                else:
                    self._st = _QUEUED
                    self._rt.queue.append((self, None, Cancelled()))
            elif not self._extras.shield:
                self._resume_with(self._make_cancelled())
        except BaseException as e:
            raise _escaping(e)

    close = cancel

    # -- internals ---------------------------------------------------------

    def _refuse_driven(self, who: str) -> None:
        """Refuse to start a task whose coroutine another task already drives.

        The task ends ``CANCELLED`` without touching the coroutine (it is the
        other task's), its supervisor and callbacks are told, and the caller
        gets :class:`InvalidStateError`.
        """
        coro = self._coro
        error = _driven_error(coro.coro if type(coro) is _InContext else coro, who)
        self._end(_CANCELLED, None, None)
        raise error

    def _check_first_send(self, error: BaseException, who: str) -> None:
        """The first ``send`` failed with *error*: refuse a coroutine Python would not run."""
        coro = self._coro
        if not _send_refused(error, coro):
            return
        if _closed(coro):
            why = "has already run to its end or been closed"
        elif _driven(coro):
            why = "is running right now"
        else:
            return
        inner = coro.coro if type(coro) is _InContext else coro
        name = getattr(inner, "__qualname__", type(inner).__name__)
        self._end(_CANCELLED, None, None)
        raise InvalidStateError(
            f"{who}: the coroutine {name}() {why}; a coroutine object can be started only "
            "once (call the coroutine function again for a new one)"
        ) from None

    def _lost(self) -> None:
        """End the task whose coroutine was closed behind its back (``root_coro.close()``).

        Nothing can resume that coroutine any more: the task ends
        ``CANCELLED``, quietly, and its supervisor and callbacks are told.
        """
        self._end(_CANCELLED, None, None)

    def _make_cancelled(self) -> Cancelled:
        extras = self._extras
        msg = None if extras is None else extras.cancel_msg
        exc = Cancelled() if msg is None else Cancelled(msg)
        if self._thrown:
            add_note(
                exc,
                f"{self!r} awaited while it was being cancelled; run async clean-up "
                "inside `async with disable_cancellation():`",
            )
            if _debug_mode:
                _warn_cut_short(self)
        else:
            self._thrown = True
        return exc

    def _resume_with(self, exc: BaseException) -> None:
        """Raise *exc* in the suspended task, through the runtime's depth limit."""
        if self._rt.depth < RESUME_DEPTH_LIMIT:
            self._run(None, exc)
        else:
            self._st = _QUEUED
            self._rt.queue.append((self, None, exc))

    def _after_error(self, e: BaseException) -> None:
        """Finish a fast step that raised *e*."""
        st = self._st
        if st == _RUNNING and type(e) is StopIteration:  # the common ending
            self._st = _FINISHED
            self._result = e.value
            self._exc = None
            if self._sup is not None or self._extras is not None:
                self._run_hooks(None)
        elif st == _SUSPENDED:
            # The registrar raised: raise it at the await (explained if the task
            # awaited something that is not a gearwork awaitable).
            self._run(None, _foreign_await(e, self._coro) if type(e) is TypeError else e)
        elif st != _RUNNING:
            raise e  # a nested resumption of this task failed and already ended it
        elif isinstance(e, (Cancelled, GeneratorExit)) or (
            _send_refused(e, self._coro) and _closed(self._coro)
        ):
            # Cancelled, or its coroutine was closed behind its back (root_coro.close()).
            self._end(_CANCELLED, None, None)
        else:
            # The task keeps e: its traceback starts at the coroutine, not at step(),
            # whose frame would tie e (and the task) into a reference cycle.
            self._end(_CANCELLED, None, _from_the_coroutine(e))

    def _run(self, value: Resumption | None, exc: BaseException | None) -> None:
        """Drive the coroutine until it suspends for real or ends.

        Counts one level of nesting on the runtime while it runs; run by the
        drainer, it drains the runtime's queue before returning. The end of the
        task (supervisor, callbacks, handlers) is dealt with after the loop,
        outside any ``except`` block, so that hooks and the tasks they wake do
        not run "during the handling" of the coroutine's StopIteration.
        """
        rt = self._rt
        depth = rt.depth
        rt.depth = depth + 1
        coro = self._coro
        ended = False
        try:
            while True:
                self._st = _RUNNING
                try:
                    if exc is None:
                        f = coro.send(value)
                    else:
                        if type(exc) is Cancelled:  # no other loop throws that
                            f = coro.throw(exc)
                        else:
                            key = id(exc)
                            _throwing.add(key)  # see explain_foreign_throw
                            try:
                                f = coro.throw(exc)
                            finally:
                                _throwing.discard(key)
                        exc = None
                except StopIteration as e:
                    self._st = _FINISHED
                    self._result = e.value
                    self._exc = exc = None  # a thrown exception the coroutine caught
                    ended = True
                    break
                except (Cancelled, GeneratorExit):
                    self._st = _CANCELLED
                    self._exc = exc = None
                    ended = True
                    break
                except BaseException as e:
                    self._st = _CANCELLED
                    if _send_refused(e, coro) and _closed(coro):
                        self._exc = None  # closed behind the task's back: see _lost
                    else:
                        # Kept without this frame in its traceback (see _after_error).
                        self._exc = _from_the_coroutine(e)
                    exc = None
                    ended = True
                    break
                self._st = _SUSPENDED
                try:
                    f(self)
                except BaseException as e:
                    # Raised at the await, on the next turn of the loop.
                    exc = _foreign_await(e, coro) if type(e) is TypeError else e
                    if self._st != _SUSPENDED:
                        break  # a nested resumption of this task failed and ended it
                    continue
                if (
                    self._cancel_req is None
                    or self._st != _SUSPENDED
                    or (self._extras is not None and self._extras.shield)
                ):
                    break
                exc = self._make_cancelled()
            if ended:
                if self._sup is not None or self._extras is not None:
                    self._run_hooks(self._exc)
                elif self._exc is not None:
                    self._report(self._exc)
            elif exc is not None:
                raise exc
        except BaseException as e:
            error = e
        else:
            rt.depth = depth
            if depth == _DRAINER and rt.queue:
                rt.drain()
            return
        exc = None
        rt.depth = depth
        try:
            if depth == _DRAINER and rt.queue:
                rt.drain(error)
            raise error
        finally:
            del error  # no cycle through this frame (see step)

    def _end(self, st: int, result: Any, exc: BaseException | None) -> None:
        self._st = st
        self._result = result
        self._exc = exc
        if self._sup is not None or self._extras is not None:
            self._run_hooks(exc)
        elif exc is not None:
            self._report(exc)

    def _run_hooks(self, exc: BaseException | None) -> None:
        """Tell the supervisor and the done callbacks that the task ended.

        Each hook is dropped before it is called, so a finished task does not keep
        its supervisor's owner (a nursery, say) alive.
        """
        extras = self._extras
        callbacks = None if extras is None else extras.callbacks
        supervisor = self._sup
        if supervisor is not None:
            self._sup = None
            if callbacks is None:  # the common case of a child task
                try:
                    supervisor(self)
                    return
                except BaseException as e:
                    error = e  # a bug in the supervisor: reported like the task's own
                try:
                    self._report(error)
                finally:
                    del error  # no cycle through this frame
                return
        errors: list[BaseException] = []
        if supervisor is not None:
            try:
                supervisor(self)  # it owns *exc*
            except BaseException as e:  # a bug in the supervisor: reported below
                errors.append(e)
        elif exc is not None and not (
            callbacks is not None and any(type(cb) is _Awaiter for cb in callbacks)
        ):
            errors.append(exc)  # no awaiter takes it over: see Task.__await__
        if callbacks is not None:
            assert extras is not None
            extras.callbacks = None
            for cb in callbacks:
                try:
                    cb(self)
                except BaseException as e:  # reported below
                    errors.append(e)
        if len(errors) == 1:
            self._report(errors[0])
        elif errors:
            unhandled = [e for e in errors if not self._handled(e)]
            if len(unhandled) == 1:
                raise unhandled[0]
            if unhandled:
                raise BaseExceptionGroup(f"{self!r} ended with several errors", unhandled)

    def _handled(self, exc: BaseException) -> bool:
        """Pass *exc* to the task's or the default handler; whether one took it."""
        if not isinstance(exc, Exception):
            return False
        extras = self._extras
        handler = _default_handler if extras is None or extras.handler is None else extras.handler
        if handler is None:
            return False
        handler(self, exc)
        return True

    def _report(self, exc: BaseException) -> None:
        if not self._handled(exc):
            raise exc


@final
class _Awaiter:
    """A task waiting in ``await task`` / ``task.wait()``: a done callback of *task*."""

    __slots__ = ("task", "waiter")

    def __init__(self, task: Task[Any]) -> None:
        self.task = task
        self.waiter: Task[Any] | None = None

    def register(self, waiter: Task[Any]) -> None:
        if waiter is self.task:
            raise InvalidStateError(f"{waiter!r} awaits itself, which would never end")
        self.waiter = waiter
        self.task.add_done_callback(self)

    # Shown in another loop's "bad yield" error if a Task is awaited outside a gearwork task.
    register.__qualname__ = "gearwork.core.Task.__await__.<registrar>"

    def __call__(self, task: Task[Any]) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.step()


def _check_options(
    aw: object, who: str, name: object, context: object, exception_handler: object
) -> None:
    """Refuse bad keyword arguments of ``Task()``/``start()``, closing the coroutine *aw*."""
    if name is not None and not isinstance(name, str):
        error = f"{who} name must be a str, got {type(name).__name__}"
    elif context is not None and not isinstance(context, Context):
        error = f"{who} context must be a contextvars.Context, got {type(context).__name__}"
    elif exception_handler is not None and not callable(exception_handler):
        error = f"{who} exception_handler must be callable, got {type(exception_handler).__name__}"
    else:
        return
    _close_refused(aw)
    raise TypeError(error)


_debug_mode = False  # set by gearwork.core.set_debug()


def _warn_cut_short(task: Task[Any]) -> None:
    """Debug mode: warn that *task* awaited while being cancelled, at the user's await."""
    frame = None
    link: Any = task._coro
    if type(link) is _InContext:
        link = link.coro
    while link is not None:  # the innermost frame outside gearwork: the user's await
        inner = getattr(link, "cr_frame", None) or getattr(link, "gi_frame", None)
        if inner is not None and not str(inner.f_globals.get("__name__")).startswith("gearwork."):
            frame = inner
        link = getattr(link, "cr_await", None) or getattr(link, "gi_yieldfrom", None)
    message = (
        f"{task!r} awaited while it was being cancelled, outside "
        "`async with disable_cancellation():`, so that await was cut short at once by "
        "a new Cancelled; put async clean-up inside `async with disable_cancellation():`"
    )
    if frame is None:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    else:
        warnings.warn_explicit(
            message,
            RuntimeWarning,
            frame.f_code.co_filename,
            frame.f_lineno,
            module=frame.f_globals.get("__name__"),
            registry=frame.f_globals.setdefault("__warningregistry__", {}),
        )


def _foreign_await(error: BaseException, coro: object) -> BaseException:
    """Explain *error*, raised by calling what the task's coroutine yielded, if it must be.

    A gearwork task calls what its coroutine yields (a registrar). When the
    coroutine awaited an asyncio or trio awaitable, what it yields is not
    callable, or not with one argument: Python's own message ("'NoneType'
    object is not callable") says nothing useful. Such a TypeError comes
    from the call itself, so its traceback has no frame below the task's:
    that is how it is told apart from a TypeError raised inside a real
    registrar. Only the error path calls this.
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code in _DRIVER_CODES:
        tb = tb.tb_next
    if tb is not None:
        return error  # raised inside a registrar: its own error
    if type(coro) is _InContext:
        coro = coro.coro
    # What was awaited, from the outermost coroutine in: the first link that is
    # not the user's code names it (asyncio.sleep(), an asyncio Future, ...).
    links: list[object] = []
    link: Any = coro
    while link is not None and len(links) < 100:
        links.append(link)
        link = getattr(link, "cr_await", None) or getattr(link, "gi_yieldfrom", None)
    library = ""
    last = links[-1]
    what = f"{last.__qualname__}()" if hasattr(last, "__qualname__") else repr(last)
    for link in links[1:]:
        frame = getattr(link, "cr_frame", None) or getattr(link, "gi_frame", None)
        module = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
        if not module:
            module = type(link).__module__
            if type(link).__name__ == "FutureIter" or module.startswith("_asyncio"):
                library, what = "asyncio", "an asyncio Future"
                break
        top = module.partition(".")[0].lstrip("_")
        if top in ("asyncio", "trio", "anyio", "curio"):
            library = top
            what = f"{top}.{getattr(link, '__name__', type(link).__name__)}()"
            break
    if library == "asyncio":
        how = (
            "an asyncio awaitable runs only in an asyncio task; from a gearwork task, "
            "bridge it with `await from_asyncio(aw)` of gearwork.adapters.asyncio "
            "(gearwork-adapters[asyncio])"
        )
    elif library == "trio":
        how = (
            "a trio awaitable runs only inside trio.run(); from a gearwork task, bridge it "
            "with `await from_trio(async_fn, *args)` of gearwork.adapters.trio "
            "(gearwork-adapters[trio])"
        )
    elif library:
        how = f"a {library} awaitable runs only in its own event loop"
    else:
        how = (
            "a gearwork task expects what it awaits to yield a registrar, a callable that "
            "it calls with itself (see gearwork.core.lowlevel.suspend)"
        )
    explained = TypeError(f"a gearwork task awaited {what}, which it cannot run: {how}")
    explained.__cause__ = error
    explained.__suppress_context__ = True
    return explained


def _from_the_coroutine(exc: BaseException) -> BaseException:
    """*exc*, caught as it left the coroutine, with the catching frame left out of its traceback.

    The catching frame is that of the Python code that drove the coroutine; the
    compiled step has none, and then the traceback is left as it is.
    """
    tb = exc.__traceback__
    if tb is None or tb.tb_frame.f_code not in _DRIVER_CODES:
        return exc
    return exc.with_traceback(tb.tb_next)


def _escaping(exc: BaseException) -> BaseException:
    """*exc*, about to leave gearwork to whoever resumed a task, without gearwork's frames.

    An exception raised to a task's resumer (a failure nobody handles, a
    nursery's group) has passed through the frames of every resumption,
    supervisor and done callback between its raise and the caller: two dozen
    frames that say nothing about the program. They are left out of its
    traceback; the frame where it was raised, and every frame of the
    program's own code, stay. In debug mode (:func:`gearwork.core.set_debug`)
    the traceback is left whole. Only the error path calls this.
    """
    tb = exc.__traceback__
    if tb is None or _debug_mode:
        return exc
    entries: list[types.TracebackType] = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    kept = [
        entry
        for entry in entries[:-1]
        if not str(entry.tb_frame.f_globals.get("__name__")).startswith("gearwork.")
    ]
    kept.append(entries[-1])  # where it was raised, even inside gearwork
    if len(kept) == len(entries):
        return exc
    new_tb = None
    for entry in reversed(kept):
        new_tb = types.TracebackType(new_tb, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return exc.with_traceback(new_tb)


def _check_handler(handler: ExceptionHandler) -> ExceptionHandler:
    if not callable(handler):
        raise TypeError(f"an exception handler must be callable, got {type(handler).__name__}")
    return handler


def _close_refused(aw: object) -> None:
    """Close *aw* if it is a coroutine that has not begun running: a call refused it.

    Nobody else will ever run it, and Python would warn "coroutine ... was
    never awaited". One that has begun running belongs to whoever drives it.
    """
    coro: Any = aw  # a coroutine or generator, checked by kind below
    kind = type(coro)
    if (kind is _CoroutineType or kind is _GeneratorType) and not _driven(coro):
        coro.close()


@overload
def start(
    aw: Task[T],
    /,
    *,
    name: str | None = None,
    context: Context | None = None,
    exception_handler: ExceptionHandler | None = None,
) -> Task[T]: ...
@overload
def start(
    aw: Awaitable[T],
    /,
    *,
    name: str | None = None,
    context: Context | None = None,
    exception_handler: ExceptionHandler | None = None,
) -> Task[T]: ...
def start(
    aw: Awaitable[Any] | Task[Any],
    /,
    *,
    name: str | None = None,
    context: Context | None = None,
    exception_handler: ExceptionHandler | None = None,
) -> Task[Any]:
    """Start a task now and return it.

    The coroutine runs synchronously until it first suspends (or ends) before
    ``start`` returns. *aw* is an awaitable, which is wrapped in a new
    :class:`Task` with the given keyword arguments, or a task that has not
    started yet.

    :raises TypeError: *aw* is neither an awaitable nor a :class:`Task`.
    :raises InvalidStateError: *aw* is a task that has already started.

    >>> async def greet():
    ...     return "hello"
    >>> start(greet()).result
    'hello'
    >>> start(42)
    Traceback (most recent call last):
      ...
    TypeError: start() needs an awaitable or a Task, got int
    """
    given: Any = aw  # checked by kind
    kind = type(given)
    if (
        kind is _CoroutineType
        or (kind is _GeneratorType and given.gi_code.co_flags & _CO_ITERABLE_COROUTINE)
    ) and (name is None and context is None):
        # The common cases, without the cost of calling Task.__init__: an async def
        # coroutine, or a @types.coroutine generator such as Event.wait().
        if (
            given.cr_await is not None
            if kind is _CoroutineType
            else (given.gi_suspended if _PY311 else _driven(given))
        ):
            raise _driven_error(given, "start()")  # another task drives it: touch nothing
        if exception_handler is not None:
            _check_options(given, "start()", None, None, exception_handler)
        task = _new_task(Task)
        task._coro = given
        task._cancel_req = task._extras = task._sup = None
        task._uid = _next_uid()
        if exception_handler is not None:
            task._more().handler = exception_handler
    elif kind is Task or isinstance(aw, Task):  # the identity test spares a call
        task = given
        if task._st != _CREATED:
            raise InvalidStateError(f"{task!r} has already been started; a task starts only once")
        driven: Any = task._coro
        kind = type(driven)
        if (
            driven.cr_await is not None
            if kind is _CoroutineType
            else (driven.gi_suspended if _PY311 else _driven(driven))
            if kind is _GeneratorType
            else _driven(driven)
        ):
            task._refuse_driven("start()")  # two tasks of one coroutine: the other drives it
        if name is not None or context is not None or exception_handler is not None:
            _check_options(None, "start()", name, context, exception_handler)
            if name is not None:
                task._name = name
            if context is not None:
                coro = task._coro
                if isinstance(coro, _InContext):
                    raise InvalidStateError(f"{task!r} already runs in a context of its own")
                task._coro = _InContext(coro, context)
            if exception_handler is not None:
                task._more().handler = exception_handler
    else:
        if name is not None or context is not None or exception_handler is not None:
            _check_options(aw, "start()", name, context, exception_handler)
        coro = _as_coroutine(aw, "start()")  # refuses a coroutine that another task drives
        task = Task(coro, name=name, context=context, exception_handler=exception_handler)
    try:
        rt = task._rt = _thread_state.runtime
    except AttributeError:
        rt = task._rt = _new_runtime()
    if not TYPE_CHECKING and ACCELERATED:
        task._begin("start()")  # what follows, compiled
        return task
    depth = rt.depth
    if depth >= _inline_below:
        task._deep_begin()
        return task
    # The first send and registration, inlined as in Task.step.
    rt.depth = depth + 1
    task._st = _RUNNING
    try:
        f = task._coro.send(None)
        task._st = _SUSPENDED
        f(task)
    except BaseException as e:
        error = e
    else:
        rt.depth = depth
        if (
            task._cancel_req is not None
            and task._st == _SUSPENDED
            and (task._extras is None or not task._extras.shield)
        ):
            try:
                task._run(None, task._make_cancelled())
            except BaseException as e:
                raise _escaping(e)
        return task
    rt.depth = depth
    if type(error) is StopIteration and task._st == _RUNNING and task._sup is None:
        # The coroutine returned at once: the common ending, inlined as in Task.step.
        task._st = _FINISHED
        task._result = error.value
        task._exc = None
        del error
        if task._extras is not None:
            try:
                task._run_hooks(None)
            except BaseException as e:
                raise _escaping(e)
        return task
    try:
        task._begin_failed(error, "start()")
    finally:
        del error  # no cycle through this frame (see Task.step)
    return task


def start_each(tasks: Iterable[Task[Any]], /) -> None:
    """Start, in order, each task of *tasks* that has not started yet.

    Each task runs until it first suspends (or ends) before the next one
    starts, as with ``start(task)`` in a loop, but the thread's bookkeeping
    is looked up once for all of them: this is how nurseries and
    ``wait_all()`` start their children. A task that is no longer waiting to
    start when its turn comes is left as it is. Usually an earlier task
    cancelled it (a failing child makes its nursery cancel its siblings, and
    a task cancelled before it started never runs); a task already started
    by someone else goes on as it was.

    An exception that escapes a task's start (a task without supervisor or
    exception handler that fails at once) propagates, and the tasks after it
    are not started.

    :raises TypeError: *tasks* is not iterable, or an item of it is not a
        :class:`Task` (the tasks before it have been started).

    >>> from gearwork.core import Task, sleep_forever
    >>> log = []
    >>> async def child(n):
    ...     log.append(n)
    ...     await sleep_forever()
    >>> first, second, third = Task(child(1)), Task(child(2)), Task(child(3))
    >>> second.cancel()  # before its turn: it never runs
    >>> start_each((first, second, third))
    >>> log, first.state, second.state
    ([1, 3], <TaskState.STARTED: 2>, <TaskState.CANCELLED: 3>)
    """
    try:
        each = iter(tasks)
    except TypeError:
        raise TypeError(
            f"start_each() needs an iterable of tasks, got {type(tasks).__name__}"
        ) from None
    try:
        rt = _thread_state.runtime
    except AttributeError:
        rt = _new_runtime()
    # Every start below puts the depth back as it found it (or raises out of the loop),
    # so it is read once.
    depth = rt.depth
    inner = depth + 1
    for task in each:
        if not isinstance(task, Task):
            raise TypeError(f"start_each() needs tasks, got {type(task).__name__}")
        if task._st != _CREATED:
            continue
        driven: Any = task._coro
        kind = type(driven)
        if (
            driven.cr_await is not None
            if kind is _CoroutineType
            else (driven.gi_suspended if _PY311 else _driven(driven))
            if kind is _GeneratorType
            else _driven(driven)
        ):
            task._refuse_driven("start_each()")
        task._rt = rt
        if not TYPE_CHECKING and ACCELERATED:
            task._begin("start_each()")  # what follows, compiled
            continue
        if depth >= _inline_below:
            task._deep_begin()
            continue
        # start()'s inlined first step, repeated here so that each task costs no call.
        rt.depth = inner
        task._st = _RUNNING
        try:
            f = driven.send(None)
            task._st = _SUSPENDED
            f(task)
        except BaseException as e:
            error = e
        else:
            rt.depth = depth
            if (
                task._cancel_req is not None
                and task._st == _SUSPENDED
                and (task._extras is None or not task._extras.shield)
            ):
                try:
                    task._run(None, task._make_cancelled())
                except BaseException as e:
                    raise _escaping(e)
            continue
        rt.depth = depth
        try:
            task._begin_failed(error, "start_each()")
        finally:
            del error  # no cycle through this frame (see Task.step)


def _registrar_name(what: str) -> str:
    """A ``__qualname__`` for a registrar that explains, in another loop's error, the misuse."""
    return f"{what}{_FOREIGN} (start the awaiting coroutine with gearwork.core.start)"


def _give_task(task: Task[Any]) -> None:
    task.step(task)


# Registrars show up in other loops' errors when a gearwork awaitable is awaited outside a
# gearwork task (asyncio: "Task got bad yield: <function QUALNAME at 0x...>"). These have
# no except clause to add a note from (one would cost every cancellation), so their names
# say what went wrong.
_give_task.__qualname__ = _registrar_name("gearwork.core.current_task()")


@types.coroutine
def current_task() -> Generator[Registrar, Resumption, Task[Any]]:
    """Return the task running the caller: ``task = await current_task()``.

    It does not really suspend: the task is resumed at once, in a nested step.

    >>> async def who_am_i():
    ...     return await current_task()
    >>> task = start(who_am_i())
    >>> task.result is task
    True
    """
    args, _ = yield _give_task
    task: Task[Any] = args[0]
    return task


def _stay(task: Task[Any]) -> None:
    pass


_stay.__qualname__ = _registrar_name("gearwork.core.sleep_forever()")


@types.coroutine
def sleep_forever() -> Generator[Registrar, Resumption, Resumption]:
    """Suspend until someone calls :meth:`Task.step` (or the task is cancelled).

    Evaluates to the ``(args, kwargs)`` passed to ``step``.

    >>> async def wait_for_step():
    ...     return await sleep_forever()
    >>> task = start(wait_for_step())
    >>> task.step(1, color="red")
    >>> task.result
    ((1,), {'color': 'red'})
    """
    return (yield _stay)


@types.coroutine
def suspend(register: Registrar, /) -> Generator[Registrar, Resumption, Resumption]:
    """Suspend the current task and hand it to ``register(task)``.

    This is the whole suspension protocol, for authors of primitives and
    adapters: *register* stores the task where the wake-up will come from,
    and whoever wakes it calls ``task.step(*args, **kwargs)``; the ``await``
    then evaluates to ``(args, kwargs)``. *register* may also resume the task
    at once; if it raises, the exception is raised at the ``await``.

    >>> waiting = []
    >>> async def wait_for_wakeup():
    ...     args, kwargs = await suspend(waiting.append)
    ...     return args
    >>> task = start(wait_for_wakeup())
    >>> waiting.pop().step("ding")
    >>> task.result
    ('ding',)
    """
    return (yield register)


def explain_foreign_throw(exc: BaseException, what: str, /) -> bool:
    """Tell, at an awaitable's ``yield``, whether another event loop threw *exc* in.

    For the ``except`` clause around the ``yield registrar`` of an awaitable
    written as a generator. A gearwork awaitable awaited by a coroutine that
    asyncio, trio or any other event loop drives never gets its registrar
    called: that loop does not know what the yielded callable is, and throws
    its own complaint in at the yield instead (asyncio: ``RuntimeError: Task
    got bad yield: ...``, trio: ``TypeError: trio.run received unrecognized
    yield message ...``). Then this adds a note to *exc* naming *what* (such
    as ``"mylib.Doorbell.wait()"``) and saying how to fix the program, and
    returns ``True``: nothing was registered, so undo nothing and re-raise
    *exc*. For an exception that a gearwork task threw in (a cancellation,
    :meth:`Task.throw`, a registrar's own error) and for ``GeneratorExit``
    it returns ``False`` and leaves *exc* as it is. Call it first in the
    ``except`` clause, before anything that could resume other tasks. When
    awaitables built on each other all call it, the note names the outermost
    one: the one the program awaited.

    :raises TypeError: *exc* is not an exception, or *what* is not a str.

    >>> import types
    >>> @types.coroutine
    ... def wait_for_doorbell():
    ...     try:
    ...         return (yield print)  # a registrar, for the sake of the example
    ...     except BaseException as exc:
    ...         if not explain_foreign_throw(exc, "wait_for_doorbell()"):
    ...             pass  # a gearwork task is cancelling us: undo the registration here
    ...         raise
    >>> driven_by_hand = wait_for_doorbell()
    >>> driven_by_hand.send(None)
    <built-in function print>
    >>> try:
    ...     driven_by_hand.throw(RuntimeError("Task got bad yield: <built-in function print>"))
    ... except RuntimeError as exc:
    ...     print(exc.__notes__[0].split(":")[0])
    wait_for_doorbell() was awaited outside a gearwork task
    """
    if not isinstance(exc, BaseException):
        raise TypeError(f"explain_foreign_throw() needs an exception, got {type(exc).__name__}")
    if not isinstance(what, str):
        raise TypeError(f"explain_foreign_throw() needs a str what, got {type(what).__name__}")
    if isinstance(exc, (Cancelled, GeneratorExit)) or id(exc) in _throwing:
        return False  # gearwork's own (no other loop throws Cancelled), or a close()
    note = (
        f"{what}{_FOREIGN}: whatever drives the awaiting coroutine (asyncio, trio, another "
        "event loop) does not understand what gearwork awaitables yield, and threw this in. "
        "Start that coroutine as a gearwork task (gearwork.core.start) and wake it from the "
        "loop's callbacks."
    )
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        for i, earlier in enumerate(notes):
            if isinstance(earlier, str) and _FOREIGN in earlier:
                # An inner awaitable of the same await chain noted it first; the outer
                # one is what the program awaited, so it is the one named.
                notes[i] = note
                return True
    add_note(exc, note)
    return True


def exception_of(task: Task[Any], /) -> BaseException | None:
    """The exception that ended *task*; ``None`` if it finished, was cancelled, or has not ended.

    For supervisors: :meth:`Task.exception` raises :class:`Cancelled` for a
    cancelled task, as asyncio's does, which would make every cancelled
    child an exception to catch. This never raises.

    >>> from gearwork.core import sleep_forever
    >>> task = start(sleep_forever())
    >>> task.cancel()
    >>> exception_of(task) is None
    True
    """
    return task._exc if task._st >= _FINISHED else None


def cancel_pending(task: Task[Any], /) -> bool:
    """Whether a cancellation of *task* (or of one of its cancel scopes) waits to be delivered.

    True from the request until the cancel scope it targets catches the
    :class:`Cancelled`, or the task ends; also while the task is inside
    ``disable_cancellation()``, which only delays the delivery.

    >>> from gearwork.core import sleep_forever, disable_cancellation
    >>> async def shielded():
    ...     async with disable_cancellation():
    ...         await sleep_forever()
    ...     await sleep_forever()  # the pending cancellation is delivered here
    >>> task = start(shielded())
    >>> cancel_pending(task)
    False
    >>> task.cancel()
    >>> cancel_pending(task), task.state.name
    (True, 'STARTED')
    >>> task.step()
    >>> cancel_pending(task), task.state.name
    (False, 'CANCELLED')
    """
    return task._cancel_req is not None and task._st < _FINISHED


def raise_if_cancelled(task: Task[Any], /) -> None:
    """Deliver a pending cancellation of *task* now, as its next suspension would.

    Raises :class:`Cancelled` when a cancellation is pending and the task
    is not inside ``disable_cancellation()``; otherwise returns. Call it from
    the code *task* is running, at a point that counts as a suspension
    without really suspending: gearwork-nursery calls it when a nursery
    block exits.

    >>> from gearwork.core import current_task
    >>> async def cancels_itself():
    ...     me = await current_task()
    ...     me.cancel()  # running: the cancellation waits for a suspension
    ...     raise_if_cancelled(me)
    ...     return "not reached"
    >>> start(cancels_itself()).state.name
    'CANCELLED'
    """
    if task._cancel_req is not None and (task._extras is None or not task._extras.shield):
        raise task._make_cancelled()


def supervise(task: Task[Any], on_end: Callable[[Task[Any]], object], /) -> None:
    """Make ``on_end(task)`` the supervisor of *task*.

    The supervisor is called when the task ends, before its done callbacks,
    and takes over any exception that escapes the coroutine: it is neither
    passed to an exception handler nor raised to whoever resumed the task.
    Read it with :meth:`Task.exception`. This is how nurseries collect their
    children's failures. If the supervisor itself raises, the done callbacks
    still run, and its exception goes where an exception of an unsupervised
    task would: to the exception handler, else to whoever resumed the task.

    :raises InvalidStateError: the task has ended or already has a supervisor.
    :raises TypeError: *on_end* is not callable.
    """
    if not callable(on_end):
        raise TypeError(f"supervise() needs a callable, got {type(on_end).__name__}")
    if task._st >= _FINISHED:
        raise InvalidStateError(f"{task!r} has already ended")
    if task._sup is not None:
        raise InvalidStateError(f"{task!r} already has a supervisor")
    task._sup = on_end


def supervised_task(aw: Awaitable[T], on_end: Callable[[Task[Any]], object], /) -> Task[T]:
    """Wrap *aw* in a new task, not started yet, with ``on_end(task)`` as its supervisor.

    The same as ``task = Task(aw)`` followed by ``supervise(task, on_end)``,
    in one cheaper call: what a nursery does for each child it starts. Start
    the task with :func:`start`.

    :raises TypeError: *aw* is not awaitable (a :class:`Task` is refused too:
        supervise it with :func:`supervise`), or *on_end* is not callable.

    >>> ended = []
    >>> async def child():
    ...     raise ValueError("kept by the supervisor")
    >>> task = supervised_task(child(), ended.append)
    >>> start(task) is task
    True
    >>> ended == [task], task.exception()
    (True, ValueError('kept by the supervisor'))
    """
    checked: object = on_end  # typed callable, checked anyway
    if not callable(checked):
        _close_refused(aw)
        raise TypeError(f"supervised_task() needs a callable, got {type(checked).__name__}")
    coro: Any = aw
    kind = type(coro)
    if kind is _CoroutineType or (
        kind is _GeneratorType and coro.gi_code.co_flags & _CO_ITERABLE_COROUTINE
    ):
        # An async def coroutine, or a @types.coroutine generator such as Event.wait().
        # One that another task drives is refused when the task starts.
        task = _new_task(Task)
        task._coro = coro
        task._st = _CREATED
        task._cancel_req = task._extras = None
        task._uid = _next_uid()
    else:
        if isinstance(aw, Task):
            raise TypeError(
                "supervised_task() needs an awaitable, got a Task; use supervise() for a Task"
            )
        task = Task(_as_coroutine(aw, "supervised_task()"))
    task._sup = on_end
    return task


def _make_dummy() -> Task[Any]:
    global _next_uid
    task: Task[Any] = Task(sleep_forever(), name="dummy_task")
    task.cancel()
    task._uid = 0
    _next_uid = count(1).__next__  # the user's first task is Task-1, as in asyncio
    return task


dummy_task: Task[Any] = _make_dummy()
"""An already-cancelled task, so ``self._task.cancel()`` needs no ``None`` check.

>>> dummy_task.cancelled
True
>>> dummy_task.cancel()  # does nothing
"""


# Doctests of methods: the classes above claim `gearwork.core` as their module, so the
# doctest finder would skip their methods when it scans this module.
__test__ = {"Task": Task}


# The code of the functions that send into coroutines and call registrars: a
# traceback that starts in one of them starts in gearwork, not in the coroutine.
_DRIVER_CODES = frozenset(
    fn.__code__
    for fn in (vars(Task).get("step"), Task._run, start, start_each)
    if isinstance(fn, types.FunctionType)
)
