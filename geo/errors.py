"""Error types raised by ``geo``: each carries a stable ``code`` and a ``context`` dict.

The exception text is English and for developers; user-facing text in Chinese and
English comes from ``geo.messages`` keyed by ``code`` and filled from ``context``.
"""
from __future__ import annotations

from typing import Any


class GeoWarning(UserWarning):
    """Something a planner should know that did not stop the work (e.g. characters removed from an export).

    Like :class:`GeoInputError`, ``code`` selects the catalogue message and ``context`` fills it.
    """

    code = "input_warning"

    def __init__(self, msg: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(msg)
        if code is not None:
            self.code = code
        self.context: dict[str, Any] = context


class GeoInputError(ValueError):
    """Bad input a planner can fix. ``code`` selects the catalogue message."""

    code = "input_error"

    def __init__(self, msg: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(msg)
        if code is not None:
            self.code = code
        self.context: dict[str, Any] = context


class MissingCRSError(GeoInputError):
    code = "missing_crs"


class CRSMismatchError(GeoInputError):
    code = "crs_mismatch"


class InvalidGeometryError(GeoInputError):
    code = "invalid_geometry"


class EmptyLayerError(GeoInputError):
    code = "empty_layer"


class UnsupportedGeometryError(GeoInputError):
    code = "unsupported_geometry"


class UnsupportedFormatError(GeoInputError):
    code = "unsupported_format"


class ProjectFileError(GeoInputError):
    code = "project_file"


class ExportError(GeoInputError):
    code = "export_error"


class ConflictError(GeoInputError):
    """The project file changed on disk since it was loaded (another session saved)."""

    code = "save_conflict"
