"""Checks of an argument that must be a file path, or must be a roster already loaded.

A roster passed where a Parquet file's path belongs (``draw_parquet(roster, ...)``) or a path
passed where a loaded roster belongs (``draw("targets.parquet", ...)``) would otherwise fail deep
inside pyarrow or numpy with words about neither. These checks say what was given and which
function takes it.
"""

from __future__ import annotations

import os
from typing import Any

from randcheck.errors import RosterError

__all__ = ["file_path", "loaded_roster"]

_LOADERS = "TargetRoster.from_csv, from_excel or from_parquet"


def file_path(
    value: Any,
    what: str,
    loaded: str = "draw with randcheck.draw and check a receipt with randcheck.verify",
) -> str | os.PathLike[str]:
    """``value`` if it is a path; else a :class:`RosterError` naming what was given and, for a
    roster already loaded, what to do with it instead (``loaded``)."""
    if isinstance(value, (str, os.PathLike)):
        return value
    given = type(value).__name__
    hint = (
        f"; for a roster already in memory, {loaded}"
        if hasattr(value, "digest")
        else "; for a table in memory use TargetRoster.from_arrow or from_dataframe"
    )
    raise RosterError(f"{what} needs the path of a Parquet file, got a {given}{hint}")


def loaded_roster(value: Any, kind: type, what: str) -> None:
    """Refuse anything but a loaded roster of ``kind``, saying how to load a path."""
    if isinstance(value, kind):
        return
    hint = ""
    if isinstance(value, (str, os.PathLike)):
        hint = (
            f"; load {os.fspath(value)!s} first ({_LOADERS}), or draw from a Parquet file "
            "larger than memory with randcheck.draw_parquet"
        )
    raise RosterError(f"{what} needs a {kind.__name__}, got a {type(value).__name__}{hint}")
