"""One ``verify`` for every public record: a draw's receipt, a batch's receipt, an archive."""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

from randcheck.errors import VerificationError
from randcheck.roster import TargetRoster
from randcheck.sampling import Receipt, SamplingPlan

__all__ = ["verify"]


def verify(
    receipt: Any,
    roster: TargetRoster | None = None,
    *,
    plan: SamplingPlan | None = None,
) -> None:
    """Recompute a published record and raise :class:`~randcheck.VerificationError` if it differs.

    Parameters
    ----------
    receipt
        A draw's :class:`~randcheck.Receipt`, a batch's :class:`~randcheck.BatchReceipt`, either
        as an object, a dict or JSON text; or the path of an archive folder or zip written by
        :func:`~randcheck.write_archive` (then ``roster`` is not needed).
    roster : TargetRoster
        The directory the draw claims to come from.
    plan : SamplingPlan, optional
        The announced plan, compared with a draw receipt's.

    Raises
    ------
    VerificationError
        Saying what differs: the roster, the plan, the sample, a batch item or the merge, or
        an archive file.

    Examples
    --------
    >>> county = randcheck.example_county()
    >>> plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    >>> d = randcheck.draw(county.targets, plan, seed="2023-03-07")
    >>> randcheck.verify(d.receipt.to_json(), county.targets)
    """
    if isinstance(receipt, (os.PathLike, pathlib.Path)) or (
        isinstance(receipt, str) and not receipt.lstrip().startswith("{")
    ):
        from randcheck.archive import verify_archive

        verify_archive(receipt)
        return
    if roster is None:
        raise VerificationError("verify needs the roster the draw was made from")
    data: Any = receipt
    if isinstance(receipt, str):
        try:
            data = json.loads(receipt)
        except json.JSONDecodeError as exc:
            raise VerificationError(f"receipt JSON: {exc}") from None
    fmt = data.get("format") if isinstance(data, Mapping) else getattr(data, "format", None)
    if fmt == "randcheck-batch/2":
        from randcheck.joint import verify_batch

        verify_batch(data, roster)
        return
    from randcheck.sampling import verify as verify_draw

    if not isinstance(data, (Receipt, Mapping)):
        raise VerificationError(f"cannot read a receipt from {type(receipt).__name__}")
    verify_draw(data, roster, plan=plan)
