"""统一社会信用代码 (GB 32100-2015): the scalar and vectorized checks agree with the standard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck.roster.credit_code import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    credit_code_mask,
    credit_code_problem,
    is_valid_credit_code,
)
from strategies import ALPHABET, credit_code_bodies, invalid_credit_codes, valid_credit_codes

# --- a plain reimplementation, straight from GB 32100-2015, to compare against -----------------
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols, no I O S V Z
REFERENCE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def reference_is_valid(code: object) -> bool:
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(ch not in REFERENCE_ALPHABET for ch in code):
        return False
    if any(ch not in "0123456789" for ch in code[2:8]):  # GB/T 2260 area code
        return False
    total = sum(
        REFERENCE_ALPHABET.index(ch) * w for ch, w in zip(code, REFERENCE_WEIGHTS, strict=False)
    )
    c = 31 - total % 31
    if c == 31:
        c = 0
    return code[17] == REFERENCE_ALPHABET[c]


# Anything a register may hold: mostly the alphabet, plus forbidden letters, lower case, junk.
code_like = (
    st.text(alphabet=st.sampled_from(ALPHABET + "IOSVZabcy -？中\x00"), min_size=15, max_size=20)
    | valid_credit_codes()
    | invalid_credit_codes()
)


def test_alphabet_is_the_31_symbols_of_the_standard() -> None:
    assert CREDIT_CODE_ALPHABET == REFERENCE_ALPHABET
    assert len(set(CREDIT_CODE_ALPHABET)) == 31


def test_weights_in_domain_doc_are_powers_of_three_mod_31() -> None:
    assert [pow(3, i, 31) for i in range(17)] == REFERENCE_WEIGHTS


def test_check_character_of_a_published_example() -> None:
    assert credit_code_check_character("91350100M000100Y4") == "3"


def test_check_character_zero_when_the_sum_is_a_multiple_of_31() -> None:
    assert credit_code_check_character("0" * 17) == "0"


def test_known_valid_code_is_valid() -> None:
    assert is_valid_credit_code("91350100M000100Y43")


@given(credit_code_bodies())
def test_check_character_makes_a_code_the_reference_accepts(body: str) -> None:
    assert reference_is_valid(body + credit_code_check_character(body))


@given(code_like)
def test_is_valid_agrees_with_the_reference(code: str) -> None:
    assert is_valid_credit_code(code) == reference_is_valid(code)


@given(st.lists(code_like, max_size=30))
def test_mask_agrees_with_the_scalar_check(codes: list[str]) -> None:
    expected = [reference_is_valid(c) for c in codes]
    assert credit_code_mask(codes).tolist() == expected


@given(st.lists(valid_credit_codes() | invalid_credit_codes(), min_size=1, max_size=30))
def test_mask_on_s18_bytes_equals_mask_on_strings(codes: list[str]) -> None:
    as_bytes = np.array([c.encode("ascii") for c in codes], dtype="S18")
    assert credit_code_mask(as_bytes).tolist() == credit_code_mask(codes).tolist()


@given(valid_credit_codes())
def test_every_single_character_change_is_detected(code: str) -> None:
    # Exhaustive over the 18 positions and the 30 other symbols (540 variants per code). It holds
    # for every code because 31 is prime and no weight is 0 mod 31, so a change of one value by
    # d ≠ 0 changes the weighted sum by w·d ≢ 0 (mod 31); at position 18 the check itself moves.
    variants = [
        code[:i] + symbol + code[i + 1 :]
        for i in range(18)
        for symbol in ALPHABET
        if symbol != code[i]
    ]
    assert len(variants) == 18 * 30
    assert not credit_code_mask(variants).any()


@given(valid_credit_codes(), st.integers(0, 17), st.sampled_from("IOSVZ"))
def test_a_letter_outside_the_alphabet_is_invalid(code: str, i: int, letter: str) -> None:
    assert not is_valid_credit_code(code[:i] + letter + code[i + 1 :])


@given(valid_credit_codes())
def test_lower_case_is_not_valid(code: str) -> None:
    if code != code.lower():
        assert not is_valid_credit_code(code.lower())


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", None, 91350100])
def test_wrong_length_or_type_is_not_valid(code: object) -> None:
    assert not is_valid_credit_code(code)  # type: ignore[arg-type]


def test_check_character_rejects_a_body_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"17 characters, got 16: '91350100M000100Y'"):
        credit_code_check_character("91350100M000100Y")


def test_check_character_names_the_character_and_position_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match=r"character 'O' at position 9 .* alphabet"):
        credit_code_check_character("91350100O000100Y4")


def test_mask_of_nothing_is_empty() -> None:
    assert credit_code_mask([]).shape == (0,)


def test_mask_keeps_the_shape_of_its_input() -> None:
    grid = np.array([["91350100M000100Y43", "x"], ["y", "91350100M000100Y43"]])
    assert credit_code_mask(grid).tolist() == [[True, False], [False, True]]


def test_mask_accepts_a_generator() -> None:
    assert credit_code_mask(c for c in ["91350100M000100Y43"]).tolist() == [True]


def test_mask_accepts_wider_byte_arrays() -> None:
    codes = np.array([b"91350100M000100Y43", b"91350100M000100Y43X", b"short"], dtype="S20")
    assert credit_code_mask(codes).tolist() == [True, False, False]


def test_mask_treats_non_ascii_as_invalid() -> None:
    assert credit_code_mask(["91350100M000100Y4三"]).tolist() == [False]


def test_mask_reads_strings_of_either_byte_order() -> None:
    codes = ["91350100M000100Y43", "91350100M000100Y44"]
    for dtype in ("<U18", ">U18"):
        assert credit_code_mask(np.array(codes, dtype=dtype)).tolist() == [True, False]


def test_mask_rejects_numbers() -> None:
    with pytest.raises(TypeError, match="must be strings or bytes, got an array of dtype int64"):
        credit_code_mask(np.array([1, 2], dtype=np.int64))


def test_mask_does_not_modify_its_input() -> None:
    codes = np.array([b"91350100M000100Y43", b"bad"], dtype="S18")
    before = codes.copy()
    credit_code_mask(codes)
    assert np.array_equal(codes, before)


def test_mask_over_many_blocks_matches_the_scalar_check() -> None:
    # More rows than one internal block (65 536), with invalid codes scattered through.
    rng = np.random.default_rng(20240601)
    bodies = rng.integers(0, 31, size=(70_000, 17))
    bodies[:, 2:8] = rng.integers(0, 10, size=(70_000, 6))  # the area code: digits
    weights = np.array(REFERENCE_WEIGHTS)
    check = (31 - (bodies @ weights) % 31) % 31
    symbols = np.frombuffer(REFERENCE_ALPHABET.encode(), dtype=np.uint8)
    raw = np.concatenate([symbols[bodies], symbols[check][:, None]], axis=1)
    broken = rng.random(70_000) < 0.01
    raw[broken, 17] = symbols[(check[broken] + 1) % 31]
    codes = np.ascontiguousarray(raw).view("S18").ravel()
    assert np.array_equal(credit_code_mask(codes), ~broken)


def test_every_byte_at_every_position_is_judged_as_the_scalar_check_judges_it() -> None:
    # Each of the 256 byte values at each of the 18 positions of valid codes (one whose check
    # character is 0, one with an area code of zeros): the vectorized check must
    # agree with the scalar one on all of them, whatever the byte (NUL, '/', ':', '@', a
    # letter outside the alphabet, lower case, a byte of a UTF-8 or GBK character...).
    bases = [b + credit_code_check_character(b) for b in ("91350100M000100Y4", "Y1000000000000000")]
    bases.append(
        next(
            b + "0"
            for b in (f"9113063{i:02d}MA07RWXK" for i in range(100))
            if credit_code_check_character(b) == "0"
        )
    )
    mutated = []
    for base in bases:
        raw = np.frombuffer(base.encode(), dtype=np.uint8)
        for position in range(18):
            block = np.tile(raw, (256, 1))
            block[:, position] = np.arange(256)
            mutated.append(block)
    codes = np.ascontiguousarray(np.concatenate(mutated)).view("S18").ravel()
    expected = [is_valid_credit_code(c.decode("latin-1")) for c in codes.tolist()]
    assert credit_code_mask(codes).tolist() == expected
    assert sum(expected) == 3 * 18  # each position keeps its own byte once: the base itself


# --- positions 3–8: the area code (issue 14, finding 5) ----------------------------------------
LETTER_AREA_BODY = "91ABCDEFM000100Y4"
LETTER_AREA_CODE = LETTER_AREA_BODY + credit_code_check_character(LETTER_AREA_BODY)


def test_letters_in_the_area_code_are_invalid_in_the_scalar_check() -> None:
    assert is_valid_credit_code(LETTER_AREA_CODE) is False


def test_letters_in_the_area_code_are_invalid_in_the_vectorized_check() -> None:
    assert credit_code_mask([LETTER_AREA_CODE, "91350100M000100Y43"]).tolist() == [False, True]


@pytest.mark.parametrize("position", range(3, 9))
def test_one_letter_anywhere_in_positions_3_to_8_is_invalid(position: int) -> None:
    body = "91350100M000100Y4"
    body = body[: position - 1] + "A" + body[position:]
    code = body + credit_code_check_character(body)
    assert (is_valid_credit_code(code), credit_code_mask([code]).tolist()) == (False, [False])
    assert "positions 3–8" in str(credit_code_problem(code))


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91350100M000100Y43", None),
        ("91350100M000100Y44", "the check character is '4' where '3' is expected"),
        ("91350100M000100Y4", "18 characters, got 17"),
        ("91350100M000I00Y43", "character 'I' at position 13"),
        ("9.14105E+17", "scientific notation"),
        ("9.14105e+17", "scientific notation"),
        (LETTER_AREA_CODE, "got 'ABCDEF'"),
    ],
)
def test_credit_code_problem_names_what_is_wrong(code: str, words: str | None) -> None:
    problem = credit_code_problem(code)
    if words is None:
        assert problem is None
    else:
        assert words in str(problem)


@given(code_like)
def test_credit_code_problem_is_none_exactly_for_valid_codes(code: str) -> None:
    assert (credit_code_problem(code) is None) == reference_is_valid(code)


def test_the_old_module_path_warns_and_gives_the_same_function() -> None:
    import randcheck.credit_code as old
    from randcheck.roster import credit_code as new

    with pytest.warns(DeprecationWarning, match=r"randcheck\.credit_code is deprecated"):
        got = old.is_valid_credit_code
    assert got is new.is_valid_credit_code
    with pytest.raises(AttributeError):
        old.no_such_name  # noqa: B018 - an unknown name is an AttributeError, no warning
