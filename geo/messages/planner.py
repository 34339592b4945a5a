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
    # the project's tables as the audit log names them (layers have their "layer." text in core.py)
    "layer.coverage": {"zh": "服务覆盖结果", "en": "Coverage results"},
    "layer.assignments": {"zh": "人员分配", "en": "Assignments"},
    "layer.point_grids": {"zh": "服务点所属网格", "en": "Service points' grids"},
    "layer.scenarios": {"zh": "方案", "en": "Scenarios"},
    "layer.project": {"zh": "项目", "en": "Project"},
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
    # --- run -----------------------------------------------------------------------------------
    "ui.sep.list": {"zh": "、", "en": ", "},
    "ui.sep.clause": {"zh": "；", "en": "; "},
    "ui.run.network_file": {
        "zh": "道路/步行路径线文件（可选；留空则按直线距离）",
        "en": "Road / footpath lines file (optional; empty = straight-line distance)",
    },
    "ui.run.network_help": {
        "zh": "本机上的线图层文件路径（GeoJSON、GeoPackage、Shapefile 等，须带坐标系）。填写后按沿路网的步行距离计算可达。",
        "en": "Path of a line layer on this computer (GeoJSON, GeoPackage, Shapefile…, with a CRS). "
              "Reach is then measured as walking distance along these lines.",
    },
    "ui.run.corridor": {"zh": "路网两侧走廊宽度（米）", "en": "Corridor either side (m)"},
    "ui.run.radius_col": {"zh": "{radius} 米", "en": "{radius} m"},
    "ui.run.one_leadership": {"zh": "一人只任一个微网格长（一岗一人）", "en": "One leadership per person"},
    "ui.run.one_leadership_help": {
        "zh": "勾选后，每名志愿者最多被安排到一个微网格。",
        "en": "When ticked, each volunteer is placed in at most one micro-grid.",
    },
    "ui.run.same_community": {"zh": "优先本社区人员", "en": "Prefer people of the same community"},
    "ui.run.ruleset": {"zh": "规则集", "en": "Rule set"},
    "ui.run.ruleset_help": {
        "zh": "平时或战时等规则集：各自的配备目标、计入人员、最远距离和重点网格；结果写入该规则集的方案（战时写入“战时”方案，与平时方案并存）。",
        "en": "A rule set such as Normal or Emergency: its own targets, who counts, maximum distance "
              "and priority grids; the result goes to the rule set's scenario (Emergency beside the normal one).",
    },
    "ui.run.party_rule": {"zh": "每个微网格至少一名党员", "en": "At least one party member per micro-grid"},
    "ui.run.party_rule_help": {
        "zh": "优先让党员担任微网格的一个位置；范围内没有党员的微网格会列出原因。",
        "en": "One place of every micro-grid goes to a party member when one is in reach; micro-grids left "
              "without one are listed with the reason.",
    },
    "ui.run.cadre_cap": {"zh": "每个网格下沉干部上限（0 = 不限）", "en": "Seconded cadres per grid at most (0 = no limit)"},
    "ui.run.cadre_cap_help": {
        "zh": "让市、镇街、社区下沉干部分散到更多社区和网格（党员位置不计入上限）。",
        "en": "Spreads city, town and community cadres over more communities and grids (the party-member place "
              "does not count).",
    },
    "ui.run.city_cadres": {"zh": "市级干部优先去覆盖最差的网格", "en": "City-level cadres to the worst-covered grids"},
    "ui.run.city_cadres_help": {
        "zh": "按服务覆盖率（生活服务，500 米）越低，市级下沉干部越优先；没有覆盖结果的网格不加权。",
        "en": "The lower a grid's service coverage (daily life, 500 m), the more a city-level cadre is drawn "
              "there; grids without coverage figures get no weight.",
    },
    "ui.run.same_community_help": {
        "zh": "勾选后，同一社区/村的志愿者按距离减少 {metres} 米计算，更容易被安排到本社区的网格。",
        "en": "When ticked, a volunteer of the grid's own community counts as {metres} m closer, so is chosen first.",
    },
    "ui.run.done_preview": {
        "zh": "计算完成，用时 {seconds} 秒。结果尚未保存：请查看下方变化后再保存。",
        "en": "Computed in {seconds} s. Nothing is saved yet: review the changes below, then save.",
    },
    "ui.run.assign_changes": {
        "zh": "新增分配 {added} 条，移除 {removed} 条，调整网格 {moved} 条，保持不变 {kept} 条。",
        "en": "{added} assignments added, {removed} removed, {moved} moved to another grid, {kept} kept.",
    },
    "ui.run.coverage_delta": {
        "zh": "与当前保存的结果相比的变化（百分点）：",
        "en": "Change from the saved results (percentage points):",
    },
    "ui.run.coverage_changes": {
        "zh": "逐网格结果：新增 {added} 条，移除 {removed} 条，数值变化 {changed} 条。",
        "en": "Per-grid results: {added} added, {removed} removed, {changed} with a new value.",
    },
    "ui.run.removed_why": {"zh": "移除的原因：{reasons}。", "en": "Why rows are removed: {reasons}."},
    "ui.run.removed_radii": {
        "zh": "半径 {radii} 米本次未选择，其结果不再保留",
        "en": "radii {radii} m are not selected in this run, so their results go",
    },
    "ui.run.removed_categories": {
        "zh": "以下类别或服务点类型本次没有服务点可计算：{names}",
        "en": "these categories or point types have no service points to measure now: {names}",
    },
    "ui.run.removed_grids": {
        "zh": "{n} 条属于项目中已不存在的网格",
        "en": "{n} rows belong to grids no longer in the project",
    },
    "ui.run.removed_other": {"zh": "结果表的格式已更新", "en": "the results table was rebuilt"},
    "ui.run.preview_note": {
        "zh": "以上为预览。点击“保存到项目”后才会写入项目文件；“放弃”则保持项目不变。",
        "en": "This is a preview. It is written to the project only when you click “Save to project”; "
              "“Discard” leaves the project as it is.",
    },
    "ui.run.confirm_save": {"zh": "保存到项目", "en": "Save to project"},
    "ui.run.discard": {"zh": "放弃", "en": "Discard"},
    # --- print ---------------------------------------------------------------------------------
    "print.ui.unit": {"zh": "要打印的单元（可输入名称或编码搜索）", "en": "Unit to print (type a name or code to search)"},
    "print.ui.unit_notice": {"zh": "公示牌的网格（可输入名称或编码搜索）", "en": "Grid of the notice board (type a name or code)"},
    "print.ui.unit_placeholder": {"zh": "输入名称或编码…", "en": "Type a name or code…"},
    "print.ui.approval": {"zh": "审图号（可选，印在页脚）", "en": "Map approval number (optional, in the footer)"},
    "print.ui.approval_help": {
        "zh": "公开发布的地图须有审图号；内部使用的示意图可不填。",
        "en": "Maps published to the public need an approval number; internal sketch maps may leave it empty.",
    },
    # --- site suggestions (geo.siting) ----------------------------------------------------------
    "ui.suggest.tab": {"zh": "选址建议", "en": "Where to add points"},
    "ui.suggest.caption": {
        "zh": "在尚未覆盖住户最多的地方建议新增服务点（最大覆盖选址模型，社区规模精确求解）。建议不会写入项目。",
        "en": "Suggests new service points where they reach the most households not yet covered (maximal covering "
              "location model, solved exactly at community scale). Suggestions are not written to the project.",
    },
    "ui.suggest.n": {"zh": "新增服务点个数", "en": "How many new points"},
    "ui.suggest.run": {"zh": "计算选址建议", "en": "Suggest sites"},
}
