"""Messages for the governance model: organisations 进网入格, unit kinds, governance projects, self-governance.

Label families ``org_type``, ``unit_kind``, ``project_kind`` and ``project_status`` (values of
``geo.schema``), findings and errors of ``geo.organisations``/``geo.govprojects``/``geo.selfgov``/
``geo.unitkinds``, export headers and the texts of the Explore panel, Dashboard, Export and Print.
"""
from __future__ import annotations

_ORG_TYPES = {  # geo.schema.ORG_TYPES
    "物业": "Property management",
    "业委会": "Owners' committee",
    "院委会": "Courtyard committee",
    "社会组织": "Social organisation",
    "社会企业": "Social enterprise",
    "群团": "Mass organisation (trade union, youth league, women's federation)",
    "自组织": "Residents' self-organisation",
}
_UNIT_KINDS = {  # geo.schema.MICRO_KINDS and the statistics row of micro-grids without a kind
    "小区": ("小区", "Residential compound"),
    "林盘": ("林盘", "Linpan (rural settlement)"),
    "院落": ("院落", "Courtyard cluster"),
    "none": ("未标类型", "No kind set"),
}
_PROJECT_KINDS = {  # geo.schema.PROJECT_KINDS
    "主题社区": "Themed community",
    "社区微更新": "Micro-renewal project",
    "特色消费场景": "Consumption scene",
    "社区花园": "Community garden project",
    "社区运动角": "Community sports corner project",
}
_PROJECT_STATUSES = {  # geo.schema.PROJECT_STATUSES
    "planned": ("计划中", "Planned"),
    "under_way": ("建设中", "Under way"),
    "done": ("已建成", "Done"),
}
_COLUMNS = {  # export headers (col.<name>)
    "organisations": ("进网入格组织数", "Organisations in the grid"),
    "org_gaps": ("无物业无业委会网格数", "Grids with no property manager or owners' committee"),
    "gov_projects": ("治理项目数", "Governance projects"),
    "buildings": ("楼栋数", "Buildings"),
    "building_organisations": ("服务本楼栋的组织", "Organisations serving the building"),
    "headless_buildings": ("无楼栋长楼栋数", "Buildings with no building head"),
    "projects_done": ("已建成项目数", "Projects done"),
    "selfgov_bodies": ("自治组织数", "Self-governance bodies"),
    "self_orgs": ("自组织数", "Self-organisations"),
    "conventions": ("公约数", "Conventions (公约)"),
    "selfgov_bodies_names": ("自治组织名称", "Self-governance bodies (names)"),
    "self_orgs_names": ("自组织名称", "Self-organisations (names)"),
    "conventions_names": ("公约名称", "Conventions (names)"),
    "org_id": ("组织编号", "Organisation ID"),
    "org_name": ("组织名称", "Organisation"),
    "org_type": ("组织类型", "Organisation type"),
    "grid_codes": ("服务网格编码", "Grid codes served"),
    "grids_served": ("服务网格数", "Grids served"),
    "leader_name": ("负责人", "Contact person"),
    "project_id": ("项目编号", "Project ID"),
    "project_name": ("项目名称", "Project"),
    "project_kind": ("项目类型", "Project kind"),
    "status": ("状态", "Status"),
    "year": ("年份", "Year"),
    "selfgov_id": ("自治记录编号", "Self-governance row ID"),
    "unit_name": ("网格/小区", "Grid/compound"),
    "unit_kind": ("单元类型", "Unit kind"),
    "staffing_share_kind": ("配备率", "Staffing rate"),
}

MESSAGES = {
    **{f"org_type.{k}": {"zh": k, "en": en} for k, en in _ORG_TYPES.items()},
    **{f"unit_kind.{k}": {"zh": zh, "en": en} for k, (zh, en) in _UNIT_KINDS.items()},
    **{f"project_kind.{k}": {"zh": k, "en": en} for k, en in _PROJECT_KINDS.items()},
    **{f"project_status.{k}": {"zh": zh, "en": en} for k, (zh, en) in _PROJECT_STATUSES.items()},
    **{f"col.{k}": {"zh": zh, "en": en} for k, (zh, en) in _COLUMNS.items() if k != "staffing_share_kind"},
    # --- findings of the readers (context: file, feature_id = row, detail) ---------------------------
    "organisations.unknown_type": {
        "zh": "组织表 {file} 第 {feature_id} 行的类型“{detail}”无法识别，已导入但不计入物业/业委会缺口。可用类型：物业、业委会、院委会、社会组织、社会企业、群团（工会、共青团、妇联）、自组织。",
        "en": "Row {feature_id} of organisations sheet {file} has an unknown type \"{detail}\"; imported, but not counted for the property/owners' committee gap. Known types: 物业, 业委会, 院委会, 社会组织, 社会企业, 群团 (工会, 共青团, 妇联), 自组织.",
    },
    "gov_projects.grid_unmatched": {
        "zh": "项目表 {file} 第 {feature_id} 行的服务网格“{detail}”在所属社区中找不到。请核对网格名称（多个名称用“、”分隔）。",
        "en": "Row {feature_id} of projects file {file} serves grid(s) \"{detail}\", not found in its community. Check the names (separate several with 、).",
    },
    "selfgov.grid_unmatched": {
        "zh": "自治组织表 {file} 第 {feature_id} 行的网格/小区“{detail}”在所属社区中找不到。请核对名称，或留空表示全社区。",
        "en": "Row {feature_id} of self-governance sheet {file} names grid/compound \"{detail}\", not found in its community. Check the name, or leave it blank for the whole community.",
    },
    "gov_projects.unknown_kind": {
        "zh": "项目表 {file} 第 {feature_id} 行的项目类型“{detail}”无法识别，已导入为未分类。可用类型：主题社区、社区微更新、特色消费场景、社区花园、社区运动角。",
        "en": "Row {feature_id} of projects file {file} has an unknown kind \"{detail}\"; imported without a kind. Known kinds: 主题社区, 社区微更新, 特色消费场景, 社区花园, 社区运动角.",
    },
    "gov_projects.unknown_status": {
        "zh": "项目表 {file} 第 {feature_id} 行的状态“{detail}”无法识别，已导入为未知状态。请填写 计划中、建设中 或 已建成。",
        "en": "Row {feature_id} of projects file {file} has an unknown status \"{detail}\"; imported without a status. Use 计划中 (planned), 建设中 (under way) or 已建成 (done).",
    },
    "gov_projects.no_grid": {
        "zh": "项目表 {file} 第 {feature_id} 行的项目“{detail}”既没有填写服务网格，也不在任何网格内，不计入任何单元。请填写服务网格或核对坐标。",
        "en": "Project \"{detail}\" on row {feature_id} of {file} names no grid served and lies in no grid; it counts in no unit. Enter the grid served or check its coordinates.",
    },
    "selfgov.count_below_names": {
        "zh": "自治组织表 {file} 第 {feature_id} 行填写的数量少于列出的名称（{detail}）。已按所填数量导入，请核对。",
        "en": "Row {feature_id} of self-governance sheet {file} gives a count below the names listed ({detail}). Imported with the count given; please check.",
    },
    "check.unit_kind_unknown": {
        "zh": "{file} 中网格 {feature_id} 的单元类型“{detail}”无法识别。微网格请填写 小区、林盘 或 院落；专属网格请填写 学校、医院、公园、产业园区 或 企业。",
        "en": "Grid {feature_id} in {file} has an unknown unit kind \"{detail}\". Micro-grids take 小区 (compound), 林盘 (linpan) or 院落 (courtyard); dedicated grids 学校, 医院, 公园, 产业园区 or 企业.",
    },
    "qa.kind.check.unit_kind_unknown": {"zh": "单元类型无法识别", "en": "Unknown unit kind"},
    "qa.kind.organisations.unknown_type": {"zh": "组织类型无法识别", "en": "Unknown organisation type"},
    "qa.kind.gov_projects.unknown_kind": {"zh": "项目类型无法识别", "en": "Unknown project kind"},
    "qa.kind.gov_projects.unknown_status": {"zh": "项目状态无法识别", "en": "Unknown project status"},
    "qa.kind.gov_projects.no_grid": {"zh": "项目不在任何网格", "en": "Project in no grid"},
    "qa.kind.gov_projects.grid_unmatched": {"zh": "项目服务网格找不到", "en": "Project grid served not found"},
    "qa.kind.selfgov.grid_unmatched": {"zh": "自治组织网格找不到", "en": "Self-governance grid not found"},
    "qa.kind.selfgov.count_below_names": {"zh": "数量少于名称", "en": "Count below names listed"},
    # --- errors -------------------------------------------------------------------------------------
    "unitkind.unknown": {
        "zh": "单元类型“{kind}”无法识别。请选择：{known}。",
        "en": "Unit kind \"{kind}\" is not known. Choose one of: {known}.",
    },
    "unitkind.unknown_grid": {
        "zh": "找不到编码为 {grid_code} 的微网格，单元类型只能设置在微网格上。",
        "en": "No micro-grid has code {grid_code}; unit kinds are set on micro-grids only.",
    },
    # --- audit ---------------------------------------------------------------------------------------
    "edit.action.unit_kind": {"zh": "设置单元类型", "en": "set unit kind"},
    "edit.count.gov_projects": {"zh": "治理项目", "en": "governance projects"},
    "layer.gov_projects": {"zh": "治理项目", "en": "Governance projects"},
    "layer.selfgov": {"zh": "自治组织与公约表", "en": "Self-governance sheet"},
    "wizard.gov.summary_projects": {"zh": "{file}：{n} 个治理项目（服务网格已对应）。",
                                    "en": "{file}: {n} governance projects (grids served resolved)."},
    "wizard.gov.summary_selfgov": {"zh": "{file}：{n} 行自治组织、自组织与公约。",
                                   "en": "{file}: {n} rows of self-governance bodies, self-organisations and conventions."},
    "wizard.gov.rows": {"zh": "{file} 中有问题的行", "en": "Rows of {file} with problems"},
    "measure.unit_kind": {"zh": "单元类型", "en": "Unit kind"},
    # --- the command line ----------------------------------------------------------------------------
    "import.arg.projects": {
        "zh": "治理项目（XLSX/CSV 含 项目名称、项目类型、状态、年份、所属社区、服务网格、经度、纬度；或 GeoJSON/GPKG 点或面），保存为治理项目图层",
        "en": "governance projects (XLSX/CSV with 项目名称, 项目类型, 状态, 年份, 所属社区, 服务网格, 经度, 纬度; or GeoJSON/GPKG points or areas), kept as the governance-projects layer",
    },
    "import.arg.projects_crs": {
        "zh": "治理项目文件的坐标系（wgs84、cgcs2000、gcj02、bd09 或 EPSG:代码）；表格必须声明",
        "en": "coordinate system of the projects file (wgs84, cgcs2000, gcj02, bd09 or EPSG:code); required for sheets",
    },
    "import.arg.selfgov": {
        "zh": "自治组织、自组织与公约表（XLSX/CSV 含 所属社区、网格/小区，以及数量和/或名称），按单元保存在项目中",
        "en": "self-governance sheet (XLSX/CSV with the community, the grid or compound, and counts and/or names of self-governance bodies, self-organisations and conventions), kept per unit",
    },
    "import.projects.summary": {"zh": "治理项目文件 {file}：{n} 个项目已保存。", "en": "Projects file {file}: {n} projects kept."},
    "import.selfgov.summary": {"zh": "自治组织表 {file}：{n} 行已保存。", "en": "Self-governance sheet {file}: {n} rows kept."},
    # --- export ----------------------------------------------------------------------------------------
    "export.sheet.organisations": {"zh": "进网入格组织", "en": "Organisations"},
    "export.sheet.org_gaps": {"zh": "无物业无业委会网格", "en": "Management gaps"},
    "export.sheet.gov_projects": {"zh": "治理项目", "en": "Governance projects"},
    "export.sheet.selfgov": {"zh": "自治组织与公约", "en": "Self-governance"},
    "export.sheet.unit_kinds": {"zh": "单元类型统计", "en": "Unit kinds"},
    # --- the web app (Explore panel, Dashboard) ---------------------------------------------------------
    "ui.gov.organisations": {"zh": "进网入格组织", "en": "Organisations in the grid"},
    "ui.gov.organisations_none": {"zh": "没有服务本单元的组织。", "en": "No organisation serves this unit."},
    "ui.gov.contact_masked": {"zh": "负责人与电话已脱敏显示。", "en": "Contact names and phones are masked."},
    "ui.gov.projects": {"zh": "治理项目", "en": "Governance projects"},
    "ui.gov.projects_none": {"zh": "本单元没有治理项目。", "en": "No governance project in this unit."},
    "ui.gov.selfgov": {"zh": "自治组织、自组织与公约", "en": "Self-governance bodies, self-organisations and conventions"},
    "ui.gov.selfgov_none": {"zh": "尚未导入本单元的自治组织与公约。", "en": "No self-governance rows imported for this unit."},
    "ui.gov.org_gaps": {"zh": "无物业、无业委会/院委会的网格", "en": "Grids with no property manager and no owners'/courtyard committee"},
    "ui.gov.org_gaps_none": {"zh": "每个网格都有物业或业委会/院委会。", "en": "Every grid has a property manager or an owners'/courtyard committee."},
    "ui.gov.org_gaps_no_data": {"zh": "尚未导入进网入格组织表。", "en": "No organisations sheet imported yet."},
    "ui.gov.kinds": {"zh": "按单元类型统计（小区/林盘/院落）", "en": "By unit kind (compound/linpan/courtyard)"},
    "ui.gov.kind_filter": {"zh": "单元类型", "en": "Unit kinds"},
    "ui.gov.kind_edit": {"zh": "单元类型", "en": "Unit kind"},
    "ui.gov.kind_saved": {"zh": "已将 {name} 的单元类型设为 {kind}。", "en": "Unit kind of {name} set to {kind}."},
    "ui.gov.colour_by_kind": {"zh": "按单元类型着色", "en": "Colour by unit kind"},
    "ui.gov.show_projects": {"zh": "显示治理项目", "en": "Show governance projects"},
    "ui.gov.metric.organisations": {"zh": "进网入格组织", "en": "Organisations"},
    "ui.gov.metric.projects": {"zh": "治理项目（已建成）", "en": "Projects (done)"},
    "ui.gov.metric.selfgov": {"zh": "自治组织 / 自组织 / 公约", "en": "Bodies / self-orgs / conventions"},
    "ui.gov.metric.org_gaps": {"zh": "无物业无业委会网格", "en": "Grids with no management"},
    "ui.gov.metric.buildings": {"zh": "楼栋", "en": "Buildings"},
    "ui.gov.metric.headless_buildings": {"zh": "无楼栋长楼栋", "en": "Buildings with no building head"},
    "ui.gov.buildings_line": {"zh": "楼栋 {n} 栋，其中无楼栋长 {headless} 栋", "en": "{n} buildings, {headless} with no building head"},
    "ui.gov.projects_done": {"zh": "{n}（已建成 {done}）", "en": "{n} ({done} done)"},
    "ui.gov.selfgov_counts": {"zh": "{bodies} / {orgs} / {conventions}", "en": "{bodies} / {orgs} / {conventions}"},
    # --- print ---------------------------------------------------------------------------------------------
    "print.gov.projects_legend": {"zh": "治理项目", "en": "Governance projects"},
    "print.gov.summary": {
        "zh": "进网入格组织 {orgs} 个；治理项目 {projects} 个（已建成 {done}）；自治组织 {bodies} 个、自组织 {self_orgs} 个、公约 {conventions} 份；无物业无业委会网格 {gaps} 个；楼栋 {buildings} 栋（无楼栋长 {headless} 栋）",
        "en": "{orgs} organisations in the grid; {projects} governance projects ({done} done); {bodies} self-governance bodies, {self_orgs} self-organisations, {conventions} conventions; {gaps} grids with no property manager or owners' committee; {buildings} buildings ({headless} with no building head)",
    },
}
