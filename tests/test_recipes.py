"""The recipe registry (``randcheck.recipes``) lists every recipe the code spells, where it is
spelled, and nothing else: a new or retired recipe cannot be added without it."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from randcheck.archive import RETIRED_ARCHIVE_RECIPES
from randcheck.recipes import RECIPES, RETIRED_RECIPES

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "randcheck"
NAME = re.compile(r"randcheck-[a-z0-9]+(?:-[a-z0-9]+)*/[0-9]+")
#: How a registry line names the module that makes the recipe's bytes.
MODULE = re.compile(r"; in `(randcheck(?:\.\w+)+)`$")


def _literals(path: pathlib.Path) -> set[str]:
    """The recipe names a module's code spells: in strings and bytes (docstrings included), not
    in comments (the reference verifier's section headings are comments)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            names.update(NAME.findall(text))
    return names


def _files_of(module: str) -> list[pathlib.Path]:
    """The source files of a module: its ``.py`` file, or every file of its package."""
    path = SRC.parent.joinpath(*module.split("."))
    if path.with_suffix(".py").is_file():
        return [path.with_suffix(".py")]
    return sorted(path.rglob("*.py"))


#: The recipe names each module spells, the registry itself left out.
SPELLED = {p: _literals(p) for p in sorted(SRC.rglob("*.py")) if p.name != "recipes.py"}


def test_the_two_tables_do_not_overlap() -> None:
    assert set(RECIPES).isdisjoint(RETIRED_RECIPES)


def test_every_recipe_the_code_spells_is_registered() -> None:
    known = set(RECIPES) | set(RETIRED_RECIPES)
    unknown = {str(p.relative_to(SRC)): sorted(n - known) for p, n in SPELLED.items() if n - known}
    assert unknown == {}


def test_every_registered_recipe_is_spelled_somewhere() -> None:
    spelled = set().union(*SPELLED.values())
    assert set(RECIPES) - spelled == set()
    assert set(RETIRED_RECIPES) - spelled - _in_docs_and_changelog() == set()


def _in_docs_and_changelog() -> set[str]:
    root = SRC.parents[1]
    texts = [root / "CHANGELOG.md", *sorted((root / "docs").rglob("*.rst"))]
    return set().union(*(NAME.findall(p.read_text(encoding="utf-8")) for p in texts))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_each_recipe_is_spelled_in_the_module_the_registry_names(name: str) -> None:
    found = MODULE.search(RECIPES[name])
    assert found, f"{name}: the line does not end with '; in `randcheck.<module>`'"
    files = _files_of(found.group(1))
    assert files, f"{name}: no module {found.group(1)}"
    assert any(name in SPELLED[f] for f in files), (name, found.group(1))


def test_the_archive_refuses_a_retired_recipe_for_the_registered_reason() -> None:
    assert dict(RETIRED_ARCHIVE_RECIPES) == {
        k: v for k, v in RETIRED_RECIPES.items() if k.startswith("randcheck-archive/")
    }


def test_a_retired_reason_names_what_replaced_it_or_what_was_wrong() -> None:
    for name, why in RETIRED_RECIPES.items():
        assert why, name
        assert why == why.strip(), name
        successor = NAME.findall(why)
        assert all(s in RECIPES or s in RETIRED_RECIPES for s in successor), (name, successor)
