"""Published records (receipts) as JSON: one way to write them and read them back (private)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import attrs

from randcheck.errors import VerificationError


def _plain(value: Any) -> Any:
    """JSON-ready: records by their ``to_dict``, mappings as dicts, tuples as lists."""
    if isinstance(value, JsonRecord):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


class JsonRecord:
    """Mixin for frozen attrs records that are published as JSON.

    ``FORMAT`` is the value of the record's ``format`` field and ``LABEL`` names the record in
    errors. Reading back turns JSON lists into tuples (records are immutable) and applies
    :meth:`_read_fields` for nested records; anything else wrong is a
    :class:`~randcheck.VerificationError` saying what.
    """

    FORMAT: ClassVar[str]
    LABEL: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {k: _plain(v) for k, v in attrs.asdict(self, recurse=False).items()}  # type: ignore[arg-type]

    def to_json(self, indent: int | None = 1) -> str:
        """The record as JSON (sorted keys, UTF-8 characters kept)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=True)

    @classmethod
    def _read_fields(cls, d: dict[str, Any]) -> dict[str, Any]:
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict` output."""
        d = dict(data)
        if d.get("format") != cls.FORMAT:
            raise VerificationError(
                f"{cls.LABEL} format {d.get('format')!r} is not one this version reads "
                f"({cls.FORMAT})"
            )
        try:
            d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
            return cls(**cls._read_fields(d))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, VerificationError):
                raise
            raise VerificationError(f"{cls.LABEL} is incomplete or malformed: {exc}") from None

    @classmethod
    def read_official(cls, value: Any) -> Self:
        """A record from itself, its dict or its JSON text, refusing a simulation's.

        Raises
        ------
        VerificationError
            If it cannot be read, or was made with ``rng=`` (not publicly verifiable).
        """
        if isinstance(value, str):
            record = cls.from_json(value)
        elif isinstance(value, cls):
            record = value
        else:
            record = cls.from_dict(value)
        if not getattr(record, "verifiable", False) or getattr(record, "seed", None) is None:
            raise VerificationError(
                f"this {cls.LABEL} is from a simulation (rng=), which is not publicly "
                "verifiable; only draws made with seed= can be verified"
            )
        return record

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Read :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise VerificationError(f"{cls.LABEL} JSON: {exc}") from None
        if not isinstance(data, Mapping):
            raise VerificationError(f"{cls.LABEL} JSON: expected an object")
        return cls.from_dict(data)
