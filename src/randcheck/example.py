"""An example county to try randcheck on, and synthetic directories of any size.

:func:`example_county` loads 曲阳县商务局（示例）: a bundled, fixed example of a county
commerce bureau modelled on the 2023 work plan of 曲阳县商务局 (area code 130634). It has about
40,000 targets spread over the county's townships, the bureau's officers in 执法一中队…执法四中队
and 法治办, a small expert pool (专家库), the commerce-bureau inspection items with their usual
ratios, and some declared conflicts of interest. **Every person and every firm in it is
synthetic**: the names are random combinations of common characters, the credit codes are random
valid codes; none is a real official or a real enterprise.

:func:`synthetic_targets` and :func:`synthetic_officers` make directories of any size (10³…10⁸
targets) for tests and benchmarks; :func:`iter_synthetic_target_chunks` streams the same rows in
chunks when a roster of that size would not fit in memory.

Randomness
----------
The example county is data, not a computation: the files under ``randcheck/data/example_county``
are the source of truth (``benchmarks/make_example_county.py`` made them once, from
``numpy.random.default_rng(20230307)``), so the county never changes when numpy does.

The synthetic generators are simulations, not official draws, but they are exactly reproducible on
any machine: every value of row ``i`` is derived from ``(seed, i)`` alone by the recipe
``randcheck-synthetic/1``:

1. ``K = SHA-256(b"randcheck-synthetic/1\\x00" + str(seed))`` (the seed as decimal ASCII).
2. Each field (``"risk"``, ``"industry"``…) has the 64-bit key ``k``: the first 8 bytes, big-endian,
   of ``SHA-256(K + field)``.
3. Row ``i`` of that field gets ``splitmix64(k + i·0x9E3779B97F4A7C15 mod 2⁶⁴)``, and a uniform
   number ``(h >> 11) / 2⁵³`` from it.

Values therefore do not depend on the chunk size, on row order or on numpy's random streams.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import io
from collections import Counter
from collections.abc import Iterator, Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.loaders import load_items
from randcheck.models import Conflict, Item
from randcheck.roster import (
    RISK_LETTERS,
    STRING,
    Categorical,
    OfficerRoster,
    TagSet,
    TargetRoster,
)
from randcheck.roster.credit_code import CREDIT_CODE_ALPHABET

__all__ = [
    "ExampleCounty",
    "example_county",
    "iter_synthetic_target_chunks",
    "synthetic_officers",
    "synthetic_targets",
]

#: 曲阳县's administrative area code (GB/T 2260).
AREA_CODE = "130634"

_DATA = ("data", "example_county")
_UNITS = ("执法一中队", "执法二中队", "执法三中队", "执法四中队", "法治办")


def _frozen_areas(value: Mapping[str, Any]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({str(k): frozenset(v) for k, v in value.items()})


def _frozen_names(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(eq=False)
class ExampleCounty:
    """The bundled example: 曲阳县商务局（示例）, a county commerce bureau (synthetic data).

    Returned by :func:`example_county`; all people and firms in it are synthetic.

    Attributes
    ----------
    targets : TargetRoster
        About 40,000 targets (检查对象名录库). ``area`` is a township code (``130634100``…, see
        :attr:`townships`); the user column ``risk_score`` is a positive number, higher for
        riskier targets, for designs that sample proportional to size.
    officers : OfficerRoster
        The bureau's officers in 执法一中队…执法四中队 and 法治办, and the expert pool (unit
        ``专家库``, ``expert=True``). A 中队 officer's ``area`` is the name of their unit; the
        townships that unit covers are :attr:`unit_areas` of it. 法治办 and experts have no area.
    items : tuple of Item
        The commerce-bureau inspection items (随机抽查事项清单) with their usual ratios, plus the
        partner departments' items for the joint 报废机动车回收拆解 inspection.
    conflicts : tuple of Conflict
        Declared conflicts of interest (回避).
    townships : mapping of str to str
        Township code → name (恒州镇…).
    unit_areas : mapping of str to frozenset of str
        Unit → the township codes it is responsible for (for 所所交叉 matching: an officer
        whose ``area`` is ``u`` does not inspect targets whose ``area`` is in
        ``unit_areas[u]``). 法治办 and 专家库 map to an empty set.
    area_code : str
        ``"130634"``.
    name : str
        ``"曲阳县商务局（示例）"``.
    """

    targets: TargetRoster
    officers: OfficerRoster
    items: tuple[Item, ...]
    conflicts: tuple[Conflict, ...]
    townships: Mapping[str, str] = attrs.field(converter=_frozen_names)
    unit_areas: Mapping[str, frozenset[str]] = attrs.field(converter=_frozen_areas)
    area_code: str = AREA_CODE
    name: str = "曲阳县商务局（示例）"

    @property
    def area_units(self) -> Mapping[str, str]:
        """Township code → the unit responsible for it (the inverse of :attr:`unit_areas`)."""
        return MappingProxyType(
            {code: unit for unit, codes in self.unit_areas.items() for code in sorted(codes)}
        )

    def summary(self) -> str:
        """A short readable description: counts by risk class, industries, units and items.

        Examples
        --------
        >>> from randcheck.example import example_county
        >>> print(example_county().summary().splitlines()[0])
        曲阳县商务局（示例） (area 130634) — synthetic example; all people and firms are fictitious
        """
        t = self.targets
        n = len(t)
        risk = t.risk_counts()
        active = int(t.mask(active=True).sum())
        lines = [
            f"{self.name} (area {self.area_code}) — synthetic example; "
            "all people and firms are fictitious",
            f"检查对象 targets: {n:,} ({active:,} active, {int(t.abnormal.sum()):,} 经营异常)",
            "  risk classes: " + " · ".join(f"{k} {v:,} ({v / n:.1%})" for k, v in risk.items()),
        ]
        counts = np.bincount(t.industry.codes, minlength=len(t.industry.categories))
        order = sorted(range(len(counts)), key=lambda k: (-int(counts[k]), k))
        lines.append(
            "  industries: "
            + ", ".join(f"{t.industry.categories[k]} {int(counts[k]):,}" for k in order)
        )
        lines.append(
            f"  townships: {len(self.townships)} ({min(self.townships)}…{max(self.townships)})"
        )
        o = self.officers
        units = Counter(o.unit.labels().tolist())
        lines.append(
            f"执法人员 officers: {len(o)} ({int(o.active.sum())} active, "
            f"{int(o.expert.sum())} experts): "
            + ", ".join(
                f"{u} {units[u]}"
                for u in (*_UNITS, *sorted(set(units) - {*_UNITS, "专家库"}), "专家库")
                if units[u]
            )
        )
        lines.append(f"抽查事项 items: {len(self.items)}")
        for item in self.items:
            in_scope = int(_scope_mask(t, item).sum())
            rate = "—" if item.rate is None else f"{item.rate:.0%}"
            lines.append(
                f"  {item.code} {item.name} [{item.department}, {item.kind.value}] "
                f"rate {rate}, {in_scope:,} targets in scope"
            )
        lines.append(f"回避 conflicts: {len(self.conflicts)}")
        return "\n".join(lines)


def _scope_mask(targets: TargetRoster, item: Item) -> npt.NDArray[np.bool_]:
    """Rows an item's scope covers (the vectorized :meth:`Item.applies_to`)."""
    m = np.ones(len(targets), dtype=bool)
    if item.industries:
        m &= targets.industry.mask(item.industries)
    if item.tags:
        m &= targets.tags.mask_any(item.tags)
    return m


# --------------------------------------------------------------------------- the example county
def _data_file(name: str) -> resources.abc.Traversable:
    return resources.files("randcheck").joinpath(*_DATA, name)


def _open_text(name: str) -> io.TextIOWrapper:
    """A bundled text file, opened as ``csv`` wants it (UTF-8, no newline translation)."""
    return io.TextIOWrapper(_data_file(name).open("rb"), encoding="utf-8", newline="")


def _read_csv_rows(name: str) -> list[dict[str, str]]:
    with _open_text(name) as fh:
        return list(csv.DictReader(fh))


def _load_items() -> tuple[Item, ...]:
    with _data_file("items.toml").open("rb") as fh:
        return load_items(fh)


@functools.cache
def example_county() -> ExampleCounty:
    """Load the bundled example county, 曲阳县商务局（示例） (cached: the same object every call).

    The data are files inside the package (``randcheck/data/example_county``); every person and
    firm in them is synthetic. See :doc:`/explanation/example-county` for what is in it.

    Returns
    -------
    ExampleCounty

    Examples
    --------
    >>> from randcheck.example import example_county
    >>> county = example_county()
    >>> len(county.targets), len(county.officers), len(county.items)
    (40000, 48, 19)
    >>> county.targets.risk_counts()
    {'A': 22113, 'B': 13881, 'C': 2839, 'D': 1167}
    >>> sorted(county.unit_areas["执法一中队"])
    ['130634100', '130634109', '130634110', '130634111', '130634113']
    """
    with (
        _data_file("targets.csv.gz").open("rb") as raw,
        gzip.open(raw, "rt", encoding="utf-8", newline="") as text,
    ):
        assert isinstance(text, io.TextIOBase)
        targets = TargetRoster.from_csv(text, extra=["risk_score"])
    with _open_text("officers.csv") as fh:
        officers = OfficerRoster.from_csv(fh)
    townships: dict[str, str] = {}
    unit_areas: dict[str, set[str]] = {
        u: set() for u in (*_UNITS, *officers.unit.categories, "专家库")
    }
    for row in _read_csv_rows("townships.csv"):
        townships[row["code"]] = row["name"]
        unit_areas[row["unit"]].add(row["code"])
    conflicts = tuple(
        Conflict(r["officer_id"], r["credit_code"], r["reason"])
        for r in _read_csv_rows("conflicts.csv")
    )
    return ExampleCounty(
        targets=targets,
        officers=officers,
        items=_load_items(),
        conflicts=conflicts,
        townships=townships,
        unit_areas=unit_areas,
    )


# --------------------------------------------------------------------------- synthetic rows
_RECIPE = b"randcheck-synthetic/1"
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BODY_SPACE = 31**9  # organisation codes: 9 characters of the 31-symbol alphabet
_ALPHABET = np.frombuffer(CREDIT_CODE_ALPHABET.encode("ascii"), dtype=np.uint8)
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_VALUE_OF = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}

_RISK_CUT = np.array([0.55, 0.90, 0.97])  # A 55 %, B 35 %, C 7 %, D 3 %
_STATUSES = ("存续", "在业", "注销", "吊销")
_STATUS_CUT = np.array([0.92, 0.97, 0.99])  # 存续 92 %, 在业 5 %, 注销 2 %, 吊销 1 %
_TAGS = ("连锁", "重点监管")  # alphabetical, as TagSet stores its vocabulary
_FIRST_DAY = np.datetime64("2021-01-01", "D")
_DAYS = 3 * 365


def _seed_key(seed: int) -> bytes:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return hashlib.sha256(_RECIPE + b"\x00" + str(int(seed)).encode("ascii")).digest()


def _field_key(key: bytes, field: str) -> int:
    return int.from_bytes(hashlib.sha256(key + field.encode("utf-8")).digest()[:8], "big")


def _splitmix(key: int, index: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    z = index * _GOLDEN + np.uint64(key)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _uniform(key: int, index: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]:
    return (_splitmix(key, index) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _mulmod(a: int, x: npt.NDArray[np.uint64], m: int) -> npt.NDArray[np.uint64]:
    """``a·x mod m`` for ``a, x < m < 2⁴⁵`` without overflowing 64 bits (15-bit limbs)."""
    ua, um, mask = np.uint64(a), np.uint64(m), np.uint64(0x7FFF)
    r = (ua * (x >> np.uint64(30))) % um
    r = ((r << np.uint64(15)) + ua * ((x >> np.uint64(15)) & mask)) % um
    return ((r << np.uint64(15)) + ua * (x & mask)) % um


def _credit_codes(
    key: bytes, index: npt.NDArray[np.uint64], head: str, area_code: str
) -> npt.NDArray[np.bytes_]:
    """Distinct valid codes ``head + area_code + body + check`` for distinct indices.

    The 9-character body is ``(a·i + b) mod 31⁹`` written in base 31, with ``a`` coprime to 31:
    a bijection, so distinct rows get distinct codes.
    """
    a = 1 + _field_key(key, "code/a") % (_BODY_SPACE - 1)
    if a % 31 == 0:
        a += 1
    b = _field_key(key, "code/b") % _BODY_SPACE
    x = (_mulmod(a, index, _BODY_SPACE) + np.uint64(b)) % np.uint64(_BODY_SPACE)
    prefix = head + area_code
    n = index.shape[0]
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :8] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    total = np.full(
        n, sum(_VALUE_OF[c] * w for c, w in zip(prefix, _WEIGHTS, strict=False)), dtype=np.int64
    )
    base = np.uint64(31)
    for pos in range(16, 7, -1):
        digit = (x % base).astype(np.intp)
        x //= base
        out[:, pos] = _ALPHABET[digit]
        total += digit * _WEIGHTS[pos]
    out[:, 17] = _ALPHABET[(31 - total % 31) % 31]
    return out.view("S18").ravel()


def _skewed(u: npt.NDArray[np.float64], k: int, power: float) -> npt.NDArray[np.int32]:
    """Category codes 0…k-1 with weights ∝ 1/(j+1)^power (a few big, many small)."""
    w = 1.0 / np.arange(1, k + 1) ** power
    cum = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cum, u, side="right"), k - 1).astype(np.int32)


@attrs.frozen
class _Spec:
    n: int
    key: bytes
    n_industries: int
    n_areas: int
    area_code: str

    @property
    def industries(self) -> tuple[str, ...]:
        return tuple(f"行业{k + 1:02d}" for k in range(self.n_industries))

    @property
    def areas(self) -> tuple[str, ...]:
        return _area_codes(self.area_code, self.n_areas)


def _area_codes(area_code: str, n: int) -> tuple[str, ...]:
    return tuple(f"{area_code}{100 + k:03d}" for k in range(n))


def _spec(
    n: int, seed: int, chunk_size: int, n_industries: int, area_code: str, n_areas: int
) -> _Spec:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= _BODY_SPACE:
        raise ValueError(f"n must be a whole number from 0 to 31**9, got {n!r}")
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, (int, np.integer))
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a whole number ≥ 1, got {chunk_size!r}")
    if not 1 <= n_industries <= 99:
        raise ValueError(f"n_industries must be from 1 to 99, got {n_industries!r}")
    if not 1 <= n_areas <= 900:
        raise ValueError(f"n_areas must be from 1 to 900, got {n_areas!r}")
    if not (
        isinstance(area_code, str)
        and len(area_code) == 6
        and area_code.isascii()
        and area_code.isdigit()
    ):
        raise ValueError(f"area_code must be 6 digits (GB/T 2260), got {area_code!r}")
    return _Spec(int(n), _seed_key(seed), n_industries, n_areas, area_code)


def _raw_chunk(spec: _Spec, start: int, stop: int) -> dict[str, Any]:
    """Rows ``start…stop-1`` with label columns as integer codes."""
    key = spec.key
    idx = np.arange(start, stop, dtype=np.uint64)
    u = functools.partial(_uniform, index=idx)
    risk = np.searchsorted(_RISK_CUT, u(_field_key(key, "risk")), side="right").astype(np.uint8)
    status = np.searchsorted(_STATUS_CUT, u(_field_key(key, "status")), side="right")
    # 经营异常名录: more often for riskier classes (0.5 %, 2 %, 8 %, 20 %; about 2 % in all).
    abnormal = u(_field_key(key, "abnormal")) < np.array([0.005, 0.02, 0.08, 0.20])[risk]
    uc = u(_field_key(key, "complaints"))
    complaints = ((uc < 0.015).astype(np.int32) + (uc < 0.004) + (uc < 0.001)).astype(np.int32)
    ul = u(_field_key(key, "last_inspected"))
    days = (ul / 0.15 * _DAYS).astype(np.int64)
    last = np.where(ul < 0.15, _FIRST_DAY + days, np.datetime64("NaT", "D"))
    chain = u(_field_key(key, "tag/连锁")) < 0.05
    watch = (risk == 3) | ((risk == 2) & (u(_field_key(key, "tag/重点监管")) < 0.1))
    tag_bits = chain.astype(np.uint64) | (watch.astype(np.uint64) << np.uint64(1))
    # risk_score: lognormal, median 1, 2, 4, 8 for A…D (Box–Muller from two uniforms).
    u1 = u(_field_key(key, "score/1"))
    u2 = u(_field_key(key, "score/2"))
    normal = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    score = np.round(np.exp(np.log(2.0) * risk + 0.5 * normal), 3)
    name = np.strings.add("企业", (idx + np.uint64(1)).astype(STRING))
    return {
        "credit_code": _credit_codes(key, idx, "91", spec.area_code),
        "name": name,
        "risk_class": risk,
        "industry": _skewed(u(_field_key(key, "industry")), spec.n_industries, 1.0),
        "area": _skewed(u(_field_key(key, "area")), spec.n_areas, 0.5),
        "status": status.astype(np.int32),
        "tags": tag_bits,
        "abnormal": abnormal,
        "complaints": complaints,
        "last_inspected": last,
        "risk_score": score,
    }


def _chunks(spec: _Spec, chunk_size: int) -> Iterator[dict[str, Any]]:
    for start in range(0, spec.n, chunk_size):
        yield _raw_chunk(spec, start, min(start + chunk_size, spec.n))


def iter_synthetic_target_chunks(
    n: int,
    *,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    n_industries: int = 30,
    area_code: str = AREA_CODE,
    n_areas: int = 20,
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """Stream the rows of :func:`synthetic_targets` in chunks of plain numpy columns.

    For sizes that do not fit in memory as one roster (10⁸ rows): each chunk is a mapping of
    canonical column names (plus ``risk_score``) to numpy arrays, ready for
    ``TargetRoster.from_columns(chunk, extra=["risk_score"])`` or for writing to a file. The rows
    are exactly those of ``synthetic_targets(n, seed=seed, ...)``, whatever the chunk size.

    Parameters
    ----------
    n, seed, n_industries, area_code, n_areas
        As for :func:`synthetic_targets`.
    chunk_size : int
        Rows per chunk (the last one may be shorter).

    Yields
    ------
    dict of str to numpy.ndarray
        ``credit_code`` (``S18``), ``name``, ``risk_class`` (letters), ``industry``, ``area``,
        ``status``, ``tags`` (``;``-joined) as numpy strings; ``abnormal`` (bool),
        ``complaints`` (int32), ``last_inspected`` (``datetime64[D]``), ``risk_score``
        (float64).

    Examples
    --------
    >>> from randcheck.example import iter_synthetic_target_chunks
    >>> [len(c["credit_code"]) for c in iter_synthetic_target_chunks(2500, chunk_size=1000)]
    [1000, 1000, 500]
    """
    spec = _spec(n, seed, chunk_size, n_industries, area_code, n_areas)
    letters = np.array(["A", "B", "C", "D"], dtype=STRING)
    industries = np.array(spec.industries, dtype=STRING)
    areas = np.array(spec.areas, dtype=STRING)
    statuses = np.array(_STATUSES, dtype=STRING)
    tag_text = np.array(["", "连锁", "重点监管", "连锁;重点监管"], dtype=STRING)
    for raw in _chunks(spec, int(chunk_size)):
        yield {
            **raw,
            "risk_class": letters[raw["risk_class"]],
            "industry": industries[raw["industry"]],
            "area": areas[raw["area"]],
            "status": statuses[raw["status"]],
            "tags": tag_text[raw["tags"].astype(np.intp)],
        }


def synthetic_targets(
    n: int,
    *,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    n_industries: int = 30,
    area_code: str = AREA_CODE,
    n_areas: int = 20,
) -> TargetRoster:
    """A synthetic target directory of ``n`` rows with distinct valid credit codes.

    For tests and benchmarks. Built column by column without a Python step per row (10⁷ rows
    take seconds). The values of a row depend only on ``seed`` and the row's position, through
    the documented recipe ``randcheck-synthetic/1`` (see the module docs): the same on every
    machine, for every ``chunk_size`` and numpy version. This is simulation data, not an official
    draw.

    Parameters
    ----------
    n : int
        Number of targets (0 … 31⁹).
    seed : int
        Selects the synthetic population.
    chunk_size : int
        Rows generated at a time (bounds the temporary memory; does not change the result).
    n_industries : int
        Industries ``行业01``…; sizes fall off as 1/rank.
    area_code : str
        The 6-digit county code: positions 3–8 of every credit code; areas are the 9-digit
        township codes ``area_code + "100"``… .
    n_areas : int
        Number of township codes.

    Returns
    -------
    TargetRoster
        Credit codes ``91`` + ``area_code`` + 9 characters + check character; risk classes
        about A 55 %, B 35 %, C 7 %, D 3 %; status 存续 92 %, 在业 5 %, 注销 2 %, 吊销 1 %;
        about 2 % 经营异常 (more in C and D); about 1.5 % with complaints; 15 % inspected
        between 2021 and 2023; tags 连锁 (5 %) and 重点监管 (every D, 10 % of C); and the
        user column ``risk_score`` (lognormal, median 1, 2, 4, 8 for A…D).

    Examples
    --------
    >>> from randcheck.example import synthetic_targets
    >>> roster = synthetic_targets(1000, seed=7)
    >>> len(roster), roster.risk_counts()
    (1000, {'A': 540, 'B': 352, 'C': 79, 'D': 29})
    >>> roster[0].credit_code
    '91130634HA41R2TX2N'
    """
    spec = _spec(n, seed, chunk_size, n_industries, area_code, n_areas)
    cols = {k: np.empty(spec.n, dtype=v.dtype) for k, v in _raw_chunk(spec, 0, 0).items()}
    start = 0
    for part in _chunks(spec, int(chunk_size)):
        stop = start + len(part["credit_code"])
        for k, v in part.items():
            cols[k][start:stop] = v
        start = stop
    # The codes are valid by construction (tests check it), so the build skips re-checking them;
    # it still checks that they are distinct. Label and tag columns go in their stored form
    # (Categorical, TagSet), so 10⁷ generated labels are not turned into strings and factorized.
    return TargetRoster.from_columns(
        {
            "credit_code": cols["credit_code"],
            "name": cols["name"],
            "risk_class": Categorical(cols["risk_class"], RISK_LETTERS),
            "industry": Categorical(cols["industry"], spec.industries),
            "area": Categorical(cols["area"], spec.areas),
            "status": Categorical(cols["status"], _STATUSES),
            "tags": TagSet(cols["tags"], _TAGS),
            "abnormal": cols["abnormal"],
            "complaints": cols["complaints"],
            "last_inspected": cols["last_inspected"],
            "risk_score": cols["risk_score"],
        },
        legacy_codes=True,
        extra=["risk_score"],
    )


def synthetic_officers(
    n: int,
    *,
    seed: int = 0,
    n_skills: int = 10,
    n_units: int = 5,
    area_code: str = AREA_CODE,
) -> OfficerRoster:
    """A synthetic officer directory of ``n`` rows, for tests and benchmarks.

    Officer ``i`` has id ``O000001``…, unit ``单位01``… (row ``i`` in unit ``i mod n_units``),
    department 商务局, and ``area`` the township code of its unit (``area_code + "100"`` for
    单位01, ``+ "101"`` for 单位02…), the same codes :func:`synthetic_targets` uses, so an
    officer's own area is found by equality. Each of ``专长01``… is held with probability 0.3;
    5 % are experts (专家库), 2 % are inactive, and the load cap is 10–40. Reproducible from
    ``seed`` by the same recipe as :func:`synthetic_targets`.

    Examples
    --------
    >>> from randcheck.example import synthetic_officers
    >>> officers = synthetic_officers(12, n_units=3)
    >>> officers[4].unit, officers[4].area
    ('单位02', '130634101')
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < 10**6:
        raise ValueError(f"n must be a whole number from 0 to 999999, got {n!r}")
    if not 0 <= n_skills <= 64:
        raise ValueError(f"n_skills must be from 0 to 64, got {n_skills!r}")
    if not 1 <= n_units <= 900:
        raise ValueError(f"n_units must be from 1 to 900, got {n_units!r}")
    _spec(0, seed, 1, 1, area_code, n_units)  # validates seed and area_code
    key = _seed_key(seed)
    idx = np.arange(n, dtype=np.uint64)
    unit = (idx % np.uint64(n_units)).astype(np.int32)
    bits = np.zeros(n, dtype=np.uint64)
    for k in range(n_skills):
        has = _uniform(_field_key(key, f"officer/skill/{k}"), idx) < 0.3
        bits |= has.astype(np.uint64) << np.uint64(k)
    ids = np.strings.add("O", np.strings.zfill((idx + np.uint64(1)).astype(STRING), 6))
    return OfficerRoster.from_columns(
        {
            "officer_id": ids,
            "name": np.strings.add("人员", (idx + np.uint64(1)).astype(STRING)),
            "unit": Categorical(unit, tuple(f"单位{k + 1:02d}" for k in range(n_units))),
            "department": Categorical(np.zeros(n, dtype=np.int32), ("商务局",)),
            "area": Categorical(unit, _area_codes(area_code, n_units)),
            "skills": TagSet(bits, tuple(f"专长{k + 1:02d}" for k in range(n_skills))),
            "expert": _uniform(_field_key(key, "officer/expert"), idx) < 0.05,
            "active": _uniform(_field_key(key, "officer/active"), idx) >= 0.02,
            "load_cap": 10 + (_uniform(_field_key(key, "officer/cap"), idx) * 31).astype(np.int64),
        }
    )
