"""The public module lists exactly its public names in a tuple ``__all__``."""

from __future__ import annotations

import importlib
import inspect
from importlib import metadata

import gearwork.nursery as nursery

PUBLIC = {
    "ALL_COMPLETED",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "Nursery",
    "ReturnWhen",
    "__version__",
    "azip",
    "azip_longest",
    "TASK_STATUS_IGNORED",
    "TaskStatus",
    "defer_to_cancelled",
    "move_on_when",
    "open_nursery",
    "run_as_daemon",
    "run_as_main",
    "wait",
    "wait_all",
    "wait_all_cm",
    "wait_any",
    "wait_any_cm",
}


def test_all_is_a_tuple_of_exactly_the_public_names() -> None:
    assert isinstance(nursery.__all__, tuple)
    assert len(set(nursery.__all__)) == len(nursery.__all__)
    assert set(nursery.__all__) == PUBLIC
    for name in nursery.__all__:
        assert hasattr(nursery, name), f"gearwork.nursery.{name} is listed but missing"


def test_every_public_name_is_listed() -> None:
    public = {
        name
        for name, value in vars(nursery).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public <= set(nursery.__all__) | {"__version__"}


def test_public_classes_say_they_live_in_gearwork_nursery() -> None:
    for name in nursery.__all__:
        value = getattr(nursery, name)
        if inspect.isclass(value):
            assert value.__module__ == "gearwork.nursery", name


def test_the_version_is_the_one_of_the_distribution() -> None:
    about = importlib.import_module("gearwork.nursery.__about__")
    assert nursery.__version__ == about.__version__ == metadata.version("gearwork-nursery")


def test_gearwork_is_a_namespace_package() -> None:
    import gearwork

    assert getattr(gearwork, "__file__", None) is None
