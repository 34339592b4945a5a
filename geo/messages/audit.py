"""Messages for the audit log: labels of whole-operation actions and of their counts (``geo.audit``).

Action labels share the ``edit.action.<code>`` family with the hand-edit actions (geo/messages/edit.py),
so the log shows one family of action names whatever wrote the row.
"""
from __future__ import annotations

_ACTIONS = {
    "import": ("导入数据", "import data"),
    "point_grids": ("点位归属网格", "place points in grids"),
    "staffing_run": ("优化人员配备", "optimise staffing"),
    "coverage_run": ("计算服务覆盖", "compute coverage"),
    "autogrid": ("自动划分网格", "auto-grid"),
    "save": ("保存项目", "save project"),
    "export_personal": ("导出完整联系方式", "export full contact details"),
    "export_apply_move": ("回填：调整网格", "apply edited export: move"),
    "export_apply_add": ("回填：新增", "apply edited export: add"),
    "export_apply_remove": ("回填：移出", "apply edited export: remove"),
    "export_apply_role": ("回填：更改角色", "apply edited export: change role"),
    "merge_conflict": ("合并冲突（未应用）", "merge conflict (left out)"),
}
_COUNTS = {
    # layers (import and save rows count features per layer)
    "towns": ("镇街", "towns"),
    "communities": ("社区/村", "communities"),
    "grids": ("网格", "grids"),
    "households": ("楼栋/住户点", "household points"),
    "volunteers": ("志愿者", "volunteers"),
    "service_points": ("服务点", "service points"),
    "assignments": ("分配记录", "assignment rows"),
    "revision": ("版本", "revision"),
    # point_grids
    "points": ("点位", "points"),
    "rows": ("记录", "rows"),
    "unplaced": ("未归属记录", "rows with no grid"),
    # staffing_run (geo.staffing.StaffingResult.changes)
    "added": ("新增", "added"),
    "removed": ("移除", "removed"),
    "moved": ("调整", "moved"),
    "kept": ("保留", "kept"),
    "fixed": ("锁定/手工", "locked or manual"),
    "grids_short": ("缺员网格", "grids short"),
    # coverage_run
    "categories": ("服务类别", "categories"),
    "radii": ("半径", "radii"),
    # autogrid
    "grids_removed": ("删除网格", "grids removed"),
    "grids_added": ("新建网格", "grids added"),
    "assignments_removed": ("删除分配记录", "assignments removed"),
}

MESSAGES = {
    **{f"edit.action.{k}": {"zh": zh, "en": en} for k, (zh, en) in _ACTIONS.items()},
    **{f"edit.count.{k}": {"zh": zh, "en": en} for k, (zh, en) in _COUNTS.items()},
}
