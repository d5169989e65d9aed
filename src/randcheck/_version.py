"""The package version, read from the installed metadata on first use (private).

``pyproject.toml`` is the one place the version is written; receipts and records name the
library that wrote them with :func:`library`. Reading is deferred: ``importlib.metadata``
costs about 60 ms to import, a tenth of ``import randcheck``.
"""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The installed version of randcheck (``0+unknown`` in a source tree never installed)."""
    from importlib import metadata  # deferred: see the module docstring

    try:
        return metadata.version("randcheck")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def library() -> str:
    """``randcheck <version>``, as receipts and records name the library that wrote them."""
    return f"randcheck {version()}"
