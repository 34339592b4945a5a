"""Messages for the command line chrome."""
from __future__ import annotations

MESSAGES = {
    "cli.description": {
        "zh": "网格图谱 GridAtlas：社区网格规划工具（导入、检查、分配、覆盖、导出、打印）。",
        "en": "GridAtlas: community grid planning (import, check, assign, coverage, export, print).",
    },
    "cli.lang": {"zh": "界面语言：zh（中文，默认）或 en", "en": "language: zh (Chinese, default) or en"},
    "cli.error_prefix": {"zh": "错误：", "en": "Error: "},
    "cli.note_prefix": {"zh": "提示：", "en": "Note: "},
    "cli.saved": {"zh": "已保存：{file}", "en": "Saved: {file}"},
    "cli.exit_codes": {
        "zh": "退出码：0 成功；1 已运行但发现问题（如 check 报告有错误、仍有网格缺员）；"
              "2 输入有误或操作被拒绝；3 内部错误（屏幕上一行说明，详细记录写入日志文件）；130 被中断（Ctrl-C 或终止信号，未写完的临时文件已清除）。",
        "en": "Exit codes: 0 ok; 1 ran but found problems (e.g. check found errors, grids still short of staff); "
              "2 bad input or refused; 3 internal error (a one-line message; details in a log file); "
              "130 interrupted (Ctrl-C or terminated; unfinished temporary files removed).",
    },
    "cli.internal_error": {
        "zh": "内部错误：{error}。这不是您数据的问题；详细记录已写入 {log}，请将该文件发给维护人员。",
        "en": "Internal error: {error}. This is not a problem with your data; details are in {log} — please send that file to the maintainers.",
    },
    "cli.os_error": {
        "zh": "无法读写 {file}：{reason}。请检查路径是否存在、是不是文件夹，以及是否有读写权限。",
        "en": "Cannot read or write {file}: {reason}. Check that the path exists, is not a folder, and that you may read and write it.",
    },
    "output.is_project": {
        "zh": "{file} 是一个网格图谱项目文件，{command} 不会用输出覆盖它。请为输出换一个文件名；如确要替换该项目，请先把它移走或删除。",
        "en": "{file} is a GridAtlas project; {command} will not overwrite it with its output. Choose another output file name; to replace that project, move or delete it first.",
    },
    "output.other_project": {
        "zh": "{file} 是另一个网格图谱项目文件，{command} 不会覆盖它（其中的其他方案会丢失）。",
        "en": "{file} is another GridAtlas project; {command} will not overwrite it (its other scenarios would be lost).",
    },
    "output.other_project.fix.cli": {
        "zh": "去掉 --out 即更新 {project}，或用 --out 指定一个新文件名。",
        "en": "Leave out --out to update {project}, or give --out a new file name.",
    },
    "output.other_project.fix.web": {
        "zh": "请在侧栏打开要更新的项目，或为结果另选一个新文件名。",
        "en": "Open the project to update in the sidebar, or choose a new file name for the result.",
    },
    "output.same_file": {
        "zh": "{file} 与 {other} 是同一个文件，{command} 不能既读又写（或写两次）同一文件。请为输出换一个文件名。",
        "en": "{file} is the same file as {other}; {command} cannot use one file for two roles. Choose another output file name.",
    },
    "output.backup": {"zh": "原文件已备份为：{file}", "en": "The old file was kept as: {file}"},
    "output.arg.replace": {
        "zh": "输出文件已存在时替换它（先在旁边备份为 名称.bak-时间.gpkg）",
        "en": "replace the output file if it exists (a backup name.bak-<time>.gpkg is kept beside it)",
    },
}
