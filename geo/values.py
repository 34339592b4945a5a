"""Small value helpers every module shares: the timestamp, the date, the yes/no cell parser, control characters."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd

# Words an office spreadsheet uses for yes/no (compared lower-cased, stripped).
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t", "是", "党员", "中共党员", "预备党员", "√", "✓", "对"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "f", "否", "非党员", "群众", "×", "不是"})
# C0/C1 control characters (tab, newline and carriage return excepted) and the bidi
# embedding/override/isolate marks (U+202A-U+202E, U+2066-U+2069) that reorder what is shown
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def now_iso(*, at: datetime | None = None) -> str:
    """``at`` (default: now) as UTC ISO 8601 text to the second, e.g. ``2026-12-03T07:48:30+00:00``."""
    when = at or datetime.now(timezone.utc)
    return when.isoformat(timespec="seconds")


def today_iso() -> str:
    """Today's local date as ``YYYY-MM-DD`` (print footers, file names)."""
    return date.today().isoformat()


def parse_bool(value: object) -> bool | None:
    """A yes/no cell as ``True``/``False``; ``None`` when blank.

    Accepts booleans, 0/1 numbers and the words in ``TRUE_WORDS``/``FALSE_WORDS``
    (中文 too); anything else raises ``ValueError`` so an importer can name the row.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(value)


def is_true(value: object) -> bool:
    """A stored flag (e.g. ``locked``) read leniently: ``True`` for a yes value; blank or unknown is no."""
    try:
        return parse_bool(value) is True
    except ValueError:
        return False


def file_stamp(*, at: datetime | None = None) -> str:
    """``at`` (default: now, UTC) as a file-name-safe stamp, e.g. ``20261203-074830``."""
    when = at or datetime.now(timezone.utc)
    return when.strftime("%Y%m%d-%H%M%S")

_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")  # emphasis, code, links and images, tables, strikethrough, maths
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=])|^(\s*\d+)([.)])")  # headings and lists at a line's start


def strip_controls(text: str) -> str:
    """``text`` without ``CONTROL_CHARACTERS``: what a spreadsheet, a PDF or a screen can show literally."""
    return CONTROL_CHARACTERS.sub("", text)


def markdown_literal(value: object) -> str:
    """``value`` as Markdown that renders as exactly this text, on one line, in any viewer.

    Control characters removed, line breaks as spaces, Markdown punctuation backslash-escaped
    (``[`` and ``]`` too, so ``![x](http://…)`` is no image and no link; ``$`` too, so no maths)
    and ``& < >`` as HTML entities, so ``<img src=x onerror=…>`` stays text in HTML made from it.
    """
    text = re.sub(r"[\t\n\r]+", " ", strip_controls(str(value)))
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}", text)
    return html.escape(text, quote=False)
