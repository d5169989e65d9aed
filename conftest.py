"""Doctest namespace shared by module docstrings (as Sphinx's ``doctest_global_setup`` does)."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pytest

import randcheck


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace.update(datetime=datetime, np=np, randcheck=randcheck)
