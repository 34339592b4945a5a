"""身份证号: GB 11643-1999 check digit, birth date, lowercase x, masking, salted hash; phones to 11 digits."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo.idcard import (
    BAD_BIRTH_DATE, BAD_CHARS, BAD_CHECKSUM, BAD_LENGTH, ID_HASH, ID_MASKED, ID_VALID, check_char, find_id_column,
    hash_id_number, id_number_problem, is_valid_id_number, mask_id_number, protect_id_numbers,
)
from geo.privacy import is_mobile_phone, mask_phone, normalise_phone

TRUTH = Path(__file__).parent / "data" / "fieldkit" / "truth"


def test_check_char__published_example():
    # GB 11643-1999 appendix example: 11010519491231002 -> X
    assert check_char("11010519491231002") == "X"


@pytest.mark.parametrize(("value", "problem"), [
    ("11010519491231002X", None),  # the standard's example
    ("11010519491231002x", None),  # lowercase x is valid once upper-cased
    ("110105194912310021", BAD_CHECKSUM),  # wrong check digit
    ("110105194902300028", BAD_BIRTH_DATE),  # 30 February
    ("1101051949123100", BAD_LENGTH),  # 16 characters
    ("11010519491231002Y", BAD_CHARS),  # not a digit or X
    (" 110105 19491231 002X ", None),  # spaces typed into the cell
])
def test_id_number_problem__cases(value, problem):
    assert id_number_problem(value) == problem


def test_is_valid_id_number__every_fieldkit_truth_row():
    with open(TRUTH / "roster_truth.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(is_valid_id_number(r["身份证号规范"]) == (r["身份证号有效"] == "1") for r in rows)


def test_mask_id_number__first_six_last_four():
    assert mask_id_number("51019719701013830x") == "510197********830X"
    assert mask_id_number(None) == ""


def test_hash_id_number__salted_and_case_insensitive_on_x():
    a = hash_id_number("51019719701013830x", salt="s1")
    assert a == hash_id_number("51019719701013830X", salt="s1")
    assert a != hash_id_number("51019719701013830X", salt="s2")
    assert "51019719701013830" not in a


def test_find_id_column__by_header_then_by_shape():
    assert find_id_column(pd.DataFrame({"姓名": ["甲"], "公民身份号码": ["x"]})) == "公民身份号码"
    assert find_id_column(pd.DataFrame({"姓名": ["甲", "乙"],
                                        "证件": ["11010519491231002X", "510197197109069703"]})) == "证件"
    assert find_id_column(pd.DataFrame({"姓名": ["甲"], "电话": ["17000001234"]})) is None


def test_protect_id_numbers__no_clear_number_left_and_bad_rows_reported_by_row():
    df = pd.DataFrame({"身份证号": ["11010519491231002x", "110105194912310021", None]}, index=[5, 6, 7])
    out, problems = protect_id_numbers(df, "身份证号", salt="abc")
    assert "身份证号" not in out.columns
    assert not out.astype(str).apply(lambda c: c.str.contains("1101051949123100")).any().any()
    assert list(out[ID_MASKED]) == ["110105********002X", "110105********0021", ""]
    assert list(out[ID_VALID]) == [True, False, False]
    assert out[ID_HASH].iloc[0] == hash_id_number("11010519491231002X", salt="abc")
    assert [(p.row, p.problem) for p in problems] == [(6, BAD_CHECKSUM)]


def test_protect_id_numbers__opt_in_keeps_the_normalised_number():
    df = pd.DataFrame({"id": ["11010519491231002x"]})
    out, _ = protect_id_numbers(df, "id", salt="abc", keep_clear=True)
    assert out["id_number"].iloc[0] == "11010519491231002X"


@pytest.mark.parametrize(("raw", "phone"), [
    ("17000001234", "17000001234"),  # plain text
    ("170 0000 1234", "17000001234"),  # spaces
    ("170-0000-1234", "17000001234"),  # dashes
    ("+86 170 0000 1234", "17000001234"),  # country code
    ("008617000001234", "17000001234"),  # 00 country code
    (17000001234, "17000001234"),  # a numeric cell
    (17000001234.0, "17000001234"),  # a numeric cell read as float
    ("028-8888 6666", "02888886666"),  # a landline keeps its digits
    ("", None),  # blank
])
def test_normalise_phone__cases(raw, phone):
    assert normalise_phone(raw) == phone


def test_is_mobile_phone_and_mask_phone__display():
    assert is_mobile_phone("17000001234")
    assert not is_mobile_phone("02888886666")
    assert mask_phone(normalise_phone("170-0000-1234")) == "170****1234"


def test_find_id_column__places_trust_headers_only_and_codes_are_never_ids():
    codes = pd.DataFrame({"code": ["11010519491231002X"], "楼栋编码": ["11010519491231002X"]})
    assert find_id_column(codes, by_shape=False) is None  # an 18-character building code is not an ID number
    assert find_id_column(codes, exclude=("code", "楼栋编码")) is None
    assert find_id_column(pd.DataFrame({"身份证号码": ["x"]}), by_shape=False) == "身份证号码"
