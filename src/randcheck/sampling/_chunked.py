"""An official draw computed from the parts of a roster: out of core, and on a Dask cluster.

The parts are rosters holding some of a roster's rows (the row groups of a Parquet file, say),
each validated on its own with rows numbered as in the whole file. A draw then needs, in order:

1. **A census** (:class:`Census`, one pass): per part, the eligible rows' strata, their counts and
   the exact sums of their scores (πps), the largest score, and what the plan's names are checked
   against (risk classes, labels, tags, columns). Counts and exact sums add up, in any order and
   any grouping, to the whole roster's. The roster's fingerprint is accumulated in the same pass
   (:class:`~randcheck.roster.RosterDigest`, its buckets split in ranges that are stored or sent
   apart).
2. From the census alone, as in memory: the strata in label order, the expected sizes
   ``x_h``, the sizes ``n_h`` (their rounding starts come from the seed and the strata's keys).
3. **The largest scores** (:class:`TopScores`, one pass, only for πps when some target may be
   taken with certainty): step 5's capping only ever takes a stratum's largest scores, at most
   ``n_h`` of them, so each stratum's ``n_h + 1`` largest scores decide it, and with it a
   threshold per stratum above which a target is capped.
4. **The candidates** (:class:`Candidates`, one pass): per part, every eligible target's number
   (``randcheck-prn/2``: its own id and the key alone) and rank, and per stratum the ``n_h``
   smallest ``(rank, credit code)`` pairs; merging parts keeps the ``n_h`` smallest of the
   union, so the result is the ``n_h`` smallest of the whole stratum whatever the split.

Everything else of the receipt (π, strata, sample digest) is computed from these by the same
functions as the in-memory draw, so the receipt is the same, byte for byte.
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _arrow
from randcheck.errors import RosterError
from randcheck.randomness import UniformSource
from randcheck.randomness.select import smallest_per_stratum
from randcheck.roster import RISK_LETTERS, RosterDigest, TargetRoster
from randcheck.roster.tables import pack_columns, unpack_columns
from randcheck.sampling._design import Design, build_design, check_names, expected_sizes, key_order
from randcheck.sampling._pps import pareto_ranks, pps_probabilities, pps_scale
from randcheck.sampling.draws import rounded_sizes
from randcheck.sampling.plan import SamplingPlan

__all__ = ["Candidates", "Census", "DigestSpill", "Frame", "TopScores"]

Key = tuple[str, ...]
DIGEST_RANGES = 32  # bucket ranges of the fingerprint, stored or reduced apart
SPILL_BUDGET = 1 << 29  # bytes of the fingerprint's lines kept in memory before writing them
# ... unless all of the roster's lines will fit in this (estimated from the parts so far): a
# roster of up to about 10⁷ rows then never writes its lines to disk and reads them back.
SPILL_WHOLE = 1 << 30
HOLD_BUDGET = 1 << 30  # bytes of the parts' columns kept in memory for the later passes


def read_options(
    legacy_codes: bool, unknown_columns: str, extra: Iterable[str] | None
) -> dict[str, Any]:
    """The directory loader's options as the row-group readers take them (``extra`` a list)."""
    return {
        "legacy_codes": legacy_codes,
        "unknown_columns": unknown_columns,
        "extra": None if extra is None else list(extra),
    }


def part_design(part: TargetRoster, plan: SamplingPlan, first_row: int) -> Design:
    """The design quantities of one part (rows numbered from ``first_row`` in errors)."""
    return build_design(part, plan, exact=True, part=first_row)


def needed_columns(plan: SamplingPlan) -> frozenset[str]:
    """The columns a plan's design reads (after the census has validated every column)."""
    el = plan.eligibility
    out = {TargetRoster.ID, "risk_class", "status", *plan.strata}
    if el.industries is not None:
        out.add("industry")
    if el.areas is not None or el.area_prefix is not None:
        out.add("area")
    if el.tags is not None:
        out.add("tags")
    if el.recent_days is not None:
        out.add("last_inspected")
    if plan.attention != "none":
        out |= {"abnormal", "complaints"}
    if plan.size_column is not None:
        out.add(plan.size_column)
    return frozenset(out)


def _eligible(design: Design) -> npt.NDArray[np.intp]:
    return np.arange(design.size, dtype=np.intp) if design.rows is None else design.rows


# ---------------------------------------------------------------------------- pass 1: census
@attrs.define
class Census:
    """What the design needs from the whole roster, summed over parts (:meth:`merge`)."""

    rows: int = 0
    populations: dict[Key, int] = attrs.Factory(dict)
    score_sums: dict[Key, Fraction] = attrs.Factory(dict)
    score_max: float = 0.0
    risk: dict[str, int] = attrs.Factory(dict)
    labels: dict[str, dict[str, int]] = attrs.Factory(dict)  # industry, area, status
    tags: dict[str, bool] = attrs.Factory(dict)  # tag name -> carried by some target
    extra: tuple[str, ...] = ()

    @classmethod
    def of(cls, part: TargetRoster, plan: SamplingPlan, first_row: int) -> Census:
        design = part_design(part, plan, first_row)
        out = cls(rows=len(part), extra=part.extra_columns, risk=part.risk_counts())
        out.populations = dict(zip(design.keys, design.populations, strict=True))
        if design.score_sums is not None:
            out.score_sums = {
                k: Fraction(t) for k, t in zip(design.keys, design.score_sums, strict=True)
            }
            out.score_max = design.score_max if design.size else 0.0
        el = plan.eligibility
        for field, wanted in (
            ("industry", el.industries),
            ("area", el.areas),
            ("status", el.statuses),
        ):
            if wanted is not None:
                cat = getattr(part, field)
                counts = np.bincount(cat.codes, minlength=len(cat.categories)).tolist()
                out.labels[field] = {
                    c: int(n) for c, n in zip(cat.categories, counts, strict=False)
                }
        if el.tags is not None:
            out.tags = {t: bool(part.tags.mask_any([t]).any()) for t in part.tags.names}
        return out

    def merge(self, other: Census) -> Census:
        """Add another part's census (or a merged group of parts); returns self."""
        if self.rows == 0 and not self.extra:
            self.extra = other.extra
        self.rows += other.rows
        for k, n in other.populations.items():
            self.populations[k] = self.populations.get(k, 0) + n
        for k, t in other.score_sums.items():
            self.score_sums[k] = self.score_sums.get(k, Fraction(0)) + t
        self.score_max = max(self.score_max, other.score_max)
        for c, n in other.risk.items():
            self.risk[c] = self.risk.get(c, 0) + n
        for field, counts in other.labels.items():
            mine = self.labels.setdefault(field, {})
            for c, n in counts.items():
                mine[c] = mine.get(c, 0) + n
        for tag, present in other.tags.items():
            self.tags[tag] = self.tags.get(tag, False) or present
        return self

    # The checks of the plan's names (sampling._check_names) ask these.
    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.extra

    def risk_counts(self) -> dict[str, int]:
        return {c: n for c in RISK_LETTERS if (n := self.risk.get(c, 0))}

    def label_counts(self, field: str) -> dict[str, int]:
        return self.labels.get(field, {})

    def tag_names(self) -> tuple[str, ...]:
        return tuple(self.tags)

    def has_tag(self, tag: str) -> bool:
        return self.tags.get(tag, False)


@attrs.define
class Frame:
    """The whole roster's design, from its census: strata, sizes, πps scale (no row data)."""

    plan: SamplingPlan
    design: Design  # keys, populations, expected sizes, score totals; no rows
    sizes: list[int]
    index: dict[Key, int]
    # πps: (c_h, threshold_h) for the draw's sizes and for ⌊x_h⌋ and ⌊x_h⌋ + 1 (π); a
    # target is capped (λ = 1) when its score is at or above its stratum's threshold.
    scales: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] | None = None

    @classmethod
    def of(cls, census: Census, plan: SamplingPlan, units: UniformSource) -> Frame:
        keys = sorted(census.populations, key=key_order)
        populations = [census.populations[k] for k in keys]
        check_names(census, plan, {k[0] for k in keys if k[0] in RISK_LETTERS})
        k = len(keys)
        sums = [census.score_sums[key] for key in keys] if plan.within == "pps" else None
        design = Design(
            None,
            sum(populations),
            np.zeros(0, dtype=np.intp),
            np.arange(max(k, 1), dtype=np.intp),
            keys,
            populations,
            [],
            np.zeros(0) if sums is not None else None,
            list[Fraction | float](sums) if sums is not None else None,
            census.score_max,
        )
        design.expected = expected_sizes(plan, keys, populations)
        sizes = rounded_sizes(plan, design, units)
        return cls(plan, design, sizes, {key: i for i, key in enumerate(keys)})

    def needed_sizes(self) -> dict[str, list[int]]:
        """The sample sizes whose πps scale is needed: the draw's, and π's two."""
        d = self.design
        lo = [min(math.floor(x), p) for x, p in zip(d.expected, d.populations, strict=True)]
        hi = [min(math.floor(x) + 1, p) for x, p in zip(d.expected, d.populations, strict=True)]
        return {"draw": self.sizes, "lo": lo, "hi": hi}

    def scales_without_scores(self) -> bool:
        """Set :attr:`scales` if no target can be capped (no pass over the scores needed)."""
        out = {}
        probe = attrs.evolve(self.design, size=0, memo={})  # no rows: the scores are not here
        for name, sizes in self.needed_sizes().items():
            c, capped = pps_scale(probe, sizes, exact=True)
            if capped is not None:  # someone may reach λ = 1: the largest scores decide
                return False
            out[name] = (c, np.full(len(c), np.inf))
        self.scales = out
        return True

    def top_counts(self) -> npt.NDArray[np.intp]:
        """How many of each stratum's largest scores :class:`TopScores` keeps."""
        need = np.max([np.asarray(s) for s in self.needed_sizes().values()], axis=0)
        out: npt.NDArray[np.intp] = np.minimum(need + 1, self.design.populations).astype(np.intp)
        return out

    def set_scales(self, top: TopScores) -> None:
        """The πps scales from each stratum's largest scores (the capping takes only those)."""
        k = len(self.design.keys)
        pops = np.asarray(self.design.populations)
        mini = attrs.evolve(
            self.design,
            size=int(top.scores.shape[0]),
            code=top.strata,
            scores=top.scores,
            stratum_of=None,
            memo={},
        )
        kept = np.bincount(top.strata, minlength=k)
        out = {}
        for name, sizes in self.needed_sizes().items():
            c, capped = pps_scale(mini, sizes, exact=True)
            threshold = np.full(k, np.inf)
            if capped is not None and capped.any():
                st, s = top.strata[capped], top.scores[capped]
                np.minimum.at(threshold, st, s)
                full = np.bincount(st, minlength=k) >= kept
                if (full & (kept < pops)).any():  # pragma: no cover - excluded by the recipe
                    raise AssertionError("the capping reached past the largest scores kept")
            out[name] = (c, threshold)
        self.scales = out

    def strata_of(self, design: Design) -> npt.NDArray[np.intp]:
        """The whole roster's stratum index of every eligible row of a part's design."""
        try:
            g = np.array([self.index[k] for k in design.keys], dtype=np.intp)
        except KeyError as exc:
            raise RosterError(
                f"stratum {list(exc.args[0])} appeared in a later pass over the roster but not "
                "in the first: the file changed while it was read"
            ) from None
        return g[design.stratum_of] if design.keys else np.zeros(0, dtype=np.intp)


# ---------------------------------------------------------------------------- pass 2: top scores
@attrs.define
class TopScores:
    """Each stratum's largest scores (at most :meth:`Frame.top_counts` of them)."""

    strata: npt.NDArray[np.intp]
    scores: npt.NDArray[np.float64]

    @classmethod
    def of(cls, part: TargetRoster, frame: Frame, first_row: int) -> TopScores:
        design = part_design(part, frame.plan, first_row)
        assert design.scores is not None
        out = cls(frame.strata_of(design), np.asarray(design.scores, dtype=np.float64))
        return out.trim(frame.top_counts())

    def merge(self, other: TopScores, frame: Frame) -> TopScores:
        both = TopScores(
            np.concatenate([self.strata, other.strata]),
            np.concatenate([self.scores, other.scores]),
        )
        return both.trim(frame.top_counts())

    def trim(self, counts: npt.NDArray[np.intp]) -> TopScores:
        """Each stratum's ``counts[h]`` largest scores (equal scores: the earlier kept)."""
        keep = np.sort(
            smallest_per_stratum(
                self.strata, -self.scores, counts.tolist(), lambda: np.arange(self.scores.shape[0])
            )
        )
        return TopScores(self.strata[keep], self.scores[keep])


# ---------------------------------------------------------------------------- pass 3: candidates
@attrs.define
class Candidates:
    """Per stratum, the ``n_h`` smallest ``(rank, credit code)`` seen so far, with their rows."""

    strata: npt.NDArray[np.intp]
    ranks: npt.NDArray[np.float64]
    ids: npt.NDArray[np.bytes_]
    rows: npt.NDArray[np.int64]  # 0-based row in the whole roster
    scores: npt.NDArray[np.float64] | None

    @classmethod
    def of(
        cls,
        part: TargetRoster,
        frame: Frame,
        units: UniformSource,
        first_row: int,
        cut: npt.NDArray[np.float64] | None = None,
        start: int | None = None,
    ) -> Candidates:
        """A part's candidates; ``cut``: per stratum, a rank above which nobody can be drawn.

        ``first_row`` numbers the part's rows in errors (1-based, in its file); ``start`` is
        the 0-based row of its first row in the whole roster (default ``first_row - 1``).
        """
        design = part_design(part, frame.plan, first_row)
        st = frame.strata_of(design)
        rows = _eligible(design)
        ids = part.credit_code if design.rows is None else part.credit_code[rows]
        u = np.asarray(units.uniforms(ids), dtype=np.float64)
        scores = None
        if frame.plan.within == "pps":
            assert frame.scales is not None
            assert design.scores is not None
            c, threshold = frame.scales["draw"]
            scores = design.scores
            lam = np.take(c, st)  # λ_i as sampling._pps_lambda computes it, bit for bit
            lam *= scores
            lam[scores >= np.take(threshold, st)] = 1.0
            ranks = pareto_ranks(u, lam)
        else:
            ranks = u
        n = np.asarray(frame.sizes, dtype=np.intp)
        live = np.take(n > 0, st)
        if cut is not None:
            live &= ranks <= np.take(cut, st)
        keep = np.flatnonzero(live)
        out = cls(
            st[keep],
            ranks[keep],
            ids[keep],
            rows[keep].astype(np.int64) + (first_row - 1 if start is None else start),
            None if scores is None else scores[keep],
        )
        return out.smallest(n)

    def merge(self, other: Candidates, sizes: npt.NDArray[np.intp]) -> Candidates:
        """The ``n_h`` smallest of both (``sizes``: the ``n_h``)."""
        return merge_all([self, other], sizes)

    def take(self, keep: npt.NDArray[np.intp]) -> Candidates:
        return Candidates(
            self.strata[keep],
            self.ranks[keep],
            self.ids[keep],
            self.rows[keep],
            None if self.scores is None else self.scores[keep],
        )

    def smallest(self, n: npt.NDArray[np.intp]) -> Candidates:
        """The ``n_h`` smallest ``(rank, credit code)`` of each stratum (all if fewer)."""
        if (np.bincount(self.strata, minlength=n.shape[0]) <= n).all():
            return self
        # The selection rule of every draw; ids in bytes order break equal ranks, as in memory.
        keep = smallest_per_stratum(self.strata, self.ranks, n.tolist(), lambda: self.ids)
        return self.take(np.sort(keep))

    def cut(self, n: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """Per stratum, the largest rank kept once ``n_h`` are kept (+∞ before)."""
        k = n.shape[0]
        cut = np.full(k, np.inf)
        full = np.bincount(self.strata, minlength=k) >= n
        top = np.full(k, -np.inf)
        np.maximum.at(top, self.strata, self.ranks)
        cut[full] = top[full]
        return cut


def merge_all(parts: list[Candidates], sizes: npt.NDArray[np.intp]) -> Candidates:
    """The ``n_h`` smallest of all ``parts`` (one concatenation, one selection)."""
    out = parts[0]
    if len(parts) > 1:
        scores = [p.scores for p in parts]
        out = Candidates(
            np.concatenate([p.strata for p in parts]),
            np.concatenate([p.ranks for p in parts]),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.rows for p in parts]),
            None if any(s is None for s in scores) else np.concatenate(scores),  # type: ignore[arg-type]
        )
    return out.smallest(sizes)


def empty_candidates(pps: bool) -> Candidates:
    return Candidates(
        np.zeros(0, dtype=np.intp),
        np.zeros(0),
        np.zeros(0, dtype="S18"),
        np.zeros(0, dtype=np.int64),
        np.zeros(0) if pps else None,
    )


def sample_of(
    frame: Frame, found: Candidates
) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.intp], npt.NDArray[np.float64], Any]:
    """The drawn ``(ids, rows, π, strata)`` from the final candidates, for :func:`draws.finish`."""
    d = frame.design
    counts = np.bincount(found.strata, minlength=len(d.keys))
    if not np.array_equal(counts, np.asarray(frame.sizes, dtype=np.intp)):
        raise RosterError(  # pragma: no cover - the census and the draw saw different rows
            "the strata drawn do not have their sizes: the file changed while it was read"
        )
    st = found.strata
    if frame.plan.within == "pps":
        assert frame.scales is not None
        assert found.scores is not None
        s = found.scores
        c_lo, t_lo = frame.scales["lo"]
        c_hi, t_hi = frame.scales["hi"]
        drawn = attrs.evolve(d, size=int(st.shape[0]), code=st, scores=s, stratum_of=None, memo={})
        # The same formula as in memory (sampling._pps_probabilities), over the drawn rows.
        phi = np.array([x - math.floor(x) for x in d.expected], dtype=np.float64)
        drawn.memo["pi_scales"] = (
            c_lo,
            s >= np.take(t_lo, st),
            c_hi,
            s >= np.take(t_hi, st),
            phi,
        )
        pi = pps_probabilities(drawn, np.arange(st.shape[0]), st, exact=True, scores=s)
    else:
        per = np.array(
            [x / n if n else 0.0 for x, n in zip(d.expected, d.populations, strict=True)] or [0.0]
        )
        pi = np.take(per, st)
    # In the candidates' order: finish puts the sample in credit-code order (once).
    return found.ids, found.rows.astype(np.intp), pi, st


# ---------------------------------------------------------------------------- the fingerprint
class DigestSpill:
    """The roster's fingerprint over parts, its bucket ranges kept on disk until sealing.

    Each part's lines go to :data:`DIGEST_RANGES` accumulators (one per range of buckets),
    kept in memory up to ``budget`` bytes of lines; beyond that they are written to one file
    per range and memory starts again. Sealing reads one range at a time, so memory holds one
    range's lines (plus the budget), not the roster's. When the roster's ``rows`` are given and
    all of its lines will fit in :data:`SPILL_WHOLE` bytes at the rate of the parts seen so
    far, they all stay in memory.
    """

    def __init__(
        self, folder: str | os.PathLike[str], budget: int | None = None, rows: int | None = None
    ) -> None:
        self.folder = os.fspath(folder)
        self.budget = SPILL_BUDGET if budget is None else budget
        self.whole = 0 if rows is None else SPILL_WHOLE
        self.rows, self.seen = rows, 0
        self.kept: list[RosterDigest | None] = [None] * DIGEST_RANGES
        self.kept_bytes = 0
        self.files: list[str | None] = [None] * DIGEST_RANGES

    def __enter__(self) -> DigestSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kept = [None] * DIGEST_RANGES

    def add(self, part: TargetRoster) -> None:
        acc = RosterDigest()
        acc.update(part)
        self.kept_bytes += acc.__sizeof__()
        self.seen += len(part)
        for i, piece in enumerate(acc.split(DIGEST_RANGES)):
            kept = self.kept[i]
            if kept is None:
                self.kept[i] = piece
            else:
                kept.merge(piece)
        if self.kept_bytes > self.budget and not self._all_fit():
            self._write()

    def _all_fit(self) -> bool:
        """Whether all of the roster's lines will fit in memory (estimated, nothing written)."""
        if self.rows is None or self.seen == 0 or any(f is not None for f in self.files):
            return False
        return self.kept_bytes * self.rows <= self.whole * self.seen

    def _write(self) -> None:
        """The lines kept so far to the ranges' files (appended), freeing their memory."""
        for i, kept in enumerate(self.kept):
            if kept is None:
                continue
            name = self.files[i] or os.path.join(self.folder, f"digest-{i:02d}.pickle")
            self.files[i] = name
            with open(name, "ab") as fh:
                pickle.dump(kept, fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.kept[i] = None
        self.kept_bytes = 0

    def _pieces(self, i: int) -> Iterator[RosterDigest]:
        name = self.files[i]
        if name is not None:
            with open(name, "rb") as src:
                while True:
                    try:
                        yield pickle.load(src)
                    except EOFError:
                        break
            os.remove(name)
        kept = self.kept[i]
        if kept is not None:
            yield kept
        self.kept[i] = None

    def seal(self) -> str:
        whole: RosterDigest | None = None
        for i in range(DIGEST_RANGES):
            acc: RosterDigest | None = None
            for piece in self._pieces(i):
                if acc is None:
                    acc = piece
                else:
                    acc.merge(piece)
            if acc is None:
                continue
            acc.close()
            if whole is None:
                whole = acc
            else:
                whole.merge(acc)
        assert whole is not None
        return whole.seal()


def merge_ranges(pieces: list[RosterDigest]) -> RosterDigest:
    """One bucket range's accumulators from several parts, merged and closed."""
    acc = pieces[0]
    for p in pieces[1:]:
        acc.merge(p)
    acc.close()
    return acc


# ---------------------------------------------------------------------------- held parts
class HeldParts:
    """The validated parts, kept for the later passes: only the columns those passes read.

    In memory while they fit ``budget`` bytes, then in a file of the folder (written once,
    read once per later pass, in order). The later passes then neither read nor validate the
    roster's file again, and draw from the very rows the census counted and fingerprinted.
    """

    def __init__(
        self, folder: str | os.PathLike[str], columns: Iterable[str], budget: int | None = None
    ) -> None:
        self.path = os.path.join(os.fspath(folder), "parts.pickle")
        self.columns = frozenset(columns)
        self.budget = HOLD_BUDGET if budget is None else budget
        self.kept: list[tuple[int, dict[str, Any]]] = []
        self.kept_bytes = 0
        self.file: Any = None

    def add(self, first_row: int, part: TargetRoster) -> None:
        packed = pack_columns(part, self.columns)
        if self.file is None:
            self.kept.append((first_row, packed))
            self.kept_bytes += packed["bytes"]
            if self.kept_bytes > self.budget:  # from now on in the file
                self.file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
                for kept in self.kept:
                    pickle.dump(kept, self.file, protocol=pickle.HIGHEST_PROTOCOL)
                self.kept = []
        else:
            pickle.dump((first_row, packed), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()

    def __iter__(self) -> Iterator[tuple[int, TargetRoster]]:
        """The parts in the order added, as ``(first_row, roster)``."""
        if self.file is None:
            for first, packed in self.kept:
                yield first, unpack_columns(packed)
            return
        self.close()
        with open(self.path, "rb") as src:  # written by this process, in its own folder
            while True:
                try:
                    first, packed = pickle.load(src)
                except EOFError:
                    return
                yield first, unpack_columns(packed)


# ---------------------------------------------------------------------------- one machine
def parquet_parts(
    path: str | os.PathLike[str], mapping: Mapping[str, str] | None, options: dict[str, Any]
) -> Iterator[tuple[int, TargetRoster]]:
    """The file's row groups as ``(first_row, roster)``, rows numbered from 1 across the file.

    One reader for the whole file, which reads the next row group while this one is used.
    """
    first = 1
    shown = os.fspath(path)
    for table in _arrow.parquet_batches(path, kind_of=_arrow.roster_kinds(TargetRoster, mapping)):
        part = TargetRoster.from_batches([table], mapping, {**options, "_first_row": first}, shown)
        yield first, part
        first += len(part)


def spill_folder(folder: str | os.PathLike[str] | None) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="randcheck-", dir=folder)


ProgressFn = Callable[[int], None]
