"""Messages for auto-gridding (``python -m cli autogrid``)."""
from __future__ import annotations

MESSAGES = {
    "autogrid.help": {
        "zh": "按户数自动划分微网格（默认 30–100 户）并组合为一般网格（默认 300–500 户），写入项目的网格图层。",
        "en": "Split communities into micro-grids by household count (default 30-100) and group them into "
              "general grids (default 300-500); writes the project's grids layer.",
    },
    "autogrid.arg_project": {"zh": "项目文件（GeoPackage）", "en": "project file (GeoPackage)"},
    "autogrid.arg_community": {"zh": "要划分的社区代码（可重复）", "en": "community code to grid (repeatable)"},
    "autogrid.arg_all": {"zh": "划分所有社区", "en": "grid every community"},
    "autogrid.arg_min": {"zh": "微网格最少户数", "en": "minimum households per micro-grid"},
    "autogrid.arg_max": {"zh": "微网格最多户数", "en": "maximum households per micro-grid"},
    "autogrid.arg_barriers": {"zh": "障碍线文件（道路、河流；WGS 84）", "en": "barrier lines file (roads, rivers; WGS 84)"},
    "autogrid.arg_seed": {"zh": "随机种子（相同种子结果相同）", "en": "random seed (same seed, same result)"},
    "autogrid.arg_out": {"zh": "输出项目文件（默认覆盖输入）", "en": "output project file (default: overwrite the input)"},
    "autogrid.summary": {
        "zh": "{level}：{grids} 个网格，户数 最少 {min} / 中位 {median} / 最多 {max}，{share}% 在 {lo}–{hi} 户范围内",
        "en": "{level}: {grids} grids, households min {min} / median {median} / max {max}, {share}% inside {lo}-{hi}",
    },
    "autogrid.note.single_building_over": {
        "zh": "社区 {community_code}：单栋建筑 {households} 户，超出上限，单独成为一个微网格。",
        "en": "Community {community_code}: a single building of {households} households exceeds the band and is its own micro-grid.",
    },
    "autogrid.note.empty_parent": {
        "zh": "社区 {community_code} 没有住户，整体作为一个网格。",
        "en": "Community {community_code} has no households; it is kept as one grid.",
    },
    "autogrid.note.merged_across_barrier": {
        "zh": "社区 {community_code}：障碍线分隔出的一块区域只有 {households} 户，已跨障碍线并入相邻区域。",
        "en": "Community {community_code}: a piece cut off by barriers holds only {households} households and was merged with a neighbour across the barrier.",
    },
    "autogrid.note.empty_piece_absorbed": {
        "zh": "社区 {community_code}：障碍线分隔出的一块无住户区域（{area_m2} 平方米）已并入相邻网格。",
        "en": "Community {community_code}: a piece cut off by barriers with no households ({area_m2} m²) was absorbed by a neighbour.",
    },
    "autogrid.outside": {
        "zh": "{count} 个建筑点不在任何社区内，未参与划分：{ids}。请检查其坐标或社区边界。",
        "en": "{count} buildings lie in no community and were not gridded: {ids}. Check their coordinates or the community boundaries.",
    },
    "autogrid.bad_band": {
        "zh": "户数范围 {min}–{max} 无效：最少户数须大于 0 且不大于最多户数。",
        "en": "Household band {min}-{max} is not valid: the minimum must be above 0 and not above the maximum.",
    },
    "autogrid.bad_households": {
        "zh": "以下建筑点的户数不是非负数：{ids}。请修正户数后重试。",
        "en": "These buildings have a household count that is not a number >= 0: {ids}. Fix the counts and try again.",
    },
    "autogrid.points_outside": {
        "zh": "{count} 个建筑点位于待划分区域之外：{ids}。请检查坐标系或边界。",
        "en": "{count} buildings lie outside the area to grid: {ids}. Check the CRS or the boundary.",
    },
    "autogrid.no_buildings": {
        "zh": "项目 {file} 没有楼栋/住户点图层。请先导入带户数的建筑点。",
        "en": "Project {file} has no building/household points layer. Import points with household counts first.",
    },
    "autogrid.unknown_community": {
        "zh": "项目中没有社区代码 {ids}。",
        "en": "The project has no community with code {ids}.",
    },
    "autogrid.unknown_community.fix.cli": {
        "zh": "请用项目中已有的社区代码，或使用 --all。",
        "en": "Use codes from the project, or --all.",
    },
    "autogrid.unknown_community.fix.web": {
        "zh": "请从列表中选择项目中已有的社区/村。",
        "en": "Pick communities from the list.",
    },
    "autogrid.no_target": {
        "zh": "没有选择要划分的社区。",
        "en": "No community was chosen to grid.",
    },
    "autogrid.no_target.fix.cli": {
        "zh": "请用 --community 指定社区代码，或用 --all 划分所有社区。",
        "en": "Name communities with --community CODE, or use --all.",
    },
    "autogrid.no_target.fix.web": {
        "zh": "请至少选择一个社区/村，或选择一个镇街以选中其全部社区。",
        "en": "Choose at least one community, or a town to choose all its communities.",
    },
    "autogrid.done": {
        "zh": "已划分 {communities} 个社区（{seconds} 秒）。",
        "en": "Gridded {communities} communities ({seconds} s).",
    },
    "autogrid.dropped_assignments": {
        "zh": "已删除指向被替换网格的 {count} 条人员分配（含锁定/手工的），请重新运行 python -m cli assign。",
        "en": "Removed {count} assignments to the replaced grids (locked/manual ones too); run python -m cli assign again.",
    },
}
