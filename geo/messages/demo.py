"""Messages for the bundled Chongzhou demo (``python -m cli demo``)."""
from __future__ import annotations

MESSAGES = {
    "demo.help": {
        "zh": "生成内置的崇州市示意项目文件（GeoPackage）。",
        "en": "Build the bundled Chongzhou demo project file (GeoPackage).",
    },
    "demo.out": {"zh": "输出的项目文件路径（默认 build/demo.gpkg）",
                 "en": "output project file (default build/demo.gpkg)"},
    "demo.done": {
        "zh": "已生成示意项目 {file}（{seconds} 秒）：{towns} 个镇街，{communities} 个社区/村，"
              "{general} 个一般网格，{micro} 个微网格，{dedicated} 个专属网格，{buildings} 个建筑点"
              "（{households} 户），{volunteers} 名志愿者，{points} 个服务点。",
        "en": "Demo project written to {file} ({seconds} s): {towns} towns, {communities} communities, "
              "{general} general grids, {micro} micro-grids, {dedicated} dedicated grids, {buildings} "
              "buildings ({households} households), {volunteers} volunteers, {points} service points.",
    },
    "demo.illustrative": {
        "zh": "注意：除镇街/社区名称、代码和市界外，所有多边形、户数、网格、人员和服务点均为示意数据。",
        "en": "Note: apart from town/community names, codes and the county outline, all polygons, "
              "households, grids, people and service points are illustrative (示意).",
    },
    "demo.unknown_file": {
        "zh": "没有名为“{name}”的示意数据文件。可用：{valid}。",
        "en": "There is no demo file named \"{name}\". Valid names: {valid}.",
    },
    "demo.missing_file": {
        "zh": "示意数据文件 {file} 不存在。",
        "en": "Demo file {file} is missing.",
    },
    "demo.missing_file.fix.cli": {
        "zh": "请运行 python scripts/build_demo.py 重新生成。",
        "en": "Run python scripts/build_demo.py to regenerate it.",
    },
    "demo.missing_file.fix.web": {
        "zh": "请联系管理员重新安装或生成示意数据。",
        "en": "Ask your administrator to reinstall or regenerate the demo data.",
    },
    "demo.exists_project": {
        "zh": "{file} 已是一个网格图谱项目，不会被示意数据覆盖（其中可能有您的修改）。",
        "en": "{file} is already a GridAtlas project; the demo will not overwrite it (it may hold your edits).",
    },
    "demo.exists_project.fix.cli": {
        "zh": "请用 --out 换一个文件名，或加 --replace 重建（原项目备份为 {stem}.bak-时间.gpkg）。",
        "en": "Give --out another file name, or add --replace to rebuild it (the old project is kept as {stem}.bak-<time>.gpkg).",
    },
    "demo.exists_project.fix.web": {
        "zh": "请为示意项目另选一个文件名。",
        "en": "Choose another file name for the demo project.",
    },
    "demo.bare": {
        "zh": "只装配数据，不运行首次分配与覆盖分析（更快）",
        "en": "assemble the data only, without the first assignment and coverage run (faster)",
    },
}
