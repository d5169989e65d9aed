"""Old module paths that moved in 0.1.0: each still serves its names for one release, with a
warning (removed in 0.2.0).

A shim module is three lines: its docstring, this import, and
``__getattr__ = moved_module("randcheck.old", "randcheck.new.place")``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["moved_module"]


def moved_module(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for the old path ``old``: the public names of ``new``, each with
    a ``DeprecationWarning`` pointing at the caller's line.

    Private names and the probes of tools (``__test__``, ``pytest_plugins``) raise
    ``AttributeError`` without a warning, as for any module that lacks them.
    """

    def module_getattr(name: str) -> Any:
        module = importlib.import_module(new)
        if name.startswith("_") or not hasattr(module, name):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(
            f"{old} is deprecated: import {name} from {new} (removed in 0.2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(module, name)

    return module_getattr
