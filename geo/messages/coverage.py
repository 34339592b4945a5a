"""Messages for coverage analysis: the ``coverage`` command, its tables and its errors."""
from __future__ import annotations

MESSAGES = {
    "coverage.help": {
        "zh": "覆盖分析：各网格到达各类服务点的比例（生活圈半径）、人员配备、汇总、短板与新增服务点选址建议。",
        "en": "Coverage analysis: share of each grid within reach of each service category (life-circle radii), "
              "staffing, roll-ups, gaps and where to add service points.",
    },
    "coverage.arg.project": {"zh": "项目文件（.gpkg）", "en": "project file (.gpkg)"},
    "coverage.arg.radii": {
        "zh": "半径（米），逗号分隔，默认取项目设置（300,500,1000）",
        "en": "radii in metres, comma-separated; default the project setting (300,500,1000)",
    },
    "coverage.arg.network": {
        "zh": "道路/步行路径线图层（任意支持的格式）：改用沿路网的步行距离",
        "en": "road/path lines (any supported format): use walking distance along them instead",
    },
    "coverage.arg.corridor": {
        "zh": "路网服务区：可达路段两侧的步行走廊宽度（米，默认 50）",
        "en": "network service area: walking corridor either side of reachable paths (metres, default 50)",
    },
    "coverage.arg.suggest": {"zh": "建议新增 N 个服务点的位置", "en": "suggest where to add N service points"},
    "coverage.arg.category": {
        "zh": "新增服务点的类别或类型（如 生活）", "en": "category or point type of the new points (e.g. 生活)",
    },
    "coverage.arg.radius": {
        "zh": "选址所用半径（米），默认取各半径的中间值",
        "en": "radius used for siting (metres); default the middle radius",
    },
    "coverage.arg.csv": {
        "zh": "把每个网格的覆盖结果写入 CSV（UTF-8 BOM）", "en": "write per-grid coverage to a CSV (UTF-8 BOM)",
    },
    "coverage.arg.xlsx": {
        "zh": "把覆盖、汇总、人员配备（和选址建议）写入 XLSX",
        "en": "write coverage, roll-ups, staffing (and suggestions) to an XLSX",
    },
    "coverage.arg.no_save": {"zh": "不把结果写回项目文件", "en": "do not store the results in the project file"},
    "coverage.summary_title": {
        "zh": "全域覆盖情况（{distance}；按户数加权，无户数的网格按面积）",
        "en": "Coverage of the whole area ({distance}; weighted by households, by area where a grid has none)",
    },
    "coverage.distance.euclidean": {"zh": "直线距离", "en": "straight-line distance"},
    "coverage.distance.network": {"zh": "沿路网步行距离", "en": "walking distance along the network"},
    "coverage.households_estimated": {
        "zh": "注：项目中没有住户点，覆盖户数按面积比例估算（假设户数在网格内均匀分布）。",
        "en": "Note: the project has no household points; households covered are estimated from area shares "
              "(households assumed spread evenly over each grid).",
    },
    "coverage.staffing_line": {
        "zh": "人员配备：{grids} 个网格，配备率 {rate}，{no_leader} 个网格没有网格长/网格员，{over} 名志愿者超出服务能力。",
        "en": "Staffing: {grids} grids, staffing rate {rate}, {no_leader} grids without a leader or worker, "
              "{over} volunteers over capacity.",
    },
    "coverage.no_leader_list": {"zh": "没有网格长/网格员的网格：{ids}", "en": "Grids without a leader or worker: {ids}"},
    "coverage.over_capacity_list": {"zh": "超出服务能力的志愿者：{ids}", "en": "Volunteers over capacity: {ids}"},
    "coverage.worst_title": {
        "zh": "覆盖最差的网格（{category}，{radius} 米）", "en": "Least covered grids ({category}, {radius} m)",
    },
    "coverage.suggest_title": {
        "zh": "建议新增 {n} 个“{category}”服务点（半径 {radius} 米）",
        "en": "Suggested {n} new \"{category}\" service points (radius {radius} m)",
    },
    "coverage.suggest_result": {
        "zh": "新增覆盖 {covered} 户（未覆盖共 {total} 户）；最优值上界 {bound} 户，与最优的差距 ≤ {gap}（{method}）。",
        "en": "Covers {covered} more households (of {total} uncovered); optimum bound {bound}, "
              "gap to optimum <= {gap} ({method}).",
    },
    "coverage.suggest_none": {
        "zh": "没有可新增覆盖的住户：在该半径内已全部覆盖。",
        "en": "No household left to cover: everything is already within this radius.",
    },
    "coverage.method.milp": {"zh": "精确求解 MILP/HiGHS", "en": "exact MILP/HiGHS"},
    "coverage.method.greedy": {"zh": "贪心近似，上界来自 LP 松弛", "en": "lazy greedy, bound from the LP relaxation"},
    "coverage.method.none": {"zh": "无需求解", "en": "nothing to solve"},
    "coverage.written": {"zh": "已写出：{file}", "en": "Written: {file}"},
    "coverage.saved": {"zh": "结果已存入项目文件：{file}", "en": "Results stored in the project file: {file}"},
    "coverage.bad_radii": {
        "zh": "半径“{value}”无效。请给出逗号分隔的正数（米），如 300,500,1000。",
        "en": "Invalid radii \"{value}\". Give positive numbers in metres separated by commas, e.g. 300,500,1000.",
    },
    "coverage.bad_suggest": {
        "zh": "无法建议 {n} 个服务点（候选方式 {candidates}）。",
        "en": "Cannot suggest {n} service points (candidates {candidates}).",
    },
    "coverage.bad_suggest.fix.cli": {
        "zh": "请给出正整数，并用 --category 指定类别。",
        "en": "Give a positive whole number and a --category.",
    },
    "coverage.bad_suggest.fix.web": {
        "zh": "请填写正整数，并选择服务类别。",
        "en": "Enter a positive whole number and choose a service category.",
    },
    "coverage.unknown_category": {
        "zh": "未知的服务类别或类型“{category}”。可用：{known}。",
        "en": "Unknown service category or point type \"{category}\". Known: {known}.",
    },
    "coverage.needs_category": {
        "zh": "建议新增服务点时需要指定服务类别。",
        "en": "Suggesting new service points needs a service category.",
    },
    "coverage.needs_category.fix.cli": {
        "zh": "请同时用 --category 指定类别（如 --category 生活）。",
        "en": "Add a --category too (e.g. --category 生活).",
    },
    "coverage.needs_category.fix.web": {
        "zh": "请选择服务类别（如 生活）。",
        "en": "Choose a service category (e.g. 生活).",
    },
    "coverage.no_grids": {
        "zh": "项目 {file} 中没有网格图层。请先导入或生成网格，再做覆盖分析。",
        "en": "Project {file} has no grids. Import or generate grids before running coverage.",
    },
    "coverage.network_unreadable": {
        "zh": "无法读取路网文件 {file}（{detail}）。请提供 GeoPackage、Shapefile、GeoJSON 等线图层。",
        "en": "Cannot read the network file {file} ({detail}). Give a line layer as GeoPackage, Shapefile, GeoJSON etc.",
    },
    "coverage.csv_target": {
        "zh": "只能选择一种输出文件。",
        "en": "Only one output file can be written.",
    },
    "coverage.csv_target.fix.cli": {
        "zh": "请只给 --csv 或 --xlsx 之一。",
        "en": "Give either --csv or --xlsx.",
    },
    "coverage.csv_target.fix.web": {
        "zh": "请只选择 CSV 或 XLSX 之一。",
        "en": "Choose either CSV or XLSX.",
    },
    # column headers of printed and exported tables
    "coverage.col.level": {"zh": "层级", "en": "Level"},
    "coverage.col.unit_code": {"zh": "单位代码", "en": "Unit code"},
    "coverage.col.grid_code": {"zh": "网格编码", "en": "Grid code"},
    "coverage.col.name": {"zh": "网格名称", "en": "Grid name"},
    "coverage.col.category": {"zh": "服务类别", "en": "Category"},
    "coverage.col.radius_m": {"zh": "半径（米）", "en": "Radius (m)"},
    "coverage.col.area_share": {"zh": "面积覆盖率", "en": "Area share"},
    "coverage.col.households_share": {"zh": "住户覆盖率", "en": "Household share"},
    "coverage.col.grids": {"zh": "网格数", "en": "Grids"},
    "coverage.col.grids_covered": {"zh": "全覆盖网格", "en": "Fully covered"},
    "coverage.col.households": {"zh": "户数", "en": "Households"},
    "coverage.col.households_covered": {"zh": "覆盖户数", "en": "Households covered"},
    "coverage.col.households_basis": {"zh": "户数依据", "en": "Household basis"},
    "coverage.col.target": {"zh": "目标人数", "en": "Target"},
    "coverage.col.actual": {"zh": "已配人数", "en": "Assigned"},
    "coverage.col.filled": {"zh": "达标人数", "en": "Filled"},
    "coverage.col.short": {"zh": "缺口", "en": "Short"},
    "coverage.col.leader_id": {"zh": "网格长/网格员", "en": "Leader"},
    "coverage.col.no_leader": {"zh": "无网格长网格数", "en": "Grids without leader"},
    "coverage.col.staffing_rate": {"zh": "配备率", "en": "Staffing rate"},
    "coverage.col.coverage_share": {"zh": "覆盖率（按户，无户数时按面积）", "en": "Coverage (by households, else by area)"},
    "coverage.col.coverage": {"zh": "覆盖率（按户，无户数时按面积）", "en": "Coverage (by households, else by area)"},
    "coverage.col.rank": {"zh": "序号", "en": "Rank"},
    "coverage.col.lon": {"zh": "经度（WGS 84）", "en": "Longitude (WGS 84)"},
    "coverage.col.lat": {"zh": "纬度（WGS 84）", "en": "Latitude (WGS 84)"},
    "coverage.col.households_gained": {"zh": "新增覆盖户数", "en": "Households gained"},
    "coverage.sheet.coverage": {"zh": "网格覆盖", "en": "Grid coverage"},
    "coverage.sheet.rollup": {"zh": "汇总", "en": "Roll-up"},
    "coverage.sheet.staffing": {"zh": "人员配备", "en": "Staffing"},
    "coverage.sheet.suggestions": {"zh": "选址建议", "en": "Suggestions"},
    "coverage.basis.points": {"zh": "住户点", "en": "household points"},
    "coverage.basis.area": {"zh": "按面积估算", "en": "estimated from area"},
    "coverage.basis.mixed": {"zh": "部分估算", "en": "partly estimated"},
    "coverage.grid_no_geometry": {
        "zh": "网格 {ids} 没有几何图形（边界为空），无法计算覆盖。请补画这些网格的边界，或删除这些网格后重试。",
        "en": "Grids {ids} have no geometry (an empty boundary), so their coverage cannot be computed. Draw their boundaries, or delete these grids, and try again.",
    },
}
