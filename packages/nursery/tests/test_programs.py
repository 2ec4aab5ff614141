"""Random programs: every structured construct, nested, driven by real waiting primitives.

test_trees.py drives trees of nurseries and waits with one local event per leaf. The
programs here mix everything the public surface offers (``open_nursery`` with daemons,
``wait_any``, ``wait_all``, ``wait_any_cm``, ``move_on_when``, ``wait_all_cm``,
``run_as_main``, ``run_as_daemon``) with what core offers inside one task: nested
``open_cancel_scope()`` blocks cancelled from inside (by the code they protect) and from
outside (by the driver), ``disable_cancellation()`` around whole sub-programs, and plain
sequences. Leaves finish, fail (``Exception`` or ``BaseException``), cancel their task or
their innermost scope, at once, after a wait, or inside a shield, and may fail again while
being cancelled.

They wait on a small pool of primitives that several leaves share, so one fire wakes
tasks all over the tree: an event (next fire), a stateful event (stays fired until
cleared), a box (get returns at once while it holds an item), a queue get and a bounded
queue put. gearwork-nursery may not use gearwork-sync: it is not one of its declared
dependencies, so ``nox -s tests`` does not install it and ``nox -s lint`` rejects the
import. The primitives below are written on ``gearwork.core.lowlevel.suspend`` with the
same documented behaviour: waiters are woken synchronously, oldest first, and a waiter
that is cancelled or has an exception thrown in leaves the waiting place.

A random plan then pokes primitives (fire, clear, put, get), cancels tasks, closes
nurseries, cancels scopes from outside and throws exceptions into suspended tasks; then
every primitive lets its waiters go until the program ends (the root is cancelled if it
does not). Whatever happened, these must hold:

* no child outlives the block or the call that started it, and every scope is closed;
* every task has ended, and its done callback ran exactly once (a removed one never);
* every exception raised (tracked by identity) arrives exactly once in the root's
  exception group tree, and ``Cancelled`` never does;
* nothing escapes to whoever poked, cancelled, closed or threw;
* nothing lingers: after each action of the plan, when no ``disable_cancellation()``
  block is active anywhere, every construct whose ending condition holds has ended (a
  nursery whose body and non-daemon children are done, a wait_any with a finished child,
  a manager whose rule says the block is over, a scope that was cancelled, any construct
  with a failed child...). Without this, a construct that ends too late would go
  unnoticed, since the end of the program releases every waiter anyway.

The number of programs generated and checked is printed among the "gearwork figures".
"""

from __future__ import annotations

import types
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    CancelScope,
    Task,
    current_task,
    disable_cancellation,
    open_cancel_scope,
    start,
)
from gearwork.core.lowlevel import Registrar, Resumption, exception_of, supervise
from gearwork.nursery import (
    Nursery,
    move_on_when,
    open_nursery,
    run_as_daemon,
    run_as_main,
    wait_all,
    wait_all_cm,
    wait_any,
    wait_any_cm,
)

if TYPE_CHECKING:
    from typing import TypeAlias

# -- waiting primitives, on the public suspension protocol ----------------------------------


class Waiters:
    """Tasks waiting for something, oldest first.

    A task leaves when it is woken, or when an exception reaches it at its ``await``
    (cancelled, thrown in). GeneratorExit means the task is garbage: touch nothing.
    """

    def __init__(self) -> None:
        self._slots: deque[list[Task[Any]]] = deque()

    def __len__(self) -> int:
        return len(self._slots)

    def wake_one(self) -> None:
        while self._slots:
            slot = self._slots.popleft()
            if slot:
                slot[0].step()
                return

    def wake_all(self) -> None:
        slots, self._slots = self._slots, deque()
        for slot in slots:
            if slot:
                slot[0].step()

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, None]:
        slot: list[Task[Any]] = []
        self._slots.append(slot)
        try:
            yield slot.append
        except GeneratorExit:
            raise
        except BaseException:
            for i, other in enumerate(self._slots):
                if other is slot:
                    del self._slots[i]
                    break
            raise


class Event:
    """``wait()`` returns at the next ``fire()``."""

    def __init__(self) -> None:
        self._waiters = Waiters()

    def fire(self) -> None:
        self._waiters.wake_all()

    async def wait(self) -> None:
        await self._waiters.wait()


class StatefulEvent:
    """``wait()`` returns at once while fired; ``clear()`` makes it wait again."""

    def __init__(self) -> None:
        self._waiters = Waiters()
        self._fired = False

    def fire(self) -> None:
        self._fired = True
        self._waiters.wake_all()

    def clear(self) -> None:
        self._fired = False

    async def wait(self) -> None:
        while not self._fired:
            await self._waiters.wait()


class Box:
    """``get()`` returns the item at once while the box holds one."""

    def __init__(self) -> None:
        self._waiters = Waiters()
        self._items: list[int] = []

    def put(self, item: int) -> None:
        self._items[:] = [item]
        self._waiters.wake_all()

    def clear(self) -> None:
        self._items.clear()

    async def get(self) -> int:
        while not self._items:
            await self._waiters.wait()
        return self._items[0]


class Queue:
    """FIFO; ``put`` waits while *maxsize* items are in it (0: never), ``get`` while empty."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: deque[int] = deque()
        self.getters = Waiters()
        self.putters = Waiters()

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: int) -> None:
        assert not self.full()
        self._items.append(item)
        self.getters.wake_one()

    def get_nowait(self) -> int:
        item = self._items.popleft()
        self.putters.wake_one()
        return item

    async def put(self, item: int) -> None:
        while self.full():
            await self.putters.wait()
        self.put_nowait(item)

    async def get(self) -> int:
        while self.empty():
            await self.getters.wait()
        return self.get_nowait()


class Gate:
    """One primitive of a program's pool, seen the way a leaf and the driver use it."""

    def wait(self) -> Awaitable[object]:
        raise NotImplementedError

    def poke(self, n: int) -> None:
        """One random operation of the driver."""
        raise NotImplementedError

    def release(self) -> None:
        """Let every task waiting now go on (the end of a program)."""
        raise NotImplementedError


class EventGate(Gate):
    def __init__(self) -> None:
        self.event = Event()

    def wait(self) -> Awaitable[object]:
        return self.event.wait()

    def poke(self, n: int) -> None:
        self.event.fire()

    def release(self) -> None:
        self.event.fire()


class StatefulGate(Gate):
    def __init__(self) -> None:
        self.event = StatefulEvent()

    def wait(self) -> Awaitable[object]:
        return self.event.wait()

    def poke(self, n: int) -> None:
        if n % 3:
            self.event.fire()
        else:
            self.event.clear()

    def release(self) -> None:
        self.event.fire()


class BoxGate(Gate):
    def __init__(self) -> None:
        self.box = Box()

    def wait(self) -> Awaitable[object]:
        return self.box.get()

    def poke(self, n: int) -> None:
        if n % 3:
            self.box.put(n)
        else:
            self.box.clear()

    def release(self) -> None:
        self.box.put(-1)


class QueueGetGate(Gate):
    def __init__(self) -> None:
        self.queue = Queue(0)

    def wait(self) -> Awaitable[object]:
        return self.queue.get()

    def poke(self, n: int) -> None:
        if n % 3 or self.queue.empty():
            self.queue.put_nowait(n)
        else:
            self.queue.get_nowait()

    def release(self) -> None:
        for _ in range(len(self.queue.getters)):
            self.queue.put_nowait(-1)


class QueuePutGate(Gate):
    def __init__(self) -> None:
        self.queue = Queue(1)
        self.queue.put_nowait(0)  # full: a put waits

    def wait(self) -> Awaitable[object]:
        return self.queue.put(1)

    def poke(self, n: int) -> None:
        if not self.queue.empty():
            self.queue.get_nowait()
        if n % 2 and not self.queue.full():
            self.queue.put_nowait(n)

    def release(self) -> None:
        for _ in range(len(self.queue.putters) + 1):
            if not self.queue.empty():
                self.queue.get_nowait()  # admits the oldest waiting putter


GATES: dict[str, Callable[[], Gate]] = {
    "event": EventGate,
    "stateful event": StatefulGate,
    "box": BoxGate,
    "queue get": QueueGetGate,
    "queue put": QueuePutGate,
}

# -- program specifications -----------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    gate: int  # which primitive of the pool it waits on (modulo the pool's size)
    timing: str  # "immediately", "after a wait", "shielded"
    outcome: str  # "finishes", "fails", "fatal", "cancels its task", "cancels its scope"
    fails_when_cancelled: bool


@dataclass(frozen=True)
class Node:
    """A construct. Child tasks for the nursery, the waits and the managers; code run in
    the node's own task for ``body`` and for the children of "sequence"."""

    kind: str
    children: tuple[Spec, ...]
    daemons: tuple[bool, ...]
    body: Spec | None


Spec: TypeAlias = "Leaf | Node"

MANAGERS: dict[str, Callable[[Task[Any]], AbstractAsyncContextManager[Task[Any]]]] = {
    "wait_any_cm": wait_any_cm,
    "move_on_when": move_on_when,
    "wait_all_cm": wait_all_cm,
    "run_as_main": run_as_main,
    "run_as_daemon": run_as_daemon,
}
WAITS = ("wait_any", "wait_all")
IN_TASK = ("cancel scope", "shield", "sequence")
KINDS = ("nursery", *WAITS, *MANAGERS, *IN_TASK)

leaves = st.builds(
    Leaf,
    gate=st.integers(0, 3),
    timing=st.sampled_from(["immediately", "after a wait", "after a wait", "shielded"]),
    outcome=st.sampled_from(
        ["finishes", "finishes", "fails", "fatal", "cancels its task", "cancels its scope"]
    ),
    fails_when_cancelled=st.booleans(),
)


@st.composite
def nodes(draw: st.DrawFn, inner: st.SearchStrategy[Spec]) -> Node:
    kind = draw(st.sampled_from(KINDS))
    children: tuple[Spec, ...] = ()
    daemons: tuple[bool, ...] = ()
    body: Spec | None = None
    if kind == "nursery":
        children = tuple(draw(st.lists(inner, max_size=3)))
        daemons = tuple(draw(st.booleans()) for _ in children)
        body = draw(inner)
    elif kind in WAITS:
        children = tuple(draw(st.lists(inner, min_size=1, max_size=3)))
    elif kind in MANAGERS:
        children = (draw(inner),)
        body = draw(inner)
    elif kind == "sequence":
        children = tuple(draw(st.lists(inner, min_size=2, max_size=3)))
    else:  # "cancel scope", "shield"
        body = draw(inner)
    return Node(kind, children, daemons, body)


programs = nodes(st.recursive(leaves, nodes, max_leaves=8))
pools = st.lists(st.sampled_from(sorted(GATES)), min_size=1, max_size=4)
plans = st.lists(
    st.tuples(
        st.sampled_from(
            ["poke", "poke", "poke", "poke", "cancel", "close", "cancel scope", "throw"]
        ),
        st.integers(0, 63),
    ),
    max_size=16,
)

# -- running a program ----------------------------------------------------------------------


class Boom(Exception):
    pass


class Fatal(BaseException):
    pass


@dataclass(frozen=True)
class Context:
    """Where in its task a piece of code runs: the scopes around it, innermost last."""

    scopes: tuple[CancelScope, ...] = ()


def _never(task: Task[Any]) -> None:
    raise AssertionError(f"a removed done callback ran for {task!r}")


@dataclass(eq=False)
class Running:
    """A construct that has started, for the check that nothing lingers."""

    spec: Node
    children: list[Task[Any]]
    body_ended: bool = False
    body_failed: bool = False
    exited: bool = False
    nursery: Nursery | None = None
    scope: CancelScope | None = None

    def should_have_ended(self) -> str | None:
        """Why the construct should have ended by now, if it should have."""
        kind = self.spec.kind
        children = self.children
        if any(task.done() and exception_of(task) is not None for task in children):
            return "a child failed"
        if kind == "cancel scope":
            assert self.scope is not None
            return "its scope was cancelled" if self.scope.cancel_called else None
        if kind in ("shield", "sequence"):
            return None
        if self.body_failed:
            return "its body failed"
        if kind == "nursery":
            assert self.nursery is not None
            if self.nursery.closed:
                return "it was closed"
            mains = [t for t, d in zip(children, self.spec.daemons, strict=True) if not d]
            if self.body_ended and all(task.done() for task in mains):
                return "its body and its non-daemon children are done"
            return None
        if kind == "wait_any":
            if any(task.finished for task in children):
                return "a child finished"
            return "every child ended" if all(task.done() for task in children) else None
        if kind == "wait_all":
            return "every child ended" if all(task.done() for task in children) else None
        (background,) = children
        if kind in ("wait_any_cm", "move_on_when"):
            if background.finished:
                return "the background task finished"
            return "its body ended" if self.body_ended else None
        if kind == "run_as_main" and background.done():
            return "the background task ended"
        if kind == "run_as_daemon":
            return "its body ended" if self.body_ended else None
        if self.body_ended and background.done():
            return "its body and the background task ended"
        return None


@dataclass
class Program:
    gates: list[Gate]
    tasks: list[Task[Any]] = field(default_factory=list)
    nurseries: list[Nursery] = field(default_factory=list)
    scopes: list[CancelScope] = field(default_factory=list)
    raised: list[BaseException] = field(default_factory=list)
    callbacks: Counter[int] = field(default_factory=Counter)  # id(task) -> calls
    violations: list[str] = field(default_factory=list)
    running: list[Running] = field(default_factory=list)
    shields: int = 0  # disable_cancellation() blocks active right now

    def track(self, task: Task[Any]) -> Task[Any]:
        self.tasks.append(task)
        self.callbacks[id(task)] = 0
        task.add_done_callback(self._done)
        task.add_done_callback(_never)
        task.remove_done_callback(_never)
        return task

    def _done(self, task: Task[Any]) -> None:
        self.callbacks[id(task)] += 1

    def raise_(self, exc: BaseException) -> BaseException:
        self.raised.append(exc)
        return exc

    async def leaf(self, spec: Leaf, where: Context) -> None:
        gate = self.gates[spec.gate % len(self.gates)]
        try:
            if spec.timing == "immediately":
                await self.act(spec, gate, where)
            elif spec.timing == "after a wait":
                await gate.wait()
                await self.act(spec, gate, where)
            else:
                async with disable_cancellation():
                    self.shields += 1
                    try:
                        await gate.wait()
                        if spec.outcome in ("fails", "fatal"):
                            await self.act(spec, gate, where)
                    finally:
                        self.shields -= 1
                await self.act(spec, gate, where)
        except Cancelled:
            if spec.fails_when_cancelled:
                raise self.raise_(Boom("while cancelled")) from None
            raise

    async def act(self, spec: Leaf, gate: Gate, where: Context) -> None:
        if spec.outcome == "fails":
            raise self.raise_(Boom("failed"))
        if spec.outcome == "fatal":
            raise self.raise_(Fatal("fatal"))
        if spec.outcome == "cancels its scope" and where.scopes:
            where.scopes[-1].cancel()
        elif spec.outcome != "finishes":  # its task, or its scope without a scope
            (await current_task()).cancel()
        else:
            return
        # Cancelled at this wait, unless a shield around it holds the cancellation back
        # until the wait is over.
        await gate.wait()

    async def run(self, spec: Spec, where: Context) -> None:
        if isinstance(spec, Leaf):
            await self.leaf(spec, where)
            return
        kind = spec.kind
        if kind in IN_TASK:
            await self.run_in_task(spec, where)
            return
        children = [self.track(Task(self.run(child, Context()))) for child in spec.children]
        running = Running(spec, children)
        self.running.append(running)
        try:
            if kind == "nursery":
                assert spec.body is not None
                async with open_nursery() as nursery:
                    self.nurseries.append(nursery)
                    running.nursery = nursery
                    for child, daemon in zip(children, spec.daemons, strict=True):
                        nursery.start(child, daemon=daemon)
                    await self.body(spec.body, where, running)
            elif kind in MANAGERS:
                assert spec.body is not None
                async with MANAGERS[kind](children[0]):
                    await self.body(spec.body, where, running)
            elif kind == "wait_any":
                await wait_any(*children)
            else:
                await wait_all(*children)
        finally:
            running.exited = True
            alive = [child for child in children if not child.done()]
            if alive:
                self.violations.append(f"{kind}: {alive} outlived it")

    async def body(self, spec: Spec, where: Context, running: Running) -> None:
        try:
            await self.run(spec, where)
        except BaseException:
            running.body_failed = True
            raise
        finally:
            running.body_ended = True

    async def run_in_task(self, spec: Node, where: Context) -> None:
        if spec.kind == "sequence":
            for part in spec.children:
                await self.run(part, where)
            return
        assert spec.body is not None
        if spec.kind == "shield":
            async with disable_cancellation():
                self.shields += 1
                try:
                    await self.run(spec.body, where)
                finally:
                    self.shields -= 1
            return
        scope = open_cancel_scope()
        self.scopes.append(scope)
        running = Running(spec, [], scope=scope)
        self.running.append(running)
        try:
            async with scope:
                await self.run(spec.body, Context((*where.scopes, scope)))
        finally:
            running.exited = True
            if not scope.closed:
                self.violations.append(f"{scope!r} left open")
            if scope.cancelled_caught and not scope.cancel_called:
                self.violations.append(f"{scope!r} caught a cancellation nobody asked for")

    # -- the driver ------------------------------------------------------------------------

    def drive(self, op: str, index: int) -> None:
        """One action of the plan; whatever it sets off must not raise here."""
        try:
            if op == "poke":
                self.gates[index % len(self.gates)].poke(index)
            elif op == "cancel":
                self.tasks[index % len(self.tasks)].cancel()
            elif op == "close" and self.nurseries:
                self.nurseries[index % len(self.nurseries)].close()
            elif op == "cancel scope" and self.scopes:
                self.scopes[index % len(self.scopes)].cancel()
            elif op == "throw":
                task = self.tasks[index % len(self.tasks)]
                # Between the driver's calls nothing runs: a task not done is suspended.
                if not task.done():
                    task.throw(self.raise_(Boom("thrown in")))
        except BaseException as e:  # the test reports it with the other violations
            self.violations.append(f"{op} {index} raised {e!r}")
        self.check_nothing_lingers(f"after {op} {index}")

    def check_nothing_lingers(self, when: str) -> None:
        if self.shields:
            return  # a shielded wait may hold any construct around it open
        for running in self.running:
            if not running.exited:
                why = running.should_have_ended()
                if why is not None:
                    self.violations.append(f"{when}: {running.spec.kind} lingers: {why}")

    def release_all(self, root: Task[Any]) -> None:
        for _ in range(64):
            if root.done():
                return
            for gate in self.gates:
                self.drive_release(gate)

    def drive_release(self, gate: Gate) -> None:
        try:
            gate.release()
        except BaseException as e:
            self.violations.append(f"releasing {type(gate).__name__} raised {e!r}")


def exception_leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in exception_leaves(sub)]
    return [exc]


# Programs run per test, reported at the end of the module.
GENERATED: Counter[str] = Counter()
CHECKED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_programs(report_figure: Callable[[str], None]) -> Iterator[None]:
    yield
    for name in sorted(GENERATED):
        report_figure(
            f"nursery random programs ({name}): {GENERATED[name]:,} generated, "
            f"{CHECKED[name]:,} checked"
        )


def check_program(name: str, pool: list[str], spec: Node, plan: list[tuple[str, int]]) -> None:
    GENERATED[name] += 1
    program = Program([GATES[kind]() for kind in pool])
    root = program.track(Task(program.run(spec, Context())))
    supervise(root, lambda task: None)  # the root's exception stays in it
    start(root)
    program.check_nothing_lingers("after the start")
    for op, index in plan:
        program.drive(op, index)
    program.release_all(root)
    if not root.done():
        program.drive("cancel", 0)  # the root is tasks[0]
        program.release_all(root)

    assert root.done(), "the program did not end"
    assert program.violations == []
    assert [task for task in program.tasks if not task.done()] == []
    assert [scope for scope in program.scopes if not scope.closed] == []
    assert set(program.callbacks.values()) == {1}
    exc = exception_of(root)
    delivered = [] if exc is None else exception_leaves(exc)
    assert [e for e in delivered if isinstance(e, Cancelled)] == []
    assert sorted(map(id, delivered)) == sorted(map(id, program.raised))
    CHECKED[name] += 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools, spec=programs, plan=plans)
def test_random_programs_keep_the_invariants(
    pool: list[str], spec: Node, plan: list[tuple[str, int]]
) -> None:
    check_program("default", pool, spec, plan)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools, spec=programs, plan=plans)
def test_many_random_programs_keep_the_invariants(
    pool: list[str], spec: Node, plan: list[tuple[str, int]]
) -> None:
    check_program("slow", pool, spec, plan)
