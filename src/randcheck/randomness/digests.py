"""The digest of a drawn sample: what a receipt publishes so that the sample cannot be swapped.

Recipes ``randcheck-sample/1`` (an official draw) and ``randcheck-revisit-sample/1`` (a revisit
draw) are the same construction with their own tag: ``sha256:`` + the hex SHA-256 of the tag, a
newline, then every id in byte order, each followed by a newline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["sorted_ids_digest"]


def sorted_ids_digest(
    tag: str, ids: Iterable[str] | npt.NDArray[np.bytes_], *, presorted: bool = False
) -> str:
    """``sha256:`` + SHA-256 of ``tag + "\\n"`` and the ids in byte order, each + ``"\\n"``.

    ``ids`` are strings (hashed as UTF-8; their byte order is their code-point order) or a
    numpy ``S`` array. ``presorted``: the caller guarantees a numpy ``ids`` is in byte order.

    Examples
    --------
    >>> sorted_ids_digest("randcheck-sample/1", ["B", "A"]) == sorted_ids_digest(
    ...     "randcheck-sample/1", ["A", "B"])
    True
    """
    head = f"{tag}\n".encode()
    if isinstance(ids, np.ndarray) and ids.dtype == np.dtype("S18") and ids.size:
        v = np.ascontiguousarray(ids).view(np.uint8).reshape(-1, 18)
        if v.all() and (presorted or not (ids[1:] < ids[:-1]).any()):  # full codes, sorted
            lines = np.empty((v.shape[0], 19), dtype=np.uint8)
            lines[:, :18] = v
            lines[:, 18] = 10
            h = hashlib.sha256(head)
            h.update(lines.data)
            return "sha256:" + h.hexdigest()
    if isinstance(ids, np.ndarray):
        raw = sorted(ids.tolist())
    else:
        raw = sorted(i.encode("utf-8") for i in ids)
    body = b"\n".join(raw) + b"\n" if raw else b""
    return "sha256:" + hashlib.sha256(head + body).hexdigest()
