"""The front door and its deprecations: the names that left ``randcheck`` for their packages, and
the old module paths, still work for one release and warn (removed in 0.2.0)."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest

import randcheck

SRC = pathlib.Path(randcheck.__file__).resolve().parent
#: Old flat module paths kept as deprecation shims (a module whose docstring says so).
SHIM_MODULES = sorted(
    f"randcheck.{p.stem}"
    for p in SRC.glob("*.py")
    if p.read_text(encoding="utf-8").lstrip('"').startswith("Deprecated alias of")
)


def test_the_front_door_is_small_and_sorted() -> None:
    # ruff's isort-style order (RUF022): constants, then classes, then functions.
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)

    assert randcheck.__all__ == sorted(randcheck.__all__, key=kind)
    assert len(randcheck.__all__) <= 40
    assert set(randcheck.__all__).isdisjoint(randcheck._MOVED)


def test_every_front_door_name_is_there_without_a_warning() -> None:
    for name in randcheck.__all__:
        assert getattr(randcheck, name) is not None, name


def test_star_import_warns_nothing_and_gives_the_front_door() -> None:
    names: dict[str, object] = {}
    exec("from randcheck import *", names)
    assert set(names) - {"__builtins__"} == set(randcheck.__all__)


@pytest.mark.parametrize("name", sorted(randcheck._MOVED))
def test_a_moved_name_warns_and_is_the_same_object(name: str) -> None:
    module = randcheck._MOVED[name]
    with pytest.warns(DeprecationWarning, match=rf"^randcheck\.{name} is deprecated") as caught:
        old = getattr(randcheck, name)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        f"randcheck.{name} is deprecated: use 'from {module} import {name}' "
        "(the top-level name goes in randcheck 0.2.0)"
    )
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert old is getattr(importlib.import_module(module), name)


def test_from_import_of_a_moved_name_warns() -> None:
    with pytest.warns(DeprecationWarning, match=r"randcheck\.Visit is deprecated"):
        from randcheck import Visit  # noqa: F401


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'randcheck' has no attribute 'draw_lots'"):
        randcheck.draw_lots  # noqa: B018


def test_the_version_is_there_without_a_warning() -> None:
    assert isinstance(randcheck.__version__, str)


def test_there_are_shim_modules() -> None:
    assert "randcheck.credit_code" in SHIM_MODULES


@pytest.mark.parametrize("old", SHIM_MODULES)
def test_an_old_module_path_warns_and_gives_the_new_modules_names(old: str) -> None:
    shim = importlib.import_module(old)
    new = importlib.import_module(shim._NEW)
    public = [n for n in getattr(new, "__all__", dir(new)) if not n.startswith("_")]
    assert public, old
    for name in public:
        with pytest.warns(DeprecationWarning, match=f"{old} is deprecated"):
            value = getattr(shim, name)
        assert value is getattr(new, name)


def test_importing_randcheck_warns_nothing() -> None:
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import randcheck, randcheck.recipes"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stderr) == (0, "")
