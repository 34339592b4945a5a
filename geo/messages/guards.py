"""Messages for input guards (geo.guards): files refused before reading, and what reading changed."""
from __future__ import annotations

_NOT_REGULAR = {
    "directory": ("是一个文件夹", "is a folder"),
    "fifo": ("是一个命名管道（FIFO）", "is a named pipe (FIFO)"),
    "device": ("是一个设备文件", "is a device"),
    "socket": ("是一个套接字", "is a socket"),
    "other": ("不是普通文件", "is not a regular file"),
}

MESSAGES = {
    **{f"guards.not_regular_file.{kind}": {
        "zh": f"{{file}} {zh}，不是可以导入的数据文件。请指定一个 GeoJSON、GeoPackage、Shapefile 压缩包、KML、CSV 或 XLSX 文件。",
        "en": f"{{file}} {en}, not a data file. Give a GeoJSON, GeoPackage, zipped Shapefile, KML, CSV or XLSX file.",
    } for kind, (zh, en) in _NOT_REGULAR.items()},
    "guards.unreadable": {
        "zh": "无法读取文件 {file}（{reason}）。请检查文件权限，或把文件复制到自己的文件夹后重试。",
        "en": "Cannot read {file} ({reason}). Check the file's permissions, or copy it to a folder of your own and retry.",
    },
    "guards.too_large": {
        "zh": "文件 {file} 有 {size_mb} MB，超过上限 {max_mb} MB，未读取。",
        "en": "File {file} is {size_mb} MB, over the {max_mb} MB limit, and was not read.",
    },
    "guards.too_large.fix.cli": {
        "zh": "请按区域拆分文件，或设置环境变量 {setting}（如 {setting}=500）提高上限。",
        "en": "Split the file by area, or raise the limit with the setting {setting} (e.g. {setting}=500).",
    },
    "guards.too_large.fix.web": {
        "zh": "请按区域拆分文件后分别上传，或请管理员调高设置 {setting}。",
        "en": "Split the file by area and upload the parts, or ask the administrator to raise the setting {setting}.",
    },
    "guards.too_many_rows": {
        "zh": "文件 {file} 有 {rows} 行，超过上限 {max_rows} 行，未读取。",
        "en": "File {file} has {rows} rows, over the limit of {max_rows}, and was not read.",
    },
    "guards.too_many_rows.fix.cli": {
        "zh": "请按区域拆分文件，或设置环境变量 {setting} 提高上限。",
        "en": "Split the file by area, or raise the limit with the setting {setting}.",
    },
    "guards.too_many_rows.fix.web": {
        "zh": "请按区域拆分文件后分别上传，或请管理员调高设置 {setting}。",
        "en": "Split the file by area and upload the parts, or ask the administrator to raise the setting {setting}.",
    },
    "guards.too_many_columns": {
        "zh": "文件 {file} 有 {columns} 列，超过上限 {max_columns} 列，未读取。请只保留需要的列（编码、名称、经纬度等）。",
        "en": "File {file} has {columns} columns, over the limit of {max_columns}, and was not read. Keep only the columns needed (code, name, lon/lat ...).",
    },
    "guards.too_many_columns.fix.cli": {
        "zh": "确需更多列时，可设置环境变量 {setting} 提高上限。",
        "en": "If you really need more, raise the limit with the setting {setting}.",
    },
    "guards.too_many_columns.fix.web": {
        "zh": "确需更多列时，请管理员调高设置 {setting}。",
        "en": "If you really need more, ask the administrator to raise the setting {setting}.",
    },
    "guards.json_too_deep": {
        "zh": "文件 {file} 的 JSON 嵌套了 {depth} 层（上限 {max_depth} 层），不是正常的 GeoJSON，未读取。请用 GIS 软件重新导出。",
        "en": "File {file} nests JSON {depth} levels deep (limit {max_depth}); that is not ordinary GeoJSON and was not read. Export it again from your GIS.",
    },
    "guards.bad_xml": {
        "zh": "文件 {file} 不是完整的 XML（第 {line} 行：{detail}），可能被截断或损坏。请重新导出 KML 后重试。",
        "en": "File {file} is not well-formed XML (line {line}: {detail}); it may be truncated or damaged. Export the KML again and retry.",
    },
    "guards.xml_dtd": {
        "zh": "文件 {file} 中的 {member} 含 DTD 或实体声明（可能引用外部文件），出于安全考虑未读取。请在 Excel/WPS 或 GIS 软件中另存一份后重试。",
        "en": "In {file}, {member} declares a DTD or entities (which can pull in other files); it was not read, for safety. Save a fresh copy from Excel/WPS or your GIS and retry.",
    },
    "guards.zip_corrupt": {
        "zh": "压缩包 {file} 已损坏（{detail}），可能是下载不完整。请重新下载或重新压缩后重试。",
        "en": "Zip {file} is damaged ({detail}), perhaps an incomplete download. Download or zip it again and retry.",
    },
    "guards.zip_encrypted": {
        "zh": "压缩包 {file} 设有密码（{members}），无法读取。请解压后不加密重新压缩。",
        "en": "Zip {file} is password-protected ({members}) and cannot be read. Unpack it and zip it again without a password.",
    },
    "guards.zip_compression": {
        "zh": "压缩包 {file} 中的 {member} 使用了不支持的压缩方式 {method}。请用常规“zip（Deflate）”方式重新压缩。",
        "en": "In zip {file}, {member} uses the unsupported compression {method}. Zip it again with ordinary zip (Deflate).",
    },
    "guards.bom_not_utf8": {
        "zh": "文件 {file} 开头标明是 UTF-8（BOM），但内容不是 UTF-8（多半是 GBK）。",
        "en": "File {file} starts with a UTF-8 marker (BOM), but its text is not UTF-8 (most likely GBK).",
    },
    "guards.bom_not_utf8.fix.cli": {
        "zh": "请在 Excel 或 WPS 中另存为“CSV UTF-8”后重试。",
        "en": "Save it from Excel or WPS as \"CSV UTF-8\" and retry.",
    },
    "guards.bom_not_utf8.fix.web": {
        "zh": "请在 Excel 或 WPS 中另存为“CSV UTF-8”后重新上传。",
        "en": "Save it from Excel or WPS as \"CSV UTF-8\" and upload it again.",
    },
    "guards.cpg_lies": {
        "zh": "Shapefile {file} 的 .cpg 声明编码为 {declared}，但属性表（.dbf）不是该编码（检测为 {detected}）。",
        "en": "The .cpg of Shapefile {file} says {declared}, but its attribute table (.dbf) is not in it (detected: {detected}).",
    },
    "guards.cpg_lies.fix.cli": {
        "zh": "请用 --encoding {detected} 指定正确编码，或改正 .cpg 文件。",
        "en": "Declare the right encoding with --encoding {detected}, or correct the .cpg file.",
    },
    "guards.cpg_lies.fix.web": {
        "zh": "请把 .cpg 文件内容改为 {detected}（或删除 .cpg）后重新压缩上传。",
        "en": "Change the .cpg to say {detected} (or remove it), zip again and upload.",
    },
    "guards.coordinates_not_finite": {
        "zh": "文件 {file} 中 {n} 个要素的坐标是无穷大或非数字（如 {ids}），无法计算。请在 GIS 软件中修正这些要素。",
        "en": "{n} features in {file} have infinite or not-a-number coordinates (e.g. {ids}) and cannot be used. Fix them in your GIS.",
    },
    "guards.coordinates_out_of_range": {
        "zh": "文件 {file} 中 {n} 个要素的坐标超出了 {crs} 的地球范围（如 {ids}：{x}, {y}）。可能是经纬度写反，或坐标系声明不对。",
        "en": "{n} features in {file} have coordinates off the Earth in {crs} (e.g. {ids}: {x}, {y}). Latitude and longitude may be swapped, or the CRS declaration is wrong.",
    },
    "guards.coordinates_out_of_range.fix.cli": {
        "zh": "请检查经度/纬度列，或用 --crs（或 --<图层>-crs）声明正确的坐标系。",
        "en": "Check the lon/lat columns, or declare the right CRS with --crs (or --<layer>-crs).",
    },
    "guards.coordinates_out_of_range.fix.web": {
        "zh": "请检查经度/纬度列，或在“导入数据”页选择正确的坐标系。",
        "en": "Check the lon/lat columns, or choose the right CRS on the Import page.",
    },
    "guards.unreadable_content": {
        "zh": "无法读取文件 {file} 的内容（{detail}）。文件可能已损坏、被截断，或不是其扩展名所示的格式。请用原软件重新导出或另存一份后重试。",
        "en": "Cannot read the content of {file} ({detail}). It may be damaged, truncated, or not the format its name says. Export or save a fresh copy from the program that made it and retry.",
    },
    "guards.file_crs_unreadable": {
        "zh": "文件 {file} 中记录的坐标系（.prj 或 crs）无法识别（{detail}）。",
        "en": "The coordinate system recorded in {file} (.prj or crs) is not understood ({detail}).",
    },
    "guards.file_crs_unreadable.fix.cli": {
        "zh": "请删除该 .prj（或 crs 成员）后，用 --crs 声明坐标系（如 --crs cgcs2000）。",
        "en": "Remove that .prj (or crs member) and declare the system with --crs (e.g. --crs cgcs2000).",
    },
    "guards.file_crs_unreadable.fix.web": {
        "zh": "请删除该 .prj（或 crs 成员）后重新上传，并在“导入数据”页选择坐标系。",
        "en": "Remove that .prj (or crs member), upload again and choose the CRS on the Import page.",
    },
    # --- findings: what reading changed
    "io.sheet_skipped.other_table": {
        "zh": "表格 {file} 的工作表“{feature_id}”也是一张数据表，但每次只导入一个工作表，它未被导入。",
        "en": "Sheet \"{feature_id}\" of {file} also holds a table, but one sheet is imported at a time; it was not imported.",
    },
    "io.sheet_skipped.other_table.fix.cli": {
        "zh": "如需导入它，请用 --<图层>-layer {feature_id} 再导入一次，或把各表合并到一个工作表。",
        "en": "To import it, run the import again with --<layer>-layer {feature_id}, or merge the sheets into one.",
    },
    "io.sheet_skipped.other_table.fix.web": {
        "zh": "如需导入它，请把各表合并到一个工作表后重新上传。",
        "en": "To import it, merge the sheets into one and upload again.",
    },
    "guards.control_chars": {
        "zh": "文件 {file} 的“{detail}”列中 {related_id} 个值含控制字符（如 {feature_id}），已删除这些字符。",
        "en": "{related_id} values in column \"{detail}\" of {file} held control characters (e.g. {feature_id}); they were removed.",
    },
    "guards.control_chars_header": {
        "zh": "文件 {file} 的列名含控制字符，已删除：{detail}。",
        "en": "Column names in {file} held control characters, which were removed: {detail}.",
    },
    "guards.unknown_geometry_type": {
        "zh": "文件 {file} 中 {related_id} 个要素的几何类型无法识别（{detail}，如 {feature_id}），这些要素按“无几何”导入并在检查中列出。",
        "en": "{related_id} features in {file} have an unknown geometry type ({detail}, e.g. {feature_id}); they were imported without geometry and are listed by the check.",
    },
    "guards.restored_from_file": {
        "zh": "文件 {file} 中“{detail}”列按原文读取（长数字编码保持为文字，不经浮点数取整；含 NUL 的文字不被截断）。",
        "en": "Column(s) \"{detail}\" of {file} were read exactly as written (long numeric codes kept as text, never rounded through floats; text with NUL not cut short).",
    },
    "guards.formula_no_value": {
        "zh": "文件 {file} 中 {detail} 个公式单元格没有保存计算结果（如 {feature_id}），按空白读取。请在 Excel/WPS 中打开并保存一次，或把公式复制为数值。",
        "en": "{detail} formula cells in {file} have no stored result (e.g. {feature_id}) and were read as blank. Open and save the file in Excel/WPS once, or paste the formulas as values.",
    },
    "guards.number_lost_zeros": {
        "zh": "文件 {file} 中 {detail} 个单元格是以前导零格式显示的数字（如 {feature_id}，显示 000001 实为 1），读取的是数值本身。编码请设为“文本”格式后重新输入。",
        "en": "{detail} cells in {file} are numbers shown with leading zeros by their format (e.g. {feature_id}: 000001 is stored as 1); the stored number was read. Format code columns as Text and enter them again.",
    },
    "guards.number_too_long": {
        "zh": "文件 {file} 中 {detail} 个单元格是超过 15 位的数字（如 {feature_id}），Excel 已把末几位变成 0。编码和身份证号请设为“文本”格式后重新输入。",
        "en": "{detail} cells in {file} are numbers longer than 15 digits (e.g. {feature_id}); Excel has already turned their last digits into 0. Format codes and ID numbers as Text and enter them again.",
    },
    "guards.gaps_rough": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 内的下级（{detail}）边界既复杂又大量相互重叠（如尖刺），空隙按简化边界（约 64 个顶点）估算。请先修正重叠的边界再检查。",
        "en": "The children ({detail}) of {feature_id} in {file} (layer {layer}) have complex outlines piled on each other (e.g. spikes): gaps were measured on simplified outlines (about 64 vertices). Fix the overlapping outlines and check again.",
    },
    "guards.overlap_limited": {
        "zh": "重叠检查超过 {related_id} 秒（要素边界过于复杂，如大量尖刺）：其余 {detail} 对要素的重叠面积按简化边界（不超过 64 个顶点）估算。请先修正这些边界再检查。",
        "en": "The overlap check ran over {related_id} s (very complex outlines, e.g. spikes): the remaining {detail} pairs were measured on simplified outlines (at most 64 vertices). Fix those outlines and check again.",
    },
    "guards.overlap_unmeasured": {
        "zh": "重叠检查在 {related_id} 秒后停止：还有 {detail} 对相交的要素未计算重叠面积（边界过于复杂）。请先修正或简化这些边界再检查。",
        "en": "The overlap check stopped after {related_id} s: {detail} intersecting pairs were not measured (outlines too complex). Fix or simplify those outlines and check again.",
    },
}
