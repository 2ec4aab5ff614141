"""TaskStats for gearwork tasks, on any host (needs nothing but gearwork-core).

Also re-exported by :mod:`gearwork.adapters.trio`, as trio-util users look for it there.
"""

from __future__ import annotations

from ._stats import TaskRecord as TaskRecord
from ._stats import TaskStats as TaskStats

__all__ = ("TaskRecord", "TaskStats")
