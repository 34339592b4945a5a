"""The one timestamp helper: the current time as the ISO 8601 text every record and audit row carries."""
from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """The current UTC time as ISO 8601 text, to the second (``2024-05-01T08:00:00+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
