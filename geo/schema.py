"""Layer names, column names and code lists of a GridAtlas project: the user contract.

Every module reads column names from here; exported headers are translated through
``geo.messages`` keys ``col.<name>``.
"""
from __future__ import annotations

# --- coordinate systems --------------------------------------------------------
STORAGE_CRS = "EPSG:4326"  # WGS 84; CGCS2000 (EPSG:4490) data is stored as-is (<1 m apart)
METRIC_CRS = "EPSG:32648"  # UTM 48N, the default metric CRS for Chongzhou

# --- layers in the project GeoPackage -----------------------------------------
TOWNS = "towns"
COMMUNITIES = "communities"
GRIDS = "grids"
HOUSEHOLDS = "households"  # building / household points (optional)
VOLUNTEERS = "volunteers"
SERVICE_POINTS = "service_points"
GOV_PROJECTS = "gov_projects"  # governance projects (主题社区, 社区微更新...): points or areas
ASSIGNMENTS = "assignments"  # non-spatial: volunteer -> grid
POINT_GRIDS = "point_grids"  # non-spatial: service point -> grid at every level
META = "meta"  # non-spatial key/value (JSON values)

SPATIAL_LAYERS = (TOWNS, COMMUNITIES, GRIDS, HOUSEHOLDS, VOLUNTEERS, SERVICE_POINTS, GOV_PROJECTS)
TABLES = (ASSIGNMENTS, POINT_GRIDS, "coverage", "audit", "scenarios")

# --- shared columns --------------------------------------------------------------
CODE = "code"  # text, unique within a layer (12-digit NBS codes for towns/communities)
NAME = "name"
KIND = "kind"
ILLUSTRATIVE = "illustrative"  # True for generated (示意) features
GEOMETRY = "geometry"

# --- hierarchy columns -----------------------------------------------------------
TOWN_CODE = "town_code"
COMMUNITY_CODE = "community_code"
PARENT_CODE = "parent_code"  # grids: the general grid of a micro-grid, else the community
LEVEL = "level"
HOUSEHOLDS_N = "households"  # household count (grids, household points)

# grid levels (column LEVEL of GRIDS); labels come from messages "level.<value>"
LEVEL_MASTER = "master"  # 社区总网格
LEVEL_GENERAL = "general"  # 一般网格
LEVEL_MICRO = "micro"  # 微网格
LEVEL_DEDICATED = "dedicated"  # 专属网格
GRID_LEVELS = (LEVEL_MASTER, LEVEL_GENERAL, LEVEL_MICRO, LEVEL_DEDICATED)

# grid kinds (column KIND of GRIDS)
MICRO_KINDS = ("小区", "林盘", "院落")
DEDICATED_KINDS = ("学校", "医院", "公园", "产业园区", "企业")

TOWN_KINDS = ("街道", "镇")
COMMUNITY_KINDS = ("社区", "村")

# --- volunteers ------------------------------------------------------------------
VOLUNTEER_ID = "volunteer_id"
PHONE = "phone"
ADDRESS = "address"
TIER = "tier"
TIERS = ("市", "镇街", "社区")
PARTY_MEMBER = "party_member"
SKILLS = "skills"  # ";"-separated
CAPACITY = "capacity"  # how many grids one person can serve
ROSTER_FILE = "roster_file"  # the roster a person came from (re-importing that roster replaces its people)

# --- service points --------------------------------------------------------------
POINT_ID = "point_id"
POINT_TYPE = "type"
CATEGORY = "category"
CATEGORIES = ("政务", "生活", "产业", "群团")
POINT_TYPES = {
    "区域治理中心": ("政务", "生活", "产业", "群团"),
    "社区工作站": ("政务", "生活"),
    "党群服务中心": ("政务", "群团"),
    "农副产品展示交易点": ("产业",),
    "快递物流服务点": ("生活",),
    "社区安全屋": ("生活",),
    "村民活动中心": ("群团", "生活"),
    "社区花园": ("生活",),
    "社区运动角": ("生活",),
}

# --- governance: organisations entering the grid, projects, self-governance (issue 16) ------
ORGANISATIONS = "organisations"  # non-spatial: one row per organisation, ``grid_codes`` served
SELFGOV = "selfgov"  # non-spatial: self-governance bodies, self-organisations and 公约 per unit
GRID_CODES = "grid_codes"  # ";"-joined codes of the grids an organisation/project/body serves
ORG_TYPE = "org_type"  # the normalised type of an organisation (ORG_TYPES)
ORG_TYPES = ("物业", "业委会", "院委会", "社会组织", "社会企业", "群团", "自组织")
ORG_MANAGEMENT_TYPES = ("物业", "业委会", "院委会")  # a grid with none of these has a management gap
PROJECT_ID = "project_id"
PROJECT_KINDS = ("主题社区", "社区微更新", "特色消费场景", "社区花园", "社区运动角")
STATUS = "status"
PROJECT_STATUSES = ("planned", "under_way", "done")
YEAR = "year"
UNIT_KIND_NONE = "none"  # statistics row of micro-grids without a kind (not a stored value)

# --- assignments -----------------------------------------------------------------
GRID_CODE = "grid_code"
ROLE = "role"
ROLES = ("leader", "worker", "member")  # 微网格长 / 专职网格员 / 成员
METHOD = "method"
METHODS = ("within", "nearest", "optimised", "manual", "locked")
DISTANCE_M = "distance_m"
LOCKED = "locked"
VERSION = "version"
UPDATED_AT = "updated_at"
SCENARIO = "scenario"
REASON = "reason"
DEFAULT_SCENARIO = "基线"

ASSIGNMENT_COLUMNS = (
    VOLUNTEER_ID, GRID_CODE, ROLE, METHOD, DISTANCE_M, LOCKED, VERSION, UPDATED_AT, SCENARIO,
)

# --- buildings (楼栋) ------------------------------------------------------------
# The building points are the household layer: one point per building with its household
# count. geo.buildings reads them as buildings; these columns are optional on that layer.
BUILDINGS = HOUSEHOLDS
BUILDING_COLUMNS = (CODE, NAME, ADDRESS, HOUSEHOLDS_N, KIND, GRID_CODE)  # KIND: the compound's unit kind
BUILDING_CODE = "building_code"  # volunteers: the building a 楼栋长/单元长 heads
BUILDING_POSTS = ("楼栋长", "单元长")  # posts (roster 职务) of people who head a building
WORK_PHONE = "work_phone"  # volunteers: a work phone for notice boards (else ``phone``)
PHONE_CONSENT = "phone_consent"  # volunteers: the person agreed to show the work phone in full on notice boards
GRID_CODE_HISTORY = "grid_code_history"  # table: retired grid codes and what replaced them (geo.gridcodes)

# --- per-layer required columns (besides geometry) --------------------------------
REQUIRED = {
    TOWNS: (CODE, NAME),
    COMMUNITIES: (CODE, NAME),
    GRIDS: (CODE, NAME, LEVEL),
    HOUSEHOLDS: (CODE, HOUSEHOLDS_N),
    VOLUNTEERS: (VOLUNTEER_ID, NAME),
    SERVICE_POINTS: (POINT_ID, NAME, POINT_TYPE),
    GOV_PROJECTS: (NAME, KIND),  # project_id is numbered when the file has none
}
# columns kept as text whatever they look like (leading zeros, phone numbers)
TEXT_COLUMNS = (CODE, TOWN_CODE, COMMUNITY_CODE, PARENT_CODE, VOLUNTEER_ID, POINT_ID, PHONE, GRID_CODE, GRID_CODES,
                PROJECT_ID, BUILDING_CODE, WORK_PHONE)

# --- default planner settings (stored in META["settings"]) ---------------------------
DEFAULT_SETTINGS = {
    "micro_households": [30, 100],
    "general_households": [300, 500],
    "targets": {"micro": 1, "general": 1, "dedicated": 1, "master": 0},
    "radii_m": [300, 500, 1000],
    "max_distance_m": 5000,
    # new grid codes (geo.gridcodes): the field kit's numeric pattern, community code + 2 + 2 digits
    "grid_code_pattern": {"general": "{community}{general:02d}", "micro": "{community}{general:02d}{micro:02d}"},
    "supervision_phone": "",  # printed on notice boards (监督电话)
    "notice_qr_url": "",  # notice-board QR: this URL when set, else a contact card
    # named staffing rule sets (geo.rulesets): targets, who counts, max distance, rules, priority grids;
    # running one writes its scenario. "ruleset" names the one the Run page and `assign` use.
    "rulesets": {
        "平时": {"scenario": DEFAULT_SCENARIO, "targets": {}, "counts": {}, "max_distance_m": 5000,
               "staffing": {"one_leadership": True}, "priority": {}},
        "战时": {"scenario": "战时", "targets": {"micro": 2, "general": 2, "per_100_households": {"micro": 3}},
               "counts": {}, "max_distance_m": 1500,
               "staffing": {"one_leadership": True, "party_member_per_micro": True, "cadres_per_grid_max": 2,
                            "city_cadres_to_low_coverage": True},
               "priority": {"column": "elderly_share", "min": 0.25, "no_property": True}},
    },
    "ruleset": "平时",
}

# --- derived tables (written by `assign` and `coverage`, read by export/print/app) ------
COVERAGE = "coverage"  # one row per grid x category x radius
COVERAGE_COLUMNS = (GRID_CODE, CATEGORY, "radius_m", "area_share", "households_share")
STAFFING_COLUMNS = (GRID_CODE, LEVEL, "target", "actual", "leader_id", "short")  # geo.staffing.staffing_by_grid
AUDIT = "audit"  # edit log: time, user, scenario, action, what changed from -> to
SCENARIOS = "scenarios"  # scenario metadata (name, parent, created_at, created_by, saved_at);
# the rows of every scenario live in ASSIGNMENTS, told apart by the SCENARIO column
