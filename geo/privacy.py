"""Personal data: masking of phones, names and addresses for exports, prints and the browser.

Masking is the default everywhere; full details only through an explicit, logged option.
"""
from __future__ import annotations

import re

import pandas as pd

_DIGITS = re.compile(r"\d")


def mask_phone(phone: object) -> str:
    """``13812345678`` -> ``138****5678``; short or odd numbers keep at most their last 2 digits."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return ""
    text = str(phone).strip()
    digits = _DIGITS.findall(text)
    if len(digits) >= 11:
        d = "".join(digits)
        return f"{d[:3]}****{d[-4:]}"
    if len(digits) >= 7:
        d = "".join(digits)
        return f"{'*' * (len(d) - 4)}{d[-4:]}"
    return "*" * max(len(text) - 2, 0) + text[-2:] if text else ""


def mask_name(name: object) -> str:
    """``李小明`` -> ``李*明``; ``王芳`` -> ``王*``; Latin names keep their first letter."""
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = str(name).strip()
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def mask_address(address: object) -> str:
    """Keep the first 6 characters of an address (district/road), mask the rest."""
    if address is None or (isinstance(address, float) and pd.isna(address)):
        return ""
    text = str(address).strip()
    return text[:6] + ("****" if len(text) > 6 else "")


def mask_people(df: pd.DataFrame, *, names: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with ``phone`` and ``address`` masked (and ``name`` when ``names``)."""
    out = df.copy()
    if "phone" in out.columns:
        out["phone"] = out["phone"].map(mask_phone)
    if "address" in out.columns:
        out["address"] = out["address"].map(mask_address)
    if names and "name" in out.columns:
        out["name"] = out["name"].map(mask_name)
    return out
