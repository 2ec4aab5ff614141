"""gearwork on Qt (PySide6): ``pip install gearwork-adapters[qt]``.

:class:`QtHost` is the Qt application's thread seen through the time
protocol of :mod:`gearwork.adapters.timing`: Qt's own timers, and posted
events to wake it from other threads. :func:`wait_signal` and
:class:`SignalStream` await signals, resuming the task inside the emission;
:func:`open_dialog` awaits a dialog shown with ``open()``; :func:`run`
starts an application whose root task is a gearwork task. trio runs as a
guest of a :class:`QtHost` with :func:`gearwork.adapters.trio.run_trio_guest`.
"""

from __future__ import annotations

try:
    import PySide6.QtWidgets as _qtwidgets
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "gearwork.adapters.qt needs PySide6: pip install gearwork-adapters[qt]"
    ) from _missing

from ._app import run as run
from ._host import QtHost as QtHost
from ._host import report_exception as report_exception
from ._signal import SignalStream as SignalStream
from ._signal import open_dialog as open_dialog
from ._signal import wait_signal as wait_signal

del _qtwidgets

__all__ = (
    "QtHost",
    "SignalStream",
    "open_dialog",
    "report_exception",
    "run",
    "wait_signal",
)
