"""Messages for the core: errors shared by every module, the project file, CRS."""
from __future__ import annotations

MESSAGES = {
    "input_error": {
        "zh": "输入数据有误：{detail}。请检查文件后重试。",
        "en": "The input is not usable: {detail}. Check the file and try again.",
    },
    "input_warning": {
        "zh": "请注意：{detail}。",
        "en": "Please note: {detail}.",
    },
    "missing_crs": {
        "zh": "图层 {file} 没有坐标参考系（CRS）。",
        "en": "Layer {file} has no coordinate reference system (CRS).",
    },
    "missing_crs.fix.cli": {
        "zh": "请用 --crs 声明数据所用的坐标系（GPS 数据通常为 wgs84，高德/腾讯为 gcj02，百度为 bd09）后重新导入。",
        "en": "Declare the system it was drawn in with --crs (GPS data is usually wgs84, Amap/Tencent gcj02, Baidu bd09) and import again.",
    },
    "missing_crs.fix.web": {
        "zh": "请在“导入数据”页第 2 步为该文件选择数据所用的坐标系（GPS 数据通常为 WGS84，高德/腾讯为 GCJ-02，百度为 BD-09）后重新检查。",
        "en": "On the Import page, step 2, choose the system the file was drawn in (GPS data is usually WGS84, Amap/Tencent GCJ-02, Baidu BD-09) and check again.",
    },
    "crs_mismatch": {
        "zh": "图层 {file} 的坐标系 {crs_a} 与声明的 {crs_b} 不一致。请确认哪一个正确，并只声明那一个。",
        "en": "Layer {file} is in {crs_a} but {crs_b} was declared. Check which is right and declare only that one.",
    },
    "unknown_crs": {
        "zh": "无法识别坐标系“{crs}”。可用：wgs84、cgcs2000、gcj02、bd09、EPSG 代码（如 EPSG:4544）。",
        "en": "Unknown coordinate system \"{crs}\". Use wgs84, cgcs2000, gcj02, bd09 or an EPSG code (e.g. EPSG:4544).",
    },
    "geographic_crs_for_metric": {
        "zh": "{what} 需要投影坐标系（单位为米），但收到的是经纬度坐标系 {crs}。请先转换到投影坐标系（如 EPSG:32648）。",
        "en": "{what} needs a projected CRS in metres but got the geographic CRS {crs}. Reproject first (e.g. to EPSG:32648).",
    },
    "invalid_geometry": {
        "zh": "文件 {file} 中的要素 {ids} 几何无效（{reason}）。请在 GIS 软件中修复，或使用“修复几何”选项后重新导入。",
        "en": "Features {ids} in {file} have invalid geometry ({reason}). Fix them in a GIS, or import again with the repair option.",
    },
    "empty_layer": {
        "zh": "文件 {file} 中没有任何要素。请确认选择了正确的文件或图层。",
        "en": "File {file} has no features. Check that you picked the right file or layer.",
    },
    "unsupported_geometry": {
        "zh": "文件 {file} 含有不支持的几何类型 {geom_type}（要素 {ids}）；此图层需要 {expected}。",
        "en": "File {file} has unsupported geometry type {geom_type} (features {ids}); this layer needs {expected}.",
    },
    "unsupported_format": {
        "zh": "无法读取文件 {file}：{detail}。支持的格式：GeoJSON、GeoPackage、压缩的 Shapefile（.zip）、KML、CSV、XLSX。",
        "en": "Cannot read {file}: {detail}. Supported formats: GeoJSON, GeoPackage, zipped Shapefile (.zip), KML, CSV, XLSX.",
    },
    "project_file": {
        "zh": "项目文件 {file} 无法使用：{detail}。请选择由网格图谱创建的 .gpkg 项目文件，或重新导入。",
        "en": "Project file {file} is not usable: {detail}. Choose a .gpkg project made by GridAtlas, or import again.",
    },
    "save_conflict": {
        "zh": "项目文件 {file} 在您打开之后已被他人保存（版本 {disk_revision}，您的版本 {our_revision}）。请重新加载后再保存，或选择合并。",
        "en": "Project file {file} was saved by someone else after you opened it (revision {disk_revision}, yours {our_revision}). Reload before saving, or choose merge.",
    },
    "save_conflict.units": {
        "zh": "未保存：您打开项目 {file} 之后，其他人修改并保存了同一单元（{units}），项目已到版本 {disk_revision}（您打开时为版本 {our_revision}）。请重新加载项目，查看对方的修改，再重做您对这些单元的修改后保存；其他单元的修改不受影响。",
        "en": "Not saved: after you opened {file}, someone else changed and saved the same unit(s) ({units}); the project is now at revision {disk_revision} (you opened revision {our_revision}). Reload the project, look at their changes, then redo your edit of these units and save; edits of other units are not affected.",
    },
    "store.no_layer": {
        "zh": "项目 {file} 中没有图层或表 {layer}。请检查图层名称，或先导入该图层。",
        "en": "Project {file} has no layer or table {layer}. Check the layer name, or import the layer first.",
    },
    "store.out_of_scope": {
        "zh": "未保存：项目 {file} 只打开了部分范围，但表 {table} 中有属于范围外单元（{units}）的新行。请打开包含这些单元的镇街或整个项目后再修改。",
        "en": "Not saved: only part of {file} is open, but table {table} has new rows of units outside it ({units}). Open the town or the whole project that holds these units, then make the edit.",
    },
    "export_error": {
        "zh": "导出失败：{detail}。未写入任何文件。",
        "en": "Export failed: {detail}. No file was written.",
    },
    "illustrative": {"zh": "示意", "en": "illustrative"},
    "illustrative_note": {
        "zh": "示意数据：镇街以下边界及人员均为生成数据，仅供演示。",
        "en": "Illustrative data: boundaries below the county and all people are generated for demonstration.",
    },
    # layer names (the GeoPackage layer names stay English identifiers)
    "layer.towns": {"zh": "镇街边界", "en": "Town boundaries"},
    "layer.communities": {"zh": "社区/村边界", "en": "Community boundaries"},
    "layer.grids": {"zh": "网格边界", "en": "Grid boundaries"},
    "layer.volunteers": {"zh": "志愿者", "en": "Volunteers"},
    "layer.service_points": {"zh": "服务点", "en": "Service points"},
    "layer.households": {"zh": "楼栋/住户点", "en": "Buildings / households"},
    "file_not_found": {
        "zh": "找不到文件 {file}。请检查路径和文件名后重试。",
        "en": "File {file} does not exist. Check the path and the file name and try again.",
    },
    "project_file.not_gpkg": {
        "zh": "文件 {file} 不是 GeoPackage（.gpkg）文件，不能作为项目打开。请选择由网格图谱创建的 .gpkg 项目文件。",
        "en": "File {file} is not a GeoPackage (.gpkg), so it cannot be opened as a project. Choose a .gpkg project made by GridAtlas.",
    },
    "project_file.no_meta": {
        "zh": "文件 {file} 是 GeoPackage，但不是网格图谱项目（缺少项目元数据）。请选择由网格图谱创建的项目文件，或把其中的图层导入为新项目。",
        "en": "File {file} is a GeoPackage but not a GridAtlas project (it has no project metadata). Choose a project made by GridAtlas, or import its layers as a new project.",
    },
}
