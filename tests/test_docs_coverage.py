"""Every public name is documented: the front door's and every subpackage's ``__all__``.

A name counts as documented when the reference pages (``docs/reference/*.rst``) name it in an
autodoc directive (``autoclass``, ``autofunction``, ``autodata``, ...) under any path that reaches
the same object, or document a module with ``:members:`` that exports it. Sphinx fails the
build on a path that does not import (``docs/conf.py`` suppresses nothing), so together the two
checks say: each public name has a page, and each page's name exists.
"""

from __future__ import annotations

import functools
import importlib
import pathlib
import re
from typing import Any

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
DIRECTIVE = re.compile(r"^\.\. auto(\w+):: ([\w.]+)\s*$", re.M)
PACKAGES = [
    "randcheck",
    "randcheck.calendar",
    "randcheck.joint",
    "randcheck.matching",
    "randcheck.randomness",
    "randcheck.results",
    "randcheck.roster",
    "randcheck.sampling",
]


def _resolve(path: str) -> Any:
    """The object a dotted path names (a module, or an attribute of one)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


@functools.cache  # every package's test reads the same pages
def _documented() -> set[int]:
    """Ids of the objects the reference pages document."""
    ids: set[int] = set()
    for page in sorted((DOCS / "reference").glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        for match in DIRECTIVE.finditer(text):
            kind, path = match.groups()
            obj = _resolve(path)
            ids.add(id(obj))
            if kind != "module":
                continue
            # The directive's options, up to the first blank line; ":members:" alone documents
            # the module's __all__, ":members: a, b" (continued on indented lines) those names.
            options = text[match.end() :].split("\n\n", 1)[0]
            listed = re.search(r":members:(.*?)(?=\n\s*:|\Z)", options, re.S)
            if listed is None:
                continue
            names = [n for n in re.split(r"[\s,]+", listed.group(1)) if n]
            for name in names or getattr(obj, "__all__", []):
                ids.add(id(getattr(obj, name)))
    return ids


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_reference_entry(package: str) -> None:
    module = importlib.import_module(package)
    ids = _documented()
    missing = []
    for name in module.__all__:
        if name == "__version__":
            continue
        obj = getattr(module, name)
        if id(obj) in ids:
            continue
        missing.append(f"{package}.{name}")
    assert missing == [], f"public names without a reference entry: {missing}"


def test_the_front_door_holds_a_years_nouns_and_verbs_only() -> None:
    import randcheck

    # About 35 names (issue 16); the rest live in, and are documented with, their packages.
    assert 30 <= len(randcheck.__all__) <= 40
