"""The version is written once (pyproject.toml) and read from the package metadata."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest

import randcheck
from randcheck._version import library

PYPROJECT = pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_the_installed_metadata_and_pyproject_version() -> None:
    written = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert randcheck.__version__ == metadata.version("randcheck") == written
    assert library() == f"randcheck {written}"


def test_import_does_not_read_the_metadata() -> None:
    # importlib.metadata costs ~60 ms to import: the version is read on first use only.
    code = "import sys, randcheck; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        randcheck.no_such_name  # type: ignore[attr-defined]  # noqa: B018
