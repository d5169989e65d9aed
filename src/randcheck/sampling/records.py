"""What a draw returns and publishes: :class:`Draw` and its :class:`Receipt`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck._records import JsonRecord, at, field_error
from randcheck.errors import PlanError
from randcheck.randomness import (
    normalise_seed,
)
from randcheck.roster import (
    TargetRoster,
)
from randcheck.sampling.commitment import check_plan_record
from randcheck.sampling.plan import RECEIPT_FORMAT, STRATUM_FIELDS, SamplingPlan, Stratum


@attrs.frozen
class Receipt(JsonRecord):
    """The public record of a draw: enough for anyone to recompute it with :func:`verify`.

    Fields: ``format`` (``randcheck-receipt/2``), ``recipes`` (names of the randomness, design,
    roster and sample recipes used), ``library`` (randcheck version), ``verifiable`` (False for
    simulations), ``seed``, ``path`` (child-key labels from the seed to the draw's source, empty
    for a stand-alone draw) and ``stream`` (the child key label of the unit numbers), ``plan``
    (the plan as a dict), ``roster_digest`` and ``roster_size``, ``eligible``, ``strata``,
    ``sample_size``, ``sample_digest`` (``sha256:`` of ``"randcheck-sample/1\\n"`` followed by the
    sorted credit codes, each ending in ``\\n``; empty for simulations), ``sample_ids`` (empty for
    simulations),
    ``commitment`` (optional), ``seed_rule`` and ``seed_from`` (the committed seed rule, as its
    dict, and source; ``None`` without a commitment), ``warnings`` (e.g. that an official draw
    was made without a commitment),
    ``drawn_at`` (ISO time, China Standard Time) and ``drawn_by`` (optional).
    """

    format: str
    recipes: Mapping[str, str]
    library: str
    verifiable: bool
    seed: str | None
    path: tuple[str, ...]
    stream: str
    plan: Mapping[str, Any]
    roster_digest: str
    roster_size: int
    eligible: int
    strata: tuple[Mapping[str, Any], ...]
    sample_size: int
    sample_digest: str
    sample_ids: tuple[str, ...]
    commitment: str | None = None
    seed_rule: Mapping[str, Any] | None = None
    seed_from: str | None = None
    warnings: tuple[str, ...] = ()
    drawn_at: str = ""
    drawn_by: str | None = None

    FORMAT: ClassVar[str] = RECEIPT_FORMAT
    LABEL: ClassVar[str] = "receipt"
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {"strata": STRATUM_FIELDS}

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        check_plan_record(fields["plan"], label, at(path, "plan"))
        if fields["seed"] is not None:
            try:
                normalise_seed(fields["seed"])
            except PlanError as exc:
                raise field_error(label, at(path, "seed"), str(exc)) from None
        for i, code in enumerate(fields["sample_ids"]):
            if not (code.isascii() and code.isprintable() and code.strip() == code and code):
                raise field_error(
                    label,
                    at(at(path, "sample_ids"), i),
                    f"{code!r} is not a target id (printable ASCII, no spaces)",
                )


_Arrays = tuple[
    npt.NDArray[np.bytes_], npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.intp]
]


_ByRow = tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.intp]]


def _read_only(arrays: _ByRow) -> _ByRow:
    """Views that cannot be written: what :meth:`Draw.by_row` hands out is also the draw's."""
    views = tuple(a.view() for a in arrays)
    for v in views:
        v.flags.writeable = False
    return views  # type: ignore[return-value]


class _Sample:
    """A draw's ``(ids, rows, π, stratum)`` in credit-code order, made when first read.

    A simulation hands over a function that gathers and orders them (:func:`draws.finish`),
    and its ``(rows, π, stratum)`` in roster order: replicates that read only sizes, strata or
    the rows in roster order never pay for the credit-code order, and the function runs at most
    once (under a lock, so two threads reading at once get the same arrays). A copy or pickle
    holds the arrays, never the function.
    """

    __slots__ = ("_arrays", "_by_row", "_lock", "_make", "size")

    def __init__(
        self,
        arrays: _Arrays | None,
        size: int,
        make: Callable[[], _Arrays] | None = None,
        by_row: _ByRow | None = None,
    ) -> None:
        self._arrays = arrays
        self._make = make
        self._by_row = None if by_row is None else _read_only(by_row)
        self._lock = threading.Lock()
        self.size = size

    @property
    def arrays(self) -> _Arrays:
        if self._arrays is None:
            with self._lock:
                if self._arrays is None:
                    assert self._make is not None
                    self._arrays = self._make()
                    self._make = None  # drop what it held (the roster's id column)
                    self._by_row = None  # not kept twice: made again from these if asked
        return self._arrays

    @property
    def by_row(self) -> _ByRow:
        by_row = self._by_row
        if by_row is None:
            _, rows, pi, stratum = self.arrays
            order = np.argsort(rows, kind="stable")
            by_row = self._by_row = _read_only((rows[order], pi[order], stratum[order]))
        return by_row

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Sample, (self.arrays, self.size))


@attrs.frozen(eq=False, init=False)
class Draw:
    """The result of :func:`draw`: the sample, its probabilities, its strata and its receipt.

    Attributes
    ----------
    ids : numpy array of ``S18``
        Credit codes of the drawn targets, in credit-code order.
    rows : numpy array of int
        Their rows in the roster, aligned with ``ids``.
    inclusion_probabilities : numpy array of float
        Each drawn target's first-order inclusion probability under the design, aligned with
        ``ids`` (for πps, the design's target π; see the explanation page).
    stratum : numpy array of int
        Index into ``strata`` of each drawn target.
    strata : tuple of Stratum
        Population and sample sizes per stratum.
    receipt : Receipt
        The public record.

    A simulation's four arrays are put in credit-code order when one of them is first read
    (gathering and sorting the ids: at 10⁷ targets and 3%, about as long as a replicate draw
    itself). A simulation that needs only which rows were drawn, with their probabilities and
    strata, reads them in roster order with :meth:`by_row`, which sorts nothing.
    """

    plan: SamplingPlan
    strata: tuple[Stratum, ...]
    receipt: Receipt
    _sample: _Sample = attrs.field(repr=False)

    def __init__(
        self,
        plan: SamplingPlan,
        ids: npt.NDArray[np.bytes_],
        rows: npt.NDArray[np.intp],
        inclusion_probabilities: npt.NDArray[np.float64],
        stratum: npt.NDArray[np.intp],
        strata: tuple[Stratum, ...],
        receipt: Receipt,
    ) -> None:
        arrays = (ids, rows, inclusion_probabilities, stratum)
        self.__attrs_init__(plan, strata, receipt, _Sample(arrays, int(ids.shape[0])))

    @classmethod
    def ordered_when_read(
        cls,
        plan: SamplingPlan,
        by_row: _ByRow,
        make: Callable[[], _Arrays],
        strata: tuple[Stratum, ...],
        receipt: Receipt,
    ) -> Draw:
        """A draw whose ``(rows, π, stratum)`` in roster order are ``by_row`` (rows ascending)
        and whose arrays in credit-code order ``make()`` returns, called when first read."""
        out = cls.__new__(cls)
        sample = _Sample(None, int(by_row[0].shape[0]), make, by_row)
        out.__attrs_init__(plan, strata, receipt, sample)
        return out

    def by_row(self) -> _ByRow:
        """``(rows, inclusion_probabilities, stratum)`` of the drawn targets in roster order.

        The same targets as :attr:`rows` (which follow the credit-code order), sorted by their
        row in the roster: for a simulation, nothing is gathered or sorted (the draw finds its
        sample in roster order), so replicates that only look rows up, e.g. an outcome
        ``y[rows] / π``, skip the cost of the credit-code order. The arrays are read-only (copy
        them to change them).

        Examples
        --------
        >>> import randcheck
        >>> county = randcheck.example_county()
        >>> plan = randcheck.SamplingPlan(overall_rate=0.03)
        >>> d = randcheck.draw(county.targets, plan, rng=7)
        >>> rows, pi, stratum = d.by_row()
        >>> bool((rows[1:] > rows[:-1]).all()), sorted(rows.tolist()) == sorted(d.rows.tolist())
        (True, True)
        """
        return self._sample.by_row

    @property
    def ids(self) -> npt.NDArray[np.bytes_]:
        return self._sample.arrays[0]

    @property
    def rows(self) -> npt.NDArray[np.intp]:
        return self._sample.arrays[1]

    @property
    def inclusion_probabilities(self) -> npt.NDArray[np.float64]:
        return self._sample.arrays[2]

    @property
    def stratum(self) -> npt.NDArray[np.intp]:
        return self._sample.arrays[3]

    def __len__(self) -> int:
        return self._sample.size

    @property
    def verifiable(self) -> bool:
        """Whether the draw was made from a public seed (an official draw)."""
        return self.receipt.verifiable

    def id_list(self) -> list[str]:
        """Drawn credit codes as ``str``."""
        return [b.decode("ascii") for b in self.ids.tolist()]

    def to_columns(self, roster: TargetRoster | None = None) -> dict[str, npt.NDArray[Any]]:
        """Tidy columns: credit code, stratum label, inclusion probability, design weight.

        With the roster the draw was made from, the enterprise's name (企业名称) and area are
        added after the credit code, as a published list of drawn targets (抽查名单) shows them.
        """
        labels = np.array(
            ["/".join(s.key) for s in self.strata] or [""], dtype=np.dtypes.StringDType()
        )
        out: dict[str, npt.NDArray[Any]] = {"credit_code": np.strings.decode(self.ids, "ascii")}
        if roster is not None:
            if len(self) and (
                int(self.rows.max()) >= len(roster)
                or not np.array_equal(roster.credit_code[self.rows], self.ids)
            ):
                raise PlanError("to_columns: this is not the roster the draw was made from")
            out["name"] = roster.name[self.rows]
            out["area"] = roster.area.labels()[self.rows]
        out["stratum"] = labels[self.stratum] if len(self) else labels[:0]
        out["inclusion_probability"] = self.inclusion_probabilities
        out["weight"] = 1.0 / self.inclusion_probabilities
        return out

    def to_frame(self, roster: TargetRoster | None = None) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns(roster))

    def to_arrow(self, roster: TargetRoster | None = None) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns(roster))

    def to_excel(
        self,
        path: str | os.PathLike[str],
        roster: TargetRoster | None = None,
        *,
        headers: str = "en",
    ) -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(roster), headers=headers)

    def to_csv(
        self,
        path: str | os.PathLike[str],
        roster: TargetRoster | None = None,
        *,
        encoding: str = "utf-8",
        headers: str = "en",
    ) -> None:
        """The same columns as CSV; ``encoding="utf-8-sig"`` for Excel, ``headers="zh"``."""
        _tables.write_csv(path, self.to_columns(roster), encoding=encoding, headers=headers)

    def _repr_html_(self) -> str:
        """Jupyter's preview: the size and recipe, then the first drawn targets."""
        kind = "official draw" if self.receipt.verifiable else "simulation"
        title = f"Draw: {len(self):,} targets ({kind}, {len(self.strata)} strata)"
        return _tables.preview_html(title, self.to_columns(), len(self))
