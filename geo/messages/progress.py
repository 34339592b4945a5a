"""Stage names of long runs shown beside a progress bar (keys listed in geo.progress.STAGES)."""
from __future__ import annotations

MESSAGES = {
    "progress.import.read": {"zh": "读取文件", "en": "Reading files"},
    "progress.import.check": {"zh": "检查图层", "en": "Checking layers"},
    "progress.import.save": {"zh": "保存项目", "en": "Saving the project"},
    "progress.assign.points": {"zh": "点位归入网格", "en": "Placing points in grids"},
    "progress.assign.staffing": {"zh": "优化人员配备", "en": "Optimising staffing"},
    "progress.coverage.households": {"zh": "住户到服务点距离", "en": "Household distances to service points"},
    "progress.coverage.reach": {"zh": "计算覆盖（类别×半径）", "en": "Coverage by category and radius"},
    "progress.export.tables": {"zh": "整理表格", "en": "Building tables"},
    "progress.export.write": {"zh": "写入文件", "en": "Writing the file"},
    "progress.atlas.pages": {"zh": "绘制图册页", "en": "Drawing atlas pages"},
    "progress.atlas.merge": {"zh": "合并目录与书签", "en": "Adding contents and bookmarks"},
    "progress.line": {"zh": "{stage}：{done}/{total}", "en": "{stage}: {done}/{total}"},
}
