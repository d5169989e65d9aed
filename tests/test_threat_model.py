"""The threat model's evidence: every test the page names exists, and the page names enough."""

from __future__ import annotations

import ast
import functools
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "explanation" / "threat-model.rst"
CITED = re.compile(r"``(tests/[\w/]+\.py)::(\w+)``")


def _cited() -> list[tuple[str, str]]:
    return CITED.findall(PAGE.read_text(encoding="utf-8"))


@functools.cache  # the page cites some files dozens of times: parse each once
def _tests_in(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    missing = [
        f"{file}::{name}"
        for file, name in _cited()
        if not (ROOT / file).is_file() or name not in _tests_in(ROOT / file)
    ]
    assert missing == []


def test_the_threat_model_backs_each_actor_with_tests() -> None:
    text = PAGE.read_text(encoding="utf-8")
    sections = re.split(r"\n([^\n]+)\n-{3,}\n", text)
    by_title = dict(zip(sections[1::2], sections[2::2], strict=True))
    for actor in ("The drawer", "The directory keeper", "An insider who edits files later"):
        assert len(CITED.findall(by_title[actor])) >= 5, actor
    assert len(CITED.findall(by_title["The public"])) >= 3
