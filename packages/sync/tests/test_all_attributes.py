"""The public surface: every module has a tuple __all__ listing exactly its public names."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import gearwork.sync

MODULES = ["gearwork.sync"] + [
    f"gearwork.sync.{info.name}" for info in pkgutil.iter_modules(gearwork.sync.__path__)
]


def test_all_is_a_tuple_of_existing_names() -> None:
    assert isinstance(gearwork.sync.__all__, tuple)
    for name in gearwork.sync.__all__:
        assert hasattr(gearwork.sync, name), name
    assert len(set(gearwork.sync.__all__)) == len(gearwork.sync.__all__)


def test_all_lists_every_public_name_of_the_package() -> None:
    public = {
        name
        for name, value in vars(gearwork.sync).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public | {"__version__"} == set(gearwork.sync.__all__)


@pytest.mark.parametrize("name", [n for n in gearwork.sync.__all__ if n != "__version__"])
def test_public_classes_say_they_belong_to_gearwork_sync(name: str) -> None:
    obj = getattr(gearwork.sync, name)
    assert inspect.isclass(obj)
    assert obj.__module__ == "gearwork.sync"
    assert obj.__doc__, f"{name} has no docstring"


@pytest.mark.parametrize("name", [n for n in gearwork.sync.__all__ if n != "__version__"])
def test_public_methods_have_docstrings(name: str) -> None:
    cls = getattr(gearwork.sync, name)
    for attr, value in vars(cls).items():
        if attr.startswith("_") and attr not in ("__await__", "__aiter__", "__anext__"):
            continue
        if callable(value) or isinstance(value, property):
            assert getattr(value, "__doc__", None), f"{name}.{attr} has no docstring"


@pytest.mark.parametrize("module", MODULES)
def test_every_module_has_a_tuple_all_naming_only_existing_objects(module: str) -> None:
    mod = importlib.import_module(module)
    if module.endswith("__about__"):
        return
    names = mod.__all__
    assert isinstance(names, tuple), module
    for name in names:
        assert hasattr(mod, name), f"{module}.{name}"


def test_the_version_is_the_one_the_distribution_was_built_with() -> None:
    from importlib.metadata import version

    assert gearwork.sync.__version__ == version("gearwork-sync")


def test_gearwork_stays_a_namespace_package() -> None:
    import gearwork

    assert getattr(gearwork, "__file__", None) is None
