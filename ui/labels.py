"""Named ``format_func`` helpers for widgets (module-level so session state stays picklable)."""
from __future__ import annotations

from layers import style
from ui.i18n import tr
from ui.state import lang


def language_label(code: str) -> str:
    """中文 / English."""
    return {"zh": "中文", "en": "English"}.get(code, code)


def basemap_label(name: str) -> str:
    """Basemap choice label."""
    return tr(f"ui.basemap.{name}")


def metric_label(metric: str) -> str:
    """Map colouring choice label."""
    return tr(f"ui.explore.metric.{metric}")


def level_label(level: str) -> str:
    """Grid level or unit level label."""
    return tr(f"ui.level.{level}")


def category_label(category: str) -> str:
    """Service category label."""
    return style.category_label(category, lang())


def point_type_label(point_type: str) -> str:
    """Service point type label."""
    return style.point_type_label(point_type, lang())


def role_label(role: str) -> str:
    """Assignment role label."""
    return tr(f"ui.role.{role}")


def name_or_all(names: dict[str, str], code: str) -> str:
    """A unit's name for a filter, "All" for the empty value (use with functools.partial)."""
    return names.get(code, tr("ui.dash.all")) if code else tr("ui.dash.all")
