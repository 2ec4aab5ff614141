"""The public names of gearwork.adapters.asyncio, .trio and .stats: exact, and where they live."""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = {
    "gearwork.adapters.asyncio": {
        "ASYNCIO_SIDE_CANCELLED",
        "AsyncioHost",
        "current_host",
        "fail_after",
        "fail_at",
        "from_asyncio",
        "from_asyncio_future",
        "monitor",
        "move_on_after",
        "move_on_at",
        "now",
        "periodic",
        "run_in_thread",
        "sleep",
        "sleep_until",
        "to_asyncio",
        "to_asyncio_future",
        "wait",
    },
    "gearwork.adapters.trio": {
        "TRIO_SIDE_CANCELLED",
        "GuestHost",
        "TaskStats",
        "TrioHost",
        "current_host",
        "fail_after",
        "fail_at",
        "from_trio",
        "monitor",
        "move_on_after",
        "move_on_at",
        "now",
        "periodic",
        "run_in_thread",
        "run_trio_guest",
        "sleep",
        "sleep_until",
        "start_guest_run",
        "to_trio",
        "wait",
    },
    "gearwork.adapters.stats": {"TaskRecord", "TaskStats"},
}
HOME_OF_REEXPORTS = {"TaskStats": "gearwork.adapters.stats"}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all_is_a_tuple_of_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__all__, tuple)
    assert len(set(module.__all__)) == len(module.__all__)
    assert set(module.__all__) == PUBLIC[name]
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_") and attr != "annotations" and not inspect.ismodule(value)
    }
    assert public == PUBLIC[name]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_classes_say_where_they_live(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        value = getattr(module, attr)
        if inspect.isclass(value):
            assert value.__module__ == HOME_OF_REEXPORTS.get(attr, name), attr
