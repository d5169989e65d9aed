"""Regenerate the bundled example county, 曲阳县商务局（示例） (synthetic people and firms).

Usage::

    python benchmarks/make_example_county.py [--out DIR]

Writes ``targets.csv.gz``, ``officers.csv``, ``townships.csv``, ``conflicts.csv`` and
``items.toml`` into ``src/randcheck/data/example_county`` (or ``DIR``). Everything comes from
``numpy.random.default_rng(20230307)`` (the date of the county's 2023 work plan), so the data's
provenance is visible; but the committed files are the source of truth, and
``tests/test_example.py`` pins their digests, so a change of numpy's random streams cannot change
the county silently. Run this only to change the county on purpose, then update the pinned digests.

Nothing here is real: firm names are random combinations of common characters, credit codes are
random valid codes, officer names are random surname + given-name pairs (the real officials named
in the notice are excluded by name). Township names are the county's real townships, but their
9-digit codes are illustrative (assigned in order), not the official statistical codes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

import numpy as np

from randcheck.roster.credit_code import CREDIT_CODE_ALPHABET, credit_code_check_character

SEED = 20230307
N_TARGETS = 40_000
AREA = "130634"
OUT = Path(__file__).resolve().parent.parent / "src" / "randcheck" / "data" / "example_county"

# Townships (names as listed for 2010; codes are illustrative), 2010 census population in
# thousands (weights the number of targets), and the 执法中队 responsible for each.
TOWNSHIPS = [
    ("100", "恒州镇", 81.8, "执法一中队"),
    ("101", "灵山镇", 69.3, "执法二中队"),
    ("102", "燕赵镇", 44.3, "执法三中队"),
    ("103", "羊平镇", 42.1, "执法三中队"),
    ("104", "文德镇", 44.2, "执法三中队"),
    ("105", "路庄子乡", 20.1, "执法四中队"),
    ("106", "下河乡", 31.5, "执法四中队"),
    ("107", "庄窠乡", 12.3, "执法四中队"),
    ("108", "孝墓乡", 26.4, "执法三中队"),
    ("109", "东旺乡", 36.6, "执法一中队"),
    ("110", "晓林乡", 38.1, "执法一中队"),
    ("111", "邸村乡", 24.8, "执法一中队"),
    ("112", "产德乡", 33.6, "执法四中队"),
    ("113", "齐村乡", 14.8, "执法一中队"),
    ("114", "党城乡", 23.2, "执法二中队"),
    ("115", "郎家庄乡", 24.1, "执法二中队"),
    ("116", "范家庄乡", 9.1, "执法二中队"),
    ("117", "北台乡", 12.1, "执法二中队"),
]

# industry: (count, share of 个体工商户 (code 92), firm words, shop words, base tags)
COMMERCE = {
    "美容美发": (900, 0.8, ["美容美发", "美业"], ["理发店", "美容院", "美发店"]),
    "洗染": (120, 0.7, ["洗染", "干洗"], ["干洗店", "洗衣店"]),
    "家庭服务": (80, 0.3, ["家政服务"], ["家政服务部"]),
    "成品油零售": (58, 0.0, ["石油销售", "加油站"], []),
    "汽车销售": (42, 0.0, ["汽车销售服务"], []),
    "二手车交易": (28, 0.0, ["二手车经纪"], []),
    "报废机动车回收拆解": (2, 0.0, ["报废机动车回收拆解"], []),
    "拍卖": (3, 0.0, ["拍卖"], []),
    "典当": (4, 0.0, ["典当"], []),
    "煤炭经营": (36, 0.0, ["煤炭经销"], []),
    "旧电器电子产品回收": (30, 0.2, ["再生资源回收"], ["废旧家电回收站"]),
    "商品现货市场": (7, 0.0, ["市场管理", "商贸城"], []),
}
GENERAL = {
    "零售业": (11_000, 0.6, ["商贸", "百货"], ["便利店", "商店", "超市", "日杂店"]),
    "批发业": (4_000, 0.2, ["商贸", "贸易"], ["批发部"]),
    "餐饮业": (5_500, 0.7, ["餐饮管理", "饮食服务"], ["饭店", "小吃部", "面馆"]),
    "住宿业": (900, 0.5, ["酒店管理", "宾馆"], ["旅馆", "招待所"]),
    "居民服务业": (2_200, 0.5, ["生活服务"], ["修理部", "照相馆"]),
    "制造业": (4_200, 0.2, ["石雕工艺品", "建材", "机械制造"], ["石雕厂", "加工厂"]),
    "建筑业": (1_600, 0.0, ["建筑工程", "建设工程"], []),
    "农林牧渔业": (2_500, 0.3, ["农业开发", "种植专业合作社"], ["养殖场"]),
    "交通运输业": (1_300, 0.3, ["物流", "运输"], ["货运部"]),
    "租赁和商务服务业": (1_800, 0.1, ["商务咨询", "广告"], ["广告部"]),
}
HIGH_RISK = {"典当", "报废机动车回收拆解", "二手车交易", "煤炭经营", "旧电器电子产品回收"}
PREPAID = {
    "零售业": 0.01,
    "餐饮业": 0.03,
    "住宿业": 0.03,
    "居民服务业": 0.03,
    "美容美发": 0.25,
    "洗染": 0.25,
    "家庭服务": 0.10,
}
CHAIN = {"零售业": 0.04, "餐饮业": 0.04, "成品油零售": 0.5, "美容美发": 0.05, "洗染": 0.05}
TRADE_NAME = list(
    "恒瑞鑫华兴盛达德顺和泰丰源通宏嘉福隆新博安信诚汇鼎润佳祥利康明正宇晟永远金玉阳岳"
)

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力海鹏飞宁博晨")
#: Named in the notice; the synthetic roster must never use them.
REAL_NAMES = {"商志朴", "张学用", "刘国平", "刘献伟", "李勇", "冯会昌", "赵瑞航"}

UNITS = {"执法一中队": 9, "执法二中队": 8, "执法三中队": 8, "执法四中队": 7, "法治办": 4}
UNIT_SKILLS = ["成品油", "预付卡", "汽车流通", "报废机动车", "拍卖", "典当", "市场流通"]
EXPERTS = [
    ("市场监管局", ["计量", "成品油"]),
    ("市场监管局", ["特种设备", "报废机动车"]),
    ("生态环境局", ["环境保护", "报废机动车"]),
    ("专业机构", ["财务审计", "预付卡", "典当"]),
    ("专业机构", ["拍卖", "财务审计"]),
    ("专业机构", ["成品油", "安全评价"]),
]
REASONS = [
    ("亲属关系", 0.4),
    ("曾在该企业任职", 0.25),
    ("利害关系", 0.25),
    ("其他可能影响公正执法的关系", 0.10),
]

ITEMS_TOML = """\
# 曲阳县商务局（示例）: the random-inspection item list (随机抽查事项清单).
# Ratios ("rate") follow the typical commerce-bureau ratios in the project's DOMAIN.md
# (Jinzhou (Hebei) 2024, Xianyang 2017, Yibin 2023, Huangshi 2024, Jiangsu 2018 plans);
# "rate_source" says which. Items without a published ratio use 5 %, above the 3 % yearly
# coverage floor. The joint 报废机动车回收拆解 inspection is one item per department with the
# same scope (SW-07, GA-07, HJ-07, SC-07), merged into one visit by 进一次门、查多项事.

[[item]]
code = "SW-01"
name = "单用途商业预付卡发卡企业检查"
department = "商务局"
kind = "一般"
legal_basis = "《单用途商业预付卡管理办法（试行）》"
tags = ["单用途预付卡"]
skills = ["预付卡"]
method = "实地"
rate = 0.10
rate_source = "5–20 %"

[[item]]
code = "SW-02"
name = "成品油零售经营企业检查"
department = "商务局"
kind = "一般"
legal_basis = "成品油零售经营资格管理有关规定"
industries = ["成品油零售"]
skills = ["成品油"]
method = "实地"
rate = 0.20
rate_source = "20 %"

[[item]]
code = "SW-03"
name = "拍卖企业检查"
department = "商务局"
kind = "一般"
legal_basis = "《中华人民共和国拍卖法》《拍卖管理办法》"
industries = ["拍卖"]
skills = ["拍卖"]
method = "实地"
rate = 0.20
rate_source = "20–100 %"

[[item]]
code = "SW-04"
name = "典当行检查"
department = "商务局"
kind = "重点"
legal_basis = "《典当管理办法》"
industries = ["典当"]
skills = ["典当"]
method = "实地"
rate = 1.0
rate_source = "100 % (重点检查事项)"

[[item]]
code = "SW-05"
name = "汽车销售企业（新车、4S店）检查"
department = "商务局"
kind = "一般"
legal_basis = "《汽车销售管理办法》"
industries = ["汽车销售"]
skills = ["汽车流通"]
method = "实地"
rate = 0.10
rate_source = "5–20 %"

[[item]]
code = "SW-06"
name = "二手车交易市场及经营主体检查"
department = "商务局"
kind = "一般"
legal_basis = "《二手车流通管理办法》"
industries = ["二手车交易"]
skills = ["汽车流通"]
method = "实地"
rate = 0.30
rate_source = "20–50 %"

[[item]]
code = "SW-07"
name = "报废机动车回收拆解企业检查"
department = "商务局"
kind = "一般"
legal_basis = "《报废机动车回收管理办法》《报废机动车回收管理办法实施细则》"
industries = ["报废机动车回收拆解"]
skills = ["报废机动车"]
method = "实地"
rate = 0.40
rate_source = "30–50 %, joint with 公安, 生态环境, 市场监管"

[[item]]
code = "GA-07"
name = "报废机动车回收拆解企业治安管理检查（联合）"
department = "公安局"
kind = "一般"
legal_basis = "《报废机动车回收管理办法》"
industries = ["报废机动车回收拆解"]
method = "实地"
rate = 0.40
rate_source = "joint with SW-07"

[[item]]
code = "HJ-07"
name = "报废机动车回收拆解企业环境保护检查（联合）"
department = "生态环境局"
kind = "一般"
legal_basis = "《报废机动车回收管理办法》"
industries = ["报废机动车回收拆解"]
method = "实地"
rate = 0.40
rate_source = "joint with SW-07"

[[item]]
code = "SC-07"
name = "报废机动车回收拆解企业登记事项检查（联合）"
department = "市场监管局"
kind = "一般"
legal_basis = "《报废机动车回收管理办法》"
industries = ["报废机动车回收拆解"]
method = "实地"
rate = 0.40
rate_source = "joint with SW-07"

[[item]]
code = "SW-08"
name = "家庭服务机构检查"
department = "商务局"
kind = "一般"
legal_basis = "《家庭服务业管理暂行办法》"
industries = ["家庭服务"]
method = "实地"
rate = 0.50
rate_source = "50 %"

[[item]]
code = "SW-09"
name = "商业特许经营检查"
department = "商务局"
kind = "一般"
legal_basis = "《商业特许经营管理条例》"
tags = ["特许经营"]
method = "书面"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-10"
name = "零售商促销行为检查"
department = "商务局"
kind = "一般"
legal_basis = "《零售商促销行为管理办法》"
industries = ["零售业"]
tags = ["商场超市"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-11"
name = "零售商供应商公平交易检查"
department = "商务局"
kind = "一般"
legal_basis = "《零售商供应商公平交易管理办法》"
industries = ["零售业"]
tags = ["商场超市"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-12"
name = "洗染业经营者检查"
department = "商务局"
kind = "一般"
legal_basis = "《洗染业管理办法》"
industries = ["洗染"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-13"
name = "美容美发经营者检查"
department = "商务局"
kind = "一般"
legal_basis = "《美容美发业管理暂行办法》"
industries = ["美容美发"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-14"
name = "煤炭经营企业检查"
department = "商务局"
kind = "一般"
legal_basis = "《煤炭经营监管办法》"
industries = ["煤炭经营"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-15"
name = "旧电器电子产品流通企业检查"
department = "商务局"
kind = "一般"
legal_basis = "《旧电器电子产品流通管理办法》"
industries = ["旧电器电子产品回收"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"

[[item]]
code = "SW-16"
name = "商品现货市场检查"
department = "商务局"
kind = "一般"
legal_basis = "《商品现货市场交易特别规定（试行）》"
industries = ["商品现货市场"]
method = "实地"
rate = 0.05
rate_source = "no published ratio; 5 %"
"""


def _codes(rng: np.random.Generator, heads: list[str]) -> list[str]:
    """Distinct valid credit codes: 75 % new style (``MA`` + 7 characters), 25 % old (9 digits)."""
    n = len(heads)
    new = rng.random(n) < 0.75
    new_bodies = rng.choice(31**7, size=int(new.sum()), replace=False)
    old_bodies = rng.choice(10**9, size=int((~new).sum()), replace=False)
    out, i_new, i_old = [], 0, 0
    for k in range(n):
        if new[k]:
            v, chars = int(new_bodies[i_new]), []
            i_new += 1
            for _ in range(7):
                v, d = divmod(v, 31)
                chars.append(CREDIT_CODE_ALPHABET[d])
            body = "MA" + "".join(reversed(chars))
        else:
            body = f"{int(old_bodies[i_old]):09d}"
            i_old += 1
        stem = heads[k] + AREA + body
        out.append(stem + credit_code_check_character(stem))
    assert len(set(out)) == n
    return out


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def targets(rng: np.random.Generator) -> list[dict[str, str]]:
    sizes = {**GENERAL, **COMMERCE}
    other = N_TARGETS - sum(v[0] for v in sizes.values())
    sizes["其他"] = (other, 0.2, ["科技", "文化传媒", "信息技术"], ["经营部"])
    industries = [ind for ind, spec in sizes.items() for _ in range(spec[0])]
    order = rng.permutation(len(industries))
    industries = [industries[i] for i in order]
    weights = np.array([t[2] for t in TOWNSHIPS])
    weights[0] *= 2.0  # the county seat has more than its share of businesses
    town = rng.choice(len(TOWNSHIPS), size=N_TARGETS, p=weights / weights.sum())
    rows: list[dict[str, str]] = []
    heads: list[str] = []
    for k, ind in enumerate(industries):
        _, individual, firm_words, shop_words = sizes[ind]
        code_t, town_name = TOWNSHIPS[town[k]][0], TOWNSHIPS[town[k]][1]
        trade = _pick(rng, TRADE_NAME) + _pick(rng, TRADE_NAME)
        if shop_words and rng.random() < individual:
            heads.append("92")
            name = f"曲阳县{town_name}{trade}{_pick(rng, shop_words)}"
        else:
            word = _pick(rng, firm_words)
            heads.append("93" if word.endswith("合作社") else "91")
            name = f"曲阳{trade}{word}" + ("" if word.endswith("合作社") else "有限公司")
        mix = [0.35, 0.40, 0.15, 0.10] if ind in HIGH_RISK else [0.55, 0.35, 0.07, 0.03]
        risk = "ABCD"[int(rng.choice(4, p=mix))]
        tags: set[str] = set()
        if ind == "成品油零售":
            tags.add("加油站")
        if ind == "汽车销售" and rng.random() < 0.3:
            tags.add("4S店")
        if ind == "二手车交易" and rng.random() < 0.08:
            tags.add("二手车交易市场")
        if ind == "零售业" and heads[-1] == "91" and rng.random() < 0.016:
            tags.update({"商场超市", "单用途预付卡"})
        if rng.random() < PREPAID.get(ind, 0.0):
            tags.add("单用途预付卡")
        if rng.random() < CHAIN.get(ind, 0.0):
            tags.add("连锁")
            if rng.random() < 0.3:
                tags.add("特许经营")
        if ind in {"典当", "报废机动车回收拆解", "商品现货市场"} or (
            risk == "D" and ind in COMMERCE
        ):
            tags.add("重点监管")
        status = _pick(rng, ["存续"] * 92 + ["在业"] * 5 + ["注销"] * 2 + ["吊销"])
        abnormal = rng.random() < {"A": 0.005, "B": 0.02, "C": 0.08, "D": 0.20}[risk]
        p_complaint = 0.03 if "单用途预付卡" in tags or ind == "美容美发" else 0.012
        complaints = int(rng.integers(1, 4)) if rng.random() < p_complaint else 0
        last = ""
        if rng.random() < 0.08:
            day = np.datetime64("2022-01-01") + int(rng.integers(0, 424))  # to 2023-02-28
            last = str(day)
        score = float(np.exp(rng.normal({"A": 0.0, "B": 0.7, "C": 1.4, "D": 2.1}[risk], 0.5)))
        rows.append(
            {
                "credit_code": "",
                "name": name,
                "risk_class": risk,
                "industry": ind,
                "area": AREA + code_t,
                "status": status,
                "tags": ";".join(sorted(tags)),
                "abnormal": "1" if abnormal else "0",
                "complaints": str(complaints),
                "last_inspected": last,
                "risk_score": f"{score:.2f}",
            }
        )
    for row, code in zip(rows, _codes(rng, heads), strict=True):
        row["credit_code"] = code
    return rows


def officers(rng: np.random.Generator) -> list[dict[str, str]]:
    used: set[str] = set(REAL_NAMES)
    rows: list[dict[str, str]] = []

    def name() -> str:
        while True:
            n_given = 1 if rng.random() < 0.3 else 2
            full = _pick(rng, SURNAMES) + "".join(_pick(rng, GIVEN) for _ in range(n_given))
            if full not in used:
                used.add(full)
                return full

    serial = 0
    for unit, count in UNITS.items():
        for j in range(count):
            serial += 1
            if unit == "法治办":
                skills = {"法制审核", _pick(rng, ["典当", "拍卖", "预付卡"])}
                cap = 6
            else:
                # every skill in every 中队, one officer each, plus a random second skill
                skills = {UNIT_SKILLS[j % len(UNIT_SKILLS)], _pick(rng, UNIT_SKILLS)}
                cap = int(rng.integers(15, 21))
            rows.append(
                {
                    "officer_id": f"1306342023{serial:04d}",
                    "name": name(),
                    "unit": unit,
                    "department": "商务局",
                    "area": unit if unit != "法治办" else "",
                    "skills": ";".join(sorted(skills)),
                    "expert": "0",
                    "active": "1",
                    "load_cap": str(cap),
                }
            )
    for k in rng.choice(
        [r for r in range(len(rows)) if rows[r]["unit"] != "法治办"], size=2, replace=False
    ):
        rows[int(k)]["active"] = "0"
    for k, (dept, skills) in enumerate(EXPERTS, start=1):
        rows.append(
            {
                "officer_id": f"ZJ{AREA}{k:03d}",
                "name": name(),
                "unit": "专家库",
                "department": dept,
                "area": "",
                "skills": ";".join(sorted(skills)),
                "expert": "1",
                "active": "1",
                "load_cap": "3",
            }
        )
    return rows


def conflicts(
    rng: np.random.Generator,
    target_rows: list[dict[str, str]],
    officer_rows: list[dict[str, str]],
    n: int = 30,
) -> list[dict[str, str]]:
    regulated = [r["credit_code"] for r in target_rows if r["industry"] in COMMERCE]
    everyone = [r["credit_code"] for r in target_rows]
    ids = [r["officer_id"] for r in officer_rows]
    reasons, p = zip(*REASONS, strict=True)
    pairs: set[tuple[str, str]] = set()
    rows = []
    while len(rows) < n:
        officer = _pick(rng, ids)
        code = _pick(rng, regulated if rng.random() < 0.6 else everyone)
        if (officer, code) in pairs:
            continue
        pairs.add((officer, code))
        rows.append(
            {
                "officer_id": officer,
                "credit_code": code,
                "reason": reasons[int(rng.choice(len(reasons), p=p))],
            }
        )
    return rows


def _csv_text(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


#: Officers of the partner departments of the joint 报废机动车 task (部门联合抽查): two each, so a
#: joint visit can have one officer of every participating department. Drawn after everything
#: else, from their own generator, so the rest of the county is unchanged by them.
PARTNERS = [
    ("公安局", "治安管理大队", ["报废机动车", "治安管理"]),
    ("生态环境局", "生态环境执法大队", ["报废机动车", "环境保护"]),
    ("市场监管局", "市场监管综合执法队", ["报废机动车", "登记事项"]),
]


def partner_officers(
    rng: np.random.Generator, existing: list[dict[str, str]]
) -> list[dict[str, str]]:
    used = set(REAL_NAMES) | {r["name"] for r in existing}
    rows = []
    for k, (dept, unit, skills) in enumerate(PARTNERS):
        for j in range(2):
            while True:
                n_given = 1 if rng.random() < 0.3 else 2
                full = _pick(rng, SURNAMES) + "".join(_pick(rng, GIVEN) for _ in range(n_given))
                if full not in used:
                    used.add(full)
                    break
            rows.append(
                {
                    "officer_id": f"LH{AREA}{k + 1:02d}{j + 1:02d}",
                    "name": full,
                    "unit": unit,
                    "department": dept,
                    "area": "",
                    "skills": ";".join(sorted(skills)),
                    "expert": "0",
                    "active": "1",
                    "load_cap": "5",
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    target_rows = targets(rng)
    officer_rows = officers(rng)
    conflict_rows = conflicts(rng, target_rows, officer_rows)
    officer_rows += partner_officers(np.random.default_rng(SEED + 1), officer_rows)
    with (
        open(out / "targets.csv.gz", "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(_csv_text(target_rows).encode("utf-8"))
    (out / "officers.csv").write_text(_csv_text(officer_rows), encoding="utf-8", newline="")
    (out / "conflicts.csv").write_text(_csv_text(conflict_rows), encoding="utf-8", newline="")
    town_rows = [{"code": AREA + c, "name": name, "unit": unit} for c, name, _, unit in TOWNSHIPS]
    (out / "townships.csv").write_text(_csv_text(town_rows), encoding="utf-8", newline="")
    (out / "items.toml").write_text(ITEMS_TOML, encoding="utf-8", newline="")
    size = (out / "targets.csv.gz").stat().st_size
    print(
        f"wrote {len(target_rows)} targets ({size / 1e6:.2f} MB), {len(officer_rows)} officers, "
        f"{len(conflict_rows)} conflicts to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
