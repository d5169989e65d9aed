"""Deprecated alias of :mod:`randcheck.models` (removed in 0.2.0)."""

import importlib
import warnings
from typing import Any

_NEW = "randcheck.models"


def __getattr__(name: str) -> Any:
    value = getattr(importlib.import_module(_NEW), name)  # AttributeError: not a moved name
    warnings.warn(
        f"randcheck.visits is deprecated: import {name} from {_NEW} (removed in 0.2.0)",
        DeprecationWarning,
        stacklevel=2,
    )
    return value
