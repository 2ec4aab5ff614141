"""Random trees of nurseries and waits, driven by random event fires, cancels and closes.

Hypothesis builds a tree: leaves are tasks that finish, fail (with an
Exception or a BaseException), or cancel themselves, immediately, after an
event fire, or inside ``disable_cancellation()``, and that may raise again
while being cancelled; inner nodes are ``open_nursery`` blocks (with daemon
children and a block body of their own), ``wait_any``/``wait_all`` and the
one-task context managers. A random list of actions (fire event i, cancel
task i, close nursery i, throw an exception into task i) drives it, then
every event is fired until the tree ends (the root is cancelled if it does
not).

Whatever happened, these must hold:

* no child outlives the block or the call that started it;
* every task has ended when the tree has ended, and its done callbacks ran
  exactly once;
* every exception raised by a leaf (tracked by identity) arrives exactly once
  in the root's exception group tree, and ``Cancelled`` never does;
* nothing escapes to whoever fired, cancelled or closed.
"""

from __future__ import annotations

import types
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    Task,
    current_task,
    disable_cancellation,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import Registrar, Resumption, exception_of, supervise
from gearwork.nursery import (
    Nursery,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)

# -- tree specifications --------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    timing: str  # "immediately", "later", "protected"
    outcome: str  # "finishes", "fails", "fatal", "cancels itself"
    fails_when_cancelled: bool


@dataclass(frozen=True)
class Node:
    kind: str
    children: tuple[Spec, ...]
    daemons: tuple[bool, ...]
    body: Leaf | None  # the block's own work (open_nursery and the managers)


if TYPE_CHECKING:
    from typing import TypeAlias

Spec: TypeAlias = "Leaf | Node"

BLOCK_KINDS = ("nursery", "wait_any_cm", "wait_all_cm", "run_as_main", "run_as_daemon")
WAIT_KINDS = ("wait_any", "wait_all")
MANAGERS = {
    "wait_any_cm": wait_any_cm,
    "wait_all_cm": wait_all_cm,
    "run_as_main": run_as_main,
    "run_as_daemon": run_as_daemon,
}

leaves_st = st.builds(
    Leaf,
    timing=st.sampled_from(["immediately", "later", "later", "protected"]),
    outcome=st.sampled_from(["finishes", "finishes", "fails", "fatal", "cancels itself"]),
    fails_when_cancelled=st.booleans(),
)


@st.composite
def nodes(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Node:
    kind = draw(st.sampled_from(BLOCK_KINDS + WAIT_KINDS))
    kids: tuple[Spec, ...]
    if kind in MANAGERS:
        kids = (draw(children),)
    else:
        kids = tuple(draw(st.lists(children, min_size=1, max_size=3)))
    daemons = tuple(draw(st.booleans()) if kind == "nursery" else False for _ in kids)
    body = draw(leaves_st) if kind in BLOCK_KINDS else None
    return Node(kind, kids, daemons, body)


trees = nodes(st.recursive(leaves_st, nodes, max_leaves=6))

actions = st.lists(
    st.tuples(
        st.sampled_from(["fire", "fire", "fire", "cancel", "close", "throw"]),
        st.integers(0, 63),
    ),
    max_size=12,
)

# -- running a tree ---------------------------------------------------------------------


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


class Fatal(BaseException):
    pass


@dataclass
class Tree:
    events: list[Event] = field(default_factory=list)
    tasks: list[Task[Any]] = field(default_factory=list)
    nurseries: list[Nursery] = field(default_factory=list)
    raised: list[BaseException] = field(default_factory=list)
    callbacks: dict[int, int] = field(default_factory=dict)  # id(task) -> calls
    violations: list[str] = field(default_factory=list)

    def track(self, task: Task[Any]) -> Task[Any]:
        self.tasks.append(task)
        self.callbacks[id(task)] = 0

        def done(t: Task[Any]) -> None:
            self.callbacks[id(t)] += 1

        task.add_done_callback(done)
        return task

    def raise_(self, exc: BaseException) -> BaseException:
        self.raised.append(exc)
        return exc

    async def leaf(self, spec: Leaf) -> str:
        event = Event()
        self.events.append(event)
        try:
            if spec.timing == "immediately":
                return await self.act(spec)
            if spec.timing == "later":
                await event.wait()
                return await self.act(spec)
            async with disable_cancellation():
                await event.wait()
                if spec.outcome in ("fails", "fatal"):
                    await self.act(spec)
            return await self.act(spec)  # cancelling itself inside the shield would hang
        except Cancelled:
            if spec.fails_when_cancelled:
                raise self.raise_(Boom("while cancelled")) from None
            raise

    async def act(self, spec: Leaf) -> str:
        if spec.outcome == "finishes":
            return "done"
        if spec.outcome == "fails":
            raise self.raise_(Boom("failed"))
        if spec.outcome == "fatal":
            raise self.raise_(Fatal("fatal"))
        (await current_task()).cancel()
        await sleep_forever()
        raise AssertionError("not reached")

    async def run(self, spec: Spec) -> str:
        if isinstance(spec, Leaf):
            return await self.leaf(spec)
        children = [self.track(Task(self.run(child))) for child in spec.children]
        try:
            if spec.kind == "nursery":
                assert spec.body is not None
                async with open_nursery() as nursery:
                    self.nurseries.append(nursery)
                    for child, daemon in zip(children, spec.daemons, strict=True):
                        nursery.start(child, daemon=daemon)
                    await self.leaf(spec.body)
            elif spec.kind in MANAGERS:
                assert spec.body is not None
                async with MANAGERS[spec.kind](children[0]):
                    await self.leaf(spec.body)
            elif spec.kind == "wait_any":
                await wait_any(*children)
            else:
                await wait_all(*children)
        finally:
            alive = [child for child in children if not child.done()]
            if alive:
                self.violations.append(f"{spec.kind}: {alive} outlived it")
        return spec.kind


def exception_leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in exception_leaves(sub)]
    return [exc]


def check_tree(spec: Node, plan: list[tuple[str, int]]) -> None:
    tree = Tree()
    root = tree.track(Task(tree.run(spec)))
    supervise(root, lambda t: None)  # the root's exception stays in it
    start(root)
    for op, index in plan:
        if op == "fire" and tree.events:
            tree.events[index % len(tree.events)].fire()
        elif op == "cancel":
            tree.tasks[index % len(tree.tasks)].cancel()
        elif op == "close" and tree.nurseries:
            tree.nurseries[index % len(tree.nurseries)].close()
        elif op == "throw":
            task = tree.tasks[index % len(tree.tasks)]
            if not task.done():  # suspended: nothing runs between the driver's calls
                task.throw(tree.raise_(Boom("thrown in")))
    for _ in range(3):
        for event in list(tree.events):
            event.fire()
    if not root.done():
        root.cancel()
        for _ in range(3):
            for event in list(tree.events):
                event.fire()

    assert root.done(), "the tree did not end"
    assert tree.violations == []
    assert [task for task in tree.tasks if not task.done()] == []
    assert set(tree.callbacks.values()) == {1}
    exc = exception_of(root)
    delivered = [] if exc is None else exception_leaves(exc)
    assert not any(isinstance(e, Cancelled) for e in delivered)
    assert sorted(map(id, delivered)) == sorted(map(id, tree.raised))
    if exc is None:
        assert tree.raised == []


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=trees, plan=actions)
def test_random_trees_keep_the_invariants(spec: Node, plan: list[tuple[str, int]]) -> None:
    check_tree(spec, plan)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=trees, plan=actions)
def test_many_random_trees_keep_the_invariants(spec: Node, plan: list[tuple[str, int]]) -> None:
    check_tree(spec, plan)
