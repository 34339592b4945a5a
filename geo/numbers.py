"""How figures read on screen and paper: one format for counts and one for shares, in every front end."""
from __future__ import annotations

import math

MISSING = "—"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count_text(value: object) -> str:
    """A count with thousands separators (``12,465``); ``—`` when unknown."""
    if _missing(value):
        return MISSING
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def share_text(value: object, *, digits: int = 0) -> str:
    """A 0..1 share as a percentage (``87%``); ``—`` when unknown (no target, no coverage)."""
    if _missing(value):
        return MISSING
    return f"{float(value):.{digits}%}"  # type: ignore[arg-type]
