"""Exceptions shared by every gearwork distribution."""

from __future__ import annotations

import sys

__all__ = ("BaseExceptionGroup", "Cancelled", "ExceptionGroup", "InvalidStateError")

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup, ExceptionGroup
else:  # pragma: no cover - exercised by the 3.10 test run
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup


class Cancelled(BaseException):
    """Raised inside a task (or a cancel scope) that is being cancelled.

    It derives from :class:`BaseException`, so ``except Exception`` does not
    swallow it. Catch it only to do clean-up, then re-raise it::

        try:
            await event.wait()
        except Cancelled:
            release_resources()
            raise

    ``args[0]``, when present, is the message given to :meth:`Task.cancel` or
    :meth:`CancelScope.cancel`. Awaiting anything while it propagates cancels
    that await again at once, unless the await is inside
    ``async with disable_cancellation():``.
    """

    __module__ = "gearwork.core"


class InvalidStateError(Exception):
    """An operation is not allowed in the object's current state.

    Examples: reading :attr:`Task.result` of a task that has not finished,
    starting a task twice, or a second waiter on an exclusive primitive.
    """

    __module__ = "gearwork.core"


def add_note(exc: BaseException, note: str) -> None:
    """Attach *note* to *exc* (``BaseException.add_note`` on every version)."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:  # pragma: no cover - exercised by the 3.10 test run
        notes = getattr(exc, "__notes__", None)
        if notes is None:
            notes = []
            exc.__notes__ = notes  # type: ignore[attr-defined]
        notes.append(note)
