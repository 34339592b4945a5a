"""Messages for the hierarchy/topology check (geo.validate) and the ``check`` command.

Finding templates get: layer, file, feature_id, related_id, detail, area_m2.
"""
from __future__ import annotations

MESSAGES = {
    # --- findings ----------------------------------------------------------------------
    "check.null_geometry": {
        "zh": "{file}（图层 {layer}）中要素 {feature_id} 没有几何。请补画边界/位置，或删除该行后重新导入。",
        "en": "Feature {feature_id} in {file} (layer {layer}) has no geometry. Draw its boundary/location, or delete the row and import again.",
    },
    "check.empty_geometry": {
        "zh": "{file}（图层 {layer}）中要素 {feature_id} 的几何为空。请补画后重新导入。",
        "en": "Feature {feature_id} in {file} (layer {layer}) has an empty geometry. Draw it and import again.",
    },
    "check.unsupported_type": {
        "zh": "{file}（图层 {layer}）中要素 {feature_id} 的几何类型 {detail} 不适用于此图层。请改为面（边界）或点（位置）。",
        "en": "Feature {feature_id} in {file} (layer {layer}) has geometry type {detail}, which this layer cannot use. Use polygons (boundaries) or points (locations).",
    },
    "check.invalid_geometry": {
        "zh": "{file}（图层 {layer}）中要素 {feature_id} 几何无效：{detail}。",
        "en": "Feature {feature_id} in {file} (layer {layer}) is invalid: {detail}.",
    },
    "check.invalid_geometry.fix.cli": {
        "zh": "请在 GIS 软件中修复，或用 --repair 重新导入。",
        "en": "Fix it in a GIS, or import again with --repair.",
    },
    "check.invalid_geometry.fix.web": {
        "zh": "请在 GIS 软件中修复后重新上传。",
        "en": "Fix it in a GIS and upload the file again.",
    },
    "check.has_z": {
        "zh": "{file}（图层 {layer}）中要素 {feature_id} 含三维坐标。重新导入时会自动去掉高程。",
        "en": "Feature {feature_id} in {file} (layer {layer}) has 3-D coordinates. Importing again drops the heights.",
    },
    "check.no_id_column": {
        "zh": "{file}（图层 {layer}）没有编号列 {detail}。",
        "en": "{file} (layer {layer}) has no ID column {detail}.",
    },
    "check.no_id_column.fix.cli": {
        "zh": "请添加唯一编号列，或用 --map 指定。",
        "en": "Add a column of unique IDs, or map one with --map.",
    },
    "check.no_id_column.fix.web": {
        "zh": "请添加唯一编号列，或在“导入数据”页第 3 步指定对应列。",
        "en": "Add a column of unique IDs, or map one on the Import page, step 3.",
    },
    "check.missing_id": {
        "zh": "{file}（图层 {layer}）第 {feature_id} 个要素没有编号。请补上唯一编号。",
        "en": "Feature {feature_id} in {file} (layer {layer}) has no ID. Give it a unique ID.",
    },
    "check.duplicate_id": {
        "zh": "{file}（图层 {layer}）中编号 {feature_id} 重复出现（要素 {detail}）。请让每个编号唯一。",
        "en": "ID {feature_id} appears more than once in {file} (layer {layer}; features {detail}). Make every ID unique.",
    },
    "check.unknown_level": {
        "zh": "{file} 中网格 {feature_id} 的层级“{detail}”无法识别。请填写 微网格、一般网格、专属网格 或 社区总网格。",
        "en": "Grid {feature_id} in {file} has an unknown level \"{detail}\". Use micro, general, dedicated or master.",
    },
    "check.unknown_parent": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 的上级编码 {related_id} 在 {detail} 中不存在。请改正编码，或导入缺少的上级。",
        "en": "{feature_id} in {file} (layer {layer}) names parent {related_id}, which is not in {detail}. Correct the code or import the missing parent.",
    },
    "check.parent_conflict": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 的编码指向上级 {related_id}，但其范围主要位于 {detail} 内。请核对编码或边界，改正其中一个。",
        "en": "{feature_id} in {file} (layer {layer}) is coded to parent {related_id} but lies mostly inside {detail}. Check the code and the boundary, and correct one of them.",
    },
    "check.no_parent": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 不在任何 {detail} 内（面积 {area_m2} 平方米）。请检查其位置和坐标系，或填写上级编码。",
        "en": "{feature_id} in {file} (layer {layer}) lies in no {detail} ({area_m2} m²). Check its location and CRS, or fill in its parent code.",
    },
    "check.sticks_out": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 有 {area_m2} 平方米超出其上级 {related_id}。请沿上级边界修剪，或改正上级编码。",
        "en": "{feature_id} in {file} (layer {layer}) sticks out of its parent {related_id} by {area_m2} m². Clip it to the parent's boundary or correct its parent code.",
    },
    "check.overlap": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 与 {related_id} 重叠 {area_m2} 平方米。请调整边界，使同级单元互不重叠。",
        "en": "{feature_id} and {related_id} in {file} (layer {layer}) overlap by {area_m2} m². Adjust the boundaries so siblings do not overlap.",
    },
    "check.sliver": {
        "zh": "{layer} 中 {feature_id} 边界处有细缝或细叠（{area_m2} 平方米，平均宽度不足 0.5 米），多为坐标转换或取整所致，已忽略",
        "en": "a hairline sliver ({area_m2} m², under 0.5 m wide on average) along the boundary of {feature_id} in {layer}, "
              "from coordinate conversion or rounding; ignored",
    },
    "check.gap": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 内有 {area_m2} 平方米未被任何下级（{detail}）覆盖。请扩展相邻下级单元或新增一个覆盖该缝隙。",
        "en": "{area_m2} m² of {feature_id} in {file} (layer {layer}) is covered by none of its children ({detail}). Extend a neighbouring child or add one to cover the gap.",
    },
    "check.no_children": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 没有任何下级（{detail}）。请为其划分下级单元，或确认暂不划分。",
        "en": "{feature_id} in {file} (layer {layer}) has no children ({detail}). Divide it, or confirm it is left undivided for now.",
    },
    "check.point_outside": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 不在任何网格（{related_id}）内，距最近的 {detail} 米。请核对位置，或手工指定其网格。",
        "en": "{feature_id} in {file} (layer {layer}) is outside every {related_id} unit, {detail} m from the nearest. Check its location, or assign its grid by hand.",
    },
    "check.point_far_outside": {
        "zh": "{file}（图层 {layer}）中 {feature_id} 距最近的 {related_id} 单元 {detail} 米，远在边界之外。请检查坐标系声明、经纬度是否对调。",
        "en": "{feature_id} in {file} (layer {layer}) is {detail} m from the nearest {related_id} unit, far outside the boundaries. Check the declared CRS and whether lon/lat are swapped.",
    },
    # --- report chrome -------------------------------------------------------------------
    "check.severity.error": {"zh": "错误", "en": "error"},
    "check.severity.warning": {"zh": "警告", "en": "warning"},
    "check.severity.info": {"zh": "提示", "en": "note"},
    "check.col.severity": {"zh": "级别", "en": "severity"},
    "check.col.code": {"zh": "代码", "en": "code"},
    "check.col.message": {"zh": "说明", "en": "message"},
    "check.col.layer": {"zh": "图层", "en": "layer"},
    "check.col.file": {"zh": "文件", "en": "file"},
    "check.col.feature_id": {"zh": "要素编号", "en": "feature_id"},
    "check.col.related_id": {"zh": "相关编号", "en": "related_id"},
    "check.col.detail": {"zh": "详情", "en": "detail"},
    "check.col.area_m2": {"zh": "面积（平方米）", "en": "area_m2"},
    "check.col.lon": {"zh": "经度", "en": "lon"},
    "check.col.lat": {"zh": "纬度", "en": "lat"},
    # --- the check command ----------------------------------------------------------------
    "check.help": {
        "zh": "检查项目文件的层级与拓扑（上级归属、越界、缝隙、重叠、无效几何、重复编号、网格外的点）。",
        "en": "Check a project file's hierarchy and topology (parents, overhangs, gaps, overlaps, invalid geometry, duplicate IDs, points outside grids).",
    },
    "check.arg.project": {"zh": "项目文件（.gpkg）", "en": "project file (.gpkg)"},
    "check.arg.report": {
        "zh": "把检查结果写入 CSV 文件（UTF-8 带 BOM，Excel 可直接打开）",
        "en": "write the report to a CSV file (UTF-8 with BOM, opens in Excel)",
    },
    "check.arg.spots": {
        "zh": "把问题位置写入 GIS 文件（.gpkg 或 .geojson），可在 QGIS 中查看",
        "en": "write the problem spots to a GIS file (.gpkg or .geojson) to view in QGIS",
    },
    "check.arg.limit": {
        "zh": "最多打印多少条（默认 {default}；完整结果见 --report）",
        "en": "print at most this many findings (default {default}; see --report for all)",
    },
    "check.summary": {
        "zh": "检查结果：{errors} 个错误，{warnings} 个警告，{infos} 条提示。",
        "en": "Check result: {errors} errors, {warnings} warnings, {infos} notes.",
    },
    "check.clean": {"zh": "未发现问题。", "en": "No problems found."},
    "check.more": {
        "zh": "……另有 {n} 条未显示，完整结果请用 --report 导出。",
        "en": "... {n} more not shown; export them all with --report.",
    },
    "check.report_written": {"zh": "检查报告已写入 {file}", "en": "Report written to {file}"},
    "check.spots_written": {"zh": "问题位置图层已写入 {file}", "en": "Problem spots written to {file}"},
}
