"""Messages for buildings (楼栋), escalation chains, notice boards (公示牌) and stable grid codes."""
from __future__ import annotations

_COLUMNS = {  # exported headers of the buildings and escalation tables (geo.buildings, geo.escalation)
    "building_code": ("楼栋编码", "Building code"),
    "building_name": ("楼栋名称", "Building"),
    "building_address": ("楼栋地址", "Building address"),
    "building_kind": ("所属小区类型", "Compound kind"),
    "head_name": ("楼栋长/单元长", "Building head"),
    "head_post": ("职务", "Post"),
    "chain_step": ("上报层级", "Escalation step"),
    "chain_unit_name": ("责任单元", "Unit"),
    "person_post": ("职务", "Post"),
    "chain_gap": ("缺口", "Gap"),
    # the chain as one row per grid (geo.escalation.chain_export_table)
    "chain_buildings": ("楼栋数", "Buildings"),
    "chain_buildings_unheaded": ("无楼栋长楼栋数", "Buildings without a head"),
    "chain_building_heads": ("楼栋长", "Building heads"),
    "chain_micro": ("微网格长/兼职网格员", "Micro-grid leader / part-time worker"),
    "chain_general": ("网格长/专职网格员", "Grid leader / full-time worker"),
    "chain_community": ("社区书记/工作站", "Community secretary / workstation"),
    "chain_gap_n": ("缺口数", "Gaps"),
    "retired_code": ("停用编码", "Retired code"),
    "retired_event": ("停用原因", "Why retired"),
    "replaced_by": ("替代编码", "Replaced by"),
    "retired_at": ("停用时间", "Retired at"),
}

MESSAGES = {f"col.{key}": {"zh": zh, "en": en} for key, (zh, en) in _COLUMNS.items()}

MESSAGES |= {
    # escalation chain (geo.escalation)
    "chain.step.building": {"zh": "楼栋（私事止于楼栋）", "en": "Building (private matters stay in the building)"},
    "chain.step.micro": {"zh": "微网格（小事止于小区）", "en": "Micro-grid (small matters stay in the compound)"},
    "chain.step.general": {"zh": "网格", "en": "Grid"},
    "chain.step.community": {"zh": "社区（大事止于社区）", "en": "Community (large matters stay in the community)"},
    "chain.gap.no_building_head": {"zh": "楼栋无楼栋长", "en": "Building without a head"},
    "chain.gap.no_leader": {"zh": "网格无负责人", "en": "Grid without a leader"},
    "chain.gap.vacant": {"zh": "待配备", "en": "Vacant"},
    "chain.gap.no_community_contact": {"zh": "社区无书记或工作站", "en": "Community without a secretary or workstation"},
    "chain.role.building_head": {"zh": "楼栋长", "en": "Building head"},
    "chain.role.secretary": {"zh": "社区书记", "en": "Community secretary"},
    "chain.role.station": {"zh": "社区工作站", "en": "Community workstation"},
    "chain.title": {"zh": "上报链", "en": "Escalation chain"},
    # cells of the chain sheet, one row per grid (geo.escalation.chain_export_table)
    "chain.cell.person": {"zh": "{name}（{detail}）", "en": "{name} ({detail})"},
    "chain.cell.unit": {"zh": "{unit}：{people}", "en": "{unit}: {people}"},
    "chain.cell.gap": {"zh": "［{gap}］", "en": "[{gap}]"},
    "chain.cell.count": {"zh": "{gap} ×{n}", "en": "{gap} ×{n}"},
    "chain.cell.list": {"zh": "；", "en": "; "},
    "chain.cell.names": {"zh": "、", "en": ", "},
    "chain.cell.detail": {"zh": "，", "en": ", "},
    "chain.more": {"zh": "……另有 {n} 人", "en": "... and {n} more"},
    "chain.gaps": {"zh": "缺口 {n} 处", "en": "{n} gaps"},
    "chain.buildings_headed": {"zh": "楼栋 {headed}/{n} 有楼栋长", "en": "{headed} of {n} buildings have a head"},
    # export sheets
    "export.sheet.buildings": {"zh": "楼栋", "en": "Buildings"},
    "export.sheet.escalation": {"zh": "上报链", "en": "Escalation chain"},
    "export.sheet.code_history": {"zh": "网格编码历史", "en": "Grid code history"},
    # notice board (layers/atlas.py)
    "notice.boundary": {"zh": "四至", "en": "Boundaries"},
    "notice.side.east": {"zh": "东至", "en": "East"},
    "notice.side.south": {"zh": "南至", "en": "South"},
    "notice.side.west": {"zh": "西至", "en": "West"},
    "notice.side.north": {"zh": "北至", "en": "North"},
    "notice.side.none": {"zh": "—", "en": "—"},
    "notice.supervision": {"zh": "监督电话：{phone}", "en": "Supervision phone: {phone}"},
    "notice.supervision_unset": {"zh": "监督电话：（未设置）", "en": "Supervision phone: (not set)"},
    "notice.reach": {"zh": "{radius} 米内服务可达（户数占比）：{shares}",
                     "en": "Within {radius} m (share of households): {shares}"},
    "notice.qr": {"zh": "扫码保存联系方式", "en": "Scan to save the contact"},
    "notice.qr_url": {"zh": "扫码查看网格信息", "en": "Scan for the grid's page"},
    "notice.phone_note": {"zh": "本人同意公开的工作电话完整显示，其余电话已遮蔽。",
                          "en": "Work phones are shown in full where the person agreed; others are masked."},
    # settings (ui/pages and cli)
    "setting.supervision_phone": {"zh": "监督电话（印在公示牌上）", "en": "Supervision phone (printed on notice boards)"},
    "setting.notice_qr_url": {"zh": "公示牌二维码网址（可含 {grid}；留空则为联系人名片）",
                              "en": "Notice-board QR URL (may contain {grid}; blank = a contact card)"},
    "setting.grid_code_pattern": {"zh": "新网格编码规则", "en": "Pattern of new grid codes"},
    "setting.phone_consent": {"zh": "同意在公示牌上公开工作电话", "en": "Agrees to show the work phone on notice boards"},
    # explore unit panel
    "explore.buildings": {"zh": "楼栋", "en": "Buildings"},
    "explore.chain": {"zh": "上报链", "en": "Escalation chain"},
    "explore.buildings_none": {"zh": "本单元没有楼栋数据。", "en": "No buildings in this unit."},
    # grid codes (geo.gridcodes) errors
    "gridcodes.bad_pattern": {
        "zh": "网格编码规则 {pattern}（{level}）须恰好包含 {needed}。请在设置中改正编码规则。",
        "en": "The grid code pattern {pattern} ({level}) must contain exactly {needed}. Correct it in the settings.",
    },
    "gridcodes.exhausted": {
        "zh": "{community} 下的{level}编号已用完（最多 99 个）。请在编码规则中加宽编号位数。",
        "en": "No {level} numbers left under {community} (99 at most). Widen the number in the code pattern.",
    },
    "gridcodes.unknown_grid": {
        "zh": "没有编码为 {ids} 的网格。请从网格列表中选择。",
        "en": "No grid has the code {ids}. Pick grids from the grid list.",
    },
    "gridcodes.split_parts": {
        "zh": "拆分网格 {grid} 至少需要 2 个部分（现为 {n} 个）。请画出至少两部分。",
        "en": "Splitting grid {grid} needs at least 2 parts ({n} given). Draw at least two parts.",
    },
    "gridcodes.merge_mixed": {
        "zh": "网格 {ids} 不属于同一层级和同一上级，不能合并。请选择同一上级下的同级网格（至少两个）。",
        "en": "Grids {ids} are not of one level and one parent and cannot be merged. "
              "Pick at least two grids of the same level under the same parent.",
    },
    "edit.action.phone_consent": {"zh": "设置公示电话同意", "en": "set notice-board phone consent"},
    "notice.unknown_people": {
        "zh": "没有编号为 {ids} 的人员。请从本网格的人员中选择。",
        "en": "No people have the IDs {ids}. Pick people of this grid.",
    },
    "notice.ui.settings": {"zh": "公示牌设置（监督电话、二维码、电话公开同意）",
                           "en": "Notice-board settings (supervision phone, QR code, phone consent)"},
    "notice.ui.consent": {"zh": "同意在公示牌上完整公开工作电话的人员", "en": "People who agree to show their work phone in full"},
    "notice.ui.save": {"zh": "保存公示牌设置", "en": "Save notice-board settings"},
    "notice.ui.saved": {"zh": "已保存（版本 {revision}）。", "en": "Saved (revision {revision})."},
    "notice.ui.user": {"zh": "操作人（记入日志）", "en": "Your name (for the log)"},
    "edit.action.grid_split": {"zh": "拆分网格", "en": "split a grid"},
    # edit page: split / merge with stable codes, the code pattern (ui/pages/edit.py, ui/gridcodes_form.py)
    "edit.codes.title": {"zh": "拆分或合并网格（编码不变）", "en": "Split or merge grids (codes stay put)"},
    "edit.codes.caption": {
        "zh": "未改动的网格保留原编码；新网格取新编码；被替换的编码停用并记入编码历史，永不再用。保存前先预览。",
        "en": "Unchanged grids keep their codes; new grids get new codes; replaced codes retire into the code "
              "history and are never given again. Preview before saving.",
    },
    "edit.codes.save_first": {"zh": "请先保存或撤销未保存的人员修改，再拆分或合并网格。",
                              "en": "Save or undo the unsaved staffing edits first, then split or merge grids."},
    "edit.codes.op": {"zh": "操作", "en": "Operation"},
    "edit.codes.op_split": {"zh": "拆分所选网格", "en": "Split the selected grid"},
    "edit.codes.op_merge": {"zh": "与同级网格合并", "en": "Merge with sibling grids"},
    "edit.codes.parts": {"zh": "拆成几部分（沿长边等面积）", "en": "Parts (equal areas along the longer side)"},
    "edit.codes.merge_with": {"zh": "与这些网格合并（同一上级、同一层级）",
                              "en": "Merge with these grids (same parent, same level)"},
    "edit.codes.preview": {"zh": "预览编码变化", "en": "Preview the code changes"},
    "edit.codes.kept": {"zh": "保留的编码", "en": "Codes kept"},
    "edit.codes.retired": {"zh": "停用的编码", "en": "Codes retired"},
    "edit.codes.new": {"zh": "新编码", "en": "New codes"},
    "edit.codes.level": {"zh": "层级", "en": "Level"},
    "edit.codes.change": {"zh": "变化", "en": "Change"},
    "edit.codes.replaced_by": {"zh": "由以下编码替代", "en": "Replaced by"},
    "edit.codes.assignments_removed": {
        "zh": "停用网格上的 {n} 条人员分配将被删除。保存后请在“运行”页重新分配。",
        "en": "{n} assignments to retired grids will be removed. Re-run the assignment on the Run page after saving.",
    },
    "edit.codes.save": {"zh": "保存拆分/合并", "en": "Save the split/merge"},
    "edit.codes.saved": {"zh": "已保存（版本 {revision}）。新编码：{codes}", "en": "Saved (revision {revision}). New codes: {codes}"},
    "edit.codes.pattern_help": {
        "zh": "只影响今后新生成的编码，已有编码不变。下面三个占位符依次代表社区代码、一般网格号、微网格号；:02d 表示补足两位数字。",
        "en": "Applies to codes given from now on; existing codes never change. The three placeholders below stand "
              "for the community code, the general-grid number and the micro-grid number; :02d pads to two digits.",
    },
    "edit.codes.pattern_general": {"zh": "一般网格编码规则", "en": "General-grid code pattern"},
    "edit.codes.pattern_micro": {"zh": "微网格编码规则", "en": "Micro-grid code pattern"},
    "edit.codes.pattern_example": {"zh": "示例（社区 {community}）：一般网格 {general}，微网格 {micro}",
                                   "en": "Example (community {community}): general grid {general}, micro-grid {micro}"},
    "edit.codes.pattern_save": {"zh": "保存编码规则", "en": "Save the code pattern"},
    "edit.codes.pattern_saved": {"zh": "编码规则已保存（版本 {revision}）。", "en": "Code pattern saved (revision {revision})."},
    "edit.action.code_pattern": {"zh": "设置网格编码规则", "en": "set the grid code pattern"},
    "gridcodes.ambiguous_pattern": {
        "zh": "按编码规则 {pattern} 生成的编码无法区分一般网格号 {general} 与微网格号 {micro}。请为编号设定固定位数（如 {{general:02d}}）或在两者之间加分隔符。",
        "en": "Codes made by the pattern {pattern} cannot tell general grid {general} from micro-grid {micro}. "
              "Give the numbers a fixed width (e.g. {{general:02d}}) or put a separator between them.",
    },
    "edit.action.grid_merge": {"zh": "合并网格", "en": "merge grids"},
    "edit.count.retired": {"zh": "停用编码", "en": "codes retired"},
}
