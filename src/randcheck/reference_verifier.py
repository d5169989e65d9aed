"""Reference verifier for randcheck draws (双随机 抽取结果核验), in standard-library Python only.

Usage::

    python reference_verifier.py receipt.json roster.csv

``receipt.json`` is the published receipt of an official draw (``randcheck-receipt/1``) or of a
batch of item draws (``randcheck-batch/1``), and ``roster.csv`` the published roster, as written
by ``TargetRoster.to_csv``. The program recomputes the roster's fingerprint (recipe
``randcheck-roster/2``) and the whole draw from the receipt's public seed, key path, stream and
plan (``randcheck-prn/1``, ``randcheck-draw/1``), then compares the strata and the sample with the
receipt. For a batch it does so for every item's draw (or the joint task's one draw, on the
roster restricted to the items' scopes), checks the batch commitment
(``randcheck-batch-plans/1``) and recomputes the merge into visits (``randcheck-merge/1``). It
prints a report and exits with 0 when everything matches, 1 if not.

It needs neither randcheck nor numpy: copy this one file to any machine with Python 3.11 or later.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# fmt: off
COLUMNS = ("credit_code", "name", "risk_class", "industry", "area", "status", "tags",
           "abnormal", "complaints", "last_inspected")
RECIPES = {"prn": "randcheck-prn/1", "design": "randcheck-draw/1",
           "roster": "randcheck-roster/2", "sample": "randcheck-sample/1"}
PLAN_FIELDS = {"format", "name", "eligibility", "strata", "rates", "overall_rate", "multipliers",
               "total", "allocation", "prevalence", "min_per_stratum", "no_exemption", "within",
               "size_column", "attention", "attention_multiplier", "attention_rate",
               "attention_min_complaints"}
ELIGIBILITY_FIELDS = {"industries", "tags", "areas", "area_prefix", "risk_classes", "statuses",
                      "exclude_statuses", "recent_days", "as_of"}
# fmt: on
ATTENTION = "关注"
INACTIVE = ["吊销", "撤销", "注销", "迁出"]
Row = dict[str, str]
Key = tuple[str, ...]


class VerifierError(Exception):
    """The receipt or the roster cannot be read, or the draw cannot be recomputed from them."""


@dataclass
class Report:
    """Each line checked (True passed, False failed, None for information) and the sample."""

    checks: list[tuple[bool | None, str]] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)

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


# ---------------------------------------------------------------- randcheck-prn/1
def root_key(seed: str) -> bytes:
    return hashlib.sha256(b"randcheck-prn/1\x00" + seed.strip().encode("utf-8")).digest()


def child_key(key: bytes, label: str) -> bytes:
    return hashlib.sha256(key + b"\x00" + label.encode("utf-8")).digest()


def uniform(key: bytes, unit_id: str) -> float:
    head = hashlib.sha256(key + unit_id.encode("utf-8")).digest()[:8]
    return (int.from_bytes(head, "big") >> 11) / 2**53


# ---------------------------------------------------------------- randcheck-draw/1
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
        return 0 if c <= start else math.ceil(c - start)

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
    if lam >= 1.0:
        return 0.0
    return (u * (1.0 - lam)) / ((1.0 - u) * lam) if lam > 0.0 else math.inf


def recompute(receipt: dict[str, Any], columns: list[str], rows: list[Row], report: Report) -> None:
    """Steps 1–5 from the receipt's seed and plan; checks are added to ``report``."""
    plan = receipt["plan"]
    unknown = (set(plan) - PLAN_FIELDS) | (set(plan["eligibility"]) - ELIGIBILITY_FIELDS)
    if plan.get("format") != "randcheck-plan/1" or unknown:
        raise VerifierError(
            f"plan format {plan.get('format')!r} or fields {sorted(unknown)} "
            "are not those of randcheck-plan/1"
        )
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
    # Keys: root of the seed, then the receipt's path labels, then the stream (unit numbers);
    # the rounding start is the number of "start" under the stream's child "rounding".
    key = root_key(receipt["seed"])
    for label in receipt["path"]:
        key = child_key(key, label)
    key = child_key(key, receipt["stream"])
    start = uniform(child_key(key, "rounding"), "start")
    sizes = systematic_rounding(expected, start, plan["total"] is not None)
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
            dict(key=list(k), population=len(codes), size=n, expected=x, size_total=total)
        )
    report.sample = sorted(sample)
    compare_strata(strata, receipt["strata"], report)
    compare_sample(report.sample, receipt, report)


def close(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


def compare_strata(
    mine: list[dict[str, Any]], theirs: list[dict[str, Any]], report: Report
) -> None:
    same = len(mine) == len(theirs) and all(
        m["key"] == t["key"]
        and m["population"] == t["population"]
        and m["size"] == t["size"]
        and close(m["expected"], t["expected"])
        and m["size_total"] == t.get("size_total")
        for m, t in zip(mine, theirs, strict=False)
    )
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


def plan_digest(plan: dict[str, Any]) -> str:
    text = json.dumps(plan, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_digest(roster: str, plans: str, key: str) -> str:
    """randcheck-commitment/1: roster digest, plan digest and the key the numbers come from."""
    body = f"randcheck-commitment/1\n{roster}\n{plans}\n{key}\n".encode()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def check_draw(
    receipt: dict[str, Any], columns: list[str], rows: list[Row], report: Report, who: str = ""
) -> None:
    """One draw's receipt against the rows it was drawn from (all of a roster, or a frame)."""
    if receipt.get("format") != "randcheck-receipt/1" or not receipt.get("verifiable"):
        raise VerifierError(
            "not the receipt of an official draw (randcheck-receipt/1, verifiable: true)"
        )
    if any(receipt["recipes"].get(k) != v for k, v in RECIPES.items()):
        raise VerifierError(f"the receipt uses recipes {receipt['recipes']}, not {RECIPES}")
    report.add(
        None,
        f"{who}收据 receipt: seed {receipt['seed']!r}, path {receipt['path']}, "
        f"stream {receipt['stream']!r}, drawn {receipt.get('drawn_at')}",
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
    if receipt.get("commitment") is not None:
        key = "/".join([*receipt["path"], receipt["stream"]])
        ok = commitment_digest(receipt["roster_digest"], plan_digest(receipt["plan"]), key)
        report.check(
            ok == receipt["commitment"],
            f"{who}承诺一致 commitment matches",
            f"{who}承诺不一致 commitment does not match the roster digest and plan",
            receipt["commitment"],
        )
    recompute(receipt, columns, rows, report)


# ---------------------------------------------------------------- randcheck-batch/1
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
    if not batch.get("verifiable"):
        raise VerifierError("the batch was drawn in simulation; it is not publicly verifiable")
    mode, items, draws = batch["mode"], batch["items"], batch["draws"]
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
    path = [f"batch/{batch['batch']}"]
    drawn: dict[str, list[str]] = {}
    if mode == "joint-task":
        frame = [r for r in rows if any(in_scope(r, it) for it in items)]
        if len(draws) != 1:
            raise VerifierError(f"a joint task has one draw, the receipt lists {len(draws)}")
        d = draws[0]
        right = d["seed"] == batch["seed"] and d["path"] == path and d["stream"] == "units"
        report.check(
            right,
            "联合任务 joint task: 密钥一致 key path matches",
            "联合任务 joint task: 密钥不符 wrong seed, path or stream",
            f"{d['seed']!r} {d['path']} / {d['stream']}",
        )
        check_draw(d, columns, frame, report, "联合任务 joint task: ")
        by_code = {r["credit_code"]: r for r in frame}
        for it in items:
            drawn[it["code"]] = [c for c in report.sample if in_scope(by_code[c], it)]
    else:
        if len(draws) != len(items):
            raise VerifierError(f"{len(items)} items but {len(draws)} draws")
        for it, d in zip(items, draws, strict=True):
            stream = "units" if mode == "coordinated" else f"units/{it['code']}"
            right = d["seed"] == batch["seed"] and d["path"] == path and d["stream"] == stream
            report.check(
                right,
                f"事项 {it['code']}: 密钥一致 key path matches",
                f"事项 {it['code']}: 密钥不符 wrong seed, path or stream",
                f"{d['path']} / {d['stream']}",
            )
            check_draw(d, columns, rows, report, f"事项 {it['code']}: ")
            drawn[it["code"]] = list(report.sample)
        if batch.get("commitment") is not None:
            lines = ["randcheck-batch-plans/1\n", f"batch\t{batch['batch']}\n", f"mode\t{mode}\n"]
            plans = {it["code"]: d["plan"] for it, d in zip(items, draws, strict=True)}
            lines += [f"{code}\t{plan_digest(plans[code])}\n" for code in sorted(plans)]
            plans_digest = "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
            ok = commitment_digest(batch["roster_digest"], plans_digest, f"batch/{batch['batch']}")
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


def verify_files(receipt_path: str, csv_path: str) -> Report:
    """Check a published receipt (a draw's or a batch's) against a roster CSV; never raises."""
    report = Report()
    try:
        with open(receipt_path, encoding="utf-8") as fh:
            receipt = json.load(fh)
        columns, rows = read_roster(csv_path)
        if len({r["credit_code"] for r in rows}) != len(rows):
            raise VerifierError(f"{csv_path}: a credit code appears twice")
        if receipt.get("format") == "randcheck-batch/1":
            check_batch(receipt, columns, rows, report)
        else:
            check_draw(receipt, columns, rows, report)
    except (OSError, ValueError, KeyError, TypeError, VerifierError) as exc:
        report.add(False, f"无法核验 cannot verify: {type(exc).__name__}: {exc}")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 2:
        print("usage: python reference_verifier.py receipt.json roster.csv", file=sys.stderr)
        return 2
    report = verify_files(args[0], args[1])
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
