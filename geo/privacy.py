"""Personal data: masking of phones, names and addresses for exports, prints and the browser.

Masking is the default everywhere; full details only through an explicit, logged option.
"""
from __future__ import annotations

import re

import pandas as pd

from geo.idcard import ID_CLEAR, mask_id_number

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


def normalise_phone(phone: object) -> str | None:
    """A mobile number as 11 digits: spaces, dashes, brackets, ``+86``/``0086`` and numeric cells handled.

    ``"170 0000 1234"``, ``"170-0000-1234"``, ``"+86 17000001234"`` and the number ``17000001234.0``
    all give ``"17000001234"``. Anything else with digits (a landline ``028-8888 6666``) is
    returned as its digits; blank gives None. Use ``is_mobile_phone`` to check the result.
    """
    if phone is None or (isinstance(phone, float) and pd.isna(phone)):
        return None
    if isinstance(phone, float) and phone.is_integer():
        phone = int(phone)
    digits = "".join(_DIGITS.findall(str(phone)))
    if not digits:
        return None
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits


def is_mobile_phone(phone: object) -> bool:
    """True for 11 digits starting with 1 (a mainland mobile number)."""
    text = "" if phone is None else str(phone)
    return len(text) == 11 and text.isdigit() and text.startswith("1")


_CONSENT_YES = {"1", "true", "yes", "y", "是", "同意", "已同意", "√", "✓", "可公开", "公开"}


def has_consent(value: object) -> bool:
    """True when a consent cell says yes (``True``, 1, 是, 同意, yes...); blank or anything else is no."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return str(value).strip().lower() in _CONSENT_YES


def notice_phone(phone: object, *, consented: bool) -> str:
    """A work phone as a notice board shows it: in full when the person consented, else masked."""
    if not consented:
        return mask_phone(phone)
    return normalise_phone(phone) or ""


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
    """A copy of ``df`` with ``phone``, ``address`` and an opted-in ``id_number`` masked (and ``name`` when ``names``)."""
    out = df.copy()
    if "phone" in out.columns:
        out["phone"] = out["phone"].map(mask_phone)
    if "address" in out.columns:
        out["address"] = out["address"].map(mask_address)
    if ID_CLEAR in out.columns:  # only present when the planner opted in to keep it in clear
        out[ID_CLEAR] = out[ID_CLEAR].map(mask_id_number)
    if names and "name" in out.columns:
        out["name"] = out["name"].map(mask_name)
    return out
