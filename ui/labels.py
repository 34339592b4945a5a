"""Named ``format_func`` helpers for widgets (module-level so session state stays picklable)."""
from __future__ import annotations

from geo.messages import action_label, label
from ui.i18n import tr
from ui.safe import visible
from ui.state import lang


def language_label(code: str) -> str:
    """中文 / English."""
    return {"zh": "中文", "en": "English"}.get(code, code)


def basemap_label(name: str) -> str:
    """Basemap choice label."""
    return tr(f"ui.basemap.{name}")


def metric_label(metric: str) -> str:
    """Map colouring choice label (``measure.<value>``)."""
    return label("measure", metric, lang())


def level_label(level: str) -> str:
    """Grid level or unit level label (``level.<value>``)."""
    return label("level", level, lang())


def category_label(category: str) -> str:
    """Service category label (``category.<value>``)."""
    return label("category", category, lang())


def point_type_label(point_type: str) -> str:
    """Service point type label (``point_type.<value>``)."""
    return label("point_type", point_type, lang())


def method_label(method: str) -> str:
    """How an assignment was made (``method.<value>``)."""
    return label("method", method, lang())


def tier_label(tier: str) -> str:
    """Volunteer tier label (``tier.<value>``; a tier outside the list as stored)."""
    return label("tier", tier, lang())


def scenario_label(name: str) -> str:
    """Scenario label: 基线 reads Baseline in English; planners' own names as typed."""
    return label("scenario", name, lang())


def ruleset_label(name: str) -> str:
    """Rule-set label: 平时/战时 read Normal/Emergency in English; planners' own names as typed."""
    return label("ruleset", name, lang())


def role_label(role: str) -> str:
    """Assignment role label (``role.<value>``)."""
    return label("role", role, lang())


def name_or_all(names: dict[str, str], code: str) -> str:
    """A unit's name for a filter, "All" for the empty value (use with functools.partial)."""
    return visible(names.get(code, tr("ui.dash.all"))) if code else tr("ui.dash.all")


def measure_label(measure: str) -> str:
    """Print measure label: ``coverage:生活`` -> 服务覆盖率 · 生活."""
    name, _, category = measure.partition(":")
    text = label("measure", name, lang())
    return f"{text} · {category_label(category)}" if category else text


def orientation_label(orientation: str) -> str:
    """Paper orientation label."""
    return tr(f"print.ui.{orientation}")


def print_kind_label(kind: str) -> str:
    """What to print: map page, atlas or notice board."""
    return tr(f"print.ui.kind.{kind}")


def community_or_all(names: dict[str, str], code: str | None) -> str:
    """A community filter entry: name and code, "all" for None (use with functools.partial)."""
    return tr("edit.page.all") if code is None else visible(f"{names.get(code, '')} {code}")


def code_and_name(names: dict[str, str], code: str) -> str:
    """``code name`` for a unit picker (use with functools.partial)."""
    return visible(f"{code} {names.get(code, '')}")


def lookup(texts: dict[str, str], key: str) -> str:
    """The prepared label of ``key`` (use with functools.partial)."""
    return visible(texts.get(key, key))


def name_and_code(names: dict[str, str], code: str) -> str:
    """``name (code)`` for a picker searched by name (use with functools.partial)."""
    name = names.get(code, "")
    return visible(f"{name} ({code})" if name else code)


def radius_label(radius_m: float) -> str:
    """A radius with its unit: ``300 米`` / ``300 m`` (never ``300.0``)."""
    return tr("ui.run.radius_col", radius=f"{float(radius_m):.0f}")


# --- import wizard ------------------------------------------------------------------------------

_IMPORT_CRS = {"file": "ui.import.crs_from_file", "wgs84": "ui.import.crs_wgs84", "cgcs2000": "ui.import.crs_cgcs2000",
               "gcj02": "ui.import.crs_gcj02", "bd09": "ui.import.crs_bd09", "epsg": "ui.import.crs_other"}


def import_target_label(target: str) -> str:
    """What a file is imported as: a layer, a roster, an organisations sheet, or skip ("")."""
    if not target:
        return tr("ui.import.layer_skip")
    if target in ("roster", "organisations"):
        return tr(f"wizard.target.{target}")
    return tr(f"layer.{target}")


def import_crs_label(choice: str) -> str:
    """CRS declaration choice label."""
    return tr(_IMPORT_CRS[choice])


def import_column_label(column: str) -> str:
    """Schema column label (``col.<name>`` in the catalogue when present); "" is "ignore"."""
    from geo.messages import CATALOGUE

    if not column:
        return tr("ui.import.ignore_column")
    key = f"col.{column}"
    return f"{tr(key)} ({column})" if key in CATALOGUE else column


def import_mode_label(file: str, mode: str) -> str:
    """Import into the open project (update) or a new one; use with ``partial(import_mode_label, path)``."""
    return tr(f"wizard.mode.{mode}", file=file)


def org_type_label(value: str) -> str:
    """Organisation type label (``org_type.<value>``)."""
    return label("org_type", value, lang())


def unit_kind_label(value: str) -> str:
    """Unit kind label (``unit_kind.<value>``: 小区, 林盘, 院落, none; blank reads as none)."""
    return label("unit_kind", value or "none", lang())


def project_kind_label(value: str) -> str:
    """Governance-project kind label (``project_kind.<value>``)."""
    return label("project_kind", value, lang())


def project_status_label(value: str) -> str:
    """Governance-project status label (``project_status.<value>``)."""
    return label("project_status", value, lang())


def account_role_label(role: str) -> str:
    """A sign-in account's role (``account_role.<value>``: 管理员, 市级, 镇街, 社区, 只读)."""
    return tr(f"account_role.{role}")


def or_all(value: str) -> str:
    """A filter choice shown literally, or 全部 / all for the blank choice."""
    return visible(value) if value else tr("ui.admin.all")


def audit_action_label(action: str) -> str:
    """An audit action's label (``geo.messages.action_label``), or 全部 / all for the blank choice."""
    return action_label(action, lang()) if action else tr("ui.admin.all")


def level_or_auto(level: str) -> str:
    """A viewer account's unit level, or 由代码判断 / from the code for the blank choice."""
    return level_label(level) if level else tr("ui.admin.level_auto")
