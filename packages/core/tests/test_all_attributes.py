"""Every public module lists exactly its public names in a tuple ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["gearwork.core", "gearwork.core.lowlevel"]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_a_tuple_of_names_that_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__all__, tuple)
    assert len(set(module.__all__)) == len(module.__all__)
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr} is listed but missing"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_listed(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_") and not inspect.ismodule(value) and attr != "annotations"
    }
    assert public <= set(module.__all__) | {"__version__"}


def test_public_classes_say_they_live_in_gearwork_core() -> None:
    import gearwork.core as core

    for attr in core.__all__:
        value = getattr(core, attr)
        if inspect.isclass(value) and value.__module__.startswith("gearwork"):
            assert value.__module__ == "gearwork.core", attr


def test_gearwork_is_a_namespace_package() -> None:
    import gearwork

    assert getattr(gearwork, "__file__", None) is None
