"""Small things many test files need: known credit codes, a file writer, a code builder.

The sampling builders (vectorized codes, rosters, commitments) are in ``_sampling_helpers.py``;
the county fixture is in ``conftest.py``.
"""

from __future__ import annotations

import pathlib

from randcheck import credit_code_check_character

#: A valid code from the GB 32100-2015 standard's own example (福建, area 350100).
A = "91350100M000100Y43"
#: Valid codes of the example county (area 130634), check characters computed.
B = "91130634MA07RWXK3" + credit_code_check_character("91130634MA07RWXK3")
C = "91130634MA0000000" + credit_code_check_character("91130634MA0000000")
#: ``A`` with a wrong check character: a legacy (or mistyped) code.
LEGACY = "91350100M000100Y44"
#: Letters where the area code's digits belong (positions 3–8).
LETTER_AREA = "91ABCDEFM000100Y4" + credit_code_check_character("91ABCDEFM000100Y4")


def credit_code(k: int) -> str:
    """The ``k``-th valid code ``91130634MA`` + 7 digits + check character (k < 10⁷)."""
    body = f"91130634MA{k:07d}"
    return body + credit_code_check_character(body)


def write(
    path: pathlib.Path, text: str, encoding: str = "utf-8", *, bom: bool = False
) -> pathlib.Path:
    """Write ``text`` to ``path`` in ``encoding`` (with a UTF-8 byte-order mark if ``bom``)."""
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path
