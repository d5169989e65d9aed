"""Reading a CSV directory fast: the same roster, and the same errors, as the columns read whole.

``TargetRoster.from_csv`` reads a column of few distinct values (risk classes, labels, tags,
flags, counts, dates) as codes into its distinct values, straight from the file's bytes, and
reads columns in two threads where a second core is free. The oracle is ``from_columns`` on
the same fields as UTF-8 ``S`` arrays, the form the loader handed over before (every column
gathered whole and factorized by sorting): every column, every label's order and the digest
must be the same.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _helpers import A, B
from randcheck import RosterError, TargetRoster
from randcheck.errors import RosterWarning
from randcheck.roster import _csv
from strategies import valid_credit_codes

tmp_files = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None
)

HEADER = [c.name for c in TargetRoster.COLUMNS]  # every column of the directory, in order


def state(r: TargetRoster) -> dict[str, Any]:
    """Everything a roster holds, labels' order included."""
    out: dict[str, Any] = {"digest": r.digest(), "extra": r.extra_columns}
    for name in ("industry", "area", "status"):
        column = r.column(name)
        out[name] = (column.categories, column.codes.tolist())  # type: ignore[union-attr]
    out["tags"] = (r.tags.names, r.tags.bits.tolist())
    for name in ("credit_code", "name", "risk_class", "abnormal", "complaints"):
        out[name] = np.asarray(r.column(name)).tolist()
    out["last_inspected"] = r.last_inspected.astype(str).tolist()
    for name in r.extra_columns:
        out[name] = [str(v) for v in np.asarray(r.column(name)).tolist()]
    return out


def oracle(rows: list[list[str]], header: list[str], **kwargs: Any) -> TargetRoster:
    """``from_columns`` on the fields as UTF-8 ``S`` arrays: each column gathered whole."""
    columns = {
        h: np.array([row[j].encode() for row in rows] or [b""])[: len(rows)]
        for j, h in enumerate(header)
    }
    return TargetRoster.from_columns(columns, _first_row=2, **kwargs)


def write_rows(
    path: pathlib.Path, header: list[str], rows: list[list[str]], *, end: str = "\n"
) -> pathlib.Path:
    text = "\n".join(",".join(r) for r in [header, *rows]) + end
    path.write_bytes(text.encode())
    return path


def random_rows(n: int, seed: int, codes: list[str]) -> list[list[str]]:
    """Rows with labels of 1 to 40 bytes (Chinese, spaces around some), tags, dates, counts."""
    rng = np.random.default_rng(seed)
    industries = [
        "零售业",
        "餐饮",
        " 成品油零售 ",
        "典当",
        "a",
        "批发和零售业（含网络销售平台）",
        "x" * 17,
    ]
    statuses = ["存续", "在业", "注销", "吊销，未注销"]
    tags = ["", "连锁", "重点;连锁", "预付卡;投诉多;新设", "连锁;重点"]
    days = [str(np.datetime64("2019-01-01") + int(d)) for d in rng.integers(0, 3000, 40)] + [""]
    pick = lambda values: [values[k] for k in rng.integers(0, len(values), n)]  # noqa: E731
    columns = [
        codes[:n],
        [f"企业{k}" * int(rng.integers(0, 4)) for k in range(n)],
        pick(["A", "B", "C", "D", "E", "信用风险高", "信用风险低"]),
        pick(industries),
        pick(["130634", "130602", "1306"]),
        pick(statuses),
        pick(tags),
        pick(["是", "否", "1", "0", ""]),
        pick([str(k) for k in range(13)] + [""]),
        pick(days),
    ]
    return [list(row) for row in zip(*columns, strict=True)]


def codes_for(n: int) -> list[str]:
    from randcheck.example import _credit_codes, _seed_key

    raw = _credit_codes(_seed_key(5), np.arange(n, dtype=np.uint64), "91", "130634")
    return [c.decode() for c in raw.tolist()]


# --- the same roster as the columns read whole ----------------------------------------------------
@pytest.mark.parametrize("n", [1, 7, 300])
def test_from_csv_gives_the_roster_of_its_columns_read_whole(
    tmp_path: pathlib.Path, threads: str, n: int
) -> None:
    rows = random_rows(n, n, codes_for(n))
    loaded = TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    assert state(loaded) == state(oracle(rows, HEADER))


def test_values_first_seen_after_the_sample_rows_are_read_as_codes_too(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    # A sample of 100 rows (1,600 for a column of many values): the values of the last rows
    # are looked up again once added.
    monkeypatch.setattr(_csv, "_CODED_SAMPLE", 100)
    rows = random_rows(2000, 9, codes_for(2000))
    for k, row in enumerate(rows[1700:1710]):
        row[2:10] = ["E", f"新行业{k}", "999", "吊销", "新设", "有", "99", f"2031-01-{k + 1:02}"]
    sizes: list[int] = []
    unique = np.unique
    monkeypatch.setattr(_csv.np, "unique", lambda a, **k: sizes.append(a.size) or unique(a, **k))
    seen: list[Any] = []
    coded = _csv.Fields.coded
    monkeypatch.setattr(_csv.Fields, "coded", lambda self: seen.append(coded(self)) or seen[-1])
    loaded = TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    assert state(loaded) == state(oracle(rows, HEADER))
    assert len(seen) == 8
    assert all(found is not None for found in seen)  # every one as codes
    assert 10 in sizes  # the last rows' keys, looked up again


def test_a_column_of_many_distinct_values_is_read_whole(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_csv, "_CODED_SAMPLE", 16)
    monkeypatch.setattr(_csv, "_CODED_MAX", 20)  # the dates have 41 distinct values
    rows = random_rows(500, 9, codes_for(500))
    loaded = TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    assert state(loaded) == state(oracle(rows, HEADER))


def test_wide_labels_and_the_last_field_at_the_end_of_the_file(tmp_path: pathlib.Path) -> None:
    # Labels wider than 64 bytes are read whole; a file without a final line break ends in
    # a short field, read from the padded end of the buffer.
    wide = ["行业" * 12, "行业" * 12 + "甲", "b"]
    rows = [
        [code, "", "A", wide[k % 3], "", "存续", "", "", "", ""]
        for k, code in enumerate(codes_for(5))
    ]
    rows[-1][-2] = "7"
    for end in ("\n", ""):
        loaded = TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows, end=end))
        assert state(loaded) == state(oracle(rows, HEADER))


@st.composite
def label_rows(draw: st.DrawFn) -> list[list[str]]:
    codes = draw(st.lists(valid_credit_codes(), min_size=1, max_size=12, unique=True))
    text = st.text(
        st.characters(codec="utf-8", exclude_characters='\t\n\r\x00,"', exclude_categories=["Cs"]),
        max_size=20,
    )
    labels = draw(st.lists(text, min_size=1, max_size=4))
    counts = draw(st.lists(st.sampled_from(["", "0", "3", "12", "007"]), min_size=1, max_size=3))
    return [
        [
            c,
            draw(text),
            "B",
            draw(st.sampled_from(labels)),
            draw(st.sampled_from(labels)),
            "存续",
            draw(st.sampled_from(labels)),
            "",
            draw(st.sampled_from(counts)),
            "",
        ]
        for c in codes
    ]


@tmp_files
@given(rows=label_rows())
def test_any_labels_give_the_roster_of_their_columns_read_whole(
    tmp_path: pathlib.Path, rows: list[list[str]]
) -> None:
    path = write_rows(tmp_path / "t.csv", HEADER, rows)
    try:
        expected: Any = state(oracle(rows, HEADER))
    except RosterError as exc:
        expected = str(exc)
    try:
        got: Any = state(TargetRoster.from_csv(path))
    except RosterError as exc:
        got = str(exc).replace(f"{path}, ", "")
    assert got == expected


def test_a_bom_and_the_users_own_columns(tmp_path: pathlib.Path, threads: str) -> None:
    rows = [
        [row[0], row[2], row[3], f"{k % 3}.5", f"备注{k % 2}"]
        for k, row in enumerate(random_rows(40, 2, codes_for(40)))
    ]
    header = ["credit_code", "risk_class", "industry", "score", "note"]
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbf" + write_rows(path, header, rows).read_bytes())
    loaded = TargetRoster.from_csv(path, extra=["score", "note"])
    assert state(loaded) == state(oracle(rows, header, extra=["score", "note"]))


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_a_gbk_file_gives_the_labels_in_the_order_of_its_utf8_twin(
    tmp_path: pathlib.Path, encoding: str
) -> None:
    # GBK bytes sort differently from UTF-8: the codes must follow the UTF-8 order.
    rows = random_rows(200, 4, codes_for(200))
    text = "\n".join(",".join(r) for r in [HEADER, *rows]) + "\n"
    (tmp_path / "g.csv").write_bytes(text.encode(encoding))
    gbk = TargetRoster.from_csv(tmp_path / "g.csv", encoding=encoding)
    assert state(gbk) == state(oracle(rows, HEADER))


# --- the same errors --------------------------------------------------------------------------
@pytest.mark.parametrize("column", [0, 1, 2, 3, 6, 8])
def test_bad_utf8_in_any_column_names_its_row(
    tmp_path: pathlib.Path, threads: str, column: int
) -> None:
    rows = random_rows(30, 1, codes_for(30))
    path = write_rows(tmp_path / "t.csv", HEADER, rows)
    lines = path.read_bytes().split(b"\n")
    fields = lines[7].split(b",")
    fields[column] = "乙公司".encode("gb18030")  # GBK bytes in a UTF-8 file
    lines[7] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RosterError, match=r"t.csv, row 8: is not UTF-8 text .* encoding='gb18030'"):
        TargetRoster.from_csv(path)


def test_a_character_cut_at_the_end_of_a_field_is_bad_utf8(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(f"credit_code,risk_class,name\n{A},A,甲\n{B},B,".encode() + b"\xe4\xb8\n")
    with pytest.raises(RosterError, match=r"row 3: is not UTF-8 text"):
        TargetRoster.from_csv(path)


def test_bad_utf8_is_reported_before_a_row_with_too_many_fields(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(
        f"credit_code,risk_class\n{A},A,extra\n".encode() + f"{B},乙\n".encode("gb18030")
    )
    with pytest.raises(RosterError, match=r"row 3: is not UTF-8 text"):
        TargetRoster.from_csv(path)


def test_bad_utf8_is_reported_before_an_invalid_value(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(f"credit_code,risk_class\n{A},Z\n".encode() + f"{B},乙\n".encode("gb18030"))
    with pytest.raises(RosterError, match=r"row 3: is not UTF-8 text"):
        TargetRoster.from_csv(path)


def test_an_invalid_value_read_as_codes_names_its_field_row_and_value(
    tmp_path: pathlib.Path, threads: str
) -> None:
    rows = random_rows(50, 3, codes_for(50))
    rows[41][2] = "F"  # risk class
    rows[44][8] = "-1"  # complaints
    rows[45][9] = "2023-02-30"
    with pytest.raises(RosterError) as caught:
        TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    message = str(caught.value)
    assert "row 43, column 'risk_class', value 'F'" in message
    shown = [(p.row, p.column, p.value) for p in caught.value.report.problems]
    assert shown == [
        (43, "risk_class", "F"),
        (46, "complaints", "-1"),
        (47, "last_inspected", "2023-02-30"),
    ]


def test_a_duplicate_or_invalid_credit_code_names_its_rows(
    tmp_path: pathlib.Path, threads: str
) -> None:
    rows = random_rows(50, 3, codes_for(50))
    rows[30][0] = rows[4][0]
    with pytest.raises(RosterError, match=r"row 32, column 'credit_code', .*duplicate id"):
        TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    rows[30][0] = rows[30][0][:17] + ("0" if rows[30][0][17] != "0" else "1")
    with pytest.raises(RosterError, match=r"row 32, column 'credit_code', .*not a valid"):
        TargetRoster.from_csv(write_rows(tmp_path / "t.csv", HEADER, rows))
    with pytest.warns(RosterWarning, match="1 × a legacy credit code"):
        loaded = TargetRoster.from_csv(
            write_rows(tmp_path / "t.csv", HEADER, rows), legacy_codes=True
        )
    assert loaded.invalid_credit_codes() == [(31, rows[30][0])]  # its 31st row, the file's 32nd


def test_the_callers_file_is_left_as_it_was(tmp_path: pathlib.Path, threads: str) -> None:
    path = write_rows(tmp_path / "t.csv", HEADER, random_rows(60, 6, codes_for(60)))
    before = path.read_bytes()
    roster = TargetRoster.from_csv(path)
    assert path.read_bytes() == before
    assert not roster.name.flags.writeable


def test_check_utf8_finds_bad_bytes_in_any_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_csv, "_SCAN", 8)  # blocks of whole fields: 2 rows of 4 bytes
    fields = np.array(["甲".encode(), b"ab", "乙".encode(), b"\xe4\xb8"], dtype="S4")
    with pytest.raises(UnicodeDecodeError):
        _csv.check_utf8(fields)
    _csv.check_utf8(fields[:3])
