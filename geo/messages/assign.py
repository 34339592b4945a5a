"""Messages for the assignment engine: points to grids, staffing, the ``assign`` command."""
from __future__ import annotations

MESSAGES = {
    "assign.help": {
        "zh": "分配：服务点、住户、志愿者住址落入各级网格；按目标最优配置网格人员（保留锁定与手工分配）。",
        "en": "Assign: service points, households and volunteer homes to grids at every level; optimal "
              "grid staffing by target (locked and manual rows kept).",
    },
    "assign.arg.project": {"zh": "项目文件（.gpkg）", "en": "project file (.gpkg)"},
    "assign.arg.max_distance": {
        "zh": "最大距离（米）：网格外的点归入该距离内最近的网格；志愿者住址到网格的距离不超过此值（默认取项目设置）",
        "en": "maximum distance in metres: points outside every grid go to the nearest grid within it; "
              "no volunteer serves a grid farther from home (default: project setting)",
    },
    "assign.arg.same_community": {"zh": "优先安排同一社区的志愿者", "en": "prefer volunteers from the same community"},
    "assign.arg.one_leadership": {"zh": "每人最多负责一个微网格", "en": "a person leads at most one micro-grid"},
    "assign.arg.stability": {
        "zh": "稳定性（米）：只有调整能节省超过此距离时才改动已有分配（默认 200）",
        "en": "stability in metres: keep an existing assignment unless moving saves more than this (default 200)",
    },
    "assign.arg.scenario": {"zh": "方案名称（默认“基线”）", "en": "scenario name (default 基线, baseline)"},
    "assign.arg.out": {"zh": "另存为此文件（默认覆盖原项目文件）", "en": "write to this file (default: update the project file)"},
    "assign.summary.title": {"zh": "分配结果（方案：{scenario}）", "en": "Assignment result (scenario: {scenario})"},
    "assign.summary.points": {
        "zh": "点位落格：{layer} {total} 个，落入网格 {within} 个，就近归入 {nearest} 个，未分配 {unassigned} 个，位于边界 {ties} 个",
        "en": "Points to grids: {layer} {total}, inside a grid {within}, nearest grid {nearest}, "
              "unassigned {unassigned}, on a shared edge {ties}",
    },
    "assign.summary.staffing": {
        "zh": "人员配置：岗位 {places} 个，已安排 {filled} 个（其中锁定/手工 {fixed} 个），总距离 {distance_km} 公里",
        "en": "Staffing: {places} places, {filled} filled ({fixed} locked or manual), total distance {distance_km} km",
    },
    "assign.summary.short": {"zh": "缺员网格：{count} 个 {ids}", "en": "Grids short of staff: {count} {ids}"},
    "assign.summary.unassigned": {
        "zh": "未安排的志愿者：{count} 个 {ids}", "en": "Volunteers not assigned: {count} {ids}",
    },
    "assign.summary.changes": {
        "zh": "与上次相比：新增 {added}，移除 {removed}，调整 {moved}，保持 {kept}",
        "en": "Changes since last run: added {added}, removed {removed}, moved {moved}, kept {kept}",
    },
    "assign.summary.skipped": {
        "zh": "已跳过 {count} 条：{reason}（{ids}）", "en": "Skipped {count}: {reason} ({ids})",
    },
    "assign.summary.reason": {"zh": "  {reason}：{count} 个（{ids}）", "en": "  {reason}: {count} ({ids})"},
    # reasons (explanations); keys end with the reason code used in tables
    "assign.reason.no_coordinates": {
        "zh": "没有坐标：请补充住址坐标后重新分配",
        "en": "no coordinates: add the home location and run assign again",
    },
    "assign.reason.out_of_area": {
        "zh": "坐标远离所有网格（超过 50 公里），可能是坐标系错误（如高德 GCJ-02 或经纬度颠倒）：请检查并重新导入",
        "en": "coordinates more than 50 km from every grid, probably the wrong coordinate system "
              "(e.g. Amap GCJ-02, or lat/lon swapped): check and import again",
    },
    "assign.reason.bad_capacity": {
        "zh": "可服务网格数（capacity）为 0、负数或不是数字：请填写正整数",
        "en": "capacity is 0, negative or not a number: enter a positive whole number",
    },
    "assign.reason.duplicate_id": {
        "zh": "编号重复（只使用第一条）：请给每位志愿者唯一编号",
        "en": "duplicate ID (only the first row is used): give every volunteer a unique ID",
    },
    "assign.reason.grid_no_geometry": {
        "zh": "网格没有几何图形：请补画边界后重新分配",
        "en": "grid has no geometry: draw its boundary and run assign again",
    },
    "assign.reason.duplicate_grid_code": {
        "zh": "网格编码重复（只使用第一条）：请使编码唯一",
        "en": "duplicate grid code (only the first row is used): make the codes unique",
    },
    "assign.reason.no_volunteer_in_reach": {
        "zh": "最大距离内没有志愿者：请增加志愿者或放宽最大距离",
        "en": "no volunteer within the maximum distance: recruit volunteers nearby or raise the maximum distance",
    },
    "assign.reason.no_volunteer_with_skills": {
        "zh": "附近没有具备所需技能的志愿者：请招募具备该技能的志愿者或调整技能要求",
        "en": "no volunteer nearby has the required skills: recruit one or relax the requirement",
    },
    "assign.reason.capacity_exhausted": {
        "zh": "附近志愿者的服务能力已用完：请增加志愿者或提高其可服务网格数",
        "en": "volunteers in reach are fully used: recruit more or raise their capacity",
    },
    "assign.reason.not_needed": {
        "zh": "附近网格已由更近的志愿者满足，暂不需要",
        "en": "grids in reach are already staffed by closer volunteers",
    },
    "assign.reason.no_grid_in_reach": {
        "zh": "最大距离内没有需要人员的网格",
        "en": "no grid needing staff within the maximum distance",
    },
    "ruleset.unknown": {
        "zh": "没有名为“{name}”的规则集：可用的有 {known}（在设置中添加，或改用其中之一）",
        "en": "no rule set named \"{name}\": the project has {known} (add it in the settings, or use one of these)",
    },
    "assign.arg.ruleset": {
        "zh": "按规则集分配（如 平时、战时），结果写入该规则集的方案",
        "en": "staff under a rule set (e.g. 平时, 战时), written to that rule set's scenario",
    },
    "assign.arg.callout": {
        "zh": "另存各网格呼叫名单（.xlsx 或 .csv；电话默认脱敏）",
        "en": "also write the call-out roster per grid (.xlsx or .csv; phones masked by default)",
    },
    "assign.summary.callout": {"zh": "呼叫名单已保存：{file}", "en": "Call-out roster saved: {file}"},
    "assign.reason.no_party_member": {
        "zh": "微网格没有党员：范围内没有可用的党员，请补充党员志愿者或放宽距离",
        "en": "micro-grid without a party member: no party member available in reach; recruit one or allow a "
              "longer distance",
    },
    "assign.reason.party_member_place": {
        "zh": "该微网格的党员（规则：每个微网格至少一名党员）",
        "en": "the micro-grid's party member (rule: every micro-grid has at least one party member)",
    },
    "assign.reason.city_cadre_low_coverage": {
        "zh": "市级下沉干部优先派往服务覆盖最差的网格",
        "en": "city-level cadre sent to a grid with poor service coverage",
    },
    "assign.reason.priority_grid": {
        "zh": "重点网格（如老人多、无物业）优先配备",
        "en": "priority grid (e.g. many elderly, no property management) staffed first",
    },
    "assign.reason.cadre_cap_reached": {
        "zh": "该网格下沉干部已达上限（规则：下沉干部分散到各社区）",
        "en": "the grid holds as many seconded cadres as allowed (rule: spread cadres across communities)",
    },
    "assign.reason.locked_row_unknown": {
        "zh": "锁定/手工分配指向不存在的志愿者或网格（已原样保留）：请检查编号",
        "en": "a locked or manual row names an unknown volunteer or grid (kept as is): check the IDs",
    },
    "assign.reason.beyond_max_distance": {
        "zh": "位于所有网格之外且超出最大距离：请检查坐标或放宽最大距离",
        "en": "outside every grid and beyond the maximum distance: check the coordinates or raise the maximum distance",
    },
    "assign.reason.no_grids": {
        "zh": "该层级没有可用的网格", "en": "no usable grids at this level",
    },
    # errors
    "assign.crs_mismatch": {
        "zh": "点图层的坐标系 {crs_a} 与网格图层的 {crs_b} 不同：请先把两者转换到同一坐标系（项目内统一为 WGS 84）。",
        "en": "The points are in {crs_a} but the grids in {crs_b}: reproject both to one CRS first "
              "(a project stores everything in WGS 84).",
    },
    "assign.missing_column": {
        "zh": "图层 {layer} 缺少必需的列 {column}：请在导入时映射该列后重试。",
        "en": "Layer {layer} has no column {column}: map that column when importing and try again.",
    },
    "assign.no_grids": {
        "zh": "项目中没有网格图层：请先导入或生成网格后再分配。",
        "en": "The project has no grids layer: import or generate grids before assigning.",
    },
}
