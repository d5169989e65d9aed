"""Supervisory revisits (督导回访): a verifiable random draw of completed inspections to recheck.

The 2023 notice asks the bureau to "explore a revisit system" (探索建立双随机抽查工作回访制度)
and to hold to account checks that were perfunctory (走形式) or results entered carelessly
(随意录入). A revisit draw is an official draw like any other: a public seed, a receipt, and
:func:`verify_revisits` to recompute it. Rates may differ by department, lead inspector, the
officer who entered the result, item, or result category.

The recipe ``randcheck-revisit/2``
----------------------------------
1. **Frame.** The results entered (``entered_on``) on or before ``as_of``, identified by their
   ``result_id``. Each gets a stratum label from the plan's ``by``: the department, the lead
   inspector (first listed), the officer who entered it, the item, or the top-level result
   category; one stratum ``""`` without ``by``. Strata are ordered by label (Unicode code points).
2. **Expected sizes.** ``x_h = min(N_h, max(min_h, r_h·N_h))`` with ``r_h`` the plan's rate for the
   label (or its default rate) and ``min_h = min(N_h, min_per_stratum)``.
3. **Sizes.** ``n_h`` from ``x_h`` by systematic rounding
   (:mod:`randcheck.sampling.allocation`) with the start
   ``u = uniform(child(K, "rounding"), "start")``, where ``K`` is the child key
   ``label`` (default ``"revisits"``; one label, a ``/`` in it is an ordinary character) of the
   seed's root key (``randcheck-prn/2``). Each result's
   inclusion probability is ``x_h / N_h``.
4. **Selection.** Each result's number is the ``randcheck-prn/2`` uniform of key ``K`` and its
   ``result_id`` (UTF-8); a stratum takes the ``n_h`` results with the smallest numbers (ties by
   id).
5. **Digests.** The frame digest is ``sha256:`` + SHA-256 of ``"randcheck-revisit-frame/1\\n"``
   followed by one line per frame result in id order: the id, a tab, the stratum label, ``\\n``.
   The sample digest is ``sha256:`` + SHA-256 of ``"randcheck-revisit-sample/1\\n"`` followed by
   the sorted sampled ids, each ending in ``\\n``.

Committed before the seed: :func:`commit_revisits` makes a :class:`~randcheck.Commitment`
(``randcheck-commitment/2``) whose ``roster_digest`` is the frame digest, whose ``plan_digest``
is :func:`revisit_plan_digest` (``randcheck-revisit-plan/1``: the plan and ``as_of``) and whose
path is ``[label]``; ``draw_revisits(..., commitment=)`` and ``verify_revisits(...,
commitment=)`` hold the draw to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from randcheck._dates import CHINA_TZ, to_date
from randcheck._records import JsonRecord, at, canonical_digest, field_error, first_difference
from randcheck._version import library
from randcheck.errors import PlanError, ResultError, VerificationError
from randcheck.randomness import (
    LABEL_REVISITS,
    LABEL_ROUNDING,
    LABEL_START,
    PRN_RECIPE,
    HashSource,
    UniformSource,
    sorted_ids_digest,
    source_for,
)
from randcheck.randomness.seeds import SeedRule
from randcheck.randomness.select import smallest_per_stratum
from randcheck.results.table import ResultTable
from randcheck.results.vocabulary import TOP_CATEGORIES
from randcheck.sampling import allocation
from randcheck.sampling.commitment import Commitment, read_published

__all__ = [
    "REVISIT_BY",
    "REVISIT_OUTCOMES",
    "REVISIT_RECIPE",
    "RevisitDraw",
    "RevisitFinding",
    "RevisitPlan",
    "RevisitReceipt",
    "RevisitReport",
    "commit_revisits",
    "draw_revisits",
    "record_revisits",
    "revisit_plan_digest",
    "verify_revisits",
]

REVISIT_RECIPE: Final = "randcheck-revisit/2"
_FRAME_TAG: Final = "randcheck-revisit-frame/1"
_SAMPLE_TAG: Final = "randcheck-revisit-sample/1"
#: What a revisit draw's commitment fixes as its plan (:func:`revisit_plan_digest`).
REVISIT_PLAN_RECIPE: Final = "randcheck-revisit-plan/1"
#: What a revisit draw may be stratified by.
REVISIT_BY: Final[tuple[str, ...]] = ("department", "inspector", "entered_by", "item", "category")
#: What a revisit can find: the check and its entry hold up (属实), the check was perfunctory
#: (检查走形式), the result was entered inaccurately (结果录入不实), or something else (其他问题).
REVISIT_OUTCOMES: Final[tuple[str, ...]] = ("属实", "检查走形式", "结果录入不实", "其他问题")


def _rate_table(
    value: Mapping[str, float] | Iterable[tuple[str, float]] | None,
) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), float(v)) for k, v in pairs))


@attrs.frozen
class RevisitPlan:
    """How many completed inspections to revisit, per stratum.

    Parameters
    ----------
    by : str, optional
        Stratify by ``"department"``, ``"inspector"`` (the lead inspector), ``"entered_by"``,
        ``"item"`` or ``"category"`` (the top-level result category); ``None`` for one stratum.
    rate : float
        The default share to revisit (default 5%).
    rates : mapping of label to float
        Shares for particular strata (e.g. a department with many complaints, or
        ``{"未发现问题": 0.10}`` to revisit more clean results).
    min_per_stratum : int
        Revisit at least this many in every stratum (all of it if smaller).

    Examples
    --------
    >>> from randcheck.results import RevisitPlan
    >>> p = RevisitPlan(by="category", rate=0.05, rates={"未发现问题": 0.1})
    >>> p.rate_for("未发现问题"), p.rate_for("发现问题经责令已改正")
    (0.1, 0.05)
    """

    by: str | None = None
    rate: float = 0.05
    rates: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_rate_table)
    min_per_stratum: int = 0

    def __attrs_post_init__(self) -> None:
        if self.by is not None and self.by not in REVISIT_BY:
            raise PlanError(f"revisit plan: by = {self.by!r}; use one of {', '.join(REVISIT_BY)}")
        for k, v in (("rate", self.rate), *((f"rates[{k!r}]", v) for k, v in self.rates)):
            if not 0.0 <= v <= 1.0 or math.isnan(v):
                raise PlanError(f"revisit plan: {k} = {v} is outside [0, 1]")
        if self.rates and self.by is None:
            raise PlanError("revisit plan: rates per stratum need by= (what the strata are)")
        if self.min_per_stratum < 0:
            raise PlanError(f"revisit plan: min_per_stratum = {self.min_per_stratum} must be ≥ 0")

    def rate_for(self, label: str) -> float:
        """The rate of the stratum ``label``."""
        return dict(self.rates).get(label, self.rate)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "by": self.by,
            "rate": self.rate,
            "rates": dict(self.rates),
            "min_per_stratum": self.min_per_stratum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RevisitPlan:
        """Read :meth:`to_dict` output."""
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise PlanError(f"revisit plan: {exc}") from None


@attrs.frozen
class RevisitReceipt(JsonRecord):
    """The public record of a revisit draw (format ``randcheck-revisit/2``).

    Fields: ``recipes``, ``library``, ``verifiable``, ``seed``, ``path`` (child-key labels from
    the seed to the draw's key), ``plan``, ``as_of`` (ISO date of the frame), ``frame_size``,
    ``frame_digest``, ``strata`` (label, population, expected, size, probability),
    ``sample_size``, ``sample_digest``, ``sample_ids``, ``drawn_at``, ``drawn_by``.
    """

    format: str
    recipes: Mapping[str, str]
    library: str
    verifiable: bool
    seed: str | None
    path: tuple[str, ...]
    plan: Mapping[str, Any]
    as_of: str
    frame_size: int
    frame_digest: str
    strata: tuple[Mapping[str, Any], ...]
    sample_size: int
    sample_digest: str
    sample_ids: tuple[str, ...]
    drawn_at: str = ""
    drawn_by: str | None = None

    FORMAT: ClassVar[str] = REVISIT_RECIPE
    LABEL: ClassVar[str] = "revisit receipt"
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "strata": {
            "label": str,
            "population": int,
            "expected": float,
            "size": int,
            "probability": float,
        },
        "plan": {
            "by": str | None,
            "rate": float,
            "rates": dict[str, float],
            "min_per_stratum": int,
        },
    }

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        where = at(path, "plan")
        try:
            again = RevisitPlan.from_dict(fields["plan"]).to_dict()
        except (TypeError, ValueError) as exc:
            raise field_error(label, where, f"is not a valid revisit plan: {exc}") from None
        differs = first_difference(again, fields["plan"], where)
        if differs is not None:
            raise field_error(
                label, differs, "not written as randcheck writes this plan (canonical form)"
            )


@attrs.frozen(eq=False)
class RevisitDraw:
    """The results drawn for a revisit.

    Attributes
    ----------
    ids : numpy string array
        The drawn results' ``result_id``, in id order.
    rows : numpy int array
        Their rows in the result table.
    inclusion_probabilities : numpy float array
        Each drawn result's probability, ``x_h / N_h``.
    stratum : numpy int array
        Index into ``strata``.
    strata : tuple of dict
        ``label``, ``population``, ``expected``, ``size``, ``probability`` per stratum.
    receipt : RevisitReceipt
        The public record.
    """

    plan: RevisitPlan
    ids: npt.NDArray[Any]
    rows: npt.NDArray[np.intp]
    inclusion_probabilities: npt.NDArray[np.float64]
    stratum: npt.NDArray[np.intp]
    strata: tuple[Mapping[str, Any], ...]
    receipt: RevisitReceipt

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def id_list(self) -> list[str]:
        """The drawn result ids as ``str``."""
        return [str(v) for v in self.ids.tolist()]


def _labels(results: ResultTable, by: str | None) -> npt.NDArray[Any]:
    n = len(results)
    if by is None:
        return np.full(n, "", dtype=np.dtypes.StringDType())
    if by == "department":
        return results.department
    if by == "item":
        return results.item
    if by == "entered_by":
        return results.entered_by
    if by == "inspector":
        return results.lead_inspector()
    top = np.array(TOP_CATEGORIES, dtype=np.dtypes.StringDType())
    return top[results.top_category()]


def _revisit_frame(
    results: ResultTable,
    plan: RevisitPlan,
    as_of: dt.date,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any], npt.NDArray[Any]]:
    """Frame rows (in id order), their ids and their stratum labels."""
    done = ~np.isnat(results.entered_on) & (results.entered_on <= np.datetime64(as_of, "D"))
    rows = np.flatnonzero(done)
    ids = results.result_id[rows]
    order = np.argsort(ids, kind="stable")
    rows, ids = rows[order], ids[order]
    return rows, ids, _labels(results, plan.by)[rows]


def _frame_digest(ids: npt.NDArray[Any], labels: npt.NDArray[Any]) -> str:
    h = hashlib.sha256(f"{_FRAME_TAG}\n".encode())
    h.update(
        "".join(f"{i}\t{s}\n" for i, s in zip(ids.tolist(), labels.tolist(), strict=True)).encode(
            "utf-8"
        )
    )
    return "sha256:" + h.hexdigest()


def _sample_digest(ids: Iterable[str]) -> str:
    return sorted_ids_digest(_SAMPLE_TAG, ids)


def revisit_plan_digest(plan: RevisitPlan, as_of: dt.date) -> str:
    """What a revisit draw's commitment fixes as its ``plan_digest``
    (``randcheck-revisit-plan/1``): the canonical JSON digest of ``{"as_of": "YYYY-MM-DD",
    "plan": {...}, "recipe": "randcheck-revisit-plan/1"}``."""
    return canonical_digest(
        {"as_of": as_of.isoformat(), "plan": plan.to_dict(), "recipe": REVISIT_PLAN_RECIPE}
    )


def commit_revisits(
    results: ResultTable,
    plan: RevisitPlan,
    *,
    as_of: Any,
    seed_rule: SeedRule,
    seed_from: str,
    label: str = LABEL_REVISITS,
) -> Commitment:
    """The commitment of a revisit draw, to publish once its frame is closed and before its
    seed exists.

    It fixes the frame (the results entered by ``as_of`` and their strata, by the frame
    digest), the plan, ``as_of`` and the key label, and how the seed will be read: nobody can
    then try labels, dates or rates after the seed until a chosen officer's results are spared.

    Examples
    --------
    >>> from randcheck import SeedRule
    >>> from randcheck.results import ResultTable, RevisitPlan
    >>> from randcheck.results import commit_revisits, draw_revisits, verify_revisits
    >>> t = ResultTable.from_columns({
    ...     "result_id": [f"R{i:03d}" for i in range(40)],
    ...     "credit_code": [f"91130634MA{i:08d}" for i in range(40)],
    ...     "item": ["SW-02"] * 40, "categories": ["未发现问题"] * 40,
    ...     "department": ["商务局", "市场监管局"] * 20,
    ...     "inspection_end": ["2023-05-10"] * 40, "entered_on": ["2023-05-12"] * 40})
    >>> plan = RevisitPlan(by="department", rate=0.1)
    >>> c = commit_revisits(t, plan, as_of="2023-06-30",
    ...                     seed_rule=SeedRule.shuangseqiu(date="2023-07-02"),
    ...                     seed_from="福利彩票双色球 2023-07-02")
    >>> r = draw_revisits(t, plan, as_of="2023-06-30",
    ...                   seed="2023-07-02 03 08 14 22 27 31 + 09", commitment=c)
    >>> verify_revisits(r.receipt, t, commitment=c)
    """
    day = to_date(as_of, field="as_of")
    _rows, ids, labels = _revisit_frame(results, plan, day)
    frame = _frame_digest(ids, labels)
    return Commitment.of(frame, revisit_plan_digest(plan, day), (label,), seed_rule, seed_from)


def draw_revisits(
    results: ResultTable,
    plan: RevisitPlan,
    *,
    as_of: Any,
    seed: str | None = None,
    rng: Any = None,
    label: str = LABEL_REVISITS,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
    source: UniformSource | None = None,
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> RevisitDraw:
    """Draw completed inspections to revisit (督导回访), by the recipe ``randcheck-revisit/2``.

    Official draws pass ``seed`` (a public seed: anyone can recompute the draw with
    :func:`verify_revisits`); simulations pass ``rng`` (not publicly verifiable).

    Parameters
    ----------
    results : ResultTable
        The results; those entered on or before ``as_of`` form the frame.
    plan : RevisitPlan
        Strata and rates.
    as_of : date-like
        The frame's date.
    seed, rng
        Exactly one: a public seed (official) or anything ``numpy.random.default_rng`` takes.
    label : str
        The child-key label of this draw (``"revisits"``; e.g. ``"revisits/2023-Q4"`` for a
        second draw from the same seed).
    drawn_by, drawn_at : optional
        For the record.
    source : optional
        A ready source instead of ``seed``/``rng`` (its child ``label`` is used).
    commitment : Commitment, dict, JSON text or path, optional
        The draw's commitment (:func:`commit_revisits`), published before ``seed`` existed: the
        seed is read by its rule, the label is the committed one, and the frame, plan and
        ``as_of`` must be the committed ones. Without it, nothing shows that the label, the
        date or the rates were not chosen after the seed.

    Returns
    -------
    RevisitDraw

    Raises
    ------
    PlanError
        No seed or rng, or an empty seed; with ``commitment``, a seed that does not fit its
        rule, another label, ``rng`` or ``source``, or a frame, plan or date not committed.

    Examples
    --------
    >>> from randcheck.results import ResultTable
    >>> from randcheck.results import RevisitPlan, draw_revisits, verify_revisits
    >>> t = ResultTable.from_columns({
    ...     "result_id": [f"R{i:03d}" for i in range(40)],
    ...     "credit_code": [f"91130634MA{i:08d}" for i in range(40)],
    ...     "item": ["SW-02"] * 40, "categories": ["未发现问题"] * 40,
    ...     "department": ["商务局", "市场监管局"] * 20,
    ...     "inspection_end": ["2023-05-10"] * 40, "entered_on": ["2023-05-12"] * 40})
    >>> r = draw_revisits(t, RevisitPlan(by="department", rate=0.1), as_of="2023-06-30",
    ...                   seed="2023-07-01 回访")
    >>> [(s["label"], s["population"], s["size"]) for s in r.strata]
    [('商务局', 20, 2), ('市场监管局', 20, 2)]
    >>> verify_revisits(r.receipt, t)
    """
    day = to_date(as_of, field="as_of")
    rows, ids, labels = _revisit_frame(results, plan, day)
    if commitment is not None:
        promised = read_published(commitment)
        units: UniformSource = promised.source_for_drawing(
            seed, rng, source, label, LABEL_REVISITS, "revisit draw"
        )
        if (
            _frame_digest(ids, labels) != promised.roster_digest
            or revisit_plan_digest(plan, day) != promised.plan_digest
        ):
            raise PlanError(
                "commitment: the frame (results entered by as_of, their strata), the plan or "
                "as_of is not the committed one; draw what was committed, or publish a new "
                "commitment before a new seed"
            )
    else:
        root = source if source is not None else source_for(seed, rng)
        units = root.child(label)
    keys, st = (
        np.unique(labels, return_inverse=True)
        if rows.size
        else (labels[:0], np.zeros(0, dtype=np.intp))
    )
    st = st.astype(np.intp)
    key_list = [str(k) for k in keys.tolist()]
    pops = np.bincount(st, minlength=len(key_list)).tolist()
    expected = []
    for key, n in zip(key_list, pops, strict=True):
        lo = min(n, plan.min_per_stratum)
        expected.append(float(min(n, max(lo, plan.rate_for(key) * n))))
    start = units.child(LABEL_ROUNDING).uniform(LABEL_START)
    sizes = allocation.systematic_rounding(expected, start, False)
    sizes = [min(s, p) for s, p in zip(sizes, pops, strict=True)]
    u = units.uniforms(ids) if rows.size else np.zeros(0)
    # The selection rule of every draw: the n_h smallest numbers per stratum, ties by id.
    take = (
        np.sort(smallest_per_stratum(st, u, sizes, lambda: ids))  # frame order = id order
        if rows.size
        else np.zeros(0, dtype=np.intp)
    )
    prob = np.array([x / n if n else 0.0 for x, n in zip(expected, pops, strict=True)] or [0.0])
    strata = tuple(
        {"label": k, "population": n, "expected": x, "size": s, "probability": x / n if n else 0.0}
        for k, n, x, s in zip(key_list, pops, expected, sizes, strict=True)
    )
    sample = ids[take]
    described = units.describe()
    id_strs = tuple(str(v) for v in sample.tolist())
    receipt = RevisitReceipt(
        format=REVISIT_RECIPE,
        recipes={"prn": PRN_RECIPE, "revisit": REVISIT_RECIPE},
        library=library(),
        verifiable=units.verifiable,
        seed=described["seed"],
        path=tuple(described["path"]),
        plan=plan.to_dict(),
        as_of=day.isoformat(),
        frame_size=int(rows.shape[0]),
        frame_digest=_frame_digest(ids, labels),
        strata=strata,
        sample_size=len(id_strs),
        sample_digest=_sample_digest(id_strs),
        sample_ids=id_strs if units.verifiable else (),
        drawn_at=(drawn_at or dt.datetime.now(CHINA_TZ)).isoformat(timespec="seconds"),
        drawn_by=drawn_by,
    )
    return RevisitDraw(plan, sample, rows[take], prob[st[take]], st[take], strata, receipt)


def verify_revisits(
    receipt: RevisitReceipt | str | Mapping[str, Any],
    results: ResultTable,
    *,
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> None:
    """Recompute a revisit draw from its receipt and the results; raise if anything differs.

    ``commitment``: the draw's commitment published before its seed (:func:`commit_revisits`),
    checked first: the receipt's frame, plan, ``as_of`` and key path must be the committed
    ones and its seed must be written as the committed rule reads it.

    Raises
    ------
    VerificationError
        The receipt is from a simulation; the frame (results entered by ``as_of``, or their
        strata) differs from the receipt's; or the recomputed sample or strata differ; or it
        was not drawn under the commitment given. ``differences`` lists each finding.
    """
    receipt = RevisitReceipt.read_official(receipt)
    assert receipt.seed is not None
    if commitment is not None:
        found = _committed_findings(receipt, read_published(commitment))
        if found:
            raise VerificationError("revisit verification failed: " + "; ".join(found), found)
    if receipt.recipes.get("revisit") != REVISIT_RECIPE or receipt.recipes.get("prn") != PRN_RECIPE:
        raise VerificationError(
            f"this receipt uses recipes {dict(receipt.recipes)}, which this version of randcheck "
            "does not implement"
        )
    try:
        plan = RevisitPlan.from_dict(receipt.plan)
    except PlanError as exc:
        raise VerificationError(f"the receipt's revisit plan cannot be read: {exc}") from None
    if not receipt.path:
        raise VerificationError("the receipt has no key path")
    try:
        written = to_date(receipt.as_of, field="as_of").isoformat()
    except ValueError as exc:
        raise VerificationError(f"the receipt's as_of cannot be read: {exc}") from None
    if written != receipt.as_of:
        raise VerificationError(
            f"the receipt's as_of {receipt.as_of!r} is not written as randcheck writes it "
            f"({written!r})"
        )
    try:
        source = HashSource.from_seed(receipt.seed).at(receipt.path[:-1])
    except PlanError as exc:
        raise VerificationError(f"the receipt's seed or key path cannot be used: {exc}") from None
    again = draw_revisits(results, plan, as_of=receipt.as_of, source=source, label=receipt.path[-1])
    diffs: list[str] = []
    mine = again.receipt
    if mine.frame_digest != receipt.frame_digest or mine.frame_size != receipt.frame_size:
        diffs.append(
            f"frame changed: {mine.frame_size} results entered by {receipt.as_of} here, "
            f"{receipt.frame_size} in the receipt, or their ids or strata differ"
        )
    if receipt.sample_size != len(receipt.sample_ids):
        diffs.append(
            f"the receipt's sample_size {receipt.sample_size} is not the number of its "
            f"sample_ids ({len(receipt.sample_ids)})"
        )
    if mine.sample_digest != receipt.sample_digest:
        added = sorted(set(mine.sample_ids) - set(receipt.sample_ids))
        removed = sorted(set(receipt.sample_ids) - set(mine.sample_ids))
        diffs.append(
            f"sample differs: recomputing gives {mine.sample_size} results, the receipt lists "
            f"{receipt.sample_size}; {len(removed)} listed but not drawn {removed[:5]}, "
            f"{len(added)} drawn but not listed {added[:5]}"
        )
    elif _sample_digest(receipt.sample_ids) != receipt.sample_digest:
        diffs.append("the receipt's sample_ids do not match its sample_digest")
    if [dict(s) for s in mine.strata] != [dict(s) for s in receipt.strata]:
        diffs.append("strata differ: population or sample sizes per stratum do not match")
    if diffs:
        raise VerificationError("revisit verification failed: " + "; ".join(diffs), diffs)


def _committed_findings(receipt: RevisitReceipt, promised: Commitment) -> list[str]:
    """What differs between a revisit receipt and the commitment published before its seed."""
    try:
        plan = revisit_plan_digest(
            RevisitPlan.from_dict(receipt.plan), to_date(receipt.as_of, field="as_of")
        )
    except (PlanError, ValueError):
        plan = ""
    return promised.findings(
        receipt.frame_digest,
        plan,
        receipt.path,
        receipt.seed,
        roster="the frame",
        plan="the plan or as_of",
    )


# ------------------------------------------------------------------------------ findings
def _revisit_date(value: Any) -> dt.date:
    try:
        return to_date(value, field="revisited_on")
    except ValueError:
        raise ResultError(
            f"field 'revisited_on', value {value!r}: not a date (expected YYYY-MM-DD)"
        ) from None


def _outcomes(value: Any) -> tuple[str, ...]:
    parts = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for p in parts:
        out += [s.strip() for s in str(p).replace("；", ";").split(";") if s.strip()]
    return tuple(o for o in REVISIT_OUTCOMES if o in out) + tuple(
        o for o in out if o not in REVISIT_OUTCOMES
    )


@attrs.frozen
class RevisitFinding:
    """What one revisit found.

    Parameters
    ----------
    result_id : str
        The revisited result.
    revisited_on : datetime.date
        When.
    revisited_by : str
        Who (the supervising unit or officer).
    outcomes : tuple of str
        From :data:`REVISIT_OUTCOMES`: ``属实`` alone, or one or more problems (检查走形式,
        结果录入不实, 其他问题).
    note : str
        Free text.

    Examples
    --------
    >>> from randcheck.results import RevisitFinding
    >>> RevisitFinding("R001", "2023-07-05", "法治办", "检查走形式;结果录入不实").has_problem
    True
    """

    result_id: str
    revisited_on: dt.date = attrs.field(converter=_revisit_date)
    revisited_by: str = ""
    outcomes: tuple[str, ...] = attrs.field(default=("属实",), converter=_outcomes)
    note: str = ""

    def __attrs_post_init__(self) -> None:
        bad = [o for o in self.outcomes if o not in REVISIT_OUTCOMES]
        if bad or not self.outcomes:
            raise ResultError(
                f"revisit of {self.result_id}: field 'outcomes', value {';'.join(self.outcomes)!r}:"
                f" use 属实 or one or more of {', '.join(REVISIT_OUTCOMES[1:])}"
            )
        if "属实" in self.outcomes and len(self.outcomes) > 1:
            raise ResultError(
                f"revisit of {self.result_id}: field 'outcomes': 属实 (confirmed) cannot be "
                "combined with a problem"
            )

    @property
    def has_problem(self) -> bool:
        """Whether the revisit found a problem."""
        return self.outcomes != ("属实",)


@attrs.frozen(eq=False)
class RevisitReport:
    """The findings of a revisit draw, per stratum, with an estimate of the problem share.

    ``rows`` holds, per stratum, ``label``, ``population`` (results in the frame), ``drawn``,
    ``revisited``, ``problems`` and ``share`` (problems ÷ revisited). :attr:`estimate` and
    :attr:`se` estimate the share of *all* completed results with a problem (stratified, with
    finite population correction); :attr:`not_revisited` lists drawn results without a finding.
    """

    rows: tuple[Mapping[str, Any], ...]
    estimate: float
    se: float
    not_revisited: tuple[str, ...]
    findings: tuple[RevisitFinding, ...]

    def to_rows(self) -> list[dict[str, Any]]:
        """The per-stratum tidy table."""
        return [dict(r) for r in self.rows]


def record_revisits(
    revisits: RevisitDraw,
    findings: Iterable[RevisitFinding | Mapping[str, Any]],
    *,
    results: ResultTable | None = None,
) -> RevisitReport:
    """Record what the revisits found and summarise it per stratum.

    Parameters
    ----------
    revisits : RevisitDraw
        The draw.
    findings : iterable of RevisitFinding or dict
        One per revisited result (a dict has the fields of :class:`RevisitFinding`).
    results : ResultTable, optional
        The results, to check that a revisit is not dated before the inspection ended.

    Raises
    ------
    ResultError
        Naming the finding (1-based) whose result was not drawn for revisit, is recorded twice,
        or is dated before the inspection ended; or a finding that cannot be read.

    Examples
    --------
    >>> from randcheck.results import ResultTable
    >>> from randcheck.results import RevisitPlan, draw_revisits, record_revisits
    >>> t = ResultTable.from_columns({
    ...     "result_id": ["R1", "R2", "R3", "R4"], "credit_code": ["91130634MA00000001"] * 4,
    ...     "item": ["SW-01", "SW-02", "SW-03", "SW-04"], "categories": ["未发现问题"] * 4,
    ...     "inspection_end": ["2023-05-10"] * 4, "entered_on": ["2023-05-12"] * 4})
    >>> r = draw_revisits(t, RevisitPlan(rate=0.5), as_of="2023-06-30", seed="s")
    >>> rep = record_revisits(r, [{"result_id": i, "revisited_on": "2023-07-03",
    ...                            "outcomes": "检查走形式"} for i in r.id_list()])
    >>> rep.estimate, rep.se
    (1.0, 0.0)
    """
    drawn = {v: k for k, v in enumerate(revisits.id_list())}
    seen: dict[str, int] = {}
    recs: list[RevisitFinding] = []
    for k, f in enumerate(findings, start=1):
        if not isinstance(f, RevisitFinding):
            try:
                f = RevisitFinding(**dict(f))
            except (TypeError, ValueError) as exc:
                raise ResultError(f"revisit finding {k}: {exc}") from None
        if f.result_id not in drawn:
            raise ResultError(
                f"revisit finding {k}: result {f.result_id!r} was not drawn for revisit"
            )
        if f.result_id in seen:
            raise ResultError(
                f"revisit finding {k}: result {f.result_id!r} is recorded twice (also finding "
                f"{seen[f.result_id]})"
            )
        seen[f.result_id] = k
        if results is not None:
            row = int(revisits.rows[drawn[f.result_id]])
            end = results.inspection_end[row].astype(object)
            if f.revisited_on < end:
                raise ResultError(
                    f"revisit finding {k}: revisited_on {f.revisited_on} is before the "
                    f"inspection ended ({end})"
                )
        recs.append(f)
    k_st = len(revisits.strata)
    st_of = {rid: int(revisits.stratum[i]) for rid, i in drawn.items()}
    done = np.zeros(k_st)
    bad = np.zeros(k_st)
    for f in recs:
        done[st_of[f.result_id]] += 1
        bad[st_of[f.result_id]] += f.has_problem
    rows = []
    total = var = 0.0
    covered = 0.0
    for h, s in enumerate(revisits.strata):
        n_h, m = float(s["population"]), done[h]
        share = float(bad[h] / m) if m else math.nan
        rows.append(
            {
                "label": s["label"],
                "population": int(n_h),
                "drawn": int(s["size"]),
                "revisited": int(m),
                "problems": int(bad[h]),
                "share": share,
            }
        )
        if m:
            covered += n_h
            total += n_h * share
            if m > 1:
                s2 = m / (m - 1) * share * (1 - share)
                var += n_h * n_h * (1 - m / n_h) * s2 / m
    est = float(total / covered) if covered else math.nan
    se = float(math.sqrt(var) / covered) if covered else math.nan
    missing = tuple(i for i in revisits.id_list() if i not in seen)
    return RevisitReport(tuple(rows), est, se, missing, tuple(recs))
