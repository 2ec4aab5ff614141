"""gearwork on Kivy: ``pip install gearwork-adapters[kivy]``.

:class:`KivyHost` is Kivy's thread seen through the time protocol of
:mod:`gearwork.adapters.timing`: timers are ``Clock.schedule_once`` events,
and other threads wake Kivy through its clock. :func:`wait_event` and
:class:`EventStream` await events and property changes of any
``EventDispatcher``, resuming the task inside Kivy's dispatch;
:class:`TouchMoves` follows one touch (grabbed) until it is lifted;
:func:`run` runs an ``App`` whose root task is a gearwork task. trio runs as a
guest of a :class:`KivyHost` with :func:`gearwork.adapters.trio.run_trio_guest`.

Importing this module opens no window. Kivy parses the command line when it
is first imported unless ``KIVY_NO_ARGS`` is set: if Kivy has not been
imported yet, this module sets ``KIVY_NO_ARGS=1`` (when it is unset) so that
the program's own options stay its own. Import Kivy first to keep Kivy's
option parsing.

A typical app (it needs a window, so it is not a doctest)::

    from kivy.core.window import Window
    from kivy.uix.button import Button
    from gearwork.adapters.kivy import KivyHost, run, wait_event

    async def main(host: KivyHost) -> None:
        button = Button(text="Click me")
        Window.add_widget(button)
        async with host.move_on_after(10):
            await wait_event(button, "on_press")
            button.text = "Thanks"
            await host.sleep(1)

    run(main)
"""

from __future__ import annotations

import os as _os
import sys as _sys

if "kivy" not in _sys.modules:
    _os.environ.setdefault("KIVY_NO_ARGS", "1")

try:
    import kivy.clock as _kivy_clock
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gearwork.adapters.kivy needs Kivy: pip install gearwork-adapters[kivy]"
    ) from _missing

from ._app import run as run
from ._events import EventStream as EventStream
from ._events import TouchMoves as TouchMoves
from ._events import wait_event as wait_event
from ._host import KivyHost as KivyHost
from ._host import report_exception as report_exception

del _kivy_clock, _os, _sys

__all__ = (
    "EventStream",
    "KivyHost",
    "TouchMoves",
    "report_exception",
    "run",
    "wait_event",
)
