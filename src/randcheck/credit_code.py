"""Deprecated alias of :mod:`randcheck.roster.credit_code` (removed in 0.2.0)."""

import importlib
import warnings
from typing import Any

_NEW = "randcheck.roster.credit_code"


def __getattr__(name: str) -> Any:
    module = importlib.import_module(_NEW)
    if name.startswith("_") or not hasattr(module, name):  # dunders and probes: no warning
        raise AttributeError(f"module 'randcheck.credit_code' has no attribute {name!r}")
    warnings.warn(
        f"randcheck.credit_code is deprecated: import {name} from {_NEW}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(module, name)
