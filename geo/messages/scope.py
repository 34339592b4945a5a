"""Messages of roles and jurisdictions (geo.access): refusals of edits and of personal data outside a scope."""
from __future__ import annotations

MESSAGES = {
    "scope.read_only": {
        "zh": "未修改：用户 {user} 是只读账号（{role}），不能修改、运行、导入或保存。需要修改时请管理员为您分配可编辑的角色。",
        "en": "Nothing changed: user {user} has a read-only account ({role}) and may not edit, run, import or save. "
              "Ask an administrator for an editing role if you need to make changes.",
    },
    "scope.out_of_scope": {
        "zh": "未修改：{level} {code_outside} 不在您的管辖范围（{unit}）内。只能修改本辖区的单元；请联系该单元所在镇街或社区的工作人员修改。",
        "en": "Nothing changed: {level} {code_outside} is outside your area ({unit}). You may change only units of "
              "your own area; ask the office of the town or community it belongs to.",
    },
    "scope.whole_project_only": {
        "zh": "未修改：此操作会修改整个项目，只有市级或管理员账号可以执行；您的范围是 {unit}。请选择本辖区内的单元，或联系市级工作人员。",
        "en": "Nothing changed: this changes the whole project, which only a city or administrator account may do; "
              "your area is {unit}. Choose units of your own area or ask the city office.",
    },
    "scope.not_narrowed": {
        "zh": "未保存：用户 {user} 的范围是 {unit}，但要保存的项目包含范围外的数据。请重新打开项目后再修改。",
        "en": "Not saved: the area of user {user} is {unit}, but the project to save holds data outside it. "
              "Open the project again, then make the edit.",
    },
    "scope.unmask_refused": {
        "zh": "未显示：用户 {user}（{role}）不能查看完整的姓名、电话或身份证号；这些信息保持遮蔽。如确有需要，请联系管理员。",
        "en": "Not shown: user {user} ({role}) may not see full names, phones or ID numbers; they stay masked. "
              "Ask an administrator if you need them.",
    },
    "scope.no_user": {
        "zh": "未显示：查看完整个人信息必须先登录，以便记入审计日志。请登录后再试。",
        "en": "Not shown: personal data in full needs a signed-in user for the audit log. Sign in and try again.",
    },
    "scope.unknown_purpose": {
        "zh": "未显示：用途 {purpose} 不可用；可用的用途：{known}。",
        "en": "Not shown: purpose {purpose} is not known; known purposes: {known}.",
    },
    "scope.unknown_level": {
        "zh": "账号范围的层级 {level} 无效；只能是 town（镇街）或 community（社区）。请管理员修正该账号。",
        "en": "The account's area level {level} is not valid; it must be town or community. Ask an administrator "
              "to correct the account.",
    },
    "scope.no_access": {
        "zh": "请先登录：未登录时不显示任何数据。",
        "en": "Please sign in: no data is shown without a signed-in user.",
    },
    "scope.no_units": {
        "zh": "您的账号范围（{unit}）在项目 {file} 中没有任何单元，因此不显示数据。请管理员检查账号的镇街或社区代码。",
        "en": "Your account's area ({unit}) has no unit in project {file}, so no data is shown. Ask an administrator "
              "to check the account's town or community code.",
    },
    "ui.panel.reveal": {"zh": "显示完整电话", "en": "Show full phone numbers"},
    "ui.panel.reveal_help": {
        "zh": "完整电话属于个人信息：每次查看都会以您的账号、范围和用途记入审计日志。",
        "en": "Full phone numbers are personal data: each view is written to the audit log with your account, "
              "area and purpose.",
    },
    "scope.purpose.view": {"zh": "查看", "en": "view"},
    "scope.purpose.export": {"zh": "导出", "en": "export"},
    "scope.purpose.print": {"zh": "打印", "en": "print"},
}
