from __future__ import annotations

from typing import Any

import pytest

from gearwork.core import InvalidStateError, start
from gearwork.sync import Event, MailboxRepeatedEvent, UnqueuedRepeatedEvent

REPEATED = pytest.mark.parametrize("cls", [UnqueuedRepeatedEvent, MailboxRepeatedEvent])


def _listener(event: Any, log: list[int], busy: Event | None = None) -> Any:
    async def listen() -> None:
        n = 0
        async for _ in event:
            n += 1
            log.append(n)
            if busy is not None:
                await busy.wait()  # still processing until `busy` fires

    return listen()


@REPEATED
def test_each_set_while_the_listener_waits_runs_one_iteration(cls: Any) -> None:
    event = cls()
    log: list[int] = []
    task = start(_listener(event, log))
    for _ in range(3):
        event.set()
    assert log == [1, 2, 3]
    task.cancel()


def test_an_unqueued_set_while_the_listener_is_busy_is_dropped() -> None:
    event = UnqueuedRepeatedEvent()
    busy = Event()
    log: list[int] = []
    task = start(_listener(event, log, busy))
    event.set()
    assert log == [1]
    event.set()  # busy: dropped
    event.set()
    busy.fire()  # back to waiting
    assert log == [1]
    event.set()
    assert log == [1, 2]
    task.cancel()


def test_an_unqueued_set_without_a_listener_is_dropped() -> None:
    event = UnqueuedRepeatedEvent()
    event.set()
    log: list[int] = []
    task = start(_listener(event, log))
    assert log == []
    assert repr(event) == "<UnqueuedRepeatedEvent listening=True>"
    task.cancel()
    assert repr(event) == "<UnqueuedRepeatedEvent listening=False>"


def test_a_mailbox_set_while_the_listener_is_busy_is_kept_once() -> None:
    event = MailboxRepeatedEvent()
    busy = Event()
    log: list[int] = []
    task = start(_listener(event, log, busy))
    event.set()
    assert log == [1]
    event.set()  # busy: kept
    event.set()  # ...as one
    pending = [event.is_pending]
    busy.fire()  # back at the loop: the kept set runs an iteration at once
    assert log == [1, 2]
    pending.append(event.is_pending)
    assert pending == [True, False]
    busy.fire()
    assert log == [1, 2]
    task.cancel()


def test_a_mailbox_set_before_anybody_listens_runs_the_first_iteration_at_once() -> None:
    event = MailboxRepeatedEvent()
    event.set()
    log: list[int] = []
    task = start(_listener(event, log))
    assert log == [1]
    assert repr(event) == "<MailboxRepeatedEvent listening=True pending=False>"
    task.cancel()


@REPEATED
def test_a_second_listener_gets_invalid_state_error(cls: Any) -> None:
    event = cls()
    first = start(_listener(event, []))
    with pytest.raises(InvalidStateError, match="another task is already listening"):
        start(_listener(event, []))
    first.cancel()
    start(_listener(event, [])).cancel()  # free again once the first one left


@REPEATED
def test_a_set_from_inside_the_listener_body_counts_as_busy(cls: Any) -> None:
    event = cls()
    log: list[int] = []

    async def listen() -> None:
        async for _ in event:
            log.append(len(log))
            if len(log) < 3:
                event.set()  # re-entrant: the listener is running, not waiting

    task = start(listen())
    event.set()
    expected = [0] if cls is UnqueuedRepeatedEvent else [0, 1, 2]
    assert log == expected
    task.cancel()
