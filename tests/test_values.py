"""geo.values: the one timestamp, date and yes/no parser every module uses."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from geo.values import is_true, now_iso, parse_bool, today_iso


@pytest.mark.parametrize("value", [True, 1, 1.0, np.int64(1), np.bool_(True), "1", " TRUE ", "yes", "Y", "是",
                                   "党员", "√"])
def test_parse_bool__reads_yes_values(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", [False, 0, 0.0, np.int64(0), "0", "false", "No", "否", "群众", "×"])
def test_parse_bool__reads_no_values(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", [None, "", "  ", math.nan, pd.NA, np.float64("nan")])
def test_parse_bool__blank_is_none(value):
    assert parse_bool(value) is None


@pytest.mark.parametrize("value", ["maybe", 2, -1.0, "10"])
def test_parse_bool__refuses_anything_else_so_the_importer_can_name_the_row(value):
    with pytest.raises(ValueError):
        parse_bool(value)


@pytest.mark.parametrize(("value", "expected"), [("true", True), (1, True), ("maybe", False), (None, False),
                                                 (math.nan, False), ("否", False)])
def test_is_true__is_lenient_for_stored_flags(value, expected):
    assert is_true(value) is expected


def test_now_iso__is_utc_to_the_second_and_formats_a_given_time():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    text = now_iso()
    assert text.endswith("+00:00") and "." not in text
    assert before <= datetime.fromisoformat(text) <= before + timedelta(seconds=5)
    at = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)
    assert now_iso(at=at) == "2026-01-02T03:04:05+00:00"


def test_today_iso__is_the_local_date():
    assert today_iso() == date.today().isoformat()
