"""Differential fuzz: the library and the reference verifier agree on every tampered record.

Thousands of mutations of published receipts and roster files (a field deleted or retyped, a key
written twice, a label's case changed, a number nudged, a probability changed, sample ids
swapped, roster rows edited...) are given to ``randcheck.verify`` and to the standard-library
reference verifier. Both must accept or both must refuse each one; the library may only refuse
with :class:`~randcheck.VerificationError` (or :class:`~randcheck.RosterError` for a roster file
it cannot load), and the reference verifier never raises. A mutation that changes nothing that
matters (rows reordered, JSON reformatted) must be accepted by both.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import randcheck
from _helpers import credit_codes, make_roster
from randcheck import RosterError, SamplingPlan, TargetRoster, VerificationError
from randcheck import reference_verifier as rv

RATES = {"A": 0.05, "B": 0.1, "C": 0.3, "D": 0.6, "E": 0.9}
#: Mutations per base draw, and per kind; ≥ 10⁴ in all (``test_the_fuzz_is_large_enough``).
RECEIPT_MUTATIONS = 1_150
ROSTER_MUTATIONS = 290


@dataclass(frozen=True)
class Base:
    """One published draw: receipt text, roster CSV text, and the ids of the roster."""

    name: str
    receipt: dict[str, Any]
    csv_text: str
    codes: list[str]


def _roster(n: int, seed: int) -> TargetRoster:
    rnd = random.Random(seed)
    classes = [rnd.choice("AAABBBCCDE") for _ in range(n)]
    return make_roster(
        classes,
        industries=[rnd.choice(["零售业", "餐饮业", "食品生产"]) for _ in range(n)],
        scores=[round(rnd.lognormvariate(0, 1), 3) for _ in range(n)],
        area=[rnd.choice(["130634", "130602"]) for _ in range(n)],
        status=[rnd.choice(["存续"] * 6 + ["在业", "注销"]) for _ in range(n)],
        tags=[rnd.choice(["", "连锁", "连锁;重点"]) for _ in range(n)],
        abnormal=[rnd.random() < 0.15 for _ in range(n)],
        complaints=[rnd.choice([0, 0, 1, 3]) for _ in range(n)],
        last_inspected=[rnd.choice(["", "2024-03-01", "2025-11-01"]) for _ in range(n)],
    )


def _plans() -> dict[str, SamplingPlan]:
    return {
        "rates": SamplingPlan(name="SW-01", rates=RATES),
        "total-crossed": SamplingPlan(
            total=12, strata=("risk_class", "industry"), no_exemption=True
        ),
        "overall-multipliers-attention": SamplingPlan(
            overall_rate=0.2,
            multipliers={"A": 0.5, "B": 1, "C": 2, "D": 3, "E": 3},
            attention="stratum",
        ),
        "eligibility": SamplingPlan(
            rates=RATES,
            eligibility=randcheck.sampling.Eligibility(
                industries=["零售业", "餐饮业"], recent_days=365, as_of="2025-12-31"
            ),
        ),
        "pps": SamplingPlan(rates=RATES, within="pps", size_column="risk_score"),
    }


def _csv_text(roster: TargetRoster, folder: Path) -> str:
    path = folder / "base.csv"
    roster.to_csv(path)
    return path.read_text(encoding="utf-8")


SEED_RULE = randcheck.SeedRule.shuangseqiu()


def _seed(i: int) -> str:
    """A 双色球 result of 2025-03-0i, as the committed rule reads it."""
    return f"双色球 2025-03-0{i + 1} 03 08 14 2{i} 30 31 + 0{i + 1}"


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list[Base]:
    folder = tmp_path_factory.mktemp("parity")
    out = []
    for i, (name, plan) in enumerate(_plans().items()):
        roster = _roster(48, i)
        codes = np.strings.decode(roster.credit_code, "ascii").tolist()
        if i % 2 == 0:  # committed: the key path and the seed's spelling are fixed first
            rule = SEED_RULE.on(f"2025-03-0{i + 1}")  # the date of the seed's draw
            c = randcheck.commit(roster, plan, seed_rule=rule, seed_from="福彩双色球")
            d = randcheck.draw(roster, plan, seed=_seed(i), commitment=c)
        else:
            d = randcheck.draw(roster, plan, seed=_seed(i), stream="SW-01")
        receipt = json.loads(d.receipt.to_json())
        out.append(Base(name, receipt, _csv_text(roster, folder), codes))
    roster = _roster(48, 99)
    items = [
        randcheck.models.Item("SW-01", "retail", "商务局", industries={"零售业"}, rate=0.3),
        randcheck.models.Item(
            "SW-02", "food", "商务局", industries={"餐饮业", "食品生产"}, rate=0.2
        ),
        randcheck.models.Item("GA-07", "chains", "公安局", tags={"连锁"}, rate=0.25),
    ]
    codes = np.strings.decode(roster.credit_code, "ascii").tolist()
    for coordinated in (True, False):
        c = randcheck.commit_batch(
            roster,
            items,
            coordinated=coordinated,
            seed_rule=SEED_RULE.on("2025-03-09"),
            seed_from="福彩双色球",
        )
        b = randcheck.draw_batch(
            roster, items, seed=_seed(8), coordinated=coordinated, commitment=c
        )
        receipt = json.loads(b.receipt.to_json())
        out.append(Base(f"batch-{coordinated}", receipt, _csv_text(roster, folder), codes))
    return out


# ------------------------------------------------------------------------------ verdicts
class Verdicts:
    """Runs both verifiers on (receipt text, CSV text); caches loaded rosters by CSV text."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rosters: dict[str, tuple[Path, TargetRoster | RosterError]] = {}
        self.crashes: list[str] = []  # the library raised something other than its errors

    def _roster(self, csv_text: str) -> tuple[Path, TargetRoster | RosterError]:
        if csv_text not in self.rosters:
            path = self.folder / f"r{len(self.rosters)}.csv"
            path.write_text(csv_text, encoding="utf-8")
            loaded: TargetRoster | RosterError
            try:
                loaded = TargetRoster.from_csv(path, legacy_codes=True, unknown_columns="keep")
            except RosterError as exc:
                loaded = exc
            self.rosters[csv_text] = (path, loaded)
        return self.rosters[csv_text]

    def library(self, text: str, csv_text: str) -> bool:
        _, roster = self._roster(csv_text)
        if isinstance(roster, RosterError):
            return False
        try:
            randcheck.verify(text, roster)
        except VerificationError:
            return False
        except Exception as exc:  # recorded, so that one run shows every kind of crash
            self.crashes.append(f"{type(exc).__name__}: {exc}")
            return False
        return True

    def reference(self, text: str, csv_text: str) -> bool:
        path, _ = self._roster(csv_text)
        receipt = self.folder / "receipt.json"
        receipt.write_text(text, encoding="utf-8")
        return rv.verify_files(str(receipt), str(path)).ok


# ------------------------------------------------------------------------------ mutations
Mutation = tuple[str, str, str]  # (description, receipt text, CSV text)
JSON_VALUES: list[Any] = [None, True, False, 0, 1, -1, 0.5, 1.5, "", "x", "A", [], ["x"], {}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (not the root)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*path, k)
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:6]):  # enough of long lists
            yield (*path, i)
            yield from _paths(v, (*path, i))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _dump(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1)


def _nudged(rnd: random.Random, v: float | int) -> Any:
    if isinstance(v, int):
        return v + rnd.choice([-1, 1, 2, -v - 1 if v else 5])
    return rnd.choice(
        [
            math.nextafter(v, math.inf),
            math.nextafter(v, -math.inf),
            v * (1 + 1e-12),
            v * 2,
            -v,
            v + 1,
            round(v, 2),
        ]
    )


def receipt_mutation(rnd: random.Random, base: Base) -> Mutation:
    top = copy.deepcopy(base.receipt)
    doc = rnd.choice(top["draws"]) if "draws" in top else top  # a batch: one of its draws
    paths = list(_paths(top))
    kind = rnd.choice(
        [
            "delete",
            "retype",
            "duplicate",
            "label",
            "collide",
            "nudge",
            "probability",
            "swap-ids",
            "string",
            "same",
        ]
    )
    csv_text = base.csv_text
    if kind == "delete":
        path = rnd.choice(paths)
        parent = _get(top, path[:-1])
        del parent[path[-1]]
        return f"delete {path}", _dump(top), csv_text
    if kind == "retype":
        path = rnd.choice(paths)
        value = copy.deepcopy(rnd.choice(JSON_VALUES))
        _get(top, path[:-1])[path[-1]] = value
        return f"set {path} = {value!r}", _dump(top), csv_text
    if kind == "duplicate":
        # A key written twice: the same value, or another one after it.
        objects = [p for p in paths if isinstance(_get(top, p), dict)] or [()]
        where = rnd.choice([(), *objects])
        obj = _get(top, where)
        if not obj:
            return "duplicate in an empty object (no-op)", _dump(top), csv_text
        key = rnd.choice(list(obj))
        second = obj[key] if rnd.random() < 0.5 else rnd.choice(JSON_VALUES)
        marker = "__DUPLICATE__"
        obj[marker] = second
        text = _dump(top).replace(json.dumps(marker), json.dumps(key, ensure_ascii=False))
        return f"duplicate key {key!r} in {where}", text, csv_text
    if kind in ("label", "collide"):
        objects = [p for p in paths if isinstance(_get(top, p), dict) and _get(top, p)]
        where = rnd.choice([(), *objects])
        obj = _get(top, where)
        key = rnd.choice(list(obj))
        twin = rnd.choice([key.lower(), key.upper(), key.swapcase(), _full_width(key)])
        if kind == "label":
            value = obj.pop(key)
            obj[twin] = value
            return f"rename {key!r} to {twin!r} in {where}", _dump(top), csv_text
        if twin == key:
            twin = key + "\u0301" if rnd.random() < 0.5 else _full_width(key)
        obj[twin] = copy.deepcopy(rnd.choice([*JSON_VALUES, obj[key]]))
        return f"add {twin!r} beside {key!r} in {where}", _dump(top), csv_text
    if kind == "nudge":
        numeric = [p for p in paths if type(_get(top, p)) in (int, float)]
        path = rnd.choice(numeric)
        value = _nudged(rnd, _get(top, path))
        _get(top, path[:-1])[path[-1]] = value
        return f"nudge {path} to {value!r}", _dump(top), csv_text
    if kind == "probability":
        i = rnd.randrange(len(doc["strata"]))
        s = doc["strata"][i]
        s["probability"] = rnd.choice([0.5, 0.05, s["probability"] * 10, 1.0, 0.0])
        return f"strata[{i}].probability = {s['probability']}", _dump(top), csv_text
    if kind == "swap-ids":
        ids = doc["sample_ids"]
        others = sorted(set(base.codes) - set(ids))
        how = rnd.choice(["replace", "drop", "add", "repeat", "reorder"])
        if how == "replace" and ids and others:
            ids[rnd.randrange(len(ids))] = rnd.choice(others)
        elif how == "drop" and ids:
            ids.pop(rnd.randrange(len(ids)))
        elif how == "add" and others:
            ids.append(rnd.choice(others))
        elif how == "repeat" and ids:
            ids.append(rnd.choice(ids))
        else:
            rnd.shuffle(ids)
        if rnd.random() < 0.7:  # a forger keeps the receipt consistent with itself
            doc["sample_size"] = len(ids)
            doc["sample_digest"] = rv.sample_digest(ids)
        return f"sample ids: {how}", _dump(top), csv_text
    if kind == "string":
        strings = [p for p in paths if isinstance(_get(top, p), str)]
        path = rnd.choice(strings)
        old = _get(top, path)
        new = rnd.choice([old + "x", old.upper(), old.strip() + " ", "", old[:-1], f" {old}"])
        _get(top, path[:-1])[path[-1]] = new
        return f"string {path}: {old!r} -> {new!r}", _dump(top), csv_text
    # "same": the same record, written another way
    text = rnd.choice(
        [
            json.dumps(top, ensure_ascii=True),
            json.dumps(top, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
            json.dumps(dict(reversed(list(top.items()))), ensure_ascii=False, indent=3),
        ]
    )
    return "the same receipt, reformatted", text, csv_text


def _full_width(key: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in key)


def roster_mutation(rnd: random.Random, base: Base) -> Mutation:
    table = list(csv.reader(io.StringIO(base.csv_text)))
    header, rows = table[0], table[1:]
    text = _dump(base.receipt)
    draws = base.receipt.get("draws", [base.receipt])
    sampled = {i for d in draws for i in d["sample_ids"]}
    how = rnd.choice(["edit", "edit-sampled", "delete", "duplicate", "add", "reorder", "swap"])
    if how in ("edit", "edit-sampled"):
        pool = [r for r in rows if (r[0] in sampled) == (how == "edit-sampled")] or rows
        row = rnd.choice(pool)
        col = rnd.choice(
            [
                "name",
                "risk_class",
                "industry",
                "area",
                "status",
                "tags",
                "abnormal",
                "complaints",
                "last_inspected",
                "risk_score",
            ]
        )
        j = header.index(col)
        row[j] = rnd.choice(_EDITS[col](row[j]))
    elif how == "delete":
        rows.pop(rnd.randrange(len(rows)))
    elif how == "duplicate":
        rows.append(list(rnd.choice(rows)))
    elif how == "add":
        new = list(rnd.choice(rows))
        new[0] = credit_codes(1, offset=10_000 + rnd.randrange(10_000))[0].decode()
        rows.insert(rnd.randrange(len(rows) + 1), new)
    elif how == "reorder":
        rnd.shuffle(rows)
    else:
        a, b = rnd.sample(range(len(rows)), 2)
        j = header.index("risk_class")
        rows[a][j], rows[b][j] = rows[b][j], rows[a][j]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return f"roster: {how}", text, out.getvalue()


_EDITS: dict[str, Callable[[str], list[str]]] = {
    "name": lambda v: [v + "x", "另一家公司"],
    "risk_class": lambda v: [c for c in "ABCDE" if c != v],
    "industry": lambda v: [i for i in ("零售业", "餐饮业", "食品生产", "批发业") if i != v],
    "area": lambda v: ["130634" if v != "130634" else "130602", "130699"],
    "status": lambda v: [s for s in ("存续", "在业", "注销", "吊销") if s != v],
    "tags": lambda v: [t for t in ("", "连锁", "连锁;重点", "重点") if t != v],
    "abnormal": lambda v: ["0" if v == "1" else "1"],
    "complaints": lambda v: [str(int(v or 0) + 1), "0" if v != "0" else "2"],
    "last_inspected": lambda v: [d for d in ("", "2025-06-01", "2024-01-15") if d != v],
    "risk_score": lambda v: [str(float(v) * 2), "0.5" if v != "0.5" else "0.25"],
}


def _mutations(bases: list[Base], seed: int) -> Iterator[Mutation]:
    rnd = random.Random(seed)
    for base in bases:
        for _ in range(RECEIPT_MUTATIONS):
            yield receipt_mutation(rnd, base)
        for _ in range(ROSTER_MUTATIONS):
            yield roster_mutation(rnd, base)


# ------------------------------------------------------------------------------ the tests
def test_both_verifiers_accept_the_untouched_bases(bases: list[Base], tmp_path: Path) -> None:
    v = Verdicts(tmp_path)
    for base in bases:
        text = _dump(base.receipt)
        assert v.library(text, base.csv_text), base.name
        assert v.reference(text, base.csv_text), base.name


def test_the_fuzz_is_large_enough(bases: list[Base]) -> None:
    assert len(bases) * (RECEIPT_MUTATIONS + ROSTER_MUTATIONS) >= 10_000


@pytest.mark.slow
def test_library_and_reference_verifier_agree_on_every_mutation(
    bases: list[Base], tmp_path: Path
) -> None:
    v = Verdicts(tmp_path)
    disagreements = []
    counts = {"both accept": 0, "both refuse": 0}
    for description, text, csv_text in _mutations(bases, seed=20251203):
        lib, ref = v.library(text, csv_text), v.reference(text, csv_text)
        if v.crashes:
            disagreements.append(f"{description}: library raised {v.crashes.pop()}")
        elif lib != ref:
            disagreements.append(f"{description}: library {lib}, reference {ref}")
        else:
            counts["both accept" if lib else "both refuse"] += 1
    assert disagreements == [], f"{len(disagreements)} disagreements: " + "\n".join(
        disagreements[:40]
    )
    # Both outcomes occur: the fuzz is not all refusals (nor all acceptances).
    assert counts["both accept"] > 300
    assert counts["both refuse"] > 5_000
