"""身份证号 (resident ID numbers, GB 11643-1999): recognise, validate, mask and hash.

A project file never holds an ID number in clear unless the planner opts in: it stores
the masked form (first 6 + last 4 characters, ``510197********9703``) and a salted
SHA-256 hash (the salt lives in the project's meta), enough to tell people apart and
to match a later roster, and useless to anyone who copies the file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pandas as pd

ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "公民身份证号", "身份证", "身份证件号码", "证件号码",
              "证件号", "idcard", "idnumber", "idno", "id_number")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dXx]$")
_STRIP = re.compile(r"[\s\-]+")

# columns written in place of the ID number
ID_MASKED = "id_number_masked"
ID_HASH = "id_number_hash"
ID_CLEAR = "id_number"  # only with the explicit opt-in
ID_VALID = "id_number_valid"

# problems (messages "idcard.problem.<code>")
BAD_LENGTH = "length"
BAD_CHARS = "chars"
BAD_BIRTH_DATE = "birth_date"
BAD_CHECKSUM = "checksum"


def normalise_id_number(value: object) -> str | None:
    """Trim spaces and dashes and upper-case a trailing ``x``; blank -> None. Does not validate."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{int(value)}"  # an ID typed as a number (its last digits are already lost when > 15 digits)
    text = _STRIP.sub("", str(value))
    return text.upper() or None


def check_char(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits (weights 7 9 10 5 8 4 2 1 6 3 ..., mod 11)."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def id_number_problem(value: object, *, today: dt.date | None = None) -> str | None:
    """Why ``value`` is not a valid 18-character ID number (``length``, ``chars``, ``birth_date``, ``checksum``), or None."""
    text = normalise_id_number(value)
    if text is None or len(text) != 18:
        return BAD_LENGTH
    if not _SHAPE.match(text):
        return BAD_CHARS
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return BAD_BIRTH_DATE
    if born.year < 1900 or born > (today or dt.date.today()):
        return BAD_BIRTH_DATE
    if check_char(text[:17]) != text[17]:
        return BAD_CHECKSUM
    return None


def is_valid_id_number(value: object) -> bool:
    """True for an 18-character ID number with a real birth date and the right check character (x accepted)."""
    return id_number_problem(value) is None


def mask_id_number(value: object) -> str:
    """``510197197109069703`` -> ``510197********9703`` (first 6 and last 4 kept); blank -> ``""``."""
    text = normalise_id_number(value)
    if not text:
        return ""
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def new_salt() -> str:
    """A random salt for one project (32 hex characters)."""
    return secrets.token_hex(16)


def hash_id_number(value: object, *, salt: str) -> str:
    """Salted SHA-256 (HMAC) of the normalised ID number, hex; blank -> ``""``.

    The same person gets the same hash within one project (same salt), so a later roster
    can be matched without storing the number.
    """
    text = normalise_id_number(value)
    if not text:
        return ""
    return hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()


def looks_like_id_numbers(values: pd.Series, *, share: float = 0.8) -> bool:
    """True when at least ``share`` of the non-blank values have the shape of an 18-character ID number."""
    texts = [normalise_id_number(v) for v in values]
    texts = [v for v in texts if v]
    if not texts:
        return False
    return sum(bool(_SHAPE.match(v)) for v in texts) / len(texts) >= share


def find_id_column(df: pd.DataFrame, *, by_shape: bool = True, exclude: tuple[str, ...] = ()) -> str | None:
    """The column holding ID numbers: by header (身份证号, 公民身份号码 ...), else by the shape of its values.

    ``by_shape=False`` trusts headers only (for layers of places, whose 18-digit codes are not IDs);
    columns in ``exclude`` (already recognised as codes) are never taken.
    """
    columns = [c for c in df.columns if str(c) not in exclude]
    normal = {re.sub(r"[\s_（）()]", "", str(c)).lower(): c for c in columns}
    for header in ID_HEADERS:
        if header.lower() in normal:
            return str(normal[header.lower()])
    if not by_shape:
        return None
    for column in columns:
        if not pd.api.types.is_numeric_dtype(df[column]) and looks_like_id_numbers(df[column]):
            return str(column)
    return None


@dataclass(frozen=True)
class IdProblem:
    """One ID number that failed validation: the row the planner sees, and why."""

    row: int
    problem: str
    masked: str


def protect_id_numbers(df: pd.DataFrame, column: str, *, salt: str,
                       keep_clear: bool = False) -> tuple[pd.DataFrame, list[IdProblem]]:
    """Replace ``column`` by its masked form, a salted hash and a validity flag; list the invalid ones.

    Parameters
    ----------
    df
        Rows indexed by the row number the planner sees (``geo.sheets``).
    salt
        The project's salt (``meta["id_salt"]``).
    keep_clear
        Also keep the normalised number in clear in ``id_number`` (the planner's explicit opt-in).

    Returns
    -------
    tuple
        A copy of ``df`` without ``column`` and with ``id_number_masked``, ``id_number_hash``,
        ``id_number_valid`` (and ``id_number`` when ``keep_clear``); and the problems by row.
    """
    values = df[column]
    problems = [IdProblem(int(row), why, mask_id_number(v)) for row, v in values.items()
                if normalise_id_number(v) is not None and (why := id_number_problem(v)) is not None]
    out = df.drop(columns=[column])
    out[ID_MASKED] = [mask_id_number(v) for v in values]
    out[ID_HASH] = [hash_id_number(v, salt=salt) for v in values]
    out[ID_VALID] = [normalise_id_number(v) is not None and id_number_problem(v) is None for v in values]
    if keep_clear:
        out[ID_CLEAR] = [normalise_id_number(v) for v in values]
    return out, problems
