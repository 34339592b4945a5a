"""Messages for the command line chrome."""
from __future__ import annotations

MESSAGES = {
    "cli.description": {
        "zh": "网格图谱 GridAtlas：社区网格规划工具（导入、检查、分配、覆盖、导出、打印）。",
        "en": "GridAtlas: community grid planning (import, check, assign, coverage, export, print).",
    },
    "cli.lang": {"zh": "界面语言：zh（中文，默认）或 en", "en": "language: zh (Chinese, default) or en"},
    "cli.error_prefix": {"zh": "错误：", "en": "Error: "},
    "cli.saved": {"zh": "已保存：{file}", "en": "Saved: {file}"},
}
