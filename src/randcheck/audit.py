"""One ``verify`` for every public record: commitment, draw, batch, joint task, revisit, archive.

Each kind of record is one row of :data:`VERIFIERS`: its format name, its record class (read
strictly, see :class:`~randcheck.sampling.Receipt`) and the function that recomputes it. A new
kind of record registers with one :class:`RecordKind` entry.
"""

from __future__ import annotations

import os
import pathlib
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from randcheck._records import JsonRecord, parse_json
from randcheck.archive import verify_archive
from randcheck.errors import VerificationError
from randcheck.joint import BatchReceipt, verify_batch
from randcheck.matching import MatchingRecord, SweepRecord, verify_matching, verify_sweep
from randcheck.results import ResultTable, RevisitReceipt, verify_revisits
from randcheck.roster import TargetRoster
from randcheck.sampling import Commitment, Receipt, SamplingPlan
from randcheck.sampling import verify as verify_draw

__all__ = ["VERIFIERS", "RecordKind", "verify", "verify_commitment"]


def verify_commitment(
    commitment: Commitment | str | Mapping[str, Any],
    roster: TargetRoster,
    *,
    plan: SamplingPlan | None = None,
) -> None:
    """Check that a published commitment was made for ``roster`` (and ``plan``, if given).

    Reading the commitment already checks that its digest follows from its fields.

    Raises
    ------
    VerificationError
        If the roster's (or the plan's) digest is not the one committed to.
    """
    c = Commitment.read(commitment)
    diffs = []
    if roster.digest() != c.roster_digest:
        diffs.append(
            f"roster changed: the commitment's roster digest is {c.roster_digest}; this "
            f"roster's is {roster.digest()}"
        )
    if plan is not None and plan.digest() != c.plan_digest:
        diffs.append(
            f"plan changed: the commitment's plan digest is {c.plan_digest}; this plan's is "
            f"{plan.digest()}"
        )
    if diffs:
        raise VerificationError("commitment does not verify: " + "; ".join(diffs), diffs)


@attrs.frozen
class RecordKind:
    """One kind of published record that :func:`verify` knows.

    Attributes
    ----------
    record : type
        The record class (a strict JSON record with ``FORMAT`` and ``LABEL``).
    check : callable
        ``check(record, against, **options)``: recomputes the record, raises
        :class:`~randcheck.VerificationError` if anything differs.
    against : type
        What the record is checked against (e.g. :class:`~randcheck.TargetRoster`).
    against_words : str
        The same in words, for messages (``"roster"``).
    """

    record: type[JsonRecord]
    check: Callable[..., None]
    against: type
    against_words: str

    @property
    def format(self) -> str:
        """The record's format name (its ``format``, or a commitment's ``recipe``)."""
        return self.record.FORMAT


#: The record kinds :func:`verify` dispatches on, by format name.
VERIFIERS: dict[str, RecordKind] = {
    kind.format: kind
    for kind in (
        RecordKind(Commitment, verify_commitment, TargetRoster, "roster"),
        RecordKind(Receipt, verify_draw, TargetRoster, "roster"),
        RecordKind(BatchReceipt, verify_batch, TargetRoster, "roster"),
        RecordKind(RevisitReceipt, verify_revisits, ResultTable, "result table"),
        RecordKind(
            MatchingRecord,
            lambda record, against, **options: verify_matching(record, *against, **options),
            tuple,
            "visits and officer roster as a pair (visits, officers)",
        ),
        RecordKind(
            SweepRecord,
            lambda record, against, **options: verify_sweep(record, *against, **options),
            tuple,
            "visits and officer roster as a pair (visits, officers)",
        ),
    )
}


def _kind_of(data: Any) -> RecordKind:
    for kind in VERIFIERS.values():
        if isinstance(data, kind.record):
            return kind
    if isinstance(data, Mapping):
        for kind in VERIFIERS.values():
            if data.get(kind.record.FORMAT_FIELD) == kind.format:
                return kind
        shown = data.get("format", data.get("recipe"))
        raise VerificationError(
            f"record: format {shown!r} is not one this version verifies; known: "
            + ", ".join(sorted(VERIFIERS))
        )
    raise VerificationError(
        f"cannot read a record from {type(data).__name__}; give the record, its dict, its JSON "
        "text, or the path of an archive"
    )


def verify(record: Any, against: Any = None, /, **options: Any) -> None:
    """Recompute a published record and raise :class:`~randcheck.VerificationError` if it differs.

    One entry point for every record randcheck publishes; it reads the record strictly (a
    repeated key, two keys naming one label, an unknown, missing or mistyped field is a
    :class:`~randcheck.VerificationError` naming the field) and hands it to the verifier of its
    kind in :data:`VERIFIERS`:

    .. list-table::
       :header-rows: 1

       * - record
         - ``against``
         - options
       * - :class:`~randcheck.Commitment`
         - the roster
         - ``plan``
       * - :class:`~randcheck.sampling.Receipt` (a draw)
         - the roster
         - ``plan``, ``workers``, ``commitment`` (the one published before the seed),
           ``accept_retired``
       * - :class:`~randcheck.joint.BatchReceipt` (a batch or a joint task)
         - the roster
         - ``items``, ``plans``, ``commitment``, ``accept_retired``
       * - :class:`~randcheck.results.RevisitReceipt`
         - the result table
         -
       * - :class:`~randcheck.matching.MatchingRecord`
         - ``(visits, officers)``
         - ``conflicts``, ``history``, ``as_of``, ``unknown_conflicts``, ``check_optimum``
       * - :class:`~randcheck.matching.SweepRecord`
         - ``(visits, officers)``
         - ``conflicts``, ``history``, ``as_of``, ``unknown_conflicts``
       * - an archive folder or zip
         - (nothing)
         - as :func:`~randcheck.archive.verify_archive`

    Parameters
    ----------
    record
        The record as an object, a dict or JSON text, or the path of its file; or the path of
        an archive folder or zip written by :func:`~randcheck.write_archive`.
    against
        What the record claims to come from (see the table); not given for an archive.
    **options
        Passed to the kind's verifier (see the table).

    Raises
    ------
    VerificationError
        The record cannot be read strictly, is of an unknown kind, or does not recompute;
        ``differences`` lists each finding.

    Examples
    --------
    >>> county = randcheck.example_county()
    >>> plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    >>> d = randcheck.draw(county.targets, plan, seed="2023-03-07")
    >>> randcheck.verify(d.receipt.to_json(), county.targets)
    >>> rule = randcheck.SeedRule.dice(6, date="2023-03-07")
    >>> c = randcheck.commit(county.targets, plan, seed_rule=rule,
    ...                      seed_from="six ten-sided dice rolled at the 2023-03-07 meeting")
    >>> randcheck.verify(c.to_json(), county.targets)
    """
    if isinstance(record, (os.PathLike, pathlib.Path)) or (
        isinstance(record, str) and not record.lstrip().startswith("{")
    ):
        path = pathlib.Path(record)
        if not (path.is_file() and not zipfile.is_zipfile(path)):
            verify_archive(record, **options)
            return
        try:  # a record's file (receipt.json…): read it as its JSON text
            record = path.read_bytes()
        except OSError as exc:
            raise VerificationError(f"{path}: cannot read ({exc.strerror})") from None
    # Parse first, then read strictly as the kind the record turns out to be (so that errors
    # name it: "receipt: plan.rates.a: …").
    data = parse_json(record, "record") if isinstance(record, (str, bytes)) else record
    kind = _kind_of(data)
    if not isinstance(against, kind.against):
        hint = ""
        if isinstance(against, (str, os.PathLike)):
            hint = (
                f"; load {against!s} first (e.g. TargetRoster.from_csv or from_parquet), or for "
                "a Parquet roster larger than memory use randcheck.verify_parquet"
            )
        raise VerificationError(
            f"verify needs the {kind.against_words} ({kind.against.__name__}) to check a "
            f"{kind.record.LABEL} against, got {type(against).__name__}{hint}"
        )
    kind.check(kind.record.read(data), against, **options)
