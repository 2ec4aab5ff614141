"""Easing functions for :meth:`Clock.animate <gearwork.adapters.clock.Clock.animate>` and
:meth:`Clock.interpolate <gearwork.adapters.clock.Clock.interpolate>`.

Each maps the progress of an animation, from 0.0 to 1.0, to how far the
value has gone, with ``f(0) == 0`` and ``f(1) == 1``; ``in_*`` start slowly,
``out_*`` end slowly, ``in_out_*`` do both. Any callable of that shape works.

>>> from gearwork.adapters.clock.easing import in_out_quad, linear
>>> [linear(0.5), in_out_quad(0.25), in_out_quad(0.5), in_out_quad(1.0)]
[0.5, 0.125, 0.5, 1.0]
"""

from __future__ import annotations

import math

__all__ = (
    "in_cubic",
    "in_out_cubic",
    "in_out_quad",
    "in_out_sine",
    "in_quad",
    "in_sine",
    "linear",
    "out_bounce",
    "out_cubic",
    "out_quad",
    "out_sine",
)


def linear(t: float) -> float:
    """Constant speed."""
    return t


def in_quad(t: float) -> float:
    """Accelerating from zero speed."""
    return t * t


def out_quad(t: float) -> float:
    """Decelerating to zero speed."""
    return t * (2.0 - t)


def in_out_quad(t: float) -> float:
    """Accelerating until halfway, then decelerating."""
    if t < 0.5:
        return 2.0 * t * t
    return 1.0 - 2.0 * (1.0 - t) * (1.0 - t)


def in_cubic(t: float) -> float:
    """Accelerating from zero speed, more sharply than :func:`in_quad`."""
    return t * t * t


def out_cubic(t: float) -> float:
    """Decelerating to zero speed, more sharply than :func:`out_quad`."""
    u = 1.0 - t
    return 1.0 - u * u * u


def in_out_cubic(t: float) -> float:
    """The cubic form of :func:`in_out_quad`."""
    if t < 0.5:
        return 4.0 * t * t * t
    u = 1.0 - t
    return 1.0 - 4.0 * u * u * u


def in_sine(t: float) -> float:
    """A quarter of a sine wave: gently accelerating."""
    return 1.0 - math.cos(t * math.pi / 2.0) if t < 1.0 else 1.0


def out_sine(t: float) -> float:
    """A quarter of a sine wave: gently decelerating."""
    return math.sin(t * math.pi / 2.0) if t < 1.0 else 1.0


def in_out_sine(t: float) -> float:
    """Half a cosine wave: gently accelerating, then decelerating."""
    return (1.0 - math.cos(t * math.pi)) / 2.0 if t < 1.0 else 1.0


def out_bounce(t: float) -> float:
    """Like a ball dropped on the floor: bounces of shrinking height at the end."""
    if t < 1.0 / 2.75:
        return 7.5625 * t * t
    if t < 2.0 / 2.75:
        t -= 1.5 / 2.75
        return 7.5625 * t * t + 0.75
    if t < 2.5 / 2.75:
        t -= 2.25 / 2.75
        return 7.5625 * t * t + 0.9375
    if t >= 1.0:
        return 1.0
    t -= 2.625 / 2.75
    return 7.5625 * t * t + 0.984375
