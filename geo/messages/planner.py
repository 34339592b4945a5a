"""Texts of the planner's-day pass over the app (issue 17): map, dashboard, edit, run and print pages."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # --- map -------------------------------------------------------------------------------
    "ui.col.unit_name": {"zh": "名称", "en": "Name"},
    "ui.panel.reach_categories": {
        "zh": "四类服务可达（{radius} 米内）", "en": "Reach of the 4 service categories (within {radius} m)",
    },
}
