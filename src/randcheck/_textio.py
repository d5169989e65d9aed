"""Reading county text files: encodings and byte-order marks, one way for every reader (private).

County systems and Chinese Excel save CSV as UTF-8 (with or without a BOM), as GBK/GB18030 (the
plain "CSV" option of Chinese Excel) or as UTF-16 (Excel's "Unicode text"). Every reader takes an
``encoding`` (default ``"utf-8-sig"``: UTF-8 with or without a BOM); a byte-order mark, when the
file has one, decides over it, since a BOM cannot be mistaken. A UTF-8 failure names the row and
says to try ``gb18030``.
"""

from __future__ import annotations

import codecs
import os
import pathlib
from collections.abc import Callable
from typing import IO, Any

#: Byte-order marks and the encodings they announce (UTF-32 is not met in county exports).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Names that Windows tools show for encodings, and the codecs they mean: Notepad's "ANSI" is
#: GBK on Chinese Windows (read as its superset GB18030), "UTF-8-BOM" is Notepad++'s UTF-8 with
#: a BOM, "Unicode" is Notepad's UTF-16.
_WINDOWS_NAMES = {"ansi": "gb18030", "utf-8-bom": "utf-8-sig", "unicode": "utf-16"}

#: The error for an encoding that Python does not know (``{!r}``: the name given).
UNKNOWN_ENCODING = (
    'unknown encoding {!r}; use utf-8, gb18030 (for GBK, Notepad\'s "ANSI" on Chinese '
    "Windows) or utf-16"
)

#: The hint a UTF-8 failure gives (the command line rewrites ``encoding='gb18030'``).
GB18030_HINT = (
    "save it as UTF-8 or pass the file's encoding, e.g. encoding='gb18030' for a GBK file from "
    "Chinese Excel"
)


def source_name(path: Any) -> str:
    """A file's name for messages: the path, or the handle's ``name``."""
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
    name = getattr(path, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else type(path).__name__


def read_bytes(path: str | os.PathLike[str] | IO[Any], fail: Callable[[str], Exception]) -> bytes:
    """The bytes of a path or a handle (a text handle's text comes back as UTF-8)."""
    if hasattr(path, "read"):
        data = path.read()
        if isinstance(data, bytes):
            return data
        return codecs.BOM_UTF8 + str(data).encode("utf-8", "surrogatepass")
    try:
        return pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise fail(f"cannot open the file: {exc.strerror}") from None


def codec_name(encoding: str) -> str | None:
    """Python's name of the codec ``encoding`` names (a Windows name such as ``"ANSI"`` or
    ``"UTF-8-BOM"`` too, case and ``_``/``-`` aside), or ``None`` for an unknown encoding."""
    if not isinstance(encoding, str):
        return None
    key = encoding.strip().lower().replace("_", "-")
    key = _WINDOWS_NAMES.get(key.replace("utf8", "utf-8"), key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def detect(data: bytes, encoding: str, fail: Callable[[str, int], Exception]) -> tuple[str, int]:
    """The codec to decode ``data`` with, and the length of its BOM (0 if none).

    An unknown ``encoding`` is refused (``fail(message, 0)``) even when a BOM decides.
    """
    name = codec_name(encoding)
    if name is None:
        raise fail(UNKNOWN_ENCODING.format(encoding), 0)
    for bom, announced in _BOMS:
        if data.startswith(bom):
            return announced, len(bom)
    return name, 0


def is_utf8(codec: str) -> bool:
    """Whether ``codec`` (a name :func:`codec_name` gave) is UTF-8, with or without a BOM."""
    return codec in ("utf-8", "utf-8-sig")


def decode(data: bytes, encoding: str, fail: Callable[[str, int], Exception]) -> str:
    """Decode a whole file; ``fail(message, row)`` builds the error for bytes that do not decode.

    The BOM, if any, decides the encoding and is dropped.
    """
    name, skip = detect(data, encoding, fail)
    try:
        text = data[skip:].decode(name)
    except UnicodeDecodeError as exc:
        pos = skip + exc.start
        row = _row_of(data, pos, name)
        hint = f"; {GB18030_HINT}" if is_utf8(name) else ""
        label = "UTF-8" if is_utf8(name) else name
        raise fail(f"is not {label} text ({exc.reason} at byte {pos}){hint}", row) from None
    return text[1:] if text.startswith("\ufeff") else text


def to_utf8(data: bytes, encoding: str, fail: Callable[[str, int], Exception]) -> bytes:
    """The file as UTF-8 bytes without a BOM (UTF-8 input is returned as it is, after checking)."""
    name, skip = detect(data, encoding, fail)
    if is_utf8(name):
        _check_utf8(data, skip, fail)
        return data[skip:] if skip else data
    return decode(data, encoding, fail).encode("utf-8")


def _check_utf8(data: bytes, skip: int, fail: Callable[[str, int], Exception]) -> None:
    """Check UTF-8 a block at a time (bounded memory for a file of 10⁷ rows)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 24
    for start in range(skip, max(len(data), skip + 1), step):
        try:
            decoder.decode(view[start : start + step], final=start + step >= len(data))
        except UnicodeDecodeError as exc:
            pos = max(start + exc.start - len(decoder.getstate()[0]), 0)
            raise fail(
                f"is not UTF-8 text ({exc.reason} at byte {pos}); {GB18030_HINT}",
                data.count(b"\n", 0, pos) + 1,
            ) from None


def _row_of(data: bytes, pos: int, encoding: str) -> int:
    """The 1-based line of byte ``pos`` (UTF-16 newlines are two bytes)."""
    if encoding.startswith("utf-16"):
        newline = "\n".encode(encoding)
        return data[:pos].count(newline) + 1
    return data.count(b"\n", 0, pos) + 1
