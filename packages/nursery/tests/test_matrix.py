"""Every {finishes, fails, is cancelled} x {immediately, later, while protected} combination.

Each test runs one scenario by hand and compares it with a small reference
model of the documented rules (``expected_block`` and ``expected_wait``
below), written independently of the implementation: which tasks finish,
which are cancelled, and which failures leave in the exception group.

The timeline of every scenario:

1. the parent task starts; children start; "immediately" happens here;
2. the children's "later" happens (child 1 first), or they are cancelled;
3. the parent's "later" happens, or it is cancelled;
4. ``release`` fires: what was protected by ``disable_cancellation()`` acts.

Besides the model, every scenario checks the invariants: every task ends,
no child outlives its block, each failure arrives exactly once (by
identity) and ``Cancelled`` never appears in a group.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable, Generator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    Task,
    current_task,
    disable_cancellation,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import (
    Registrar,
    Resumption,
    checkpoint_if_cancelled,
    exception_of,
    supervise,
)
from gearwork.nursery import (
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)

FINISHES, FAILS, CANCELLED = "finishes", "fails", "is cancelled"
IMMEDIATELY, LATER, PROTECTED = "immediately", "later", "while protected"
BEHAVIOURS = [(o, t) for o in (FINISHES, FAILS, CANCELLED) for t in (IMMEDIATELY, LATER, PROTECTED)]
Behaviour = tuple[str, str]


def ids(behaviour: Behaviour) -> str:
    return f"{behaviour[0]} {behaviour[1]}".replace(" ", "-")


class Event:
    def __init__(self) -> None:
        self.waiters: list[Task[Any]] = []

    def fire(self) -> None:
        for task in list(self.waiters):
            task.step()

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        me: list[Task[Any]] = []

        def register(task: Task[Any]) -> None:
            me.append(task)
            self.waiters.append(task)

        try:
            return (yield register)
        finally:
            if me and me[0] in self.waiters:
                self.waiters.remove(me[0])


class Boom(Exception):
    pass


@dataclass
class Run:
    """What one scenario records while it runs."""

    release: Event = field(default_factory=Event)
    raised: dict[str, BaseException] = field(default_factory=dict)
    after: bool = False  # the parent's code after the block / the wait ran
    violations: list[str] = field(default_factory=list)
    ends: dict[str, str] = field(default_factory=dict)  # how each behave() ended

    def boom(self, name: str) -> Boom:
        exc = self.raised[name] = Boom(name)
        return exc


async def act(run: Run, name: str, outcome: str) -> str:
    if outcome == FINISHES:
        return name
    if outcome == FAILS:
        raise run.boom(name)
    me = await current_task()
    me.cancel()
    await sleep_forever()
    raise AssertionError("a cancelled task went on")


async def behave(run: Run, name: str, behaviour: Behaviour, event: Event) -> str:
    """Run *behaviour* and record how it ended."""
    try:
        result = await _behave(run, name, behaviour, event)
    except Cancelled:
        run.ends[name] = CANCELLED
        raise
    except Boom:
        run.ends[name] = FAILS
        raise
    run.ends[name] = FINISHES
    return result


async def _behave(run: Run, name: str, behaviour: Behaviour, event: Event) -> str:
    """Run *behaviour*; "is cancelled later" waits to be cancelled by the driver."""
    outcome, timing = behaviour
    if timing == IMMEDIATELY:
        return await act(run, name, outcome)
    if timing == LATER:
        await event.wait()
        return await act(run, name, outcome)
    async with disable_cancellation():
        await run.release.wait()
        if outcome == FAILS:
            raise run.boom(name)
    # A cancellation that waited for the shield to end is delivered at the next
    # suspension point (returning right away would keep the result instead).
    await checkpoint_if_cancelled()
    return name


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


def root(aw: Any) -> Task[Any]:
    task = Task(aw)
    supervise(task, lambda t: None)
    return start(task)


def drive(
    run: Run,
    parent: Task[Any],
    children: list[tuple[Task[Any], Behaviour, Event]],
    parent_behaviour: Behaviour,
    parent_event: Event,
) -> None:
    """Steps 2 to 4 of the timeline."""
    for child, (outcome, timing), event in children:
        if outcome == CANCELLED and timing in (LATER, PROTECTED):
            child.cancel()
        elif timing == LATER:
            event.fire()
    outcome, timing = parent_behaviour
    if outcome == CANCELLED and timing in (LATER, PROTECTED):
        parent.cancel()
    elif outcome == FAILS and timing == "thrown in later":
        if not parent.done():
            parent.throw(run.boom("parent"))
    elif timing == LATER:
        parent_event.fire()
    run.release.fire()


def check_outcome(
    run: Run,
    parent: Task[Any],
    children: dict[str, Task[Any]],
    expected: tuple[dict[str, str], str, set[str]],
    block_end: str = "",
) -> None:
    child_states, parent_end, failures = expected
    assert run.violations == []
    if block_end:
        assert run.ends["block"] == block_end
    assert all(task.done() for task in children.values())
    assert {name: task.state.name for name, task in children.items()} == child_states
    assert set(run.raised) == failures
    exc = exception_of(parent)
    if failures:
        assert isinstance(exc, BaseExceptionGroup)
        found = leaves(exc)
        assert not any(isinstance(leaf, Cancelled) for leaf in found)
        assert sorted(map(id, found)) == sorted(map(id, run.raised.values()))
        assert parent.cancelled
    else:
        assert exc is None
        assert parent.state.name == parent_end
    assert run.after == (parent_end == "FINISHED" and not failures)


# -- the block forms: open_nursery and the one-task managers ----------------------------

# (child is a daemon, closes the block when it finishes, when it ends in any way)
BLOCK_RULES: dict[str, tuple[bool, bool, bool]] = {
    "open_nursery": (False, False, False),
    "wait_all_cm": (False, False, False),
    "wait_any_cm": (True, True, False),
    "run_as_main": (False, False, True),
    "run_as_daemon": (True, False, False),
}
MANAGERS: dict[str, Callable[[Task[Any]], AbstractAsyncContextManager[Task[Any]]]] = {
    "wait_all_cm": wait_all_cm,
    "wait_any_cm": wait_any_cm,
    "run_as_main": run_as_main,
    "run_as_daemon": run_as_daemon,
}


class BlockModel:
    """The documented rules of a block with one child, step by step."""

    def __init__(self, api: str, child: Behaviour, block: Behaviour) -> None:
        self.daemon, self.close_on_finish, self.close_on_end = BLOCK_RULES[api]
        self.child, self.block = child, block
        self.c_alive = self.b_alive = True
        self.c_pending = self.b_pending = False
        self.c_end = self.b_end = ""
        self.b_started = False  # the block reached its first await
        self.outer = False  # the parent task was cancelled
        self.closed = False
        self.phase = "body"  # body, main (waits for the child), unwind, done
        self.failures: set[str] = set()

    def run(self) -> tuple[dict[str, str], str, set[str]]:
        (c_outcome, c_timing), (b_outcome, b_timing) = self.child, self.block
        # 1. the child starts, then the block runs until it first awaits
        if c_timing == IMMEDIATELY:
            self.child_ends(c_outcome)
        if b_timing == IMMEDIATELY:
            if b_outcome == CANCELLED:
                self.outer = True
            self.block_ends(FINISHES if b_outcome == FINISHES else b_outcome)
        elif self.b_pending and b_timing == LATER:
            self.block_ends(CANCELLED)  # cancelled at its first await
        self.b_started = True
        # 2. the child's "later"
        if c_outcome == CANCELLED and c_timing in (LATER, PROTECTED):
            self.cancel_child()
        elif c_timing == LATER and self.c_alive:
            self.child_ends(c_outcome)
        # 3. the block's "later" / the parent is cancelled
        if b_outcome == CANCELLED and b_timing in (LATER, PROTECTED):
            self.cancel_parent()
        elif b_timing == LATER and self.b_alive:
            self.block_ends(b_outcome)
        # 4. release: the child waited first, so it goes first
        if c_timing == PROTECTED and self.c_alive:
            if c_outcome == FAILS:
                self.child_ends(FAILS)
            else:
                self.child_ends(CANCELLED if self.c_pending else FINISHES)
        if b_timing == PROTECTED and self.b_alive:
            if b_outcome == FAILS:
                self.block_ends(FAILS)
            else:
                self.block_ends(CANCELLED if self.b_pending else FINISHES)
        assert self.phase == "done", "the model left the parent running"
        parent = "CANCELLED" if self.failures or self.outer else "FINISHED"
        child = "FINISHED" if self.c_end == FINISHES else "CANCELLED"
        return {"child": child}, parent, self.failures

    def cancel_child(self) -> None:
        if not self.c_alive:
            return
        if self.child[1] == PROTECTED:
            self.c_pending = True
        else:
            self.child_ends(CANCELLED)

    def cancel_block(self) -> None:
        if not self.b_alive:
            return
        if self.block[1] == PROTECTED or not self.b_started:
            self.b_pending = True
        else:
            self.block_ends(CANCELLED)

    def cancel_parent(self) -> None:
        if self.phase == "done":
            return
        self.outer = True
        if self.phase == "body":
            self.cancel_block()
        elif self.phase == "main":
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.cancel_child()
        if self.phase == "body":
            self.cancel_block()
        elif self.phase == "main":
            self.leave_main()

    def child_ends(self, outcome: str) -> None:
        self.c_alive = False
        self.c_end = outcome
        if outcome == FAILS:
            self.failures.add("child")
            self.close()
        elif (outcome == FINISHES and (self.close_on_finish or self.close_on_end)) or (
            outcome == CANCELLED and self.close_on_end
        ):
            self.close()
        if self.phase == "main":
            self.leave_main()
        elif self.phase == "unwind":
            self.phase = "done"

    def block_ends(self, outcome: str) -> None:
        self.b_alive = False
        self.b_end = outcome
        if outcome == FAILS:
            self.failures.add("block")
        if outcome != FINISHES:
            self.close()
        if self.phase != "body":
            return  # the block's end already finished the parent (cannot happen)
        if outcome == FINISHES and not self.closed and self.c_alive and not self.daemon:
            self.phase = "main"
            return
        self.leave_main()

    def leave_main(self) -> None:
        self.closed = True
        self.cancel_child()
        self.phase = "unwind" if self.c_alive else "done"


@pytest.mark.parametrize("block", BEHAVIOURS, ids=ids)
@pytest.mark.parametrize("child", BEHAVIOURS, ids=ids)
@pytest.mark.parametrize("api", BLOCK_RULES)
def test_a_block_with_one_child(api: str, child: Behaviour, block: Behaviour) -> None:
    run = Run()
    c_event, b_event = Event(), Event()
    child_task = Task(behave(run, "child", child, c_event))
    me: list[Task[Any]] = []

    async def parent() -> None:
        me.append(await current_task())
        try:
            if api == "open_nursery":
                async with open_nursery() as nursery:
                    nursery.start(child_task)
                    await behave(run, "block", block, b_event)
            else:
                async with MANAGERS[api](child_task):
                    await behave(run, "block", block, b_event)
        finally:
            if not child_task.done():
                run.violations.append("the child outlived its block")
        run.after = True

    parent_task = root(parent())
    drive(run, parent_task, [(child_task, child, c_event)], block, b_event)
    model = BlockModel(api, child, block)
    check_outcome(run, parent_task, {"child": child_task}, model.run(), model.b_end)


# -- wait_all and wait_any ----------------------------------------------------------

PARENT_BEHAVIOURS: list[Behaviour] = [
    ("runs", ""),
    (CANCELLED, IMMEDIATELY),
    (CANCELLED, LATER),
    (CANCELLED, PROTECTED),
    (FAILS, "thrown in later"),
]


class WaitModel:
    """The documented rules of wait_all / wait_any with two children."""

    def __init__(self, any_: bool, children: list[Behaviour], parent: Behaviour) -> None:
        self.any = any_
        self.children = children
        self.parent = parent
        self.alive = [True, True]
        self.started = [False, False]  # every child starts: kept to read the model
        self.pending = [False, False]
        self.ends = ["", ""]
        self.stopped = False
        self.starting = False
        self.outer = False
        self.failures: set[str] = set()

    def run(self) -> tuple[dict[str, str], str, set[str]]:
        p_outcome, p_timing = self.parent
        # 1. every child starts, in order, even when an earlier one ended the wait;
        # the others are cancelled once the last one has started
        self.starting = True
        for i, (outcome, timing) in enumerate(self.children):
            self.started[i] = True
            if timing == IMMEDIATELY:
                self.ends_(i, outcome)
        self.starting = False
        if self.stopped:
            for i in range(2):
                self.cancel(i)
        suspended = any(self.alive)
        # A cancellation of the parent before the wait is delivered when it
        # suspends in the wait; if the wait never suspends, it stays pending and
        # the parent finishes before it awaits again.
        if p_outcome == CANCELLED and p_timing == IMMEDIATELY and suspended:
            self.outer = True
            self.stop()
        # 2. the children's "later", child 1 first
        for i, (outcome, timing) in enumerate(self.children):
            if outcome == CANCELLED and timing in (LATER, PROTECTED):
                self.cancel(i)
            elif timing == LATER and self.alive[i]:
                self.ends_(i, outcome)
        # 3. the parent
        if any(self.alive):
            if p_outcome == CANCELLED and p_timing == LATER:
                self.outer = True
                self.stop()
            elif p_outcome == CANCELLED and p_timing == PROTECTED:
                self.outer = True  # shielded: the wait goes on
            elif p_outcome == FAILS:
                self.failures.add("parent")
                self.stop()
        elif p_outcome == CANCELLED and p_timing == PROTECTED and suspended:
            pass  # cancelled after the wait has returned: nothing
        # 4. release
        for i, (outcome, timing) in enumerate(self.children):
            if timing == PROTECTED and self.alive[i]:
                if outcome == FAILS:
                    self.ends_(i, FAILS)
                else:
                    self.ends_(i, CANCELLED if self.pending[i] else FINISHES)
        assert not any(self.alive)
        states = {
            f"child{i + 1}": "FINISHED" if end == FINISHES else "CANCELLED"
            for i, end in enumerate(self.ends)
        }
        parent = "CANCELLED" if self.failures or self.outer else "FINISHED"
        return states, parent, self.failures

    def cancel(self, i: int) -> None:
        if not self.alive[i]:
            return
        if self.children[i][1] == PROTECTED:
            self.pending[i] = True
        else:
            self.ends_(i, CANCELLED)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.starting:
            return  # the cancellations wait until every child has started
        for i in range(2):
            self.cancel(i)

    def ends_(self, i: int, outcome: str) -> None:
        self.alive[i] = False
        self.ends[i] = outcome
        if outcome == FAILS:
            self.failures.add(f"child{i + 1}")
            self.stop()
        elif outcome == FINISHES and self.any:
            self.stop()


@pytest.mark.parametrize("parent", PARENT_BEHAVIOURS, ids=ids)
@pytest.mark.parametrize(
    ("child1", "child2"), list(itertools.product(BEHAVIOURS, BEHAVIOURS)), ids=ids
)
@pytest.mark.parametrize("fn", ["wait_all", "wait_any"])
def test_a_wait_with_two_children(
    fn: str, child1: Behaviour, child2: Behaviour, parent: Behaviour
) -> None:
    run = Run()
    events = [Event(), Event()]
    children = [
        Task(behave(run, f"child{i + 1}", behaviour, events[i]))
        for i, behaviour in enumerate((child1, child2))
    ]
    wait_fn = wait_all if fn == "wait_all" else wait_any

    async def parent_code() -> None:
        try:
            if parent == (CANCELLED, IMMEDIATELY):
                (await current_task()).cancel()
            if parent == (CANCELLED, PROTECTED):
                async with disable_cancellation():
                    await wait_fn(*children)
                # the cancellation held back by the shield: delivered at the next
                # suspension point
                await checkpoint_if_cancelled()
            else:
                await wait_fn(*children)
        finally:
            if not all(child.done() for child in children):
                run.violations.append("a child outlived the wait")
        run.after = True

    parent_task = root(parent_code())
    drive(
        run,
        parent_task,
        [(children[0], child1, events[0]), (children[1], child2, events[1])],
        parent,
        Event(),
    )
    expected = WaitModel(fn == "wait_any", [child1, child2], parent).run()
    check_outcome(run, parent_task, {"child1": children[0], "child2": children[1]}, expected)
