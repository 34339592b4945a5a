"""Messages for reading files (geo.io, geo.tables, geo.sanity) and the ``import`` command."""
from __future__ import annotations

MESSAGES = {
    # --- errors raised while reading -------------------------------------------------
    "io.not_json": {
        "zh": "文件 {file} 不是有效的 JSON（第 {line} 行附近：{detail}）。请用 GIS 软件重新导出为 GeoJSON。",
        "en": "File {file} is not valid JSON (near line {line}: {detail}). Export it again as GeoJSON from your GIS.",
    },
    "io.not_geojson": {
        "zh": "文件 {file} 是 JSON 但不是 GeoJSON（缺少 FeatureCollection）。请导出为 GeoJSON 要素集合。",
        "en": "File {file} is JSON but not GeoJSON (no FeatureCollection). Export a GeoJSON feature collection.",
    },
    "io.choose_layer": {
        "zh": "文件 {file} 含多个图层：{layers}。",
        "en": "File {file} holds several layers: {layers}.",
    },
    "io.choose_layer.fix.cli": {
        "zh": "请用 --<图层>-layer 指定要导入的一个。",
        "en": "Choose one with --<layer>-layer.",
    },
    "io.zip_unsafe_path": {
        "zh": "压缩包 {file} 含不安全的路径（{members}），已拒绝。请只压缩 Shapefile 的各个文件后重试。",
        "en": "Zip {file} contains unsafe paths ({members}) and was refused. Zip only the Shapefile's files and try again.",
    },
    "io.zip_bomb": {
        "zh": "压缩包 {file} 解压后过大（{members_n} 个文件，{size_mb} MB，压缩比 {ratio}；上限 {max_mb} MB、压缩比 {max_ratio}），已拒绝。请确认文件正确，或直接提供 GeoPackage。",
        "en": "Zip {file} is absurdly large when unpacked ({members_n} members, {size_mb} MB, ratio {ratio}; limits {max_mb} MB, ratio {max_ratio}) and was refused. Check the file, or supply a GeoPackage instead.",
    },
    "io.bad_encoding": {
        "zh": "无法按 {encoding} 读取文件 {file} 的文字。",
        "en": "Cannot read the text of {file} as {encoding}.",
    },
    "io.bad_encoding.fix.cli": {
        "zh": "请另存为 UTF-8，或用 --encoding 声明正确的编码（如 gb18030）。",
        "en": "Save it as UTF-8, or declare the right encoding with --encoding (e.g. gb18030).",
    },
    "io.bad_map": {
        "zh": "列名映射“{item}”格式不对，应为 原列名=字段名（如 联系人=name）。",
        "en": "Column mapping \"{item}\" is malformed; use original=column (e.g. 联系人=name).",
    },
    "io.duplicate_column": {
        "zh": "文件 {file} 中“{first}”和“{second}”两列都像是 {column}。",
        "en": "In {file} both \"{first}\" and \"{second}\" look like {column}.",
    },
    "io.duplicate_column.fix.cli": {
        "zh": "请用 --map 指定用哪一列（如 --map {first}={column}）。",
        "en": "Say which one to use with --map (e.g. --map {first}={column}).",
    },
    "io.missing_column": {
        "zh": "文件 {file} 缺少图层 {layer} 所需的列 {column}（现有列：{found}）。",
        "en": "File {file} has no column for {column}, which layer {layer} needs (columns: {found}).",
    },
    "io.missing_column.fix.cli": {
        "zh": "请添加该列，或用 --map 原列名={column} 指定。",
        "en": "Add it, or map one with --map original={column}.",
    },
    "io.missing_coordinates": {
        "zh": "表格 {file} 没有坐标列 {column}（现有列：{found}）。",
        "en": "Table {file} has no coordinate column {column} (columns: {found}).",
    },
    "io.missing_coordinates.fix.cli": {
        "zh": "请提供 经度/纬度 列，或用 --map 原列名={column} 指定；如果这是没有坐标、按所属网格填写的人员花名册，请改用 --roster 导入。",
        "en": "Provide lon/lat columns or map one with --map original={column}; if it is a roster without coordinates that names each person's grid, import it with --roster instead.",
    },
    "io.text_in_number": {
        "zh": "文件 {file} 的 {column} 列应为数字，但第 {row} 行是“{value}”（共有问题的行：{rows}）。请改为纯数字（如 50）后重新导入。",
        "en": "Column {column} of {file} must be a number, but row {row} holds \"{value}\" (rows with this problem: {rows}). Enter plain numbers (e.g. 50) and import again.",
    },
    "io.bad_boolean": {
        "zh": "文件 {file} 的 {column} 列应为 是/否，但第 {row} 行是“{value}”（问题行：{rows}）。请改为 是 或 否。",
        "en": "Column {column} of {file} must be yes/no, but row {row} holds \"{value}\" (rows: {rows}). Use 是/否 or yes/no.",
    },
    "io.unbuildable_geometry": {
        "zh": "文件 {file} 中的要素 {ids} 几何无法构建（{reason}，常见原因是面的环未闭合）。",
        "en": "Features {ids} in {file} cannot be built ({reason}; usually a ring that is not closed).",
    },
    "io.unbuildable_geometry.fix.cli": {
        "zh": "请在 GIS 软件中修复，或加 --repair 自动闭合后重新导入。",
        "en": "Fix them in a GIS, or import again with --repair to close them.",
    },
    # --- notes recorded while reading (findings) -----------------------------------------
    "io.encoding_detected": {
        "zh": "文件 {file} 未声明编码，按 {detail} 读取。",
        "en": "File {file} declares no encoding; it was read as {detail}.",
    },
    "io.encoding_detected.fix.cli": {
        "zh": "如果中文显示为乱码，请用 --encoding 声明正确编码。",
        "en": "If Chinese text looks garbled, declare the right one with --encoding.",
    },
    "io.unrecognised_columns": {
        "zh": "文件 {file} 中未识别的列已原样保留：{detail}。",
        "en": "Unrecognised columns in {file} were kept as they are: {detail}.",
    },
    "io.unrecognised_columns.fix.cli": {
        "zh": "如其中有应导入的字段，请用 --map 原列名=字段名 指定。",
        "en": "If one of them is a known field, map it with --map original=column.",
    },
    "io.forced_2d": {
        "zh": "文件 {file} 中 {detail} 个要素含三维坐标（如 {feature_id}），已去掉高程只保留平面坐标。",
        "en": "{detail} features in {file} had 3-D coordinates (e.g. {feature_id}); the heights were dropped.",
    },
    "io.repaired": {
        "zh": "文件 {file} 中 {detail} 个无效几何已按要求修复（{feature_id}），并在 repaired 列中标记。请核对修复结果。",
        "en": "{detail} invalid geometries in {file} were repaired as asked ({feature_id}) and flagged in column repaired. Review them.",
    },
    "io.crs_declared_over_label": {
        "zh": "文件 {file} 标注 WGS 84，按声明的 {detail} 读取（与按标注读取相比，位置平均移动约 {related_id} 米）。高德/百度导出的文件常被 GIS 软件标为 WGS 84。",
        "en": "File {file} is labelled WGS 84; it was read as the declared {detail} (positions move by about {related_id} m compared with the label). GIS tools label Amap/Baidu exports WGS 84.",
    },
    "io.crs_declared_over_label.fix.cli": {
        "zh": "如果数据确实是 WGS 84，请去掉该文件的坐标系声明后重新导入。",
        "en": "If the data really is WGS 84, drop this file's CRS declaration and import again.",
    },
    "io.crs_declared_over_label.fix.web": {
        "zh": "如果数据确实是 WGS 84，请在第 2 步把坐标系改为“按文件自带”。",
        "en": "If the data really is WGS 84, set its coordinate system to \"from the file\" in step 2.",
    },
    "io.ids_generated": {
        "zh": "文件 {file} 没有编号列（{detail}），已按行号生成编号 {related_id}。",
        "en": "File {file} has no ID column ({detail}); IDs {related_id} were generated from the row order.",
    },
    "io.ids_generated.fix.cli": {
        "zh": "如果文件中有编号列，请用 --map 原列名={detail} 指定。",
        "en": "If the file has an ID column, map it with --map original={detail}.",
    },
    "io.ids_generated.fix.web": {
        "zh": "如果文件中有编号列，请在“导入数据”页第 3 步把它对应为 {detail}。",
        "en": "If the file has an ID column, map it to {detail} on the Import page, step 3.",
    },
    "io.levels_from_codes": {
        "zh": "文件 {file} 没有网格层级列，已按网格编码位数判断层级（16 位为微网格，14 位为一般网格）：{detail}。",
        "en": "File {file} has no grid level column; levels were taken from the code length (16 digits micro-grid, 14 digits general grid): {detail}.",
    },
    "io.sheet_read": {
        "zh": "表格 {file} 读取了工作表“{feature_id}”：表头在第 {detail} 行，数据从第 {related_id} 行开始。",
        "en": "Table {file}: sheet \"{feature_id}\" was read, header on row(s) {detail}, data from row {related_id}.",
    },
    "io.total_rows_skipped": {
        "zh": "表格 {file} 中第 {feature_id} 行是合计/小计行，不是记录，已跳过（{detail} 行）。",
        "en": "Row(s) {feature_id} of {file} are total/subtotal rows, not records, and were skipped ({detail}).",
    },
    "io.sheet_skipped.notes": {
        "zh": "表格 {file} 的工作表“{feature_id}”是填表说明，不是数据，未导入。",
        "en": "Sheet \"{feature_id}\" of {file} holds notes, not data, and was not imported.",
    },
    "io.sheet_skipped.empty": {
        "zh": "表格 {file} 的工作表“{feature_id}”是空的，未导入。",
        "en": "Sheet \"{feature_id}\" of {file} is empty and was not imported.",
    },
    "io.sheet_skipped.no_header": {
        "zh": "表格 {file} 的工作表“{feature_id}”找不到表头行（至少两列有列名的一行），未导入。如需导入，请在该表第一行填写列名。",
        "en": "No header row (a row naming at least two columns) was found in sheet \"{feature_id}\" of {file}; it was not imported. Put column names in its first row to import it.",
    },
    "sheets.no_table": {
        "zh": "表格 {file} 中没有可读取的数据表（跳过的工作表：{skipped}）。请确认数据在一个有列名的工作表中。",
        "en": "Table {file} holds no readable data sheet (skipped: {skipped}). Put the data in a sheet with a header row.",
    },
    "sheets.unknown_sheet": {
        "zh": "表格 {file} 中没有名为“{sheet}”的数据表。可选的工作表：{sheets}。",
        "en": "Table {file} has no data sheet named \"{sheet}\". Sheets to choose from: {sheets}.",
    },
    "io.phone_not_mobile": {
        "zh": "文件 {file} 第 {feature_id} 行的联系电话不是 11 位手机号（共 {detail} 行）。请核对号码。",
        "en": "The phone on row(s) {feature_id} of {file} is not an 11-digit mobile number ({detail} rows). Check the numbers.",
    },
    "idcard.problem.checksum": {
        "zh": "文件 {file} 第 {feature_id} 行的身份证号（{detail}）校验码不对（GB 11643-1999），可能录错了一位。请核对原件后改正，该行其余信息照常导入。",
        "en": "The ID number on row {feature_id} of {file} ({detail}) fails the GB 11643-1999 check digit: a digit was probably mistyped. Check it against the card; the rest of the row was imported.",
    },
    "idcard.problem.birth_date": {
        "zh": "文件 {file} 第 {feature_id} 行的身份证号（{detail}）中的出生日期不存在。请核对原件后改正。",
        "en": "The ID number on row {feature_id} of {file} ({detail}) holds a birth date that does not exist. Check it against the card.",
    },
    "idcard.problem.length": {
        "zh": "文件 {file} 第 {feature_id} 行的身份证号（{detail}）不是 18 位。如果该列被存成了数字，末尾几位已丢失：请把该列设为文本后重新录入。",
        "en": "The ID number on row {feature_id} of {file} ({detail}) is not 18 characters long. If the column was stored as numbers its last digits are lost: make the column text and enter them again.",
    },
    "idcard.problem.chars": {
        "zh": "文件 {file} 第 {feature_id} 行的身份证号（{detail}）含有数字和末位 X 以外的字符。请核对后改正。",
        "en": "The ID number on row {feature_id} of {file} ({detail}) holds characters other than digits and a final X. Check and correct it.",
    },
    "idcard.kept_in_clear": {
        "zh": "按您的选择，文件 {file} 的身份证号（{detail} 列）以明文保存在项目文件中。项目文件请按个人信息保管。",
        "en": "As you chose, the ID numbers of {file} (column {detail}) are kept in clear in the project file. Keep the project file as personal data.",
    },
    # --- names resolved to codes (geo.unitnames, geo.roster_import) ---------------------------
    "names.communities_resolved": {
        "zh": "文件 {file} 的所属社区写的是名称，已按社区图层对应为社区代码（{detail} 个要素）。",
        "en": "File {file} names its communities; {detail} features were given the community code of that name.",
    },
    "names.general_grids_from_codes": {
        "zh": "网格文件只有微网格；已按网格编码前 14 位补出 {detail} 个一般网格（边界为其微网格的合并，户数为其合计），在 derived 列标为 codes。",
        "en": "The grid file holds only micro-grids; {detail} general grids were added from the first 14 digits of their codes (area: the union of their micro-grids, households: their sum), flagged codes in column derived.",
    },
    "names.community_unmatched": {
        "zh": "文件 {file} 中 {feature_id} 的所属社区“{detail}”在社区图层中找不到。请核对名称（或改填社区代码）后重新导入。",
        "en": "In {file}, {feature_id} names community \"{detail}\", which is not in the communities layer. Check the name (or enter the community code) and import again.",
    },
    "names.community_ambiguous": {
        "zh": "文件 {file} 中 {feature_id} 的所属社区“{detail}”对应多个社区（{related_id}），未自动选择。请改填社区代码。",
        "en": "In {file}, {feature_id} names community \"{detail}\", which several communities share ({related_id}); none was chosen. Enter the community code instead.",
    },
    "names.community_by_name_not_by_place": {
        "zh": "文件 {file} 中 {feature_id} 按名称属于社区 {related_id}，但位置不在该社区内。请核对所属社区或边界。",
        "en": "In {file}, {feature_id} belongs to community {related_id} by name but does not lie inside it. Check the community named or the boundaries.",
    },
    "names.code_prefix_mismatch": {
        "zh": "文件 {file} 中网格编码 {feature_id} 不以其所属社区代码 {related_id} 开头。请核对网格编码或所属社区。",
        "en": "In {file}, grid code {feature_id} does not start with the code of its community {related_id}. Check the code or the community named.",
    },
    "roster.grid_unmatched": {
        "zh": "名单 {file} 第 {feature_id} 行的所属网格“{detail}”找不到对应网格，此人已导入但未分配网格。请核对网格名称（或填写网格编码）。",
        "en": "Row {feature_id} of roster {file} names grid \"{detail}\", which matches no grid; the person was imported without a grid. Check the grid name (or enter its code).",
    },
    "roster.grid_ambiguous": {
        "zh": "名单 {file} 第 {feature_id} 行的所属网格“{detail}”对应多个网格（{related_id}），未自动选择。请填写所属社区或网格编码。",
        "en": "Row {feature_id} of roster {file} names grid \"{detail}\", which matches several grids ({related_id}); none was chosen. Fill in the community or the grid code.",
    },
    "roster.community_unmatched": {
        "zh": "名单 {file} 第 {feature_id} 行的所属社区找不到（{detail}），此人已导入但未分配网格。请核对社区名称。",
        "en": "Row {feature_id} of roster {file} names a community that does not exist ({detail}); the person was imported without a grid. Check the community name.",
    },
    "roster.community_ambiguous": {
        "zh": "名单 {file} 第 {feature_id} 行的所属社区对应多个社区（{related_id}），未自动选择。请填写社区代码。",
        "en": "Row {feature_id} of roster {file} names a community that several share ({related_id}); none was chosen. Enter the community code.",
    },
    "organisations.grid_unmatched": {
        "zh": "组织表 {file} 第 {feature_id} 行的服务网格“{detail}”在所属社区中找不到。请核对网格名称（多个名称用“、”分隔）。",
        "en": "Row {feature_id} of organisations sheet {file} serves grid(s) \"{detail}\", not found in its community. Check the names (separate several with 、).",
    },
    "roster.post_unknown": {
        "zh": "名单 {file} 第 {feature_id} 行的职务无法识别（{detail} 行），按一般成员导入。可识别的职务：网格长、专职网格员、兼职网格员、楼栋长、党员志愿者、下沉干部（市级/镇街级/社区级）。",
        "en": "The post on row(s) {feature_id} of roster {file} is not recognised ({detail} rows); imported as members. Known posts: 网格长, 专职网格员, 兼职网格员, 楼栋长, 党员志愿者, 下沉干部 (市级/镇街级/社区级).",
    },
    "roster.person_twice": {
        "zh": "名单 {file} 第 {feature_id} 行是同一个人（身份证号相同，共 {detail} 行）。请删除重复行，或把他在多个网格的职务合并为一行。",
        "en": "Rows {feature_id} of roster {file} are the same person (same ID number; {detail} rows). Delete the duplicates, or keep one row per person.",
    },
    # --- coordinate sanity (geo.sanity) --------------------------------------------------
    "sanity.swapped_latlon": {
        "zh": "文件 {file} 中 {detail} 个要素的经纬度似乎写反了（如 {feature_id}）：经度列的值像纬度。请检查 经度/纬度 列是否对调。",
        "en": "{detail} features in {file} look like latitude and longitude are swapped (e.g. {feature_id}). Check whether the lon/lat columns are exchanged.",
    },
    "sanity.projected_numbers": {
        "zh": "文件 {file} 声明为经纬度坐标（{detail}），但要素 {feature_id} 的坐标数值像是米制投影坐标。请声明正确的投影坐标系（如 EPSG:4544）。",
        "en": "File {file} was declared geographic ({detail}) but features {feature_id} have coordinates that look like projected metres. Declare the right projected CRS (e.g. EPSG:4544).",
    },
    "sanity.outside_china": {
        "zh": "文件 {file} 中 {detail} 个要素位于中国范围以外（如 {feature_id}）。请检查坐标系声明和经纬度是否对调。",
        "en": "{detail} features in {file} lie outside China (e.g. {feature_id}). Check the declared CRS and whether lon/lat are swapped.",
    },
    "sanity.far_from_area": {
        "zh": "文件 {file} 中 {detail} 个要素位于项目范围 {related_id} 公里以外（如 {feature_id}）。请核对这些点的坐标。",
        "en": "{detail} features in {file} lie more than {related_id} km outside the project area (e.g. {feature_id}). Check their coordinates.",
    },
    "io.mostly_swapped": {
        "zh": "文件 {file} 的 {total} 个要素中有 {n} 个经纬度写反了（如 {ids}），未导入。",
        "en": "In {file}, {n} of {total} features have longitude and latitude swapped (e.g. {ids}); nothing was imported.",
    },
    "io.mostly_swapped.fix.cli": {
        "zh": "请用 --map 把经度、纬度两列对调（如 --map 纬度=lon --map 经度=lat）后重新导入。",
        "en": "Swap the columns with --map (e.g. --map 纬度=lon --map 经度=lat) and import again.",
    },
    "io.mostly_swapped.fix.web": {
        "zh": "请在“导入数据”页第 3 步把“经度”和“纬度”两列对调，然后重新检查。",
        "en": "Swap the longitude and latitude columns on the Import page, step 3, and check again.",
    },
    "io.mostly_far": {
        "zh": "文件 {file} 的 {total} 个要素中有 {n} 个位于项目范围 {far_km} 公里以外（如 {ids}），未导入。按 {crs} 读取可能不对：请核对为该文件选择的坐标系，或经纬度两列是否对应正确。",
        "en": "In {file}, {n} of {total} features lie more than {far_km} km outside the project area (e.g. {ids}); nothing was imported. Reading it as {crs} is probably wrong: check the coordinate system chosen for this file, or whether the longitude/latitude columns are matched right.",
    },
    # --- the import command ----------------------------------------------------------
    "import.help": {
        "zh": "从镇街、社区、网格边界文件和志愿者、服务点表格建立项目文件（.gpkg），并检查层级与拓扑。",
        "en": "Build a project file (.gpkg) from town, community and grid boundaries and volunteer and service-point tables, and check hierarchy and topology.",
    },
    "import.arg.file": {
        "zh": "{layer} 图层的文件（GeoJSON、GeoPackage、zip 压缩的 Shapefile、KML、CSV、XLSX）",
        "en": "file for the {layer} layer (GeoJSON, GeoPackage, zipped Shapefile, KML, CSV, XLSX)",
    },
    "import.arg.layer_crs": {
        "zh": "{layer} 文件的坐标系（覆盖 --crs）",
        "en": "coordinate system of the {layer} file (overrides --crs)",
    },
    "import.arg.source_layer": {
        "zh": "{layer} 文件中要读取的图层/工作表/Shapefile 名",
        "en": "layer, sheet or Shapefile name to read inside the {layer} file",
    },
    "import.arg.crs": {
        "zh": "所有文件默认的坐标系：wgs84、cgcs2000、gcj02（高德/腾讯）、bd09（百度）或 EPSG 代码；文件自带坐标系时可不填",
        "en": "default coordinate system of every file: wgs84, cgcs2000, gcj02 (Amap/Tencent), bd09 (Baidu) or an EPSG code; not needed when a file states its own",
    },
    "import.arg.map": {
        "zh": "列名映射 原列名=字段名（可重复），优先于自动识别，例如 --map 联系人=name",
        "en": "column mapping original=column (repeatable), wins over recognition, e.g. --map 联系人=name",
    },
    "import.arg.encoding": {
        "zh": "CSV 或无 .cpg 的 Shapefile 的文字编码（默认自动识别 UTF-8/GB18030）",
        "en": "text encoding of CSV files or Shapefiles without .cpg (default: detect UTF-8/GB18030)",
    },
    "import.arg.repair": {
        "zh": "修复无效几何（make_valid 结构法），并在 repaired 列中标记",
        "en": "repair invalid geometries (make_valid, structure method) and flag them in column repaired",
    },
    "import.arg.out": {"zh": "输出的项目文件（.gpkg）", "en": "project file to write (.gpkg)"},
    "import.arg.tolerance": {
        "zh": "忽略小于此面积（平方米）的缝隙、重叠和越界，默认 {default}",
        "en": "ignore gaps, overlaps and overhangs smaller than this area in m² (default {default})",
    },
    "import.no_inputs": {
        "zh": "没有给出任何要导入的文件。",
        "en": "No files to import.",
    },
    "import.no_inputs.fix.cli": {
        "zh": "请至少提供 --towns、--communities、--grids、--households、--volunteers、--service-points 中的一个。",
        "en": "Give at least one of --towns, --communities, --grids, --households, --volunteers, --service-points.",
    },
    "import.layer_summary": {
        "zh": "  {layer}：{n} 个要素，来自 {file}（{fmt}，坐标系 {crs}{encoding}）",
        "en": "  {layer}: {n} features from {file} ({fmt}, CRS {crs}{encoding})",
    },
    "import.encoding_note": {"zh": "，编码 {encoding}", "en": ", encoding {encoding}"},
    "import.reading": {"zh": "正在导入：", "en": "Importing:"},
    "import.notes": {"zh": "导入提示：", "en": "Import notes:"},
    "import.saved": {
        "zh": "已保存项目文件 {file}（版本 {revision}）。",
        "en": "Saved project file {file} (revision {revision}).",
    },
    "import.arg.update": {
        "zh": "更新已有项目：只替换这里列出的图层（如 --update grids volunteers），其余图层、方案和修改记录保留",
        "en": "update an existing project: replace only the layers listed (e.g. --update grids volunteers); every other layer, scenario and the audit log is kept",
    },
    "import.update_needs_project": {
        "zh": "只能更新已有的网格图谱项目，但 {file} 不是。",
        "en": "Only an existing GridAtlas project can be updated, and {file} is not one.",
    },
    "import.update_needs_project.fix.cli": {
        "zh": "要新建项目，请去掉 --update；要更新项目，请让 --out 指向它。",
        "en": "To build a new project drop --update; to update a project point --out at it.",
    },
    "import.update_needs_project.fix.web": {
        "zh": "请先在侧栏打开要更新的项目。",
        "en": "Open the project to update in the sidebar first.",
    },
    "import.update_or_replace": {
        "zh": "{file}：只能选择更新部分图层或整体重建其中之一。",
        "en": "{file}: choose either updating some layers or rebuilding the whole project, not both.",
    },
    "import.update_or_replace.fix.cli": {
        "zh": "请只保留 --update 或 --replace 其中一个。",
        "en": "Keep only one of --update and --replace.",
    },
    "import.update_or_replace.fix.web": {
        "zh": "请只选择一种导入方式。",
        "en": "Choose one way to import.",
    },
    "import.update_mismatch": {
        "zh": "要更新的图层（{named}）与给出的文件（{given}）不一致。",
        "en": "The layers to update ({named}) differ from the files given ({given}).",
    },
    "import.update_mismatch.fix.cli": {
        "zh": "请为每个要更新的图层给出文件，并在 --update 中只列出它们。",
        "en": "Give a file for each layer to update and list exactly those after --update.",
    },
    "import.update_mismatch.fix.web": {
        "zh": "请为每个要更新的图层选择一个文件。",
        "en": "Choose a file for each layer to update.",
    },
    "import.update.layer": {
        "zh": "图层 {layer}：原有 {before} 个，现有 {after} 个；新增 {added}，删除 {removed}，几何变化 {geometry_changed}，属性变化 {attributes_changed}，未变 {unchanged}。",
        "en": "Layer {layer}: {before} features before, {after} after; {added} added, {removed} removed, {geometry_changed} with new geometry, {attributes_changed} with new attributes, {unchanged} unchanged.",
    },
    "import.update.kept": {
        "zh": "保留未改动的图层：{layers}；保留的表：{tables}。",
        "en": "Layers kept as they were: {layers}; tables kept: {tables}.",
    },
    "import.update.orphaned": {
        "zh": "方案“{scenario}”中有 {n} 条分配指向已不存在的网格或人员。请运行 assign 或在编辑页处理。",
        "en": "{n} assignment rows of scenario \"{scenario}\" point to grids or people that no longer exist. Run assign or fix them on the edit page.",
    },
    "import.update.coverage_stale": {
        "zh": "网格或服务点有变化，原覆盖率结果已过时。请重新运行 coverage。",
        "en": "Grids or service points changed, so the coverage results are out of date. Run coverage again.",
    },
    "import.inferred_parents": {
        "zh": "按最大重叠面积推断并写入了 {n} 个上级编码（{what}），已在 parent_source 列标为 overlap。请在检查报告中核对。",
        "en": "{n} parent codes ({what}) were inferred by largest overlap and written, flagged overlap in column parent_source. Review them in the check report.",
    },
    "import.arg.roster": {
        "zh": "没有坐标的人员花名册（XLSX/CSV，含 所属社区、所属网格、职务），按网格名称或编码对应到网格；需要项目中已有社区和网格图层",
        "en": "a roster without coordinates (XLSX/CSV with 所属社区, 所属网格, 职务), placed in grids by grid name or code; the project needs its communities and grids",
    },
    "import.arg.roster_sheet": {
        "zh": "花名册中要读取的工作表（默认第一个数据表）",
        "en": "sheet of the roster to read (default: the first data sheet)",
    },
    "import.arg.keep_id_numbers": {
        "zh": "在项目文件中保留身份证号明文（默认只保存遮蔽形式和加盐哈希）；会记入修改记录",
        "en": "keep ID numbers in clear in the project file (by default only the masked form and a salted hash are kept); recorded in the audit log",
    },
    "import.arg.organisations": {
        "zh": "进网入格组织表（XLSX/CSV，含 名称、类型、所属社区、服务小区/网格名称），按名称对应到网格后保存在项目中",
        "en": "organisations entering the grid (XLSX/CSV with 名称, 类型, 所属社区, 服务小区/网格名称), kept in the project with the grids they serve",
    },
    "import.organisations.summary": {
        "zh": "组织表 {file}：{n} 个组织已保存。",
        "en": "Organisations sheet {file}: {n} organisations kept.",
    },
    "import.roster.summary": {
        "zh": "花名册 {file}：{n} 人，{matched} 人对应到网格，{unmatched} 人找不到网格，{ambiguous} 人对应多个网格。",
        "en": "Roster {file}: {n} people, {matched} placed in a grid, {unmatched} matching no grid, {ambiguous} matching several.",
    },
    "import.exists": {
        "zh": "输出文件 {file} 已存在（不是网格图谱项目），未覆盖。",
        "en": "Output file {file} exists (not a GridAtlas project); it was not overwritten.",
    },
    "import.exists_project": {
        "zh": "{file} 已是一个网格图谱项目，导入不会覆盖它。",
        "en": "{file} is already a GridAtlas project; import will not overwrite it.",
    },
    # --- more errors raised while reading ------------------------------------------------
    "io.not_gpkg": {
        "zh": "文件 {file} 不是有效的 GeoPackage。请用 GIS 软件重新导出为 GeoPackage，或改用 GeoJSON、压缩的 Shapefile。",
        "en": "File {file} is not a valid GeoPackage. Export it again as a GeoPackage from your GIS, or use GeoJSON or a zipped Shapefile.",
    },
    "io.not_zip": {
        "zh": "文件 {file} 不是有效的 zip 压缩包。请把 Shapefile 的各个文件（.shp、.shx、.dbf、.prj）重新压缩后重试。",
        "en": "File {file} is not a valid zip file. Zip the Shapefile's files (.shp, .shx, .dbf, .prj) again and retry.",
    },
    "io.zip_no_shp": {
        "zh": "压缩包 {file} 中没有所需的 Shapefile（.shp）。请把 .shp、.shx、.dbf、.prj 一起压缩后重试。",
        "en": "Zip {file} holds no matching Shapefile (.shp). Zip the .shp, .shx, .dbf and .prj together and retry.",
    },
    "io.unknown_suffix": {
        "zh": "无法读取文件 {file}：不支持扩展名“{suffix}”。支持的格式：GeoJSON、GeoPackage、压缩的 Shapefile（.zip）、KML、CSV、XLSX。",
        "en": "Cannot read {file}: the extension \"{suffix}\" is not supported. Supported formats: GeoJSON, GeoPackage, zipped Shapefile (.zip), KML, CSV, XLSX.",
    },
}

# --- the import wizard: guesses, QA in words, remedies for the web form (geo.import_review) ----------
MESSAGES.update({
    "guess.grid_columns": {"zh": "面图层，有网格编码/名称列", "en": "polygons with grid code/name columns"},
    "guess.town_columns": {"zh": "面图层，有镇街名称/代码列", "en": "polygons with town name/code columns"},
    "guess.community_columns": {"zh": "面图层，有社区名称/代码列", "en": "polygons with community name/code columns"},
    "guess.polygons_unknown": {"zh": "面图层，但看不出是哪一级", "en": "polygons, level unclear"},
    "guess.person_columns": {"zh": "点位，有姓名/电话等人员列", "en": "points with name/phone columns"},
    "guess.service_point_types": {"zh": "点位，类型列是服务点类型", "en": "points whose type column holds service point types"},
    "guess.household_counts": {"zh": "点位，有户数列", "en": "points with a household count column"},
    "guess.points": {"zh": "点位", "en": "points"},
    "guess.project_columns": {"zh": "治理项目表，有项目名称/类型/状态列", "en": "a list of governance projects with name/kind/status columns"},
    "guess.selfgov_columns": {"zh": "自治组织表，有自治组织/自组织/公约列", "en": "a self-governance sheet with bodies/self-organisations/conventions columns"},
    "guess.roster_without_coordinates": {"zh": "人员名单，无坐标，有所属网格列", "en": "a list of people without coordinates, with a grid column"},
    "guess.organisation_columns": {"zh": "组织名单，有负责人/服务网格列", "en": "a list of organisations with leader/grid columns"},
    "guess.no_coordinates": {"zh": "表格没有坐标列，也不像人员或组织名单", "en": "a table without coordinates that is not a list of people or organisations"},
    "guess.geometry_unknown": {"zh": "几何类型不是点或面", "en": "geometry is neither points nor polygons"},
    "guess.unreadable": {"zh": "无法读取", "en": "cannot be read"},
    "qa.col.severity": {"zh": "程度", "en": "Severity"},
    "qa.col.kind": {"zh": "问题类型", "en": "Kind of problem"},
    "qa.col.count": {"zh": "数量", "en": "Count"},
    "qa.col.example": {"zh": "示例与处理办法", "en": "Example and what to do"},
    "qa.col.file": {"zh": "文件", "en": "File"},
    "qa.col.feature": {"zh": "要素/行", "en": "Feature/row"},
    "qa.col.message": {"zh": "说明与处理办法", "en": "What happened and what to do"},
    "qa.kind.other": {"zh": "其他", "en": "Other"},
    "qa.kind.check.null_geometry": {"zh": "缺少几何", "en": "Missing geometry"},
    "qa.kind.check.empty_geometry": {"zh": "空几何", "en": "Empty geometry"},
    "qa.kind.check.unsupported_type": {"zh": "几何类型不对", "en": "Wrong geometry type"},
    "qa.kind.check.invalid_geometry": {"zh": "几何无效", "en": "Invalid geometry"},
    "qa.kind.check.has_z": {"zh": "含高程", "en": "Has heights"},
    "qa.kind.check.no_id_column": {"zh": "没有编号列", "en": "No ID column"},
    "qa.kind.check.missing_id": {"zh": "缺少编号", "en": "Missing ID"},
    "qa.kind.check.duplicate_id": {"zh": "编号重复", "en": "Duplicate ID"},
    "qa.kind.check.unknown_level": {"zh": "层级不明", "en": "Unknown level"},
    "qa.kind.check.unknown_parent": {"zh": "上级编码不存在", "en": "Parent code not found"},
    "qa.kind.check.parent_conflict": {"zh": "上级编码与位置不符", "en": "Parent code disagrees with location"},
    "qa.kind.check.no_parent": {"zh": "找不到上级", "en": "No parent"},
    "qa.kind.check.sticks_out": {"zh": "超出上级边界", "en": "Sticks out of its parent"},
    "qa.kind.check.overlap": {"zh": "相互重叠", "en": "Overlap"},
    "qa.kind.check.gap": {"zh": "未覆盖的空隙", "en": "Gap"},
    "qa.kind.check.no_children": {"zh": "没有下级", "en": "No children"},
    "qa.kind.check.point_outside": {"zh": "点位不在任何网格内", "en": "Point outside every grid"},
    "qa.kind.check.point_far_outside": {"zh": "点位远离网格", "en": "Point far from the grids"},
    "qa.kind.io.crs_declared_over_label": {"zh": "按声明的坐标系读取", "en": "Read in the declared coordinate system"},
    "qa.kind.io.encoding_detected": {"zh": "自动识别的文字编码", "en": "Text encoding detected"},
    "qa.kind.io.unrecognised_columns": {"zh": "未识别的列", "en": "Unrecognised columns"},
    "qa.kind.io.ids_generated": {"zh": "编号按行号生成", "en": "IDs generated from rows"},
    "qa.kind.io.levels_from_codes": {"zh": "层级按编码判断", "en": "Levels from codes"},
    "qa.kind.io.sheet_read": {"zh": "读取的工作表", "en": "Sheet read"},
    "qa.kind.io.total_rows_skipped": {"zh": "跳过的合计行", "en": "Total rows skipped"},
    "qa.kind.io.sheet_skipped.notes": {"zh": "跳过的说明页", "en": "Notes sheet skipped"},
    "qa.kind.io.sheet_skipped.empty": {"zh": "跳过的空工作表", "en": "Empty sheet skipped"},
    "qa.kind.io.sheet_skipped.no_header": {"zh": "没有表头的工作表", "en": "Sheet without a header"},
    "qa.kind.io.phone_not_mobile": {"zh": "电话不是手机号", "en": "Phone is not a mobile number"},
    "qa.kind.io.forced_2d": {"zh": "去掉了高程", "en": "Heights dropped"},
    "qa.kind.io.repaired": {"zh": "已修复的几何", "en": "Geometry repaired"},
    "qa.kind.idcard.problem.checksum": {"zh": "身份证号校验码错误", "en": "ID number check digit wrong"},
    "qa.kind.idcard.problem.birth_date": {"zh": "身份证号出生日期不存在", "en": "ID number birth date impossible"},
    "qa.kind.idcard.problem.length": {"zh": "身份证号位数不对", "en": "ID number of the wrong length"},
    "qa.kind.idcard.problem.chars": {"zh": "身份证号含非法字符", "en": "ID number with stray characters"},
    "qa.kind.idcard.kept_in_clear": {"zh": "身份证号明文保存", "en": "ID numbers kept in clear"},
    "qa.kind.sanity.swapped_latlon": {"zh": "经纬度写反", "en": "Longitude/latitude swapped"},
    "qa.kind.sanity.projected_numbers": {"zh": "坐标像米制投影", "en": "Coordinates look projected"},
    "qa.kind.sanity.outside_china": {"zh": "位于中国范围以外", "en": "Outside China"},
    "qa.kind.sanity.far_from_area": {"zh": "远离项目范围", "en": "Far from the project area"},
    "qa.kind.names.communities_resolved": {"zh": "社区名称已对应为代码", "en": "Community names resolved"},
    "qa.kind.names.general_grids_from_codes": {"zh": "一般网格按编码补出", "en": "General grids added from codes"},
    "qa.kind.names.community_unmatched": {"zh": "社区名称找不到", "en": "Community name not found"},
    "qa.kind.names.community_ambiguous": {"zh": "社区名称对应多个", "en": "Community name matches several"},
    "qa.kind.names.community_by_name_not_by_place": {"zh": "所属社区与位置不符", "en": "Community by name disagrees with location"},
    "qa.kind.names.code_prefix_mismatch": {"zh": "编码与所属社区不符", "en": "Code disagrees with community"},
    "qa.kind.roster.grid_unmatched": {"zh": "网格名称找不到", "en": "Grid name not found"},
    "qa.kind.roster.grid_ambiguous": {"zh": "网格名称对应多个", "en": "Grid name matches several"},
    "qa.kind.roster.community_unmatched": {"zh": "社区名称找不到", "en": "Community name not found"},
    "qa.kind.roster.community_ambiguous": {"zh": "社区名称对应多个", "en": "Community name matches several"},
    "qa.kind.roster.post_unknown": {"zh": "职务无法识别", "en": "Post not recognised"},
    "qa.kind.roster.person_twice": {"zh": "同一人出现多次", "en": "Same person twice"},
    "qa.kind.organisations.grid_unmatched": {"zh": "服务网格找不到", "en": "Grid served not found"},
})

# --- the import wizard page (ui/pages/import_wizard.py) --------------------------------------------
MESSAGES.update({
    "wizard.target.roster": {"zh": "人员花名册（无坐标，按网格名称对应）", "en": "Roster (no coordinates, placed by grid name)"},
    "wizard.target.organisations": {"zh": "进网入格组织表", "en": "Organisations entering the grid"},
    "wizard.folder": {"zh": "或者：本机上的资料文件夹（读取其中所有 GeoJSON/Shapefile 压缩包/CSV/XLSX 等文件）",
                      "en": "Or: a folder on this computer (every GeoJSON, zipped Shapefile, CSV, XLSX ... in it is read)"},
    "wizard.folder_missing": {"zh": "找不到文件夹 {folder}。请检查路径后重新输入。",
                              "en": "Folder {folder} does not exist. Check the path and enter it again."},
    "wizard.guessed": {"zh": "按内容判断：{reason}", "en": "Guessed from its content: {reason}"},
    "wizard.need_grids": {"zh": "{file} 需要按网格名称对应，但还没有社区和网格图层。请同时上传社区和网格边界，或先打开已有项目。",
                          "en": "{file} is placed by grid name, but there are no communities and grids yet. Upload the community and grid boundaries too, or open an existing project first."},
    "wizard.shift": {"zh": "{file} 按 {crs} 读取：与当作 WGS 84 相比，位置平均移动 {median} 米（最多 {max} 米）。请在下面的地图上确认点位与边界对得上。",
                     "en": "{file} is read as {crs}: compared with reading it as WGS 84, positions move by {median} m on average ({max} m at most). Check on the map below that points and boundaries line up."},
    "wizard.all_findings": {"zh": "全部 {n} 条检查结果", "en": "All {n} findings"},
    "wizard.kept": {"zh": "不受影响、原样保留的图层：{layers}。方案、分配和修改记录都会保留。",
                    "en": "Layers kept as they are: {layers}. Scenarios, assignments and the audit log are kept."},
    "wizard.coverage_stale": {"zh": "网格或服务点有变化，保存后请在“运行”页重新计算覆盖率。",
                              "en": "Grids or service points change: after saving, recompute coverage on the Run page."},
    "wizard.exists": {"zh": "文件 {file} 已存在，未覆盖。要更新它，请先在侧栏打开该项目，再选择“更新当前项目”；或换一个文件名。",
                      "en": "File {file} already exists and was not overwritten. To update it, open it in the sidebar and choose \"update the open project\"; or choose another name."},
    "wizard.repair": {"zh": "自动修复无效几何（会在 repaired 列中标记）", "en": "Repair invalid geometries (flagged in column repaired)"},
    "wizard.repair_preview": {
        "zh": "{file} 有 {n} 个无效几何。下表是勾选上方“自动修复无效几何”后的结果（尚未保存）：确认后勾选，再保存项目。",
        "en": "{file} has {n} invalid geometries. The table shows what ticking \"Repair invalid geometries\" above would make of them (nothing is saved yet): tick it, then save the project.",
    },
    "wizard.repair_col.feature_id": {"zh": "要素", "en": "Feature"},
    "wizard.repair_col.reason": {"zh": "无效原因（GEOS）", "en": "Why invalid (GEOS)"},
    "wizard.repair_col.type_before": {"zh": "修复前类型", "en": "Type before"},
    "wizard.repair_col.type_after": {"zh": "修复后类型", "en": "Type after"},
    "wizard.repair_col.area_before_m2": {"zh": "修复前面积（平方米）", "en": "Area before (m²)"},
    "wizard.repair_col.area_after_m2": {"zh": "修复后面积（平方米）", "en": "Area after (m²)"},
    "wizard.geom.Polygon": {"zh": "多边形", "en": "Polygon"},
    "wizard.geom.MultiPolygon": {"zh": "多部件多边形", "en": "MultiPolygon"},
    "wizard.geom.GeometryCollection": {"zh": "几何集合", "en": "GeometryCollection"},
    "wizard.geom.Point": {"zh": "点", "en": "Point"},
    "wizard.geom.MultiPoint": {"zh": "多点", "en": "MultiPoint"},
    "wizard.geom.LineString": {"zh": "线", "en": "LineString"},
    "wizard.geom.MultiLineString": {"zh": "多线", "en": "MultiLineString"},
    "wizard.mode": {"zh": "导入到", "en": "Import into"},
    "wizard.mode.update": {"zh": "更新当前项目 {file}（只替换上传的图层）", "en": "Update the open project {file} (replace only the layers uploaded)"},
    "wizard.mode.new": {"zh": "新建项目", "en": "A new project"},
    "wizard.diff": {"zh": "变化预览", "en": "What changes"},
    "wizard.diff.before": {"zh": "原有", "en": "Before"},
    "wizard.diff.after": {"zh": "导入后", "en": "After"},
    "wizard.diff.added": {"zh": "新增", "en": "Added"},
    "wizard.diff.removed": {"zh": "删除", "en": "Removed"},
    "wizard.diff.geometry_changed": {"zh": "几何变化", "en": "Geometry changed"},
    "wizard.diff.attributes_changed": {"zh": "属性变化", "en": "Attributes changed"},
    "wizard.diff.unchanged": {"zh": "未变", "en": "Unchanged"},
    "wizard.fix_first": {"zh": "有 {n} 个文件无法导入（见上方红色提示）。请按提示修改后重新检查，之后才能保存。",
                         "en": "{n} files cannot be imported (see the red messages above). Fix them as described and check again before saving."},
})

# --- remedies per front end for the errors above ----------------------------------------------------
MESSAGES.update({
    "io.choose_layer.fix.web": {
        "zh": "请把要导入的图层另存为单独的文件（如 GeoJSON）后重新上传。",
        "en": "Save the layer you want as a file of its own (e.g. GeoJSON) and upload it again.",
    },
    "io.bad_encoding.fix.web": {
        "zh": "请在 Excel 或 WPS 中另存为“CSV UTF-8”后重新上传。",
        "en": "Save it from Excel or WPS as \"CSV UTF-8\" and upload it again.",
    },
    "io.duplicate_column.fix.web": {
        "zh": "请在“导入数据”页第 3 步指定用哪一列作为 {column}。",
        "en": "Say which one is {column} on the Import page, step 3.",
    },
    "io.missing_column.fix.web": {
        "zh": "请添加该列，或在“导入数据”页第 3 步把某一列对应为 {column}。",
        "en": "Add it, or map a column to {column} on the Import page, step 3.",
    },
    "io.missing_coordinates.fix.web": {
        "zh": "请提供 经度/纬度 列，或在“导入数据”页第 3 步把某一列对应为 {column}；如果这是没有坐标的人员名单，请在第 2 步把它选为“人员花名册（无坐标）”。",
        "en": "Provide lon/lat columns, or map a column to {column} on the Import page, step 3; if it is a list of people without coordinates, choose \"roster (no coordinates)\" for it in step 2.",
    },
    "io.unbuildable_geometry.fix.web": {
        "zh": "请在 GIS 软件中修复后重新上传。",
        "en": "Fix them in a GIS and upload the file again.",
    },
    "io.encoding_detected.fix.web": {
        "zh": "如果中文显示为乱码，请把文件另存为“CSV UTF-8”后重新上传。",
        "en": "If Chinese text looks garbled, save the file as \"CSV UTF-8\" and upload it again.",
    },
    "io.unrecognised_columns.fix.web": {
        "zh": "如其中有应导入的字段，请在“导入数据”页第 3 步指定对应列。",
        "en": "If one of them is a known field, map it on the Import page, step 3.",
    },
    "import.no_inputs.fix.web": {
        "zh": "请至少上传一个文件。",
        "en": "Upload at least one file.",
    },
    "import.exists.fix.cli": {
        "zh": "请换一个文件名，或加 --replace 替换它（原文件会备份在旁边）。",
        "en": "Choose another name, or add --replace to replace it (the old file is kept beside it as a backup).",
    },
    "import.exists.fix.web": {
        "zh": "请为新项目另选一个文件名。",
        "en": "Choose another file name for the new project.",
    },
    "import.exists_project.fix.cli": {
        "zh": "要只替换其中几个图层并保留其余图层、方案和审计记录，请加 --update 图层名（如 --update grids）；或换一个 --out 文件名新建项目；或加 --replace 用这些文件重建它（原项目备份为 {stem}.bak-时间.gpkg，其中的分配、方案与审计记录不会带入新项目）。",
        "en": "To replace some of its layers and keep every other layer, scenario and the audit log, add --update LAYER (e.g. --update grids); or give --out a new file name for a new project; or add --replace to rebuild it from these files (the old project is kept as {stem}.bak-<time>.gpkg; its assignments, scenarios and audit log do not carry over).",
    },
    "import.exists_project.fix.web": {
        "zh": "请为新项目另选一个文件名，或在“导入数据”页选择更新已有项目的图层。",
        "en": "Choose another file name for the new project, or update layers of the existing project on the Import page.",
    },
})
