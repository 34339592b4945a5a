"""Masking of personal data."""
from __future__ import annotations

import pandas as pd
import pytest

from geo.privacy import mask_address, mask_name, mask_people, mask_phone


@pytest.mark.parametrize(("phone", "expected"), [
    ("13812345678", "138****5678"),  # mobile
    ("+86 138-1234-5678", "861****5678"),  # formatted with country code: still 4 digits shown
    ("028-82345678", "028****5678"),  # landline with area code (11 digits)
    ("82345678", "****5678"),  # landline without area code
    ("", ""),
    (None, ""),
])
def test_mask_phone(phone, expected):
    assert mask_phone(phone) == expected


@pytest.mark.parametrize(("name", "expected"), [("李小明", "李*明"), ("王芳", "王*"), ("欧阳娜娜", "欧**娜"), ("", "")])
def test_mask_name(name, expected):
    assert mask_name(name) == expected


def test_mask_people__masks_phone_and_address_not_input():
    df = pd.DataFrame({"name": ["李小明"], "phone": ["13812345678"], "address": ["崇州市崇阳街道唐安西路12号"]})
    out = mask_people(df)
    assert out.loc[0, "phone"] == "138****5678"
    assert "12号" not in out.loc[0, "address"]
    assert df.loc[0, "phone"] == "13812345678"
    assert mask_address("短地址") == "短地址"
