"""Reference verifier for randcheck draws (双随机 抽取结果核验), in standard-library Python only.

Usage::

    python reference_verifier.py receipt.json roster.csv [commitment.json] [--accept-retired]

``receipt.json`` is the published receipt of an official draw (``randcheck-receipt/2``) or of a
batch of item draws (``randcheck-batch/2``), and ``roster.csv`` the published roster, as written
by ``TargetRoster.to_csv``. The program reads the receipt strictly (a duplicate key, an unknown
or missing field or a value of the wrong type is reported, never guessed at), checks the seed
against the committed seed rule (``randcheck-seed-rule/2``, or ``/1`` in a record of
version 0.1.0) and the commitment
(``randcheck-commitment/2``), recomputes the roster's fingerprint (recipe ``randcheck-roster/2``)
and the whole draw from the receipt's public seed, key path, stream and plan (``randcheck-prn/2``,
``randcheck-draw/2``), then compares the strata (sizes, expected sizes, probabilities) and the
sample with the receipt. For a batch it does so for every item's draw (or the joint task's one
draw, on the roster restricted to the items' scopes), checks the batch commitment
(``randcheck-batch-plans/2``, or ``/1`` in a record of 0.1.0) and recomputes the merge into
visits (``randcheck-merge/1``). It
prints a report and exits with 0 when everything matches, 1 if not; whatever the input, it
reports, it does not crash. Given the commitment published before the seed
(``commitment.json``), it also checks that the receipt was drawn under that one: a receipt
verifies against the commitment it records, and only the published file shows which one that
should be.

It needs neither randcheck nor numpy: copy this one file to any machine with Python 3.11 or later.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# fmt: off
COLUMNS = ("credit_code", "name", "risk_class", "industry", "area", "status", "tags",
           "abnormal", "complaints", "last_inspected")
RECIPES = {"prn": "randcheck-prn/2", "design": "randcheck-draw/2",
           "roster": "randcheck-roster/2", "sample": "randcheck-sample/1"}
RECEIPT_FIELDS = {"format": str, "recipes": dict, "library": str, "verifiable": bool,
                  "seed": str, "path": list, "stream": str, "plan": dict, "roster_digest": str,
                  "roster_size": int, "eligible": int, "strata": list, "sample_size": int,
                  "sample_digest": str, "sample_ids": list, "commitment": (str, type(None)),
                  "seed_rule": (dict, type(None)), "seed_from": (str, type(None)),
                  "warnings": list, "drawn_at": str, "drawn_by": (str, type(None))}
BATCH_FIELDS = {"format": str, "mode": str, "batch": str, "seed": str, "verifiable": bool,
                "roster_digest": str, "items": list, "draws": list, "merge_recipe": str,
                "visits": int, "visits_digest": str, "team_size": int, "lead_order": list,
                "year": (int, type(None)), "commitment": (str, type(None)),
                "seed_rule": (dict, type(None)), "seed_from": (str, type(None)),
                "warnings": list}
ITEM_FIELDS = {"code": str, "name": str, "department": str, "kind": str, "industries": list,
               "tags": list, "skills": list, "rate": (int, float, type(None))}
STRATUM_FIELDS = {"key": list, "population": int, "expected": (int, float), "size": int,
                  "probability": (int, float), "size_total": (int, float, type(None))}
UNCOMMITTED = ("无承诺 uncommitted: this official draw was made without a commitment published "
               "before the seed; nothing shows that the roster, plan, key path and spelling of "
               "the seed were fixed before the seed was known")
# fmt: on
OPT_FLOAT = (int, float, type(None))
OPT_INT = (int, type(None))
OPT_STR = (str, type(None))
OPT_LIST = (list, type(None))
OPT_DICT = (dict, type(None))
PLAN_TYPES = {"format": str, "name": str, "eligibility": dict, "strata": list,
              "rates": OPT_DICT, "overall_rate": OPT_FLOAT, "multipliers": OPT_DICT,
              "total": OPT_INT, "allocation": str, "prevalence": OPT_DICT, "min_per_stratum": int,
              "no_exemption": bool, "within": str, "size_column": OPT_STR, "attention": str,
              "attention_multiplier": (int, float), "attention_rate": OPT_FLOAT,
              "attention_min_complaints": int}  # fmt: skip
ELIGIBILITY_LISTS = ("industries", "tags", "areas", "risk_classes", "statuses",
                     "exclude_statuses")  # fmt: skip
ELIGIBILITY_TYPES = {"industries": OPT_LIST, "tags": OPT_LIST, "areas": OPT_LIST,
                     "area_prefix": OPT_STR, "risk_classes": OPT_LIST, "statuses": OPT_LIST,
                     "exclude_statuses": list, "recent_days": OPT_INT,
                     "as_of": OPT_STR}  # fmt: skip
LIST_FIELDS = ("industries", "tags", "skills")
ATTENTION = "关注"
INACTIVE = [
    "迁出",
    "注销",
    "吊销",
    "吊销，未注销",
    "吊销，已注销",
    "撤销",
    "停业",
    "歇业",
    "清算",
]  # the inactive 登记状态 of randcheck.models.REGISTRATION_STATUSES
Row = dict[str, str]
Key = tuple[str, ...]


class VerifierError(Exception):
    """The receipt or the roster cannot be read, or the draw cannot be recomputed from them."""


@dataclass
class Report:
    """Each line checked (True passed, False failed, None for information) and the sample."""

    checks: list[tuple[bool | None, str]] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)
    #: Accept a record of 0.1.0 under the retired seed rule /1 (its seed date checked by a
    #: person): ``--accept-retired``.
    accept_retired: bool = False

    @property
    def ok(self) -> bool:
        results = [passed for passed, _ in self.checks if passed is not None]
        return bool(results) and all(results)

    def add(self, passed: bool | None, text: str) -> None:
        self.checks.append((passed, text))

    def check(self, passed: bool, if_ok: str, if_not: str, detail: str) -> None:
        self.add(passed, f"{if_ok if passed else if_not}: {detail}")

    def text(self) -> str:
        mark = {True: "[ok]  ", False: "[FAIL]", None: "      "}
        lines = [f"{mark[passed]} {text}" for passed, text in self.checks]
        verdict = "验证通过 VERIFIED" if self.ok else "验证失败 NOT VERIFIED"
        return "\n".join([*lines, f"结论 result: {verdict}"])


# ---------------------------------------------------------------- randcheck-roster/2
def read_roster(path: str) -> tuple[list[str], list[Row]]:
    """The CSV's columns (fixed ones, then the user's own, alphabetical) and its rows."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    if not table or tuple(table[0][: len(COLUMNS)]) != COLUMNS:
        raise VerifierError(f"{path}: the header must start with {','.join(COLUMNS)}")
    header = table[0]
    rows = []
    for line, values in enumerate(table[1:], start=2):
        if len(values) != len(header):
            raise VerifierError(f"{path}, row {line}: {len(values)} fields, expected {len(header)}")
        rows.append(dict(zip(header, values, strict=True)))
    return [*COLUMNS, *sorted(header[len(COLUMNS) :])], rows


def id_key(unit_id: str) -> int:
    """The id's 64-bit key: SplitMix64's finaliser over its 8-byte little-endian pieces."""
    data = unit_id.encode("utf-8")
    h = len(data)
    for i in range(0, len(data), 8):
        z = h ^ int.from_bytes(data[i : i + 8], "little")
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
        h = z ^ (z >> 31)
    return h


def roster_digest(
    columns: Sequence[str], rows: Iterable[Row], recipe: str = "randcheck-roster/2"
) -> str:
    """Rows in 256 buckets by the id key's top byte, each hashed in (key, id) order; a root."""
    rows = list(rows)
    ident = columns[0]
    buckets: list[list[tuple[int, bytes, bytes]]] = [[] for _ in range(256)]
    for row in rows:
        k = id_key(row[ident])
        line = ("\t".join(row[c] for c in columns) + "\n").encode("utf-8")
        buckets[k >> 56].append((k, row[ident].encode("utf-8"), line))
    head = f"{recipe}\n" + "\t".join(columns) + f"\n{len(rows)}\n"
    root = hashlib.sha256(head.encode("utf-8"))
    for bucket in buckets:
        root.update(hashlib.sha256(b"".join(line for _, _, line in sorted(bucket))).digest())
    return "sha256:" + root.hexdigest()


# ---------------------------------------------------------------- strict reading
def label_class(label: str) -> str:
    """NFKC, case folded, NFKC again: "A", "a" and the full-width "Ａ" are one label."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", label).casefold())


def strict_json(text: str) -> Any:
    """JSON with no duplicate key, no two keys naming one label, and no NaN or Infinity."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        classes: dict[str, str] = {}
        for k, v in items:
            if k in out:
                raise VerifierError(f"the JSON holds the key {k!r} twice")
            other = classes.setdefault(label_class(k), k)
            if other != k:
                raise VerifierError(f"the keys {other!r} and {k!r} name one label")
            out[k] = v
        return out

    def constant(name: str) -> Any:
        raise VerifierError(f"the JSON holds {name}, which is not a number JSON allows")

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise VerifierError(f"the JSON holds {text}, too large for a number")
        return value

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_float=number)


def check_fields(d: Any, fields: dict[str, Any], what: str) -> None:
    """``d`` is an object with exactly these fields, each of its type (``true`` is no number)."""
    if not isinstance(d, dict):
        raise VerifierError(f"{what}: expected an object, got {type(d).__name__}")
    if set(d) != set(fields):
        raise VerifierError(
            f"{what}: unknown fields {sorted(set(d) - set(fields))}, missing fields "
            f"{sorted(set(fields) - set(d))}"
        )
    for name, kind in fields.items():
        kinds = kind if isinstance(kind, tuple) else (kind,)
        value = d[name]
        if isinstance(value, bool) and bool not in kinds:
            raise VerifierError(f"{what}: {name} must not be true/false")
        if not isinstance(value, kinds):
            raise VerifierError(f"{what}: {name} has the wrong type ({type(value).__name__})")


def check_strings(values: Any, what: str, nonempty: bool = True) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise VerifierError(f"{what}: expected a list of strings")
    if nonempty and not all(values):
        raise VerifierError(f"{what}: a label is empty")
    return values


# ---------------------------------------------------------------- randcheck-seed-rule/2 (and /1)
SEPARATORS = re.compile(r"[\s,;:+|/、]+")
DATE = re.compile(
    r"(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2}))"
    r"(?=$|[\s,;:+|/、])"
)
RULE_FIELDS = {"recipe": str, "name": str, "label": str, "kind": str, "groups": list,
               "dated": bool, "hex_length": (int, type(None)),
               "pattern": (str, type(None))}  # fmt: skip
RULE_FIELDS_2 = {**RULE_FIELDS, "date": (str, type(None))}
GROUP_FIELDS = {"name": str, "count": int, "low": int, "high": int, "width": int,
                "sorted": bool, "distinct": bool}  # fmt: skip


def canonical_seed(seed: str, rule: dict[str, Any]) -> str:
    """The seed's canonical form under ``rule``, or VerifierError saying why it does not fit.

    ``/2`` differs from ``/1`` in three refusals: a digit of another script, a pattern matched
    with Unicode classes or ignoring case, and a date other than the rule's ``date``.
    """
    two = rule.get("recipe") == "randcheck-seed-rule/2"
    if not two and rule.get("recipe") != "randcheck-seed-rule/1":
        raise VerifierError(f"seed_rule: recipe {rule.get('recipe')!r} is not one verified here")
    check_fields(rule, RULE_FIELDS_2 if two else RULE_FIELDS, "seed_rule")
    if two and rule["date"] is not None and not (rule["dated"] and rule["kind"] == "numbers"):
        raise VerifierError("seed_rule: a date is given to a rule that is not dated")
    text = unicodedata.normalize("NFKC", seed)
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Co", "Cs", "Cn") or (cat == "Cc" and not ch.isspace()):
            raise VerifierError(f"the seed holds the invisible character U+{ord(ch):04X}")
        if two and cat == "Nd" and ch not in "0123456789":
            raise VerifierError(f"the seed holds {ch!r}, a digit of another script")
    text = " ".join(text.split())
    if not text:
        raise VerifierError("the seed is empty")
    if rule["kind"] == "pattern" and isinstance(rule["pattern"], str):
        pattern = re.compile(rule["pattern"], re.ASCII if two else 0)
        scoped = re.search(r"\(\?[aiLmsux]*i[aiLmsux]*(?:-[imsx]*)?[:)]", rule["pattern"])
        if two and (pattern.flags & re.IGNORECASE or scoped):
            raise VerifierError("seed_rule: the pattern ignores case")
        if pattern.fullmatch(text) is None:
            raise VerifierError(f"the seed does not match the pattern {rule['pattern']!r}")
        return text
    if rule["kind"] == "hex" and isinstance(rule["hex_length"], int):
        if re.fullmatch(f"[0-9a-f]{{{rule['hex_length']}}}", text.lower()) is None:
            raise VerifierError(f"the seed is not {rule['hex_length']} hexadecimal characters")
        return text.lower()
    if rule["kind"] != "numbers" or not rule["groups"]:
        raise VerifierError(f"seed_rule: kind {rule['kind']!r} is not numbers, hex or pattern")
    for g in rule["groups"]:
        check_fields(g, GROUP_FIELDS, "seed_rule group")
        # The group's own rules (as the library's NumberGroup): a rule that breaks them is no
        # rule randcheck writes, and a verifier must not read it more loosely than it.
        if not (
            g["name"]
            and g["count"] >= 1
            and 0 <= g["low"] <= g["high"]
            and g["width"] >= 1
            and len(str(g["high"])) <= g["width"]
            and (not g["distinct"] or g["high"] - g["low"] + 1 >= g["count"])
        ):
            raise VerifierError(f"seed_rule group {g['name']!r}: its fields do not make a group")

    def drop_name(text: str) -> tuple[str, bool]:
        for name in (rule["label"], rule["name"]):
            if name and text.casefold().startswith(name.casefold()):
                after = text[len(name) :]
                if not after or after[0] == " ":
                    return after.lstrip(" "), True
        return text, False

    rest, named = drop_name(text)
    out = [rule["label"]]
    if rule["dated"]:
        m = DATE.match(rest)
        if m is None:
            raise VerifierError("the seed does not start with the draw date")
        y, mo, d = (int(v) for v in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
        out.append(dt.date(y, mo, d).isoformat())
        if two and rule["date"] is not None and out[-1] != rule["date"]:
            raise VerifierError(f"the seed's date {out[-1]} is not the committed {rule['date']}")
        rest = rest[m.end() :].lstrip(" ")
        if not named:
            rest = drop_name(rest)[0]
    pieces = [p for p in SEPARATORS.split(rest) if p]
    if not all(p.isascii() and p.isdigit() for p in pieces):
        raise VerifierError("the seed holds something other than numbers after the date")
    if all(g["width"] == 1 for g in rule["groups"]):
        pieces = list("".join(pieces))
    numbers = [int(p) for p in pieces]
    if len(numbers) != sum(g["count"] for g in rule["groups"]):
        raise VerifierError("the seed has the wrong count of numbers")
    groups = []
    for g in rule["groups"]:
        values, numbers = numbers[: g["count"]], numbers[g["count"] :]
        if not all(g["low"] <= v <= g["high"] for v in values):
            raise VerifierError(f"a {g['name']} number is out of range")
        if g["distinct"] and len(set(values)) != len(values):
            raise VerifierError(f"a {g['name']} number appears twice")
        values = sorted(values) if g["sorted"] else values
        groups.append(" ".join(str(v).zfill(g["width"]) for v in values))
    return " ".join([*out, " + ".join(groups)])


# ---------------------------------------------------------------- randcheck-prn/2
def root_key(seed: str) -> bytes:
    return hashlib.sha256(b"randcheck-prn/2\x00" + seed.strip().encode("utf-8")).digest()


def child_key(key: bytes, label: str) -> bytes:
    raw = label.encode("utf-8")
    return hashlib.sha256(key + b"\x00" + len(raw).to_bytes(4, "big") + raw).digest()


def uniform(key: bytes, unit_id: str) -> float:
    head = hashlib.sha256(key + b"\x01" + unit_id.encode("utf-8")).digest()[:8]
    return (int.from_bytes(head, "big") >> 11) / 2**53


# ---------------------------------------------------------------- randcheck-draw/2
def is_eligible(row: Row, e: dict[str, Any]) -> bool:
    """Step 1: every condition the plan sets holds, status not excluded, not inspected lately."""

    def within(value: str, allowed: list[str] | None) -> bool:
        return allowed is None or value in allowed

    tags = set(row["tags"].split(";")) - {""}
    classes = e.get("risk_classes")
    if classes is not None:
        classes = [str(c).strip().upper().removesuffix("类") for c in classes]
    ok = (
        within(row["industry"], e.get("industries"))
        and within(row["area"], e.get("areas"))
        and within(row["status"], e.get("statuses"))
        and within(row["risk_class"], classes)
        and (e.get("tags") is None or bool(tags & set(e["tags"])))
        and row["area"].startswith(e.get("area_prefix") or "")
        and row["status"] not in e.get("exclude_statuses", [])
    )
    if ok and e.get("recent_days") is not None and row["last_inspected"]:
        cutoff = dt.date.fromisoformat(e["as_of"]) - dt.timedelta(days=e["recent_days"])
        ok = dt.date.fromisoformat(row["last_inspected"]) <= cutoff
    return ok


def stratum_key(row: Row, plan: dict[str, Any]) -> Key:
    """Step 2: the labels of the plan's stratum columns, plus the attention flag if used."""
    key = [row[c] for c in plan["strata"]]
    if plan["attention"] == "none":
        return tuple(key)
    flagged = row["abnormal"] == "1" or int(row["complaints"]) >= plan["attention_min_complaints"]
    if plan["attention"] == "stratum":
        return (ATTENTION,) if flagged else tuple(key)
    return (*key, ATTENTION if flagged else "")


def add_up(values: Iterable[float]) -> float:
    """Left-to-right float sum (the recipe's fixed order; not ``math.fsum``)."""
    total = 0.0
    for v in values:
        total += v
    return total


def fill_to_total(
    weights: list[float], lower: list[float], upper: list[float], total: float
) -> list[float]:
    """``x_h = clip(c·w_h, L_h, U_h)`` summing to ``total``: 200 bisection steps, then rescale."""
    if total <= add_up(lower):
        return list(lower)
    if total >= add_up(upper):
        return list(upper)
    if total > add_up(u if w > 0 else lo for w, lo, u in zip(weights, lower, upper, strict=True)):
        raise VerifierError(
            "the allocation cannot reach its total: strata with a positive weight are too small"
        )

    def sizes(c: float) -> list[float]:
        return [min(u, max(lo, c * w)) for w, lo, u in zip(weights, lower, upper, strict=True)]

    lo_c, hi_c = 0.0, 1.0
    while add_up(sizes(hi_c)) < total:
        hi_c *= 2.0
    for _ in range(200):
        mid = (lo_c + hi_c) / 2.0
        lo_c, hi_c = (mid, hi_c) if add_up(sizes(mid)) < total else (lo_c, mid)
    x = sizes(hi_c)
    free = [i for i, v in enumerate(x) if lower[i] < v < upper[i]]
    if free:
        fixed = add_up(v for i, v in enumerate(x) if i not in free)
        wsum = add_up(weights[i] for i in free)
        for i in free:
            x[i] = (total - fixed) * weights[i] / wsum
    return x


def expected_sizes(plan: dict[str, Any], keys: list[Key], pops: list[int]) -> list[float]:
    """Step 3: expected sample size per stratum."""

    def value(table: str, key: Key) -> float:
        v = (plan.get(table) or {}).get(key[0])
        if v is None:
            raise VerifierError(f"the plan's {table} gives no value for class {key[0]}")
        return float(v)

    def factor(key: Key) -> float:
        raised = plan["attention"] == "multiplier" and key[-1] == ATTENTION
        return float(plan["attention_multiplier"]) if raised else 1.0

    least = max(plan["min_per_stratum"], 1 if plan["no_exemption"] else 0)
    lower = [float(min(n, least)) for n in pops]
    upper = [float(n) for n in pops]
    weights = []
    if plan["total"] is not None:
        if plan["total"] > sum(pops) or add_up(lower) > plan["total"]:
            raise VerifierError(
                f"total {plan['total']} does not fit {sum(pops)} eligible "
                f"targets and the minimums per stratum"
            )
        for key, n in zip(keys, pops, strict=True):
            if key == (ATTENTION,) or plan["allocation"] == "proportional":
                w = float(n)
            elif plan["allocation"] == "equal":
                w = 1.0
            else:  # neyman
                p = value("prevalence", key)
                w = n * math.sqrt(p * (1.0 - p))
            weights.append(w * factor(key))
        return fill_to_total(weights, lower, upper, float(plan["total"]))
    if plan["overall_rate"] is not None:
        for key, n in zip(keys, pops, strict=True):
            plain = plan["multipliers"] is None or key == (ATTENTION,)
            weights.append(n * (1.0 if plain else value("multipliers", key)) * factor(key))
        target = max(plan["overall_rate"] * sum(pops), add_up(lower))
        return fill_to_total(weights, lower, upper, target)
    out = []
    for key, n, lo in zip(keys, pops, lower, strict=True):
        if key == (ATTENTION,):
            rate = float(plan["attention_rate"])
        else:
            rate = min(1.0, value("rates", key) * factor(key))
        out.append(max(lo, n * rate))
    return out


def systematic_rounding(expected: list[float], start: float, exact_total: bool) -> list[int]:
    """Step 4: ``floor(x_h)`` plus one per point ``start + k`` in ``[C_{h-1}, C_h)``."""
    floors = [math.floor(x) for x in expected]
    cum, c = [], 0.0
    for x, f in zip(expected, floors, strict=True):
        c += x - f
        cum.append(c)
    if exact_total and cum:
        cum[-1] = float(round(cum[-1]))

    def points_below(c: float) -> int:
        # Exact: c - floor(c) is exact in floats; math.ceil(c - start) is not.
        whole = math.floor(c)
        return whole + (1 if start < c - whole else 0)

    return [
        f + points_below(c) - points_below(p)
        for f, c, p in zip(floors, cum, [0.0, *cum][:-1], strict=True)
    ]


def pareto_lambdas(scores: list[float], n: int) -> list[float]:
    """Step 5, πps: ``λ_i = c·s_i``, or 1 for take-all targets; ``c`` is re-solved each round.

    ``c = m / T`` with ``m`` the size left after the take-all targets and ``T`` the exact sum
    (``math.fsum``) of the other scores; a target with ``c·s_i ≥ 1`` becomes take-all.
    """
    if n >= len(scores):
        return [1.0] * len(scores)
    capped = [False] * len(scores)
    while True:
        m = n - sum(capped)
        rest = [s for s, k in zip(scores, capped, strict=True) if not k]
        c = m / math.fsum(rest) if m > 0 and rest else 0.0
        newly = [i for i, s in enumerate(scores) if not capped[i] and c * s >= 1.0]
        if not newly:
            return [1.0 if k else c * s for s, k in zip(scores, capped, strict=True)]
        for i in newly:
            capped[i] = True


def pareto_rank(u: float, lam: float) -> float:
    """IEEE arithmetic, as numpy computes it: a denominator that underflows to 0 (a subnormal
    λ) gives +inf, not an exception."""
    if lam >= 1.0:
        return 0.0
    if lam <= 0.0:
        return math.inf
    num, den = u * (1.0 - lam), (1.0 - u) * lam
    if den == 0.0:
        return math.nan if num == 0.0 else math.inf
    return num / den


def check_plan(plan: Any) -> None:
    """A plan: randcheck-plan/1's fields and types, valid, and written in canonical form."""
    check_fields(plan, PLAN_TYPES, "plan")
    e = plan["eligibility"]
    check_fields(e, ELIGIBILITY_TYPES, "plan eligibility")
    for k in ("industries", "tags", "areas", "risk_classes", "statuses", "exclude_statuses"):
        if e[k] is not None:
            check_strings(e[k], f"eligibility.{k}", nonempty=False)
    check_strings(plan["strata"], "plan strata")
    strata = plan["strata"]
    given = [k for k in ("rates", "overall_rate", "total") if plan[k] is not None]
    wrong = [
        plan["format"] != "randcheck-plan/1",
        len(given) != 1,
        not strata or strata[0] != "risk_class" or len(set(strata)) != len(strata),
        any(s not in ("risk_class", "industry", "area") for s in strata),
        plan["multipliers"] is not None and plan["overall_rate"] is None,
        plan["overall_rate"] is not None and not 0 <= plan["overall_rate"] <= 1,
        plan["total"] is not None and plan["total"] < 0,
        plan["allocation"] not in ("proportional", "neyman", "equal"),
        plan["allocation"] == "neyman" and plan["prevalence"] is None,
        plan["min_per_stratum"] < 0,
        plan["within"] not in ("equal", "pps"),
        plan["within"] == "pps" and not plan["size_column"],
        plan["attention"] not in ("none", "multiplier", "stratum"),
        plan["attention"] == "multiplier" and not plan["attention_multiplier"] >= 1,
        plan["attention"] == "stratum"
        and plan["rates"] is not None
        and plan["attention_rate"] is None,
        plan["attention_rate"] is not None and not 0 <= plan["attention_rate"] <= 1,
        # lists as randcheck writes them: sorted, no repeats; class letters A-E
        any(e[k] is not None and e[k] != sorted(set(e[k])) for k in ELIGIBILITY_LISTS),
        any(c not in ("A", "B", "C", "D", "E") for c in e["risk_classes"] or ()),
        e["recent_days"] is not None and (e["recent_days"] < 0 or e["as_of"] is None),
    ]
    for table in ("rates", "multipliers", "prevalence"):
        for k, v in (plan[table] or {}).items():
            top = math.inf if table == "multipliers" else 1.0
            # class letters, values written as floats (0.5, 1.0; not 1), within range
            wrong.append(k not in list("ABCDE") or type(v) is not float or not 0 <= v <= top)
    if e["as_of"] is not None:
        try:
            wrong.append(dt.date.fromisoformat(e["as_of"]).isoformat() != e["as_of"])
        except ValueError:
            wrong.append(True)
    if any(wrong):
        raise VerifierError("the plan is not a valid randcheck-plan/1 plan in canonical form")


def in_item_scope(plan: dict[str, Any], item: dict[str, Any]) -> bool:
    """An item's draw: its plan is named and its industries and tags lie within the item's."""
    e = plan["eligibility"]
    return bool(plan["name"]) and all(
        not item[k] or (e[k] is not None and set(e[k]) <= set(item[k]))
        for k in ("industries", "tags")
    )


def check_item(item: Any) -> None:
    """A batch item as randcheck writes it."""
    check_fields(item, ITEM_FIELDS, "item")
    lists = [check_strings(item[k], f"item {k}", nonempty=False) for k in LIST_FIELDS]
    rate = item["rate"]
    if (
        not item["code"].strip()
        or item["code"] != item["code"].strip()
        or item["kind"] not in ("一般", "重点")
        or any(v != sorted(set(v)) for v in lists)
        or (rate is not None and not 0 <= rate <= 1)
    ):
        raise VerifierError(f"item {item['code']!r} is not a valid item in canonical form")


def recompute(receipt: dict[str, Any], columns: list[str], rows: list[Row], report: Report) -> None:
    """Steps 1–5 from the receipt's seed and plan; checks are added to ``report``."""
    plan = receipt["plan"]
    check_plan(plan)
    col = plan["size_column"]
    if col is not None and (col in COLUMNS or col not in columns):
        raise VerifierError(f"size_column {col!r} is not one of the user's own columns")
    members: dict[Key, list[Row]] = {}
    for row in rows:
        if is_eligible(row, plan["eligibility"]):
            members.setdefault(stratum_key(row, plan), []).append(row)
    eligible = sum(len(m) for m in members.values())
    report.check(
        eligible == receipt["eligible"],
        "合格对象数一致 eligible targets match",
        "合格对象数不一致 eligible targets differ",
        f"{eligible} recomputed, {receipt['eligible']} in the receipt",
    )
    keys = sorted(members, key=lambda k: (k == (ATTENTION,), k))
    pops = [len(members[k]) for k in keys]
    expected = expected_sizes(plan, keys, pops)
    # Keys: root of the seed, then the receipt's path labels, then the stream (unit numbers).
    # Rounding starts are numbers under the unit key's child "rounding": one, "start", for a
    # fixed total; otherwise one per stratum, its key as a JSON list.
    key = root_key(receipt["seed"])
    for label in receipt["path"]:
        key = child_key(key, label)
    key = child_key(key, receipt["stream"])
    rounding = child_key(key, "rounding")
    if plan["total"] is not None:
        sizes = systematic_rounding(expected, uniform(rounding, "start"), True)
    else:
        sizes = []
        for k, x in zip(keys, expected, strict=True):
            u = uniform(rounding, json.dumps(list(k), ensure_ascii=False, separators=(",", ":")))
            sizes.append(math.floor(x) + (1 if u < x - math.floor(x) else 0))
    sizes = [min(s, n) for s, n in zip(sizes, pops, strict=True)]
    strata, sample = [], []
    for k, x, n in zip(keys, expected, sizes, strict=True):
        codes = [r["credit_code"] for r in members[k]]
        ranks = [uniform(key, code) for code in codes]
        total = None
        if plan["within"] == "pps":
            col = plan["size_column"]
            if col in COLUMNS or col not in columns:
                raise VerifierError(f"size_column {col!r} is not one of the user's own columns")
            scores = [float(r[col] or "nan") for r in members[k]]
            if not all(s > 0 and math.isfinite(s) for s in scores):
                raise VerifierError(f"size_column {col!r}: a score is missing or not > 0")
            total = math.fsum(scores)
            lams = pareto_lambdas(scores, n)
            ranks = [pareto_rank(u, lam) for u, lam in zip(ranks, lams, strict=True)]
        # The n smallest ranks; equal ranks are ordered by credit code.
        sample += [c for _, c in sorted(zip(ranks, codes, strict=True))[:n]]
        strata.append(
            dict(
                key=list(k),
                population=len(codes),
                size=n,
                expected=x,
                probability=x / len(codes) if codes else 0.0,
                size_total=total,
            )
        )
    report.sample = sorted(sample)
    compare_strata(strata, receipt["strata"], report)
    compare_sample(report.sample, receipt, report)


def compare_strata(
    mine: list[dict[str, Any]], theirs: list[dict[str, Any]], report: Report
) -> None:
    """Every field of every stratum, exactly: the recipe fixes each operation."""
    for t in theirs:
        check_fields(t, STRATUM_FIELDS, "stratum")
    same = len(mine) == len(theirs) and all(m == t for m, t in zip(mine, theirs, strict=False))
    report.check(
        same,
        "分层一致 strata match",
        "分层不一致 strata differ",
        f"{len(mine)} recomputed, {len(theirs)} in the receipt",
    )
    for m in mine:
        report.add(
            None,
            f"  {'/'.join(m['key']) or '-'}: N={m['population']} "
            f"expected={m['expected']:.6g} n={m['size']}",
        )


def sample_digest(ids: Iterable[str]) -> str:
    body = "".join(i + "\n" for i in sorted(ids))
    return "sha256:" + hashlib.sha256(f"randcheck-sample/1\n{body}".encode("ascii")).hexdigest()


def compare_sample(mine: list[str], receipt: dict[str, Any], report: Report) -> None:
    listed = list(receipt["sample_ids"])
    inner = sample_digest(listed) == receipt["sample_digest"]
    inner = inner and len(listed) == receipt["sample_size"]
    report.check(
        inner,
        "收据自洽 receipt consistent",
        "收据自相矛盾 receipt inconsistent",
        f"sample_ids, sample_size and sample_digest {'agree' if inner else 'disagree'}",
    )
    digest = sample_digest(mine)
    if digest == receipt["sample_digest"] and sorted(listed) == mine:
        report.add(True, f"样本一致 sample matches: {len(mine)} targets, {digest}")
        return
    drawn, claimed = set(mine), set(listed)
    report.add(
        False,
        f"样本不一致 sample differs: recomputed {len(mine)} targets ({digest}), "
        f"receipt {receipt['sample_size']} ({receipt['sample_digest']}); listed but not "
        f"drawn {sorted(claimed - drawn)[:5]}, drawn but not listed "
        f"{sorted(drawn - claimed)[:5]}",
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_digest(record: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def joint_task_digest(
    plan: dict[str, Any], team_size: int, lead_order: list[str], year: int | None, items: list[Any]
) -> str:
    """randcheck-joint-task/1: the plan, the staffing and every item's record."""
    lines = ["randcheck-joint-task/1\n", f"plan\t{plan_digest(plan)}\n",
             f"team_size\t{team_size}\n", f"lead_order\t{canonical_json(lead_order)}\n",
             f"year\t{'' if year is None else year}\n"]  # fmt: skip
    lines += [
        f"{it['code']}\t{record_digest(it)}\n" for it in sorted(items, key=lambda i: i["code"])
    ]
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def plan_digest(plan: dict[str, Any]) -> str:
    text = json.dumps(plan, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_digest(
    roster: str, plans: str, path: list[str], rule: dict[str, Any], seed_from: str
) -> str:
    """randcheck-commitment/2: canonical JSON of roster, plan, key path, seed rule and source."""
    body = {"path": path, "plan_digest": plans, "recipe": "randcheck-commitment/2",
            "roster_digest": roster, "seed_from": seed_from, "seed_rule": rule}  # fmt: skip
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_seed(record: dict[str, Any], report: Report, who: str) -> None:
    """The seed fits its committed rule, in canonical form; the uncommitted warning is there."""
    if record["commitment"] is None:
        report.check(
            record["seed_rule"] is None and record["seed_from"] is None,
            f"{who}无承诺 no commitment",
            f"{who}种子规则无承诺 a seed rule without a commitment",
            "the draw was not committed before the seed",
        )
        report.check(
            record["warnings"] == [UNCOMMITTED],
            f"{who}警告已记录 the warning is recorded",
            f"{who}警告缺失 the uncommitted warning is missing",
            UNCOMMITTED,
        )
        return
    report.check(
        record["warnings"] == [],
        f"{who}无警告 no warnings",
        f"{who}多余警告 unexpected warnings",
        str(record["warnings"]),
    )
    if record["seed_rule"] is None or record["seed_from"] is None:
        report.add(False, f"{who}承诺缺少种子规则 the commitment's seed rule or source is missing")
        return
    rule = record["seed_rule"]
    two = isinstance(rule, dict) and rule.get("recipe") == "randcheck-seed-rule/2"
    if isinstance(rule, dict) and rule.get("recipe") == "randcheck-seed-rule/1":
        # Version 0.1.0's rule: no draw date, so such a commitment can be written by hand today.
        report.add(
            None if report.accept_retired else False,
            f"{who}旧规则 retired seed rule randcheck-seed-rule/1 (0.1.0): it names no draw "
            "date; check by hand that the seed's date is the draw named in seed_from"
            + (
                " (accepted: --accept-retired)"
                if report.accept_retired
                else ", then run again with --accept-retired"
            ),
        )
    if two and rule.get("dated") and rule.get("date") is None:
        report.add(
            False,
            f"{who}承诺未注明开奖日期 the committed dated rule names no date: the drawer "
            "could have written the result under a date of their choosing",
        )
        return
    try:
        canonical = canonical_seed(record["seed"], record["seed_rule"])
    except (VerifierError, ValueError) as exc:
        report.add(False, f"{who}种子不符合规则 the seed does not fit the committed rule: {exc}")
        return
    report.check(
        canonical == record["seed"],
        f"{who}种子符合承诺规则 the seed fits the committed rule",
        f"{who}种子写法不规范 the seed is not in the rule's canonical form",
        f"{record['seed']!r} (canonical {canonical!r})",
    )


def check_draw(
    receipt: dict[str, Any],
    columns: list[str],
    rows: list[Row],
    report: Report,
    who: str = "",
    in_batch: bool = False,
) -> None:
    """One draw's receipt against the rows it was drawn from (all of a roster, or a frame)."""
    if receipt.get("format") != "randcheck-receipt/2" or receipt.get("verifiable") is not True:
        raise VerifierError(
            "not the receipt of an official draw (randcheck-receipt/2, verifiable: true)"
        )
    check_fields(receipt, RECEIPT_FIELDS, "receipt")
    path = check_strings(receipt["path"], "path")
    check_strings([receipt["stream"]], "stream")
    check_strings(receipt["sample_ids"], "sample_ids", nonempty=False)
    check_strings(receipt["warnings"], "warnings", nonempty=False)
    if receipt["recipes"] != RECIPES:
        raise VerifierError(f"the receipt uses recipes {receipt['recipes']}, not {RECIPES}")
    report.add(
        None,
        f"{who}收据 receipt: seed {receipt['seed']!r}, path {path}, "
        f"stream {receipt['stream']!r}, drawn {receipt['drawn_at']}",
    )
    digest = roster_digest(columns, rows)
    same = digest == receipt["roster_digest"] and len(rows) == receipt["roster_size"]
    theirs = f"{receipt['roster_digest']} ({receipt['roster_size']} rows)"
    mine = f"{digest} ({len(rows)} rows)"
    report.check(
        same,
        f"{who}名录指纹一致 roster digest matches",
        f"{who}名录指纹不一致 roster digest differs (the roster was changed)",
        mine if same else f"CSV {mine}, receipt {theirs}",
    )
    if not in_batch:
        check_seed(receipt, report, who)
        if receipt["commitment"] is not None and receipt["seed_rule"] is not None:
            ok = commitment_digest(
                receipt["roster_digest"],
                plan_digest(receipt["plan"]),
                [*path, receipt["stream"]],
                receipt["seed_rule"],
                str(receipt["seed_from"]),
            )
            report.check(
                ok == receipt["commitment"],
                f"{who}承诺一致 commitment matches",
                f"{who}承诺不一致 commitment does not match the roster digest, plan, key path "
                "and seed rule",
                receipt["commitment"],
            )
    recompute(receipt, columns, rows, report)


# ---------------------------------------------------------------- randcheck-batch/2
def in_scope(row: Row, item: dict[str, Any]) -> bool:
    """An item's scope: its industries and tags (when given), and an active status."""
    scope = {
        "industries": item["industries"] or None,
        "tags": item["tags"] or None,
        "exclude_statuses": INACTIVE,
    }
    return is_eligible(row, scope)


def check_batch(batch: dict[str, Any], columns: list[str], rows: list[Row], report: Report) -> None:
    """Every item's draw (or the joint task's one draw), the batch commitment and the merge."""
    # Long on purpose: an auditor reads this verifier top to bottom beside the recipe pages, and
    # one function per recipe step keeps the order of the checks in one place.
    if batch.get("verifiable") is not True:
        raise VerifierError("the batch was drawn in simulation; it is not publicly verifiable")
    check_fields(batch, BATCH_FIELDS, "batch receipt")
    check_strings(batch["warnings"], "warnings", nonempty=False)
    mode, items, draws = batch["mode"], batch["items"], batch["draws"]
    if mode not in ("coordinated", "independent", "joint-task"):
        raise VerifierError(f"batch mode {mode!r} is not coordinated, independent or joint-task")
    if batch["team_size"] < 2:
        raise VerifierError(f"team_size {batch['team_size']} is below 2 (行政处罚法 Art. 42)")
    if batch["merge_recipe"] != "randcheck-merge/1":
        raise VerifierError(f"merge recipe {batch['merge_recipe']!r} is not randcheck-merge/1")
    for it in items:
        check_item(it)
    codes = [it["code"] for it in items]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise VerifierError(f"item code {twice[0]!r} is used twice in the batch")
    report.add(
        None, f"批次 batch {batch['batch']!r}: {mode}, {len(items)} items, seed {batch['seed']!r}"
    )
    digest = roster_digest(columns, rows)
    report.check(
        digest == batch["roster_digest"],
        "批次名录指纹一致 batch roster digest matches",
        "批次名录指纹不一致 batch roster digest differs",
        digest,
    )
    path = ["batch", batch["batch"]]
    drawn: dict[str, list[str]] = {}
    check_seed(batch, report, "批次 batch: ")
    if mode == "joint-task":
        frame = [r for r in rows if any(in_scope(r, it) for it in items)]
        if len(draws) != 1:
            raise VerifierError(f"a joint task has one draw, the receipt lists {len(draws)}")
        d = draws[0]
        same = all(d.get(k) == batch[k] for k in ("commitment", "seed_rule", "seed_from"))
        report.check(
            same and d.get("warnings") == batch["warnings"],
            "联合任务 joint task: 承诺与抽取一致 commitment as in the draw",
            "联合任务 joint task: 承诺与抽取不一致 commitment, seed rule or warnings differ",
            str(batch["commitment"]),
        )
        right = d["seed"] == batch["seed"] and d["path"] == path and d["stream"] == "units"
        report.check(
            right,
            "联合任务 joint task: 密钥一致 key path matches",
            "联合任务 joint task: 密钥不符 wrong seed, path or stream",
            f"{d['seed']!r} {d['path']} / {d['stream']}",
        )
        # A joint task committed under seed rule /2 commits randcheck-joint-task/1: its frame,
        # plan, items and staffing (one of 0.1.0 committed its draw's plan alone).
        rule = batch["seed_rule"]
        v2 = isinstance(rule, dict) and rule.get("recipe") == "randcheck-seed-rule/2"
        v2 = v2 and batch["commitment"] is not None
        check_draw(d, columns, frame, report, "联合任务 joint task: ", in_batch=v2)
        if v2:
            joint = joint_task_digest(
                d["plan"], batch["team_size"], batch["lead_order"], batch["year"], items
            )
            ok = commitment_digest(
                d["roster_digest"], joint, [*path, "units"], rule, str(batch["seed_from"])
            )
            report.check(
                ok == batch["commitment"],
                "联合任务 joint task: 承诺一致 commitment matches (frame, plan, items, staffing)",
                "联合任务 joint task: 承诺不一致 commitment does not match the frame, plan, "
                "items, team size, lead order or year",
                str(batch["commitment"]),
            )
        by_code = {r["credit_code"]: r for r in frame}
        for it in items:
            drawn[it["code"]] = [c for c in report.sample if in_scope(by_code[c], it)]
    else:
        if len(draws) != len(items):
            raise VerifierError(f"{len(items)} items but {len(draws)} draws")
        for it, d in zip(items, draws, strict=True):
            mine = path if mode == "coordinated" else [*path, "item"]
            stream = "units" if mode == "coordinated" else it["code"]
            right = d["seed"] == batch["seed"] and d["path"] == mine and d["stream"] == stream
            right = right and d.get("warnings") == batch["warnings"]
            right = right and all(
                d.get(k) is None for k in ("commitment", "seed_rule", "seed_from")
            )
            report.check(
                right,
                f"事项 {it['code']}: 密钥一致 key path matches",
                f"事项 {it['code']}: 密钥不符 wrong seed, path or stream",
                f"{d['path']} / {d['stream']}, warnings {d.get('warnings')}",
            )
            check_draw(d, columns, rows, report, f"事项 {it['code']}: ", in_batch=True)
            report.check(
                in_item_scope(d["plan"], it),
                f"事项 {it['code']}: 方案限于事项范围 plan within the item's scope",
                f"事项 {it['code']}: 方案超出事项范围 plan not restricted to the item's scope",
                f"industries {d['plan']['eligibility']['industries']}, tags "
                f"{d['plan']['eligibility']['tags']}",
            )
            drawn[it["code"]] = list(report.sample)
        if batch["commitment"] is not None and batch["seed_rule"] is not None:
            plans = {it["code"]: d["plan"] for it, d in zip(items, draws, strict=True)}
            if batch["seed_rule"].get("recipe") == "randcheck-seed-rule/2":
                # randcheck-batch-plans/2: the staffing and every item's record are committed.
                lines = ["randcheck-batch-plans/2\n", f"batch\t{batch['batch']}\n",
                         f"mode\t{mode}\n", f"team_size\t{batch['team_size']}\n",
                         f"lead_order\t{canonical_json(batch['lead_order'])}\n",
                         f"year\t{'' if batch['year'] is None else batch['year']}\n"]  # fmt: skip
                records = {it["code"]: it for it in items}
                lines += [
                    f"{code}\t{plan_digest(plans[code])}\t{record_digest(records[code])}\n"
                    for code in sorted(plans)
                ]
            else:  # randcheck-batch-plans/1 (records of 0.1.0): the plans alone
                lines = ["randcheck-batch-plans/1\n", f"batch\t{batch['batch']}\n",
                         f"mode\t{mode}\n"]  # fmt: skip
                lines += [f"{code}\t{plan_digest(plans[code])}\n" for code in sorted(plans)]
            plans_digest = "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
            ok = commitment_digest(
                batch["roster_digest"],
                plans_digest,
                path,
                batch["seed_rule"],
                str(batch["seed_from"]),
            )
            report.check(
                ok == batch["commitment"],
                "批次承诺一致 batch commitment matches",
                "批次承诺不一致 batch commitment differs",
                batch["commitment"],
            )
    # randcheck-merge/1: one visit per drawn target, with the sorted codes of its items.
    visits: dict[str, list[str]] = {}
    for code, ids in drawn.items():
        for i in ids:
            visits.setdefault(i, []).append(code)
    body = "".join(f"{c}\t{';'.join(sorted(v))}\n" for c, v in sorted(visits.items()))
    merged = "sha256:" + hashlib.sha256(f"randcheck-merge/1\n{body}".encode()).hexdigest()
    report.check(
        merged == batch["visits_digest"] and len(visits) == batch["visits"],
        f"合并一致 visits match: {len(visits)} visits",
        "合并不一致 visits differ",
        merged,
    )


def check_published(receipt: dict[str, Any], path: str, report: Report) -> None:
    """The receipt was drawn under the commitment published before the seed (``path``)."""
    with open(path, encoding="utf-8-sig") as fh:
        c = strict_json(fh.read())
    fields = {"recipe": str, "roster_digest": str, "plan_digest": str, "path": list,
              "seed_rule": dict, "seed_from": str, "digest": str}  # fmt: skip
    check_fields(c, fields, "commitment")
    if c["recipe"] != "randcheck-commitment/2":
        raise VerifierError(f"commitment: recipe {c['recipe']!r} is not randcheck-commitment/2")
    again = commitment_digest(
        c["roster_digest"], c["plan_digest"], c["path"], c["seed_rule"], c["seed_from"]
    )
    report.check(
        again == c["digest"],
        "公示承诺自洽 the published commitment's digest follows from its fields",
        "公示承诺不自洽 the published commitment's digest does not follow from its fields",
        c["digest"],
    )
    report.check(
        receipt.get("commitment") == c["digest"],
        "按公示承诺抽取 drawn under the published commitment",
        "未按公示承诺抽取 not drawn under the published commitment",
        f"receipt {receipt.get('commitment')}, published {c['digest']}",
    )


def verify_files(
    receipt_path: str,
    csv_path: str,
    commitment_path: str | None = None,
    accept_retired: bool = False,
) -> Report:
    """Check a published receipt (a draw's or a batch's) against a roster CSV, and against the
    commitment published before the seed when its file is given; never raises.
    ``accept_retired``: accept a record of 0.1.0 under the retired seed rule /1."""
    report = Report(accept_retired=accept_retired)
    try:
        with open(receipt_path, encoding="utf-8-sig") as fh:
            receipt = strict_json(fh.read())
        if not isinstance(receipt, dict):
            raise VerifierError("the receipt must be a JSON object")
        if commitment_path is not None:
            check_published(receipt, commitment_path, report)
            if not report.ok:  # not the published draw: its seed rule is never run
                return report
        columns, rows = read_roster(csv_path)
        if len({r["credit_code"] for r in rows}) != len(rows):
            raise VerifierError(f"{csv_path}: a credit code appears twice")
        if receipt.get("format") == "randcheck-batch/2":
            check_batch(receipt, columns, rows, report)
        else:
            check_draw(receipt, columns, rows, report)
    except Exception as exc:  # a verdict with the reason, whatever the input
        report.add(False, f"无法核验 cannot verify: {type(exc).__name__}: {exc}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    accept = "--accept-retired" in args
    args = [a for a in args if a != "--accept-retired"]
    if len(args) not in (2, 3):
        print(
            "usage: python reference_verifier.py receipt.json roster.csv [commitment.json] "
            "[--accept-retired]",
            file=sys.stderr,
        )
        return 2
    commitment = args[2] if len(args) == 3 else None
    report = verify_files(args[0], args[1], commitment, accept_retired=accept)
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
