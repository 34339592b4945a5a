"""Labels of the project's code lists: one family per concept, read through ``geo.messages.label``.

Each family is ``<concept>.<stored value>`` (the values of ``geo.schema``): every page, export,
print and command shows a level, role, method, point type, category, tier or scenario through
its one family (and a map measure through ``measure.``), so the screen, the spreadsheet and the printed board use the same words.
Chinese stored values (point types, categories, tiers, 基线) get a ``zh`` text equal to the value.
"""
from __future__ import annotations

_LEVELS = {
    # units of the hierarchy
    "city": ("市", "City"),
    "town": ("镇街", "Town"),
    "community": ("社区/村", "Community"),
    "grid": ("网格", "Grid"),
    # grid levels (geo.schema.GRID_LEVELS)
    "master": ("社区总网格", "Community master grid"),
    "general": ("一般网格", "General grid"),
    "micro": ("微网格", "Micro-grid"),
    "dedicated": ("专属网格", "Dedicated grid"),
}

_ROLES = {  # geo.schema.ROLES
    "leader": ("微网格长", "Micro-grid leader"),
    "worker": ("专职网格员", "Full-time grid worker"),
    "member": ("成员", "Member"),
}

_METHODS = {  # geo.schema.METHODS: how an assignment or a point-to-grid row was made
    "within": ("位于网格内", "Inside the grid"),
    "nearest": ("就近归入", "Nearest grid"),
    "optimised": ("优化分配", "Optimised"),
    "manual": ("手工分配", "Manual"),
    "locked": ("已锁定", "Locked"),
}

_POINT_TYPES = {  # geo.schema.POINT_TYPES
    "区域治理中心": "Regional governance centre",
    "社区工作站": "Community workstation",
    "党群服务中心": "Party-mass service centre",
    "农副产品展示交易点": "Farm-produce trading point",
    "快递物流服务点": "Parcel and logistics point",
    "社区安全屋": "Community safe house",
    "村民活动中心": "Villagers' activity centre",
    "社区花园": "Community garden",
    "社区运动角": "Community sports corner",
}

_CATEGORIES = {  # geo.schema.CATEGORIES
    "政务": "Government affairs",
    "生活": "Daily life",
    "产业": "Industry",
    "群团": "Mass organisations",
}

_TIERS = {  # geo.schema.TIERS: where a volunteer "sinks" from
    "市": "City",
    "镇街": "Town",
    "社区": "Community",
}

_MEASURES = {  # what a map is coloured by (layers.style.MEASURES), on screen and on paper
    "none": ("不着色", "No colour"),
    "staffing": ("配备率（实有/目标）", "Staffing rate (actual / target)"),
    "coverage": ("服务覆盖率", "Service coverage"),
    "households": ("户数", "Households"),
}

_SCENARIOS = {  # geo.schema.DEFAULT_SCENARIO; planners' own scenario names are shown as typed
    "基线": "Baseline",
    "战时": "Emergency",  # geo.rulesets: the emergency rule set's scenario
}
_RULESETS = {"平时": "Normal", "战时": "Emergency"}  # geo.rulesets' built-in rule sets; planners' own as typed

MESSAGES = {
    **{f"level.{k}": {"zh": zh, "en": en} for k, (zh, en) in _LEVELS.items()},
    **{f"role.{k}": {"zh": zh, "en": en} for k, (zh, en) in _ROLES.items()},
    **{f"method.{k}": {"zh": zh, "en": en} for k, (zh, en) in _METHODS.items()},
    **{f"point_type.{k}": {"zh": k, "en": en} for k, en in _POINT_TYPES.items()},
    **{f"category.{k}": {"zh": k, "en": en} for k, en in _CATEGORIES.items()},
    **{f"tier.{k}": {"zh": k, "en": en} for k, en in _TIERS.items()},
    **{f"scenario.{k}": {"zh": k, "en": en} for k, en in _SCENARIOS.items()},
    **{f"ruleset.{k}": {"zh": k, "en": en} for k, en in _RULESETS.items()},
    **{f"measure.{k}": {"zh": zh, "en": en} for k, (zh, en) in _MEASURES.items()},
}
