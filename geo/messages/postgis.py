"""Messages of the PostGIS store (geo.store.postgis) and of ``python -m cli store``."""
from __future__ import annotations

MESSAGES = {
    "postgis.connect_failed": {
        "zh": "无法连接数据库 {location}：{detail}。请检查服务器地址、端口、数据库名、用户名和密码，以及服务器是否允许从本机连接。",
        "en": "Cannot connect to the database {location}: {detail}. Check the server address, port, database name, "
              "user name and password, and that the server accepts connections from this machine.",
    },
    "postgis.no_postgis": {
        "zh": "数据库 {location} 没有安装 PostGIS 扩展。请数据库管理员在该数据库中执行 CREATE EXTENSION postgis; 后重试。",
        "en": "The database {location} has no PostGIS extension. Ask the database administrator to run "
              "CREATE EXTENSION postgis; in that database, then try again.",
    },
    "postgis.bad_project_name": {
        "zh": "数据库地址中的项目名 {project} 无效：只能使用小写字母、数字和下划线，并以字母开头（例如 ?project=chongzhou）。",
        "en": "The project name {project} in the database URL is not valid: use lower-case letters, digits and "
              "underscores, starting with a letter (for example ?project=chongzhou).",
    },
    "postgis.not_found": {
        "zh": "数据库 {location} 中没有网格图谱项目 {project}。请检查地址中的 ?project= 名称。",
        "en": "The database {location} holds no GridAtlas project {project}. Check the ?project= name in the URL.",
    },
    "postgis.not_found.fix.cli": {
        "zh": "如项目尚未放到服务器上，请先用 python -m cli store copy 项目.gpkg 数据库地址 复制进去。",
        "en": "If the project is not on the server yet, copy it in first with python -m cli store copy PROJECT.gpkg URL.",
    },
    "postgis.not_found.fix.web": {
        "zh": "如项目尚未放到服务器上，请联系管理员先把项目复制到服务器。",
        "en": "If the project is not on the server yet, ask your administrator to copy it there first.",
    },
    # python -m cli store
    "cli.store.help": {
        "zh": "项目存储：在 GeoPackage 文件和 PostGIS 数据库（办公室服务器）之间复制项目",
        "en": "Project storage: copy a project between a GeoPackage file and a PostGIS database (office server)",
    },
    "cli.store.copy.help": {
        "zh": "复制整个项目：SRC 和 DST 可以是 .gpkg 文件路径或 postgresql://用户@服务器/数据库?project=名称",
        "en": "Copy a whole project: SRC and DST are each a .gpkg path or postgresql://user@server/database?project=name",
    },
    "cli.store.arg_src": {"zh": "要复制的项目（文件路径或 postgresql:// 地址）", "en": "The project to copy (file path or postgresql:// URL)"},
    "cli.store.arg_dst": {"zh": "复制到哪里（文件路径或 postgresql:// 地址）", "en": "Where to copy it (file path or postgresql:// URL)"},
    "cli.store.arg_force": {
        "zh": "目标处已有项目时替换它（默认拒绝覆盖）",
        "en": "Replace a project that already exists at the destination (refused by default)",
    },
    "cli.store.copied": {
        "zh": "已复制项目：{src} → {dst}（版本 {revision}；{layers} 个图层、{tables} 个表，共 {rows} 行）。",
        "en": "Project copied: {src} → {dst} (revision {revision}; {layers} layers, {tables} tables, {rows} rows).",
    },
    "cli.store.exists": {
        "zh": "{dst} 处已有网格图谱项目，未复制任何内容。",
        "en": "A GridAtlas project already exists at {dst}; nothing was copied.",
    },
    "cli.store.exists.fix.cli": {
        "zh": "如确实要用 {src} 替换它，请加 --force（被替换的 .gpkg 文件会留一份备份）。",
        "en": "Add --force to replace it with {src} (a replaced .gpkg file is kept as a backup).",
    },
    "cli.store.exists.fix.web": {
        "zh": "请选择另一个目标位置。",
        "en": "Choose another destination.",
    },
    "cli.store.same": {
        "zh": "源和目标是同一个位置（{src}），未复制任何内容。请给出另一个目标。",
        "en": "The source and the destination are the same place ({src}); nothing was copied. Give another destination.",
    },
}
