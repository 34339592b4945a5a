"""Messages for editing: edit errors, rule checks, scenarios, the diff command and the edit page."""
from __future__ import annotations

_ROLES = {"leader": ("微网格长", "leader"), "worker": ("专职网格员", "grid worker"), "member": ("成员", "member")}
_RULES = {
    "over_capacity": ("超出承担能力", "over capacity"),
    "short": ("人员不足", "short of staff"),
    "two_micro_leader": ("兼任两个以上微网格长", "leads two or more micro-grids"),
}
_METRICS = {
    "rows": ("分配记录数", "assignment rows"),
    "grids_with_target": ("有配备目标的网格", "grids with a staffing target"),
    "grids_staffed": ("已配齐网格", "grids fully staffed"),
    "staffed_pct": ("配齐率（%）", "staffed (%)"),
    "grids_short": ("人员不足网格", "grids short of staff"),
    "over_capacity": ("超出能力的志愿者", "volunteers over capacity"),
    "two_micro_leader": ("兼任多个微网格长的志愿者", "volunteers leading 2+ micro-grids"),
}
_COLS = {
    "volunteer_id": ("志愿者编号", "volunteer id"), "grid_code": ("网格编码", "grid code"),
    "change": ("变化", "change"), "role_a": ("角色（方案A）", "role (A)"), "role_b": ("角色（方案B）", "role (B)"),
    "locked_a": ("锁定（方案A）", "locked (A)"), "locked_b": ("锁定（方案B）", "locked (B)"),
    "name": ("姓名", "name"), "tier": ("层级", "tier"), "capacity": ("可承担网格数", "capacity"),
    "capacity_left": ("剩余能力", "capacity left"), "current_grids": ("当前网格", "current grids"),
    "assigned_here": ("已在本网格", "in this grid"), "distance_m": ("距离（米）", "distance (m)"),
    "role": ("角色", "role"), "locked": ("锁定", "locked"), "method": ("方式", "method"),
    "rule": ("规则", "rule"), "value": ("实际", "actual"), "limit": ("上限/目标", "limit/target"),
    "level": ("层级", "level"), "target": ("目标", "target"), "actual": ("实际", "actual"),
    "actual_a": ("实际（A）", "actual (A)"), "actual_b": ("实际（B）", "actual (B)"),
    "short": ("缺员", "short"), "short_a": ("缺员（A）", "short (A)"), "short_b": ("缺员（B）", "short (B)"),
    "leader_id": ("负责人", "lead"), "leader_a": ("负责人（A）", "lead (A)"), "leader_b": ("负责人（B）", "lead (B)"),
    "status": ("状态", "status"), "time": ("时间", "time"), "user": ("用户", "user"),
    "scenario": ("方案", "scenario"), "action": ("操作", "action"), "object": ("对象", "object"),
    "from": ("原值", "from"), "to": ("新值", "to"), "parent": ("来源方案", "branched from"),
    "saved_at": ("保存时间", "saved at"), "n_rows": ("记录数", "rows"), "active": ("当前", "active"),
    "created_at": ("创建时间", "created at"), "created_by": ("创建人", "created by"),
}

MESSAGES = {
    # --- errors (codes raised by geo.edits / geo.history / geo.scenarios) ---
    "edit.stale": {
        "zh": "此修改已无法应用：表 {table} 中的记录 {ids} 已被更改。请重新加载项目后再修改。",
        "en": "This edit no longer applies: rows {ids} of table {table} have changed. Reload the project and edit again.",
    },
    "edit.no_change": {
        "zh": "操作“{action}”对 {object} 没有任何改变。",
        "en": "Action \"{action}\" changes nothing for {object}.",
    },
    "edit.already_assigned": {
        "zh": "志愿者 {volunteer_id} 已在网格 {grid_code} 中。请选择其他志愿者，或修改其角色。",
        "en": "Volunteer {volunteer_id} already serves grid {grid_code}. Pick another volunteer, or change the role.",
    },
    "edit.not_assigned": {
        "zh": "志愿者 {volunteer_id} 不在网格 {grid_code} 中。请刷新后从该网格的人员列表中选择。",
        "en": "Volunteer {volunteer_id} does not serve grid {grid_code}. Refresh and pick from this grid's list.",
    },
    "edit.locked": {
        "zh": "志愿者 {volunteer_id} 在网格 {grid_code} 的分配已锁定。请先解锁再修改。",
        "en": "The assignment of {volunteer_id} to grid {grid_code} is locked. Unlock it first, then edit.",
    },
    "edit.bad_role": {
        "zh": "未知角色“{role}”。可用角色：{roles}。",
        "en": "Unknown role \"{role}\". Use one of: {roles}.",
    },
    "edit.unknown_ids": {
        "zh": "图层 {layer} 中没有以下编号：{ids}。请检查编号，或先导入这些要素。",
        "en": "Layer {layer} has no features with ids {ids}. Check the ids, or import those features first.",
    },
    "edit.nothing_to_undo": {"zh": "没有可撤销的操作。", "en": "Nothing to undo."},
    "edit.nothing_to_redo": {"zh": "没有可重做的操作。", "en": "Nothing to redo."},
    "edit.unknown_scenario": {
        "zh": "没有名为“{name}”的方案。现有方案：{names}。",
        "en": "There is no scenario named \"{name}\". Existing scenarios: {names}.",
    },
    "edit.scenario_exists": {
        "zh": "方案“{name}”已存在。请换一个名称。",
        "en": "Scenario \"{name}\" already exists. Choose another name.",
    },
    "edit.scenario_name": {
        "zh": "请为方案输入名称（当前为“{name}”）。",
        "en": "Enter a name for the scenario (got \"{name}\").",
    },
    # --- diff command ---
    "edit.diff.help": {
        "zh": "比较同一项目中的两个分配方案（变化记录、人员配备、覆盖）。",
        "en": "Compare two assignment scenarios of a project (changed rows, staffing, coverage).",
    },
    "edit.diff.arg_project": {"zh": "项目文件（.gpkg）", "en": "project file (.gpkg)"},
    "edit.diff.arg_a": {"zh": "方案 A 的名称", "en": "name of scenario A"},
    "edit.diff.arg_b": {"zh": "方案 B 的名称", "en": "name of scenario B"},
    "edit.diff.arg_csv": {"zh": "将变化记录写入此 CSV 文件", "en": "write the changed rows to this CSV file"},
    "edit.diff.title": {"zh": "方案比较：{a} → {b}", "en": "Scenario comparison: {a} -> {b}"},
    "edit.diff.rows": {
        "zh": "分配记录：新增 {added}，删除 {removed}，修改 {changed}",
        "en": "Assignment rows: {added} added, {removed} removed, {changed} changed",
    },
    "edit.diff.metric_line": {"zh": "  {metric}：{a} → {b}（{delta}）", "en": "  {metric}: {a} -> {b} ({delta})"},
    "edit.diff.service_coverage": {
        "zh": "服务覆盖：两个方案相同（方案只改变人员分配，不改变服务点）。",
        "en": "Service coverage: the same in both (scenarios change staffing only, not service points).",
    },
    "edit.diff.staffing_grids": {
        "zh": "人员配备有变化的网格（{n} 个）：{ids}",
        "en": "Grids whose staffing differs ({n}): {ids}",
    },
    "edit.diff.same": {"zh": "两个方案相同。", "en": "The two scenarios are the same."},
    "edit.change.added": {"zh": "新增", "en": "added"},
    "edit.change.removed": {"zh": "删除", "en": "removed"},
    "edit.change.changed": {"zh": "修改", "en": "changed"},
    # --- the edit page ---
    "edit.page.title": {"zh": "人员调整", "en": "Edit assignments"},
    "edit.page.no_project": {
        "zh": "未找到项目文件 {file}。请先在“项目”页打开或导入项目。",
        "en": "Project file {file} not found. Open or import a project on the Project page first.",
    },
    "edit.page.user": {"zh": "您的姓名（记入修改日志）", "en": "Your name (recorded in the audit log)"},
    "edit.page.user_missing": {
        "zh": "请先填写您的姓名，修改才会记录到您名下。",
        "en": "Enter your name first so that edits are logged under it.",
    },
    "edit.anonymous": {"zh": "匿名", "en": "anonymous"},
    "edit.page.community": {"zh": "社区", "en": "Community"},
    "edit.page.all": {"zh": "（全部）", "en": "(all)"},
    "edit.page.grid": {"zh": "网格", "en": "Grid"},
    "edit.page.staffing": {
        "zh": "配备：{actual} / 目标 {target}",
        "en": "Staffing: {actual} / target {target}",
    },
    "edit.page.assigned": {"zh": "本网格人员", "en": "People in this grid"},
    "edit.page.none_assigned": {"zh": "本网格暂无人员。", "en": "No one serves this grid yet."},
    "edit.page.search": {"zh": "搜索志愿者（编号或姓名）", "en": "Search volunteers (id or name)"},
    "edit.page.candidates": {"zh": "候选志愿者（按距离排序）", "en": "Candidates (nearest first)"},
    "edit.page.candidate": {"zh": "选择志愿者", "en": "Volunteer"},
    "edit.page.candidate_label": {
        "zh": "{volunteer_id} {name} · {tier} · 剩余 {left} · {distance} 米",
        "en": "{volunteer_id} {name} · {tier} · {left} left · {distance} m",
    },
    "edit.page.role": {"zh": "角色", "en": "Role"},
    "edit.page.add": {"zh": "加入本网格", "en": "Add to grid"},
    "edit.page.member": {"zh": "本网格人员", "en": "Person in this grid"},
    "edit.page.remove": {"zh": "移出", "en": "Remove"},
    "edit.page.replace": {"zh": "替换为所选志愿者", "en": "Replace with selected volunteer"},
    "edit.page.lock": {"zh": "锁定此分配", "en": "Lock assignment"},
    "edit.page.unlock": {"zh": "解锁此分配", "en": "Unlock assignment"},
    "edit.page.lock_grid": {"zh": "锁定本网格全部人员", "en": "Lock this grid's staffing"},
    "edit.page.unlock_grid": {"zh": "解锁本网格", "en": "Unlock this grid"},
    "edit.page.lock_community": {"zh": "锁定本社区全部", "en": "Lock all in community"},
    "edit.page.unlock_community": {"zh": "解锁本社区全部", "en": "Unlock all in community"},
    "edit.page.point": {"zh": "服务点", "en": "Service point"},
    "edit.page.move_point": {"zh": "将服务点划入本网格", "en": "Move service point into this grid"},
    "edit.page.undo": {"zh": "撤销", "en": "Undo"},
    "edit.page.redo": {"zh": "重做", "en": "Redo"},
    "edit.page.pending": {"zh": "未保存的修改：{n} 项", "en": "Unsaved edits: {n}"},
    "edit.page.save": {"zh": "保存到项目文件", "en": "Save to project file"},
    "edit.page.saved": {"zh": "已保存（版本 {revision}）。", "en": "Saved (revision {revision})."},
    "edit.page.merged": {
        "zh": "已合并保存（版本 {revision}）：应用 {applied} 项，冲突未应用 {conflicts} 项。",
        "en": "Merged and saved (revision {revision}): {applied} edits applied, {conflicts} conflicting edits left out.",
    },
    "edit.page.conflict": {
        "zh": "项目文件已被他人保存（版本 {disk_revision}，您基于版本 {our_revision}）。请选择：重新加载（放弃您未保存的 {n} 项修改）或合并（冲突项将列出且不应用）。",
        "en": "Someone else saved the project (revision {disk_revision}; you started from {our_revision}). Choose: reload (drop your {n} unsaved edits) or merge (conflicting edits are listed and left out).",
    },
    "edit.page.reload": {"zh": "重新加载", "en": "Reload"},
    "edit.page.merge": {"zh": "合并", "en": "Merge"},
    "edit.page.conflict_item": {
        "zh": "冲突：{action} {object}（双方均修改了 {ids}）",
        "en": "Conflict: {action} {object} (both changed {ids})",
    },
    "edit.page.done": {"zh": "已完成：{action} {object}", "en": "Done: {action} {object}"},
    "edit.page.new_violations": {
        "zh": "此修改产生了 {n} 个新的规则问题，请查看下方“规则检查”。",
        "en": "This edit introduced {n} new rule problems; see Rule checks below.",
    },
    "edit.page.violations": {"zh": "规则检查", "en": "Rule checks"},
    "edit.page.violations_count": {
        "zh": "超出能力 {over_capacity} · 缺员网格 {short} · 兼任多个微网格长 {two_micro_leader}",
        "en": "Over capacity {over_capacity} · grids short {short} · leading 2+ micro-grids {two_micro_leader}",
    },
    "edit.page.community_staffing": {"zh": "本社区网格配备", "en": "Staffing of this community's grids"},
    "edit.status.ok": {"zh": "🟢 已配齐", "en": "🟢 staffed"},
    "edit.status.short": {"zh": "🔴 缺员", "en": "🔴 short"},
    "edit.status.none": {"zh": "⚪ 无目标", "en": "⚪ no target"},
    "edit.page.scenarios": {"zh": "方案", "en": "Scenarios"},
    "edit.page.active_scenario": {"zh": "当前方案：{name}", "en": "Active scenario: {name}"},
    "edit.page.scenario_name": {"zh": "方案名称", "en": "Scenario name"},
    "edit.page.scenario_save": {"zh": "保存为方案", "en": "Save as scenario"},
    "edit.page.scenario_branch": {"zh": "从当前方案分支", "en": "Branch from current"},
    "edit.page.scenario_pick": {"zh": "切换到方案", "en": "Switch to scenario"},
    "edit.page.scenario_switch": {"zh": "切换", "en": "Switch"},
    "edit.page.compare_a": {"zh": "比较：方案 A", "en": "Compare: scenario A"},
    "edit.page.compare_b": {"zh": "方案 B", "en": "scenario B"},
    "edit.page.compare": {"zh": "比较", "en": "Compare"},
    "edit.page.compare_rows": {
        "zh": "新增 {added}，删除 {removed}，修改 {changed}",
        "en": "{added} added, {removed} removed, {changed} changed",
    },
    "edit.page.audit": {"zh": "修改日志", "en": "Audit log"},
    "edit.page.masked_note": {
        "zh": "姓名已脱敏显示。",
        "en": "Names are masked.",
    },
    **{f"edit.role.{k}": {"zh": zh, "en": en} for k, (zh, en) in _ROLES.items()},
    **{f"edit.rule.{k}": {"zh": zh, "en": en} for k, (zh, en) in _RULES.items()},
    **{f"edit.metric.{k}": {"zh": zh, "en": en} for k, (zh, en) in _METRICS.items()},
    **{f"edit.col.{k}": {"zh": zh, "en": en} for k, (zh, en) in _COLS.items()},
}
