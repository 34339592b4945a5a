"""Texts of the planner's-day pass over the app (issue 17): map, dashboard, edit, run and print pages."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # --- map -------------------------------------------------------------------------------
    "ui.col.unit_name": {"zh": "名称", "en": "Name"},
    "ui.panel.reach_categories": {
        "zh": "四类服务可达（{radius} 米内）", "en": "Reach of the 4 service categories (within {radius} m)",
    },
    # --- dashboard ---------------------------------------------------------------------------
    "ui.dash.spread": {
        "zh": "共 {n} 个单元，{full} 个达到 100%；最低 {low}，中位数 {median}。下图为最低的 {worst} 个单元。",
        "en": "{n} units, {full} at 100 %; lowest {low}, median {median}. The chart shows the {worst} lowest units.",
    },
    "ui.dash.target": {"zh": "目标 {value}", "en": "target {value}"},
    "ui.dash.bands": {
        "zh": "深色：户数在规定范围内（微网格 {micro} 户，一般网格 {general} 户）。",
        "en": "Dark bars: households within the bands (micro-grids {micro}, general grids {general}).",
    },
    "ui.dash.short_none": {"zh": "没有缺员网格。", "en": "No grid is short of staff."},
    # --- edit ---------------------------------------------------------------------------------
    "edit.rule.no_leader": {"zh": "没有网格长", "en": "no leader"},  # geo.rules' fourth rule
    "edit.value.yes": {"zh": "是", "en": "yes"},
    "edit.value.no": {"zh": "否", "en": "no"},
    "edit.col.metric": {"zh": "指标", "en": "Measure"},
    "edit.col.scenario_a": {"zh": "方案 A（{name}）", "en": "Scenario A ({name})"},
    "edit.col.scenario_b": {"zh": "方案 B（{name}）", "en": "Scenario B ({name})"},
    "edit.col.delta": {"zh": "差值（B − A）", "en": "Difference (B − A)"},
    "edit.page.switch_active": {
        "zh": "选择另一个方案后才能切换（所选方案已是当前方案时按钮不可用）。",
        "en": "Pick another scenario to switch to (the button is off while the pick is already active).",
    },
    "edit.page.grid_map": {"zh": "所选网格位置", "en": "Where the selected grid is"},
}
