"""The fixed-timestep accumulator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, final

from gearwork.core import dummy_task

if TYPE_CHECKING:
    from gearwork.core import Task

__all__ = ("FixedTimestep",)


@final
class FixedTimestep:
    """Turn variable frame times into a whole number of fixed steps, with an interpolation alpha.

    ``n = stepper.advance(dt)`` adds *dt* to the accumulator and returns how
    many steps of :attr:`step` seconds are now due (the caller runs its
    update that many times); the remainder stays for the next frame.
    :attr:`alpha` (from 0 up to, not including, 1) is how far the time is
    between the last step and the next one, for drawing a state
    interpolated between the previous and the current update.

    At most *max_steps* steps are returned per call: when the updates cannot
    keep up, the backlog is dropped (counted in :attr:`dropped`) instead of
    growing every frame (the "spiral of death").

    :meth:`Clock.fixed_timestep <gearwork.adapters.clock.Clock.fixed_timestep>`
    drives one from a clock's ticks.

    >>> stepper = FixedTimestep(0.25)
    >>> stepper.advance(0.625), stepper.alpha
    (2, 0.5)
    >>> stepper.advance(0.125), stepper.alpha
    (1, 0.0)

    :raises TypeError: *step* is not a number or *max_steps* not an int.
    :raises ValueError: *step* is not finite and > 0, or *max_steps* < 1.
    """

    __slots__ = ("_acc", "_task", "dropped", "max_steps", "step")

    __module__ = "gearwork.adapters.clock"

    def __init__(self, step: float, *, max_steps: int = 8) -> None:
        try:
            ok = step > 0 and step != math.inf
        except TypeError:
            raise TypeError(
                f"FixedTimestep() needs a step in seconds, got {type(step).__name__}"
            ) from None
        if not ok:
            raise ValueError(f"FixedTimestep() needs a finite step > 0, got {step!r}")
        if not isinstance(max_steps, int) or isinstance(max_steps, bool):
            raise TypeError(f"max_steps must be an int, got {type(max_steps).__name__}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        self.step: float = step
        """The fixed step, in seconds."""
        self.max_steps: int = max_steps
        """The most steps :meth:`advance` returns at once."""
        self.dropped: int = 0
        """How many steps were dropped because more than *max_steps* were due."""
        self._acc = 0.0
        self._task: Task[Any] = dummy_task

    @property
    def accumulator(self) -> float:
        """The time accumulated towards the next step, in seconds."""
        return self._acc

    @property
    def alpha(self) -> float:
        """``accumulator / step``: where the present lies between two steps, in [0, 1)."""
        return self._acc / self.step

    def advance(self, dt: float) -> int:
        """Add *dt* seconds; return the number of steps to run now.

        :raises ValueError: *dt* is negative or NaN.
        """
        if not dt >= 0:
            raise ValueError(f"advance() needs a time >= 0, got {dt!r}")
        acc = self._acc + dt
        step = self.step
        due = int(acc // step)
        acc -= due * step
        # Rounding: a remainder within a billionth of a step of a whole step is one, and
        # one that close to zero is zero, so that 0.1 + 0.2 steps of 0.3 make one step.
        slack = step * 1e-9
        if acc >= step - slack:
            due += 1
            acc -= step
        self._acc = acc if acc > slack else 0.0
        if due > self.max_steps:
            self.dropped += due - self.max_steps
            return self.max_steps
        return due

    def cancel(self) -> None:
        """Stop the clock that drives it, if one does (see ``Clock.fixed_timestep``)."""
        self._task.cancel()

    def __repr__(self) -> str:
        return f"<FixedTimestep step={self.step!r} alpha={self.alpha:.3f}>"
