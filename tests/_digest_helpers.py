"""The roster fingerprint recipe (``randcheck-roster/2``) written out by hand, as a test oracle."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

MASK = (1 << 64) - 1


def id_key(unit_id: str) -> int:
    """The recipe's 64-bit id key, one byte string at a time."""
    data = unit_id.encode("utf-8")
    data_padded = data + b"\x00" * (-len(data) % 8)
    h = len(data)
    for (w,) in struct.iter_unpack("<Q", data_padded):
        z = h ^ w
        z ^= z >> 30
        z = (z * 0xBF58476D1CE4E5B9) & MASK
        z ^= z >> 27
        z = (z * 0x94D049BB133111EB) & MASK
        h = z ^ (z >> 31)
    return h


def digest_by_hand(
    rows: Sequence[Sequence[str]], header: Sequence[str], recipe: str = "randcheck-roster/2"
) -> str:
    """The digest of rows of canonical texts (the id first) under ``recipe``."""
    buckets: dict[int, list[tuple[int, bytes, str]]] = {b: [] for b in range(256)}
    for row in rows:
        key = id_key(row[0])
        buckets[key >> 56].append((key, row[0].encode("utf-8"), "\t".join(row) + "\n"))
    root = hashlib.sha256(f"{recipe}\n{chr(9).join(header)}\n{len(rows)}\n".encode())
    for b in range(256):
        text = "".join(line for _, _, line in sorted(buckets[b]))
        root.update(hashlib.sha256(text.encode("utf-8")).digest())
    return "sha256:" + root.hexdigest()
