"""gearwork on tkinter: ``pip install gearwork-adapters[tkinter]`` (tkinter ships with Python).

:class:`TkHost` drives the whole time protocol of :mod:`gearwork.adapters.timing`
with Tk's own ``after`` timers and wakes Tk from other threads through a file
handler on a socket pair (no polling). :func:`event` and :func:`events` await
Tk event sequences and virtual events from a gearwork task, which runs inside
Tk's callback; :func:`wait_destroyed` awaits a ``Toplevel`` dialog.
:func:`run` is the entry point of an app; :meth:`TkHost.start_root` starts
tasks that are cancelled when the app ends. trio runs as a guest of a
:class:`TkHost` through :func:`gearwork.adapters.trio.run_trio_guest`.

Typical app (it needs a display, so it is not a doctest)::

    import tkinter as tk
    from gearwork.adapters.tkinter import event, run

    async def main(host):
        button = tk.Button(host.root, text="Click me")
        button.pack()
        async with host.move_on_after(10):
            await event(button, "<ButtonRelease-1>")
            button["text"] = "Thanks"
            await host.sleep(1)

    run(main)
"""

from __future__ import annotations

try:
    import tkinter as _tkinter
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gearwork.adapters.tkinter needs tkinter (the Tk bindings of the standard library, "
        "a separate system package on some distributions, e.g. python3-tk): "
        "pip install gearwork-adapters[tkinter]"
    ) from _missing

from ._events import EventStream as EventStream
from ._events import event as event
from ._events import events as events
from ._events import unbind as unbind
from ._events import wait_destroyed as wait_destroyed
from ._host import TkHost as TkHost
from ._host import run as run

del _tkinter

__all__ = (
    "EventStream",
    "TkHost",
    "event",
    "events",
    "run",
    "unbind",
    "wait_destroyed",
)
