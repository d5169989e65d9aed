"""Loaders for the small lists around the directories: items (抽查事项清单) and conflicts (回避).

The directories themselves load with :meth:`TargetRoster.from_csv <randcheck.TargetRoster.from_csv>`
and :meth:`OfficerRoster.from_csv <randcheck.OfficerRoster.from_csv>`. Errors are
:class:`~randcheck.RosterError` naming the file, the row and the field.
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
import tomllib
from typing import IO, Any

from randcheck.errors import RosterError
from randcheck.models import Conflict, Item

__all__ = ["load_conflicts", "load_items"]

_ITEM_FIELDS = {
    "code": "code",
    "事项编码": "code",
    "编码": "code",
    "name": "name",
    "事项名称": "name",
    "名称": "name",
    "department": "department",
    "部门": "department",
    "实施部门": "department",
    "kind": "kind",
    "事项类别": "kind",
    "类别": "kind",
    "legal_basis": "legal_basis",
    "抽查依据": "legal_basis",
    "依据": "legal_basis",
    "industries": "industries",
    "行业": "industries",
    "适用行业": "industries",
    "tags": "tags",
    "标签": "tags",
    "适用对象标签": "tags",
    "skills": "skills",
    "专长": "skills",
    "所需专长": "skills",
    "method": "method",
    "检查方式": "method",
    "核查方式": "method",
    "rate": "rate",
    "抽查比例": "rate",
    "比例": "rate",
}
#: Keys that an item file may carry for people and that randcheck does not use.
_ITEM_NOTES = {"rate_source", "note", "备注"}
_CONFLICT_FIELDS = {
    "officer_id": "officer_id",
    "执法证号": "officer_id",
    "人员编号": "officer_id",
    "credit_code": "credit_code",
    "统一社会信用代码": "credit_code",
    "reason": "reason",
    "回避事由": "reason",
    "事由": "reason",
}


def _source_name(path: str | os.PathLike[str] | IO[Any]) -> str:
    return str(getattr(path, "name", path))


def _read_bytes(path: str | os.PathLike[str] | IO[bytes]) -> bytes:
    if hasattr(path, "read"):
        data = path.read()
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    try:
        return pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise RosterError(f"cannot open the file: {exc.strerror}", source=str(path)) from None


def _item_from(entry: dict[str, Any], source: str, row: int) -> Item:
    fields: dict[str, Any] = {}
    for key, value in entry.items():
        name = _ITEM_FIELDS.get(str(key).strip())
        if name is None:
            if str(key).strip() in _ITEM_NOTES:
                continue
            raise RosterError(
                "unknown field; items have code, name, department, kind, legal_basis, "
                "industries, tags, skills, method, rate (or their Chinese headers)",
                source=source,
                row=row,
                column=str(key),
            )
        if name == "rate":
            if value in ("", None):
                continue
            try:
                text = str(value).strip()
                value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                raise RosterError(
                    "not a rate; use a fraction such as 0.2 or a percentage such as 20%",
                    source=source,
                    row=row,
                    column=str(key),
                    value=value,
                ) from None
        fields[name] = value
    try:
        return Item(**fields)
    except (TypeError, ValueError) as exc:
        raise RosterError(str(exc), source=source, row=row) from None


def load_items(path: str | os.PathLike[str] | IO[bytes]) -> tuple[Item, ...]:
    """Read an item list (随机抽查事项清单) from TOML (``[[item]]`` tables) or CSV.

    CSV headers may be English field names or Chinese ones (事项编码, 事项名称, 部门, 事项类别,
    抽查依据, 适用行业, 标签, 所需专长, 核查方式, 抽查比例); lists are separated by ``;`` and a
    rate may be written ``0.2`` or ``20%``. Item codes must be unique.

    Examples
    --------
    >>> import io
    >>> text = "事项编码,事项名称,部门,适用行业,抽查比例\\nSW-02,成品油检查,商务局,成品油零售,20%"
    >>> load_items(io.BytesIO(text.encode()))[0].rate
    0.2
    """
    source = _source_name(path)
    raw = _read_bytes(path)
    suffix = pathlib.Path(source).suffix.lower()
    items: list[Item] = []
    if suffix == ".toml":
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RosterError(f"is not valid TOML: {exc}", source=source) from None
        entries = data.get("item")
        if not isinstance(entries, list):
            raise RosterError("needs a list of [[item]] tables", source=source)
        for k, entry in enumerate(entries, start=1):
            items.append(_item_from(dict(entry), source, k))
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RosterError(f"is not UTF-8 text ({exc.reason})", source=source) from None
        for k, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            items.append(_item_from({h: v for h, v in row.items() if h is not None}, source, k))
    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        if item.code in seen:
            raise RosterError(
                "duplicate item code", source=source, row=k + 1, column="code", value=item.code
            )
        seen[item.code] = k
    return tuple(items)


def load_conflicts(path: str | os.PathLike[str] | IO[bytes]) -> tuple[Conflict, ...]:
    """Read declared conflicts (回避) from CSV: ``officer_id``, ``credit_code``, ``reason``
    (or 执法证号, 统一社会信用代码, 回避事由).

    Examples
    --------
    >>> import io
    >>> text = "执法证号,统一社会信用代码,回避事由\\nA001,91350100M000100Y43,亲属关系\\n"
    >>> load_conflicts(io.BytesIO(text.encode()))[0].reason
    '亲属关系'
    """
    source = _source_name(path)
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"is not UTF-8 text ({exc.reason})", source=source) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or ()]
    names = {h: _CONFLICT_FIELDS.get(h) for h in header}
    missing = {"officer_id", "credit_code"} - set(names.values())
    if missing:
        raise RosterError(
            f"required column missing: {', '.join(sorted(missing))}",
            source=source,
            column=sorted(missing)[0],
        )
    out: list[Conflict] = []
    for k, row in enumerate(reader, start=2):
        fields: dict[str, str] = {}
        for h, v in row.items():
            name = names.get(h.strip()) if h else None
            if name is not None:
                fields[name] = v
        try:
            out.append(Conflict(**fields))
        except (TypeError, ValueError) as exc:
            raise RosterError(str(exc), source=source, row=k) from None
    return tuple(out)
