"""Published records as JSON: one strict way to read them, one canonical way to write them.

Private module.

Every record randcheck publishes (a commitment, a draw's receipt, a batch's, a revisit's…) is
an attrs class with the :class:`JsonRecord` mixin. Reading is strict, because a published record
must say one thing only:

* the JSON text must parse, with no key twice in one object and no ``NaN``/``Infinity``;
* no two keys of one object may be the same label after NFKC normalisation and case folding
  (``{"A": 0.01, "a": 0.5}`` would otherwise let the reader pick which rate it means);
* every field is known and present (the canonical form writes them all, defaults included),
  and each has its declared JSON type (``true`` is not a number, ``1.5`` is not a whole number);
* a record's own invariants hold (its ``_check`` hook), e.g. a receipt's plan is a valid plan
  written exactly as randcheck writes it.

Anything else is a :class:`~randcheck.VerificationError` naming the record and the dotted path
of the field (``receipt: plan.rates.a: …``, ``batch receipt: draws[1].strata[0].size: …``).

The canonical serialisation (recipe ``randcheck-canonical-json/1``) is JSON with keys sorted by
code point, separators ``,`` and ``:`` without spaces, characters outside ASCII written as
themselves, in UTF-8, numbers as Python writes them (the shortest text that reads back to the
same float), ``NaN`` and ``Infinity`` refused. A record's :meth:`JsonRecord.canonical_digest` is
``sha256:`` followed by the SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import types
import typing
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import attrs

from randcheck.errors import VerificationError

CANONICAL_JSON_RECIPE = "randcheck-canonical-json/1"


# ------------------------------------------------------------------------ canonical form
def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON (``randcheck-canonical-json/1``).

    Raises
    ------
    ValueError
        If ``value`` holds ``NaN`` or an infinity, which JSON cannot state.
    """
    return json.dumps(
        _plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def canonical_digest(value: Any) -> str:
    """``sha256:`` + SHA-256 of the UTF-8 bytes of :func:`canonical_json`."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """JSON-ready: records by their ``to_dict``, mappings as dicts, tuples as lists."""
    if isinstance(value, JsonRecord):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------------ strict parsing
def at(path: str, key: str | int) -> str:
    """The dotted path of ``key`` under ``path`` (``plan.rates.A``, ``strata[2]``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def field_error(label: str, path: str, message: str) -> VerificationError:
    """The error for a field of a record: ``"<label>: <path>: <message>"``."""
    return VerificationError(f"{label}: {path}: {message}" if path else f"{label}: {message}")


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers keys it saw more than once."""

    repeated: list[str]


class _NonFinite:
    """Stands in for ``NaN``/``Infinity`` (or a number too large for a float) until reported."""

    def __init__(self, text: str) -> None:
        self.text = text


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.repeated = []
    for k, v in pairs:
        if k in obj:
            obj.repeated.append(k)
        obj[k] = v
    return obj


def _number(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def label_class(label: str) -> str:
    """The class a label belongs to: NFKC, case folded, NFKC again (``"Ａ"``, ``"a"`` → ``"a"``)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).casefold())


def _clean(value: Any, label: str, path: str) -> Any:
    """Plain JSON values, after refusing repeated keys, colliding labels and non-finite numbers."""
    if isinstance(value, Mapping):
        for k in getattr(value, "repeated", ()):
            raise field_error(label, at(path, k), "this key appears twice in one object")
        seen: dict[str, str] = {}
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise field_error(label, path, f"key {k!r} is not a string")
            other = seen.setdefault(label_class(k), k)
            if other != k:
                raise field_error(
                    label,
                    at(path, k),
                    f"keys {other!r} and {k!r} name one label (the same after NFKC and case "
                    "folding); a record must say one thing",
                )
            out[k] = _clean(v, label, at(path, k))
        return out
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):  # fast path: a draw's sample ids
            return list(value)
        return [_clean(v, label, at(path, i)) for i, v in enumerate(value)]
    if isinstance(value, _NonFinite) or (isinstance(value, float) and not math.isfinite(value)):
        text = value.text if isinstance(value, _NonFinite) else repr(value)
        raise field_error(label, path, f"{text} is not a finite number")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise field_error(label, path, f"{type(value).__name__} is not a JSON value")


def strict_loads(text: str | bytes, label: str) -> Any:
    """Parse JSON text strictly (see the module docstring); plain dicts, lists and scalars.

    Raises
    ------
    VerificationError
        Naming ``label`` and the path of the first problem.
    """
    return _clean(parse_json(text, label), label, "")


def parse_json(text: str | bytes, label: str) -> Any:
    """JSON text parsed, with repeated keys and non-finite numbers marked, not yet refused.

    :meth:`JsonRecord.from_dict` (or :func:`strict_loads`) refuses them, naming the record it
    turned out to be; only a syntax error is refused here.
    """
    try:
        data = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_NonFinite, parse_float=_number
        )
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VerificationError(f"{label} JSON: {exc}") from None
    except RecursionError:
        raise VerificationError(f"{label} JSON: nested too deeply") from None
    return data


# ------------------------------------------------------------------------ typed fields
_NONE = type(None)
#: JSON scalar types: ``true`` is neither a whole number nor a number.
_SCALARS: dict[Any, Callable[[Any], bool]] = {
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
}


def _expected(tp: Any) -> str:
    if tp is bool:
        return "true or false"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is _NONE else _expected(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "a list"
    return "an object"


def read_value(value: Any, tp: Any, label: str, path: str, *, freeze: bool = True) -> Any:
    """``value`` (clean JSON) checked against the annotation ``tp``.

    Knows ``str``, ``int``, ``float``, ``bool``, ``Any``, ``X | None``, ``tuple[X, ...]``,
    ``list[X]``, ``Mapping[str, X]`` and :class:`JsonRecord` types. With ``freeze`` lists become
    tuples where the annotation says tuple (a record's own fields); without, the JSON shape is
    kept (the content of a ``Mapping[str, Any]`` field).
    """
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and _NONE in args:
            return None
        rest = [a for a in args if a is not _NONE]
        if len(rest) == 1:
            if value is None or (rest[0] in _SCALARS and not _SCALARS[rest[0]](value)):
                raise field_error(label, path, f"expected {_expected(tp)}, got {_shown(value)}")
            return read_value(value, rest[0], label, path, freeze=freeze)
        raise TypeError(f"read_value does not know the annotation {tp!r}")
    ok: bool
    if tp in _SCALARS:
        ok = _SCALARS[tp](value)
    elif origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise field_error(label, path, f"expected a list, got {_shown(value)}")
        inner = args[0]
        if inner is str and all(type(v) is str for v in value):  # fast path: sample ids
            return tuple(value) if freeze and origin is tuple else list(value)
        items = [
            read_value(v, inner, label, at(path, i), freeze=freeze) for i, v in enumerate(value)
        ]
        return tuple(items) if freeze and origin is tuple else items
    elif origin in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise field_error(label, path, f"expected an object, got {_shown(value)}")
        return {
            k: read_value(v, args[1], label, at(path, k), freeze=freeze) for k, v in value.items()
        }
    elif isinstance(tp, type) and issubclass(tp, JsonRecord):
        return tp._read(value, label, path)
    else:
        raise TypeError(f"read_value does not know the annotation {tp!r}")
    if not ok:
        raise field_error(label, path, f"expected {_expected(tp)}, got {_shown(value)}")
    return value


def read_object(value: Any, fields: Mapping[str, Any], label: str, path: str) -> dict[str, Any]:
    """A JSON object with exactly ``fields`` (name → annotation), its JSON shape kept."""
    if not isinstance(value, Mapping):
        raise field_error(label, path, f"expected an object, got {_shown(value)}")
    for k in value:
        if k not in fields:
            raise field_error(
                label, at(path, k), f"unknown field; known: {', '.join(sorted(fields))}"
            )
    for k in fields:
        if k not in value:
            raise field_error(label, at(path, k), "missing")
    return {k: read_value(value[k], fields[k], label, at(path, k), freeze=False) for k in fields}


def first_difference(mine: Any, theirs: Any, path: str) -> str | None:
    """The dotted path where two JSON values first differ in canonical form, or None."""
    if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
        for k in sorted(set(mine) | set(theirs)):
            if k not in mine or k not in theirs:
                return at(path, k)
            found = first_difference(mine[k], theirs[k], at(path, k))
            if found is not None:
                return found
        return None
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        if len(mine) != len(theirs):
            return path
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            found = first_difference(a, b, at(path, i))
            if found is not None:
                return found
        return None
    return None if canonical_json(mine) == canonical_json(theirs) else path


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


# ------------------------------------------------------------------------ the mixin
class JsonRecord:
    """Mixin for frozen attrs records that are published as JSON.

    ``FORMAT`` is the value of the record's ``FORMAT_FIELD`` field (``format`` unless the record
    says otherwise) and ``LABEL`` names the record in errors. Reading (:meth:`from_json`,
    :meth:`from_dict`) is strict, field by field from the attrs annotations (nested records are
    read as records), then the record's :meth:`_check` hook tests its own invariants. Every
    problem is a :class:`~randcheck.VerificationError` naming the field's dotted path.
    """

    FORMAT: ClassVar[str]
    FORMAT_FIELD: ClassVar[str] = "format"
    LABEL: ClassVar[str]
    #: The shape of ``Mapping[str, Any]`` fields (or each item of a tuple of them) whose content
    #: is fixed: field name → (name of each key → annotation). Read with :func:`read_object`.
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {k: _plain(v) for k, v in attrs.asdict(self, recurse=False).items()}  # type: ignore[arg-type]

    def to_json(self, indent: int | None = 1) -> str:
        """The record as JSON for people to read (sorted keys, UTF-8 characters kept).

        Reading it back gives the same record; :meth:`canonical_json` is the one form that
        :meth:`canonical_digest` hashes.
        """
        return json.dumps(
            self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=True, allow_nan=False
        )

    def canonical_json(self) -> str:
        """The record's canonical JSON (recipe ``randcheck-canonical-json/1``)."""
        return canonical_json(self.to_dict())

    def canonical_digest(self) -> str:
        """``sha256:`` + SHA-256 of :meth:`canonical_json` (UTF-8): names this record exactly."""
        return canonical_digest(self.to_dict())

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        """Raise :func:`field_error` if the fields read break the record's invariants.

        ``label`` names the record being read and ``path`` this record's place in it.
        """

    @classmethod
    def _read(cls, data: Any, label: str, path: str) -> Self:
        if not isinstance(data, Mapping):
            raise field_error(
                label, path, f"expected a {cls.LABEL} (an object), got {_shown(data)}"
            )
        fmt = data.get(cls.FORMAT_FIELD)
        if fmt != cls.FORMAT:
            raise field_error(
                label,
                at(path, cls.FORMAT_FIELD),
                f"{cls.LABEL} format {fmt!r} is not one this version reads ({cls.FORMAT})",
            )
        fields = attrs.fields(cls)  # type: ignore[arg-type]
        names = {f.name for f in fields}
        for k in data:
            if k not in names:
                raise field_error(
                    label, at(path, k), f"unknown field of a {cls.LABEL} ({cls.FORMAT})"
                )
        hints = _hints(cls)
        values = {}
        for f in fields:
            if f.name not in data:  # even one with a default: the canonical form has them all
                raise field_error(label, at(path, f.name), f"missing from the {cls.LABEL}")
            value = read_value(data[f.name], hints[f.name], label, at(path, f.name))
            schema = cls.SCHEMAS.get(f.name)
            if schema is not None and isinstance(value, tuple):
                value = tuple(
                    read_object(v, schema, label, at(at(path, f.name), i))
                    for i, v in enumerate(value)
                )
            elif schema is not None:
                value = read_object(value, schema, label, at(path, f.name))
            values[f.name] = value
        cls._check(values, label, path)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, VerificationError):
                raise
            raise field_error(label, path, f"{cls.LABEL} is malformed: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict` output (or a parsed JSON object) strictly."""
        return cls._read(_clean(data, cls.LABEL, ""), cls.LABEL, "")

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Read :meth:`to_json` or :meth:`canonical_json` output strictly."""
        return cls._read(strict_loads(text, cls.LABEL), cls.LABEL, "")

    @classmethod
    def read(cls, value: Any) -> Self:
        """A record from itself, its dict or its JSON text (strictly read)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, (str, bytes)):
            return cls.from_json(value)
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        raise VerificationError(
            f"cannot read a {cls.LABEL} from {type(value).__name__}; give the record, its dict "
            "or its JSON text"
        )

    @classmethod
    def read_official(cls, value: Any) -> Self:
        """A record from itself, its dict or its JSON text, refusing a simulation's.

        Raises
        ------
        VerificationError
            If it cannot be read, or was made with ``rng=`` (not publicly verifiable).
        """
        record = cls.read(value)
        if not getattr(record, "verifiable", False) or getattr(record, "seed", None) is None:
            raise VerificationError(
                f"this {cls.LABEL} is from a simulation (rng=), which is not publicly "
                "verifiable; only draws made with seed= can be verified"
            )
        return record
