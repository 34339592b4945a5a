"""Messages for accounts, sign-in, the admin page and the audit chain (issue #15)."""
from __future__ import annotations

MESSAGES = {
    # audit actions and counts
    "edit.action.personal_data": {"zh": "查看/导出个人信息", "en": "personal data access"},
    "edit.action.account": {"zh": "账号管理", "en": "account change"},
    "edit.action.account_locked": {"zh": "账号锁定", "en": "account locked"},
    "edit.col.scope": {"zh": "范围", "en": "scope"},
    "edit.count.disabled": {"zh": "停用", "en": "disabled"},
    "edit.count.enabled": {"zh": "启用", "en": "enabled"},
    "edit.count.reset": {"zh": "重置密码", "en": "password reset"},
    "edit.count.locked": {"zh": "锁定", "en": "locked"},
    "edit.count.people": {"zh": "人", "en": "people"},
    # errors
    "accounts.bad_name": {
        "zh": "账号名“{name}”不可用：只能用汉字、字母、数字和 _ . @ -，1–{max} 个字符，不能有空格、控制字符或 HTML。",
        "en": "Account name “{name}” is not allowed: use letters (汉字 too), digits and _ . @ -, 1–{max} characters, "
              "no spaces, control characters or HTML.",
    },
    "accounts.weak_password": {
        "zh": "密码须为 {min}–{max} 个字符。请换一个更长的密码。",
        "en": "A password must be {min}–{max} characters long. Choose a longer one.",
    },
    "accounts.bad_role": {
        "zh": "未知角色“{role}”。可选：{roles}。",
        "en": "Unknown role “{role}”. Use one of: {roles}.",
    },
    "accounts.bad_level": {
        "zh": "未知单元层级“{level}”。可选：{levels}。",
        "en": "Unknown unit level “{level}”. Use one of: {levels}.",
    },
    "accounts.unit_missing": {
        "zh": "角色 {role} 需要指定所辖单元（{level} 代码）。",
        "en": "Role {role} needs the code of its unit ({level}).",
    },
    "accounts.unit_missing.fix.cli": {"zh": "请加 --unit 代码。", "en": "Add --unit CODE."},
    "accounts.unit_missing.fix.web": {"zh": "请在“所辖单元”中选择。", "en": "Choose it under “Unit”."},
    "accounts.unit_not_allowed": {
        "zh": "角色 {role} 管辖整个项目，不能指定单元。",
        "en": "Role {role} covers the whole project: give no unit.",
    },
    "accounts.unknown_unit": {
        "zh": "项目中没有代码为“{unit}”的{level}。请检查代码。",
        "en": "The project has no {level} with code “{unit}”. Check the code.",
    },
    "accounts.exists": {
        "zh": "账号“{name}”已存在。如需新密码请用重置。",
        "en": "Account “{name}” already exists. Reset its password instead.",
    },
    "accounts.unknown": {"zh": "没有账号“{name}”。", "en": "There is no account “{name}”."},
    "accounts.not_admin": {
        "zh": "只有管理员可以管理账号（{user} 的角色是 {role}）。此操作已拒绝。",
        "en": "Only an admin manages accounts ({user} has role {role}). Refused.",
    },
    "accounts.self_disable": {
        "zh": "管理员不能停用自己的账号（{name}）。请用另一个管理员账号操作。",
        "en": "An admin cannot disable their own account ({name}). Use another admin account.",
    },
    "accounts.no_project": {
        "zh": "{file} 处没有网格图谱项目。",
        "en": "There is no GridAtlas project at {file}.",
    },
    "accounts.bad_login": {
        "zh": "账号或密码不正确，或账号已停用。",
        "en": "Wrong name or password, or the account is disabled.",
    },
    "accounts.locked": {
        "zh": "连续登录失败次数过多，账号已锁定至 {until}（{minutes} 分钟）。请稍后再试，或请管理员重置密码。",
        "en": "Too many failed sign-ins: the account is locked until {until} ({minutes} minutes). "
              "Try again later, or ask an admin to reset the password.",
    },
    "accounts.password_mismatch": {
        "zh": "两次输入的密码不一致。",
        "en": "The two passwords differ.",
    },
    "accounts.no_password": {
        "zh": "没有读到密码（标准输入为空）。",
        "en": "No password was read (standard input was empty).",
    },
    "audit.append_only": {
        "zh": "未保存：审计日志只能追加，不能修改或删除（表 {table}，{rows} 行）。请重新打开项目后再操作。",
        "en": "Not saved: the audit log is append-only and cannot be changed or shortened (table {table}, "
              "{rows} rows). Reopen the project and redo the work.",
    },
    # roles (label family "role" is the volunteers' role: accounts use their own family)
    "account_role.admin": {"zh": "管理员", "en": "admin"},
    "account_role.city": {"zh": "市级", "en": "city"},
    "account_role.town": {"zh": "镇街", "en": "town"},
    "account_role.community": {"zh": "社区", "en": "community"},
    "account_role.viewer": {"zh": "只读", "en": "viewer"},
    # command line
    "cli.users.help": {
        "zh": "管理登录账号：添加、列出、停用、重置密码（users add|list|disable|enable|reset）",
        "en": "Manage sign-in accounts: add, list, disable, reset a password (users add|list|disable|enable|reset)",
    },
    "cli.users.add.help": {"zh": "添加账号", "en": "add an account"},
    "cli.users.list.help": {"zh": "列出账号（不显示密码）", "en": "list the accounts (never their passwords)"},
    "cli.users.disable.help": {"zh": "停用账号", "en": "disable an account"},
    "cli.users.enable.help": {"zh": "重新启用账号", "en": "enable an account again"},
    "cli.users.reset.help": {"zh": "重置密码（同时解除锁定）", "en": "set a new password (also unlocks)"},
    "cli.users.arg_project": {"zh": "项目：.gpkg 文件或 postgresql:// 地址", "en": "the project: a .gpkg file or a postgresql:// URL"},
    "cli.users.arg_name": {"zh": "账号名", "en": "the account name"},
    "cli.users.arg_role": {"zh": "角色：admin、city、town、community、viewer",
                           "en": "role: admin, city, town, community, viewer"},
    "cli.users.arg_level": {"zh": "只读账号的单元层级：town 或 community", "en": "a viewer's unit level: town or community"},
    "cli.users.arg_unit": {"zh": "所辖镇街或社区的代码", "en": "code of the town or community it covers"},
    "cli.users.arg_password_stdin": {"zh": "从标准输入读取密码（一行），用于脚本",
                                     "en": "read the password (one line) from standard input, for scripts"},
    "cli.users.arg_password": {
        "zh": "直接给出密码：仅供测试和脚本使用，密码会留在命令历史中",
        "en": "the password itself: for tests and scripts only, it stays in the shell history",
    },
    "cli.users.prompt": {"zh": "{name} 的密码：", "en": "Password for {name}: "},
    "cli.users.prompt_again": {"zh": "再输入一次：", "en": "Again: "},
    "cli.users.added": {"zh": "已添加账号 {name}（{role}{unit}）。", "en": "Added account {name} ({role}{unit})."},
    "cli.users.disabled": {"zh": "已停用账号 {name}。", "en": "Disabled account {name}."},
    "cli.users.enabled": {"zh": "已启用账号 {name}。", "en": "Enabled account {name}."},
    "cli.users.reset": {"zh": "已重置 {name} 的密码。", "en": "Set a new password for {name}."},
    "cli.users.none": {
        "zh": "该项目还没有账号。创建第一个管理员：python -m cli users add {project} --role admin NAME",
        "en": "This project has no accounts yet. Create the first admin: python -m cli users add {project} --role admin NAME",
    },
    "cli.users.columns": {"zh": "账号\t角色\t单元\t状态\t上次登录", "en": "name\trole\tunit\tstate\tlast sign-in"},
    "cli.users.active": {"zh": "启用", "en": "active"},
    "cli.users.inactive": {"zh": "已停用", "en": "disabled"},
    "cli.users.locked": {"zh": "锁定至 {until}", "en": "locked until {until}"},
    # the app: sign-in
    "ui.login.title": {"zh": "登录网格图谱", "en": "Sign in to GridAtlas"},
    "ui.login.project": {"zh": "项目：{project}", "en": "Project: {project}"},
    "ui.login.name": {"zh": "账号", "en": "Account"},
    "ui.login.password": {"zh": "密码", "en": "Password"},
    "ui.login.submit": {"zh": "登录", "en": "Sign in"},
    "ui.login.demo_hint": {
        "zh": "这是内置的崇州示意项目：演示账号 **demo**，密码 **demo1234**（管理员）；另有 **town-demo** 与 **community-demo**（密码相同）。",
        "en": "This is the bundled Chongzhou demo: sign in as **demo**, password **demo1234** (admin); also "
              "**town-demo** and **community-demo** (same password).",
    },
    "ui.login.no_accounts": {
        "zh": "该项目还没有任何账号，因此不显示任何数据。请在运行本应用的电脑上创建第一个管理员：",
        "en": "This project has no accounts yet, so no data is shown. Create the first admin on the computer that "
              "runs the app:",
    },
    "ui.login.expired": {
        "zh": "超过 {minutes} 分钟未操作，已自动退出。请重新登录。",
        "en": "Signed out after {minutes} idle minutes. Please sign in again.",
    },
    "ui.login.signed_out": {"zh": "已退出登录。", "en": "Signed out."},
    "ui.login.account_changed": {
        "zh": "你的账号已被停用、删除或更改了角色/范围，已退出登录。请联系管理员或重新登录。",
        "en": "Your account was disabled, removed or given another role or unit, so you were signed out. Ask your "
              "administrator or sign in again.",
    },
    "ui.login.project_changed": {
        "zh": "已切换项目，账号按项目分别保存，请在此项目中重新登录。",
        "en": "The project changed: accounts belong to each project, so sign in to this one.",
    },
    "ui.sidebar.signed_in": {"zh": "当前用户：**{name}** · {role} · {unit}", "en": "Signed in: **{name}** · {role} · {unit}"},
    "ui.sidebar.whole_project": {"zh": "全部范围", "en": "whole project"},
    "ui.sidebar.logout": {"zh": "退出登录", "en": "Sign out"},
    # the app: admin page
    "ui.nav.admin": {"zh": "账号与审计", "en": "Accounts and audit"},
    "ui.admin.title": {"zh": "账号与审计日志", "en": "Accounts and audit log"},
    "ui.admin.accounts": {"zh": "账号", "en": "Accounts"},
    "ui.admin.add": {"zh": "添加账号", "en": "Add an account"},
    "ui.admin.role": {"zh": "角色", "en": "Role"},
    "ui.admin.unit": {"zh": "所辖单元代码（镇街/社区角色必填）", "en": "Unit code (for town and community roles)"},
    "ui.admin.viewer_level": {"zh": "只读账号的单元层级", "en": "A viewer's unit level"},
    "ui.admin.level_auto": {"zh": "由单元代码判断", "en": "from the unit code"},
    "ui.admin.password_again": {"zh": "再次输入密码", "en": "Password again"},
    "ui.admin.added": {"zh": "已添加 {name}。", "en": "Added {name}."},
    "ui.admin.manage": {"zh": "停用、启用或重置", "en": "Disable, enable or reset"},
    "ui.admin.pick": {"zh": "账号", "en": "Account"},
    "ui.admin.disable": {"zh": "停用", "en": "Disable"},
    "ui.admin.enable": {"zh": "启用", "en": "Enable"},
    "ui.admin.reset": {"zh": "重置密码", "en": "Reset password"},
    "ui.admin.new_password": {"zh": "新密码", "en": "New password"},
    "ui.admin.done": {"zh": "已完成：{name}。", "en": "Done: {name}."},
    "ui.admin.disabled_col": {"zh": "已停用", "en": "disabled"},
    "ui.admin.last_login": {"zh": "上次登录", "en": "last sign-in"},
    "ui.admin.locked_until": {"zh": "锁定至", "en": "locked until"},
    "ui.admin.audit": {"zh": "审计日志", "en": "Audit log"},
    "ui.admin.filter_user": {"zh": "用户", "en": "User"},
    "ui.admin.filter_unit": {"zh": "单元代码", "en": "Unit code"},
    "ui.admin.filter_action": {"zh": "操作", "en": "Action"},
    "ui.admin.all": {"zh": "全部", "en": "all"},
    "ui.admin.download": {"zh": "下载审计日志（CSV）", "en": "Download the audit log (CSV)"},
    "ui.admin.personal": {"zh": "个人信息访问记录", "en": "Personal data accesses"},
    "ui.admin.personal_none": {"zh": "还没有个人信息访问记录。", "en": "No personal data accesses yet."},
    "ui.admin.chain_ok": {
        "zh": "审计日志完整：{rows} 行，哈希链无断裂（其中 {unchained} 行早于哈希链）。",
        "en": "The audit log is intact: {rows} rows, the hash chain unbroken ({unchained} rows predate the chain).",
    },
    "ui.admin.chain_broken": {
        "zh": "审计日志被改动：第 {row} 行（{time}，{action}）起哈希链断裂（{reason}）。",
        "en": "The audit log was tampered with: the hash chain breaks at row {row} ({time}, {action}; {reason}).",
    },
    "ui.admin.only_admin": {"zh": "只有管理员可以打开此页。", "en": "Only an admin may open this page."},
    "audit.reason.changed": {"zh": "内容被修改", "en": "content changed"},
    "audit.reason.link": {"zh": "有行被删除或插入", "en": "a row removed or put in between"},
    "audit.reason.unchained": {"zh": "混入未签名的行", "en": "an unchained row"},
}
