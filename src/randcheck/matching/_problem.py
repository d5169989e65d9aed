"""One batch's matching as arrays (private to :mod:`randcheck.matching`): :class:`MatchingProblem`.

The visits in canonical order, the officers, who may go where, and the exclusions (回避 and
repeat visits), from the caller's visits, roster, conflicts and history; and the flow network's
shape (:class:`FlowNetwork`), which the flow and the diagnosis share.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import (
    BatchError,
    PlanError,
    RosterError,
)
from randcheck.matching.rules import Bools, Ints, MatchingRules, Recusals
from randcheck.models import Conflict, Visit
from randcheck.roster import STRING, OfficerRoster
from randcheck.roster.credit_code import plain_code
from randcheck.roster.fingerprint import id_keys

MAX_LISTED = 20


# --------------------------------------------------------------------------------------------
# Inputs to columns


def _pair_columns(
    pairs: Any, third: str, kind: str
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    if isinstance(pairs, Mapping):
        try:
            oid = np.asarray(pairs["officer_id"], dtype=STRING)
            code = np.asarray(pairs["credit_code"], dtype=STRING)
        except KeyError as exc:
            raise PlanError(
                f"{kind}: columns 'officer_id' and 'credit_code' are required, missing {exc}"
            ) from None
        if oid.shape != code.shape:
            raise PlanError(f"{kind}: 'officer_id' and 'credit_code' differ in length")
        extra = pairs.get(third)
        extra_arr = (
            np.zeros(oid.shape[0], dtype="S1")
            if extra is None
            else np.asarray(extra, dtype=STRING if third != "date" else None)
        )
        if extra_arr.shape[0] != oid.shape[0]:
            raise PlanError(f"{kind}: column {third!r} differs in length")
        return oid, code, extra_arr
    oids: list[str] = []
    codes: list[str] = []
    extras: list[Any] = []
    for p in pairs:
        if isinstance(p, Conflict):
            oids.append(p.officer_id)
            codes.append(p.credit_code)
            extras.append(p.reason)
        else:
            o, c, e = p
            oids.append(str(o).strip())
            codes.append(str(c).strip())
            extras.append(e)
    extra_out = (
        np.array([str(e or "") for e in extras], dtype=STRING)
        if third != "date"
        else np.array(extras, dtype=object)
    )
    return np.array(oids, dtype=STRING), np.array(codes, dtype=STRING), extra_out


def utf8(values: npt.NDArray[Any]) -> npt.NDArray[np.bytes_]:
    """UTF-8 bytes (``S`` dtype), which sort in code-point order.

    numpy 2.4 sorts StringDType correctly but its ``searchsorted`` on StringDType returns wrong
    positions, so ids are compared as bytes. ASCII ids (credit codes, most officer ids) take a
    fast cast; others are encoded.
    """
    if values.shape[0] == 0:
        return np.zeros(0, dtype="S1")
    if values.dtype.kind == "S":
        return values
    text = values.astype(STRING, copy=False)
    width = max(int(np.strings.str_len(text).max()), 1)
    try:
        out: npt.NDArray[np.bytes_] = text.astype(f"S{width}")
    except UnicodeEncodeError:
        out = np.asarray(np.strings.encode(text, "utf-8"))
    return out


def _lookup(sorted_keys: npt.NDArray[Any], query: npt.NDArray[Any]) -> Ints:
    """Index of each query in ``sorted_keys`` (sorted, distinct bytes), ``-1`` where absent.

    The queries (conflicts, history: millions of rows in a province) are found by their 64-bit
    keys (:func:`randcheck.roster.fingerprint.id_keys`), which numpy compares far faster than
    bytes; each match is then confirmed on the bytes themselves, so a key shared by two
    different ids can never match the wrong one.
    """
    if sorted_keys.shape[0] == 0 or query.shape[0] == 0:
        return np.full(query.shape[0], -1, dtype=np.int64)
    query = utf8(query)
    keys = id_keys(sorted_keys)
    by_key = np.argsort(keys)
    keys = keys[by_key]
    if bool((keys[1:] == keys[:-1]).any()):  # two ids share a key: compare the bytes instead
        pos = np.searchsorted(sorted_keys, query).astype(np.int64)
        np.minimum(pos, sorted_keys.shape[0] - 1, out=pos)
        found = sorted_keys[pos] == query
        return np.where(found, pos, -1)
    query_keys = id_keys(query)
    pos = np.searchsorted(keys, query_keys)
    np.minimum(pos, keys.shape[0] - 1, out=pos)
    row = by_key[pos].astype(np.int64)
    found = keys[pos] == query_keys
    found &= sorted_keys[row] == query
    out: Ints = np.where(found, row, -1)
    return out


@attrs.define
class MatchingProblem:
    """Everything about a batch in canonical order (visits by credit code, officers by id)."""

    input_visits: list[Visit]
    input_index: Ints  # canonical visit -> input index
    visit_codes: list[str]
    visits: list[Visit]
    team_size: Ints
    visit_profile: Ints
    officer_row: Ints  # canonical officer -> roster row
    officer_ids: npt.NDArray[Any]
    officer_active: Bools
    officer_expert: Bools
    officer_dept: Ints
    officer_skills: npt.NDArray[np.uint64]
    skill_names: tuple[str, ...]
    dept_names: tuple[str, ...]
    officer_cap: Ints
    profile_dept_ok: Bools  # (profile, officer)
    profile_area_ok: Bools  # (profile, officer)
    excluded_visit: Ints
    excluded_officer: Ints
    excluded_reason: Ints  # 0 recused, 1 repeat
    excluded_start: Ints  # CSR offsets: visit v's exclusions are [start[v], start[v + 1])
    recusals: Recusals
    ignored: int

    @property
    def n_visits(self) -> int:
        return len(self.visit_codes)

    @property
    def n_officers(self) -> int:
        return int(self.officer_row.shape[0])


def _team_sizes(visits: list[Visit], rules: MatchingRules) -> Ints:
    out = np.empty(len(visits), dtype=np.int64)
    for i, v in enumerate(visits):
        k = max(
            rules.team_size, v.team_size, *(rules.item_team_sizes.get(item, 0) for item in v.items)
        )
        if rules.require_each_department and len(v.departments) >= 2:
            k = max(k, len(v.departments))
        out[i] = k
    return out


def _unknown_officers(c_o: Ints, c_oid: npt.NDArray[Any], unknown_conflicts: str) -> int:
    """Refuse (or count, with ``"ignore"``) conflicts naming officers outside the roster."""
    bad = np.flatnonzero(c_o < 0)
    if bad.shape[0] == 0:
        return 0
    if unknown_conflicts == "ignore":
        return int(bad.shape[0])
    shown = bad[:MAX_LISTED]
    # Conflicts are given as objects or columns, not as a file: name each by its entry (counted
    # from 1), never as a row.
    problems: list[tuple[int | None, str | None, Any, str]] = [
        (None, "officer_id", str(c_oid[i]), f"conflict entry {i + 1}: not in the officer roster")
        for i in shown.tolist()
    ]
    listed = "; ".join(f"entry {i + 1}, value {str(c_oid[i])!r}" for i in shown.tolist())
    more = f"; and {bad.shape[0] - shown.shape[0]} more" if bad.shape[0] > shown.shape[0] else ""
    raise RosterError(
        f"{bad.shape[0]} conflict(s) [回避] name an officer who is not in the officer roster "
        f"({listed}{more}; entries count from 1): a mistyped 执法证号 would leave a recusal "
        "unapplied; correct them, or pass unknown_conflicts='ignore' for a list shared across "
        "bureaus",
        source="conflicts",
        column="officer_id",
        value=problems[0][2],
        problems=problems,
        has_value=False,  # the message lists every value
    )


def _refuse_misspelt(
    codes_arr: npt.NDArray[np.bytes_], query: npt.NDArray[Any], found: Ints, kind: str
) -> None:
    """Refuse entries whose credit code is a visit's written another way.

    A code in lower case, in full-width characters or with a space matches no visit, so the
    recusal (or the history row) would silently not apply. Codes of capitals and digits alone
    are taken as written (most entries are on targets outside the batch); any other is
    compared, after NFKC, without spaces and in capitals, with the batch's codes.
    """
    missing = np.flatnonzero(found < 0)
    if missing.shape[0] == 0 or codes_arr.shape[0] == 0:
        return
    given = utf8(query[missing])
    width = given.dtype.itemsize
    b = given.view(np.uint8).reshape(-1, width)
    plain = (((b >= 48) & (b <= 57)) | ((b >= 65) & (b <= 90)) | (b == 0)).all(axis=1)
    odd = missing[~plain]
    if odd.shape[0] == 0:
        return
    batch = {c.decode("utf-8") for c in codes_arr.tolist()}
    found_odd: list[tuple[int, str, str]] = []  # (entry, as given, as the batch writes it)
    for i in odd.tolist():
        text = str(query[i].decode("utf-8") if isinstance(query[i], bytes) else query[i])
        if plain_code(text) in batch:
            found_odd.append((i + 1, text, plain_code(text)))
    if not found_odd:
        return
    problems: list[tuple[int | None, str | None, Any, str]] = [
        (None, "credit_code", text, f"{kind} entry {k}: written {plain} in the batch")
        for k, text, plain in found_odd
    ]
    listed = "; ".join(f"entry {k}, value {text!r}" for k, text, _ in found_odd[:5])
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    raise RosterError(
        f"{len(problems)} {kind} {'entry names' if len(problems) == 1 else 'entries name'} a "
        "credit code of the batch written another way (lower case, full-width characters or "
        f"spaces: {listed}{more}; entries count from 1), which would leave "
        f"{'a recusal [回避]' if kind == 'conflict' else 'a repeat visit'} unapplied; write each "
        "code in capitals and half-width digits, as the directory does",
        source="conflicts" if kind == "conflict" else "history",
        column="credit_code",
        value=problems[0][2],
        problems=problems,
        has_value=False,  # the message lists every value
    )


def _canonical_visits(visits: Sequence[Visit]) -> tuple[list[Visit], list[str], Ints]:
    """The visits as given, their credit codes, and the canonical order (by credit code).

    Raises :class:`~randcheck.errors.BatchError` for two visits to one target.
    """
    visit_list = list(visits)
    codes_in = [v.credit_code for v in visit_list]
    order = sorted(range(len(visit_list)), key=codes_in.__getitem__)
    codes = [codes_in[i] for i in order]
    for a, b in itertools.pairwise(codes):
        if a == b:
            raise BatchError(
                f"two visits to target {a} in one batch; merge them into one visit "
                "(进一次门、查多项事) before matching officers"
            )
    return visit_list, codes_in, np.array(order, dtype=np.int64)


def _profiles(
    canon_visits: list[Visit], officers: OfficerRoster, rules: MatchingRules, orow: Ints
) -> tuple[Ints, Bools, Bools]:
    """Each visit's profile (what decides static eligibility on the visit side) and, per
    profile and canonical officer, whether the department and area rules allow the officer."""
    dept = officers.department.codes[orow].astype(np.int64)
    unit = officers.unit.codes[orow].astype(np.int64)
    area = officers.area.codes[orow].astype(np.int64)
    profiles: dict[tuple[tuple[str, ...], str], int] = {}
    profile = np.empty(len(canon_visits), dtype=np.int64)
    for i, v in enumerate(canon_visits):
        key = (
            v.departments if rules.own_departments_only else (),
            v.area if rules.cross_jurisdiction else "",
        )
        profile[i] = profiles.setdefault(key, len(profiles))
    dept_names = officers.department.categories
    unit_names = officers.unit.categories
    area_names = officers.area.categories
    cls_key = (dept * (len(unit_names) + 1) + unit) * (len(area_names) + 1) + area
    cls_vals, cls_of = np.unique(cls_key, return_inverse=True)
    n_prof = len(profiles)
    dept_ok_cls = np.ones((n_prof, cls_vals.shape[0]), dtype=bool)
    area_ok_cls = np.ones((n_prof, cls_vals.shape[0]), dtype=bool)
    for (p_depts, p_area), p in profiles.items():
        for c, val in enumerate(cls_vals.tolist()):
            a_code = val % (len(area_names) + 1)
            rest = val // (len(area_names) + 1)
            u_code = rest % (len(unit_names) + 1)
            d_code = rest // (len(unit_names) + 1)
            d_name = dept_names[d_code]
            if p_depts and d_name and d_name not in p_depts:
                dept_ok_cls[p, c] = False
            if p_area:
                own = set(rules.unit_areas.get(unit_names[u_code], ()))
                if area_names[a_code]:
                    own.add(area_names[a_code])
                if any(a and p_area.startswith(a) for a in own):
                    area_ok_cls[p, c] = False
    return profile, dept_ok_cls[:, cls_of], area_ok_cls[:, cls_of]


def _recusals(
    conflicts: Any,
    unknown_conflicts: str,
    codes_arr: npt.NDArray[np.bytes_],
    ids_sorted: npt.NDArray[np.bytes_],
    codes_in: list[str],
    vin: Ints,
    orow: Ints,
    ids_roster: npt.NDArray[Any],
) -> tuple[Recusals, Ints, int]:
    """The declared conflicts (回避) that apply: the :class:`Recusals` to publish, their keys
    (canonical visit × officers + officer), and the number of unknown officers ignored."""
    n_off = int(orow.shape[0])
    c_oid, c_code, c_reason = _pair_columns(conflicts, "reason", "conflicts")
    c_o = _lookup(ids_sorted, c_oid)
    ignored = _unknown_officers(c_o, c_oid, unknown_conflicts)
    c_v = _lookup(codes_arr, c_code)  # conflicts on targets outside the batch do not apply
    _refuse_misspelt(codes_arr, c_code, c_v, "conflict")
    keep = (c_o >= 0) & (c_v >= 0)
    if isinstance(conflicts, Mapping) and conflicts.get("reason") is None:
        r_kept = np.zeros(int(keep.sum()), dtype=np.int64)
        reason_names: tuple[str, ...] = ("",)
    else:
        reason_uniq, r_kept = np.unique(utf8(c_reason[keep]), return_inverse=True)
        reason_names = tuple(b.decode("utf-8") for b in reason_uniq.tolist())
    rec_order = np.argsort(vin[c_v[keep]] * max(n_off, 1) + orow[c_o[keep]], kind="stable")
    recusals = Recusals(
        visit_index=vin[c_v[keep]][rec_order],
        officer_index=orow[c_o[keep]][rec_order],
        reason_codes=r_kept.astype(np.int64)[rec_order],
        reasons=reason_names,
        credit_codes=tuple(codes_in),
        officer_ids=ids_roster,
    )
    return recusals, c_v[keep] * n_off + c_o[keep], ignored


def _repeats(
    history: Any,
    rules: MatchingRules,
    as_of: dt.date | None,
    codes_arr: npt.NDArray[np.bytes_],
    ids_sorted: npt.NDArray[np.bytes_],
) -> Ints | None:
    """Keys of the pairs the history excludes (the officer visited the target within
    ``repeat_window_days`` before ``as_of``), or ``None`` when no repeat rule applies."""
    if history is None or rules.repeat_window_days is None:
        return None
    if as_of is None:
        raise PlanError(
            "as_of: the batch date is needed to apply repeat_window_days to "
            "history; pass as_of=datetime.date(...)"
        )
    n_off = int(ids_sorted.shape[0])
    h_oid, h_code, h_date = _pair_columns(history, "date", "history")
    if h_date.dtype.kind == "M":
        dates = h_date.astype("datetime64[D]")
    else:
        dates = np.array(
            [
                np.datetime64(d, "D") if d not in (None, "") else np.datetime64("NaT")
                for d in h_date.tolist()
            ],
            dtype="datetime64[D]",
        )
    age = (np.datetime64(as_of, "D") - dates).astype(np.int64)
    recent = ~np.isnat(dates) & (age < rules.repeat_window_days)
    h_o = _lookup(ids_sorted, h_oid)
    h_v = _lookup(codes_arr, h_code)
    _refuse_misspelt(codes_arr, h_code, h_v, "history")
    ok = recent & (h_o >= 0) & (h_v >= 0)
    out: Ints = h_v[ok] * n_off + h_o[ok]
    return out


def _exclusions(
    recused: Ints, repeats: Ints | None, n_visits: int, n_off: int
) -> tuple[Ints, Ints, Ints, Ints]:
    """One exclusion per pair, by visit then officer; a recusal wins over a repeat.

    Returns the excluded visits, officers, reasons (0 recused, 1 repeat) and the CSR offsets
    of each visit's exclusions.
    """
    keys = [recused]
    reasons = [np.zeros(recused.shape[0], dtype=np.int64)]
    if repeats is not None:
        keys.append(repeats)
        reasons.append(np.ones(repeats.shape[0], dtype=np.int64))
    # Reason 0 sorts first, so the recusal is the one kept.
    both = np.sort(np.concatenate(keys) * 2 + np.concatenate(reasons))
    first = np.ones(both.shape[0], dtype=bool)
    first[1:] = (both[1:] >> 1) != (both[:-1] >> 1)
    all_keys, all_reasons = both[first] >> 1, both[first] & 1
    excl_v = all_keys // max(n_off, 1)
    excl_o = all_keys % max(n_off, 1)
    excl_ptr = np.zeros(n_visits + 1, dtype=np.int64)
    np.cumsum(np.bincount(excl_v, minlength=n_visits), out=excl_ptr[1:])
    return excl_v, excl_o, all_reasons, excl_ptr


def prepare_problem(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Any,
    rules: MatchingRules,
    history: Any,
    as_of: dt.date | None,
    unknown_conflicts: str,
) -> MatchingProblem:
    """The batch as arrays in canonical order (visits by credit code, officers by id)."""
    if unknown_conflicts not in ("refuse", "ignore"):
        raise PlanError(
            f"unknown_conflicts must be 'refuse' or 'ignore', got {unknown_conflicts!r}"
        )
    visit_list, codes_in, vin = _canonical_visits(visits)
    codes = [codes_in[i] for i in vin.tolist()]
    canon_visits = [visit_list[i] for i in vin.tolist()]
    k = _team_sizes(canon_visits, rules)

    ids_roster = officers.officer_id
    ids_bytes = utf8(ids_roster)
    orow = np.argsort(ids_bytes, kind="stable").astype(np.int64)
    ids_sorted = ids_bytes[orow]
    n_off = int(orow.shape[0])
    cap_raw = officers.load_cap[orow].astype(np.int64)
    no_cap = len(visit_list)
    default_cap = no_cap if rules.max_load is None else rules.max_load
    profile, dept_ok, area_ok = _profiles(canon_visits, officers, rules, orow)

    # Exclusions: declared conflicts (回避) and recent inspections.
    codes_arr = utf8(np.array(codes, dtype=STRING))
    recusals, recused, ignored = _recusals(
        conflicts, unknown_conflicts, codes_arr, ids_sorted, codes_in, vin, orow, ids_roster
    )
    repeats = _repeats(history, rules, as_of, codes_arr, ids_sorted)
    excl_v, excl_o, excl_reason, excl_ptr = _exclusions(recused, repeats, len(codes), n_off)
    return MatchingProblem(
        input_visits=visit_list,
        input_index=vin,
        visit_codes=codes,
        visits=canon_visits,
        team_size=k,
        visit_profile=profile,
        officer_row=orow,
        officer_ids=ids_roster[orow],
        officer_active=officers.active[orow].astype(bool),
        officer_expert=officers.expert[orow].astype(bool),
        officer_dept=officers.department.codes[orow].astype(np.int64),
        officer_skills=officers.skills.bits[orow],
        skill_names=officers.skills.names,
        dept_names=officers.department.categories,
        officer_cap=np.minimum(np.where(cap_raw < 0, default_cap, cap_raw), no_cap),
        profile_dept_ok=dept_ok,
        profile_area_ok=area_ok,
        excluded_visit=excl_v,
        excluded_officer=excl_o,
        excluded_reason=excl_reason,
        excluded_start=excl_ptr,
        recusals=recusals,
        ignored=ignored,
    )


# --------------------------------------------------------------------------------------------
# The network


@attrs.define
class FlowNetwork:
    """Seats, pairs and the flow network of a batch, in canonical order.

    Nodes: 0 source, 1 sink, ``2 + o`` officer ``o``, then one per seat, then one per pair
    that may fill two or more seats of its visit. Arc 0 runs sink → source (it closes the
    circulation for the rounding); arcs 1… are, in this order: source → officer, pair arcs
    (officer → pair node, or officer → seat when the pair fits one seat only), pair node →
    seat, seat → sink. ``base`` is each arc's capacity in places (pair arcs: 1, scaled by q).
    """

    seat_visit: Ints
    seat_kind: Ints
    seat_label: list[str]
    seat_size: Ints
    pair_visit: Ints
    pair_officer: Ints
    pair_arc: Ints
    tail: Ints
    head: Ints
    base: Ints
    is_pair: Bools
    n_nodes: int
    demand: int

    @property
    def seat_node0(self) -> int:
        return int(self.tail[0])  # arc 0 is sink -> source; see seat_nodes

    def seat_nodes(self, n_off: int) -> Ints:
        out: Ints = 2 + n_off + np.arange(self.seat_visit.shape[0], dtype=np.int64)
        return out
