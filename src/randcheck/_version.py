"""The package version, read once from the installed metadata (private).

``pyproject.toml`` is the one place the version is written; receipts and records name the
library that wrote them with :data:`LIBRARY`.
"""

from __future__ import annotations

from importlib import metadata


def _installed_version() -> str:
    try:
        return metadata.version("randcheck")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


VERSION = _installed_version()
LIBRARY = f"randcheck {VERSION}"
