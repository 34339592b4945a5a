"""Column recognition for imported files: Chinese/English headers -> schema columns, typed values.

Planners' spreadsheets and attribute tables use many headers for the same thing
(名称, 社区名称, name ...). ``map_columns`` renames the ones it recognises to the
schema names of ``geo.schema``, lets an explicit user mapping win, keeps every
other column unchanged and reports it. ``coerce_columns`` then makes IDs, codes and
phones text and parses numbers and yes/no flags, raising on text in a number column.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from geo import schema as s
from geo.errors import GeoInputError
from geo.values import parse_bool

# pseudo-columns used only while reading point tables
LON = "lon"
LAT = "lat"

# synonyms shared by every layer (normalised: lower case, no spaces, no brackets/punctuation)
_COMMON = {
    s.NAME: ("名称", "名字", "name", "mc", "名"),
    s.ADDRESS: ("地址", "住址", "详细地址", "家庭住址", "address", "addr"),
    s.TOWN_CODE: ("所属镇街编码", "镇街编码", "镇街代码", "所属镇街代码", "乡镇编码", "乡镇代码",
                  "towncode", "town"),
    s.COMMUNITY_CODE: ("所属社区编码", "社区编码", "社区代码", "所属社区代码", "村社区编码",
                       "communitycode", "community", "所属社区", "社区", "所属村社区"),
    s.ILLUSTRATIVE: ("示意", "illustrative"),
    LON: ("经度", "lon", "lng", "long", "longitude", "x", "x坐标", "东经"),
    LAT: ("纬度", "lat", "latitude", "y", "y坐标", "北纬"),
    s.HOUSEHOLDS_N: ("户数", "住户数", "家庭户数", "households", "hh", "户"),
    s.GEOMETRY: ("geometry",),
}
_BY_LAYER: dict[str, dict[str, tuple[str, ...]]] = {
    s.TOWNS: {
        s.CODE: ("编码", "代码", "code", "id", "镇街编码", "镇街代码", "区划代码", "统计用区划代码", "towncode"),
        s.NAME: ("镇街", "镇街名称", "乡镇", "乡镇名称", "街道", "所属镇街"),
        s.KIND: ("类型", "type", "kind", "类别"),
    },
    s.COMMUNITIES: {
        s.CODE: ("编码", "代码", "code", "id", "社区编码", "社区代码", "区划代码", "统计用区划代码",
                 "communitycode"),
        s.NAME: ("社区名称", "村社区名称", "社区", "村社区"),
        s.KIND: ("类型", "type", "kind", "类别", "城乡分类"),
        s.TOWN_CODE: ("所属镇街", "镇街", "乡镇"),
    },
    s.GRIDS: {
        s.CODE: ("编码", "代码", "code", "id", "网格编码", "网格代码", "网格编号", "编号"),
        s.NAME: ("网格名称", "网格"),
        s.LEVEL: ("层级", "级别", "网格层级", "网格级别", "level"),
        s.KIND: ("类型", "type", "kind", "类别", "网格类型"),
        s.PARENT_CODE: ("上级编码", "上级网格", "上级网格编码", "父级编码", "parent", "parentcode", "parentid"),
        s.TOWN_CODE: ("所属镇街",),
    },
    s.HOUSEHOLDS: {
        s.CODE: ("编码", "代码", "code", "id", "楼栋编码", "建筑编码", "编号"),
        s.NAME: ("楼栋名称", "楼栋", "建筑名称"),
        s.ADDRESS: ("地址", "楼栋地址", "address"),  # buildings (geo.buildings)
        s.GRID_CODE: ("网格编码", "微网格编码", "所属网格编码", "gridcode"),
        s.KIND: ("小区类型", "单元类型", "kind"),
    },
    s.VOLUNTEERS: {
        s.VOLUNTEER_ID: ("编号", "编码", "代码", "id", "code", "志愿者编号", "志愿者编码", "volunteerid",
                         "工号"),
        s.NAME: ("姓名", "志愿者", "志愿者姓名"),
        s.PHONE: ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式", "phone", "mobile",
                  "tel", "telephone"),
        s.TIER: ("身份", "层级", "下沉层级", "来源", "tier", "level"),
        s.PARTY_MEMBER: ("党员", "是否党员", "政治面貌", "partymember", "party"),
        s.SKILLS: ("技能", "特长", "专长", "skills", "skill"),
        s.CAPACITY: ("容量", "可服务网格数", "服务网格数", "capacity"),
        s.WORK_PHONE: ("工作电话", "办公电话", "workphone"),  # notice boards (geo.noticeboard)
        s.PHONE_CONSENT: ("同意公示", "同意公开电话", "公示同意", "电话公开同意", "phoneconsent", "consent"),
        s.BUILDING_CODE: ("楼栋编码", "所属楼栋", "负责楼栋", "buildingcode"),
    },
    s.SERVICE_POINTS: {
        s.POINT_ID: ("编号", "编码", "代码", "id", "code", "点位编号", "点位编码", "pointid"),
        s.NAME: ("点位名称", "服务点", "服务点名称"),
        s.POINT_TYPE: ("类型", "点位类型", "服务点类型", "type", "kind"),
        s.CATEGORY: ("服务类别", "类别", "服务类型", "category", "categories"),
        s.PHONE: ("电话", "联系电话", "phone", "tel"),
    },
    s.GOV_PROJECTS: {
        s.PROJECT_ID: ("编号", "编码", "项目编号", "项目编码", "id", "code", "projectid"),
        s.NAME: ("项目名称", "项目"),
        s.KIND: ("类型", "项目类型", "类别", "type", "kind"),
        s.STATUS: ("状态", "进度", "建设状态", "项目状态", "status"),
        s.YEAR: ("年份", "年度", "建成年份", "实施年份", "year"),
        "served_names": ("服务网格", "服务小区", "服务小区/网格名称", "服务范围", "所属网格", "服务单元"),
    },
}

INTEGER_COLUMNS = (s.HOUSEHOLDS_N, s.CAPACITY, s.YEAR)
FLOAT_COLUMNS = (LON, LAT)
BOOL_COLUMNS = (s.PARTY_MEMBER, s.ILLUSTRATIVE)

_LEVEL_VALUES = {
    "微网格": s.LEVEL_MICRO, "micro": s.LEVEL_MICRO,
    "一般网格": s.LEVEL_GENERAL, "网格": s.LEVEL_GENERAL, "general": s.LEVEL_GENERAL,
    "专属网格": s.LEVEL_DEDICATED, "dedicated": s.LEVEL_DEDICATED,
    "社区总网格": s.LEVEL_MASTER, "总网格": s.LEVEL_MASTER, "master": s.LEVEL_MASTER,
}
_TIER_VALUES = {"市": "市", "市级": "市", "city": "市", "镇街": "镇街", "镇": "镇街", "街道": "镇街",
                "镇街级": "镇街", "town": "镇街", "社区": "社区", "村": "社区", "社区级": "社区",
                "community": "社区"}

_NORMALISE = re.compile(r"[\s_\-（）()\[\]【】:：/\\.·*]+")


def normalise_header(header: object) -> str:
    """Lower-case a header and strip spaces, brackets, punctuation and a BOM."""
    return _NORMALISE.sub("", str(header).replace("\ufeff", "")).lower()


def synonyms_for(layer: str) -> dict[str, str]:
    """Normalised header -> schema column for ``layer`` (layer-specific synonyms win)."""
    table: dict[str, str] = {}
    for source in (_COMMON, _BY_LAYER.get(layer, {})):
        for column, names in source.items():
            for name in (column, *names):
                table[normalise_header(name)] = column
    for column in s.REQUIRED.get(layer, ()):
        table[normalise_header(column)] = column
    return table


@dataclass(frozen=True)
class ColumnMapping:
    """Result of header recognition: ``renames`` original -> schema column, ``unrecognised`` kept as-is."""

    renames: dict[str, str] = field(default_factory=dict)
    unrecognised: tuple[str, ...] = ()


def parse_mapping_args(items: list[str] | None) -> dict[str, str]:
    """Parse ``["原列名=name", ...]`` (the CLI's ``--map``) into a dict.

    Raises
    ------
    GeoInputError
        Code ``io.bad_map`` when an item has no ``=``.
    """
    mapping: dict[str, str] = {}
    for item in items or []:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            msg = f"--map item {item!r} is not of the form 原列名=column"
            raise GeoInputError(msg, code="io.bad_map", item=item)
        mapping[source.strip()] = target.strip()
    return mapping


def recognise_columns(columns: list[str], layer: str, *, mapping: Mapping[str, str] | None = None,
                      file: str = "") -> ColumnMapping:
    """Decide which original column becomes which schema column.

    Parameters
    ----------
    columns
        Original headers, in file order.
    layer
        Target layer (``geo.schema`` layer name); synonyms depend on it (编号 is a
        volunteer id for volunteers, a code for grids).
    mapping
        Explicit ``{original header: schema column}``; wins over recognition. Entries
        naming a header that is not in the file are ignored (one mapping serves many files).

    Raises
    ------
    GeoInputError
        Code ``io.duplicate_column`` when two headers map to the same schema column.
    """
    mapping = dict(mapping or {})
    table = synonyms_for(layer)
    renames: dict[str, str] = {}
    taken: dict[str, str] = {}
    for col in columns:
        if col == s.GEOMETRY:
            continue
        target = mapping.get(col) or table.get(normalise_header(col))
        if target is None:
            continue
        if target in taken and col not in mapping:
            exact = normalise_header(target)
            if taken[target] in mapping or normalise_header(taken[target]) == exact:
                continue  # an explicit choice or the exact schema name wins; this one stays as it is
            if normalise_header(col) != exact:
                msg = f"{file}: columns {taken[target]!r} and {col!r} both look like {target!r}"
                raise GeoInputError(msg, code="io.duplicate_column", file=file, column=target,
                                    first=taken[target], second=col)
        if target in taken:  # explicit mapping overrides a recognised one
            renames.pop(taken[target])
        renames[col] = target
        taken[target] = col
    unrecognised = tuple(c for c in columns if c not in renames and c != s.GEOMETRY)
    return ColumnMapping(renames=renames, unrecognised=unrecognised)


def require_columns(df: pd.DataFrame, layer: str, *, file: str, need: tuple[str, ...] | None = None) -> None:
    """Raise ``GeoInputError`` (code ``io.missing_column``) naming the first missing required column."""
    for column in need if need is not None else s.REQUIRED.get(layer, ()):
        if column not in df.columns:
            found = [str(c) for c in df.columns if c != s.GEOMETRY]
            msg = f"{file}: no column for {column!r} (layer {layer}); found {found}"
            raise GeoInputError(msg, code="io.missing_column", file=file, column=column, layer=layer,
                                found=found)


def _row_label(index: object, *, header_rows: int) -> str:
    """The 1-based row number a planner sees in Excel (header counted) or the feature number."""
    if isinstance(index, int | float) and header_rows >= 0:
        return str(int(index) + 1 + header_rows)
    return str(index)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "" \
        or value is pd.NA


def to_text(value: object) -> object:
    """Text form of an ID/code/phone: ints and int-valued floats lose the ``.0``; blanks become None."""
    if _is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_number(value: object, *, integer: bool) -> float | int | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        number = float(str(value).strip().replace(",", "").replace("，", ""))
    if integer:
        if not number.is_integer():
            raise ValueError(value)
        return int(number)
    return number


def _coerce(df: pd.DataFrame, column: str, parse, *, code: str, file: str, header_rows: int) -> pd.Series:
    values, bad = [], []
    for index, value in df[column].items():
        try:
            values.append(parse(value))
        except (ValueError, TypeError, OverflowError):
            bad.append((_row_label(index, header_rows=header_rows), str(value)))
            values.append(None)
    if bad:
        rows = [r for r, _ in bad]
        msg = f"{file}: column {column!r} has values that are not {code.split('.')[-1]} in rows {rows[:10]}"
        raise GeoInputError(msg, code=code, file=file, column=column, rows=rows, value=bad[0][1],
                            row=bad[0][0])
    return pd.Series(values, index=df.index, dtype=object)


def coerce_columns(df: pd.DataFrame, *, file: str, header_rows: int = 1) -> pd.DataFrame:
    """Return a copy with schema columns typed: text IDs/phones, integers, floats, booleans, levels.

    Parameters
    ----------
    header_rows
        Added to the 0-based index to name rows as a spreadsheet shows them (1 for a
        CSV/XLSX header line; use -1 for vector files, whose rows are named by index).

    Raises
    ------
    GeoInputError
        Code ``io.text_in_number`` (e.g. 户数 = "约50") or ``io.bad_boolean``, naming the
        file, the column, the first offending value and the rows (up to 10 then "and N more").
    """
    out = df.copy()
    for column in s.TEXT_COLUMNS:
        if column in out.columns:
            out[column] = pd.Series([to_text(v) for v in out[column]], index=out.index, dtype=object)
    for column in (s.NAME, s.ADDRESS, s.KIND, s.POINT_TYPE, s.CATEGORY, s.SKILLS):
        if column in out.columns:
            out[column] = pd.Series([to_text(v) for v in out[column]], index=out.index, dtype=object)
    for column in INTEGER_COLUMNS:
        if column in out.columns:
            out[column] = _coerce(out, column, lambda v: _parse_number(v, integer=True),
                                  code="io.text_in_number", file=file, header_rows=header_rows)
    for column in FLOAT_COLUMNS:
        if column in out.columns:
            out[column] = _coerce(out, column, lambda v: _parse_number(v, integer=False),
                                  code="io.text_in_number", file=file, header_rows=header_rows)
    for column in BOOL_COLUMNS:
        if column in out.columns:
            out[column] = _coerce(out, column, parse_bool, code="io.bad_boolean", file=file,
                                  header_rows=header_rows)
    if s.LEVEL in out.columns:
        out[s.LEVEL] = [_LEVEL_VALUES.get(str(v).strip().lower(), v) if not _is_blank(v) else None
                        for v in out[s.LEVEL]]
    if s.TIER in out.columns:
        out[s.TIER] = [_TIER_VALUES.get(str(v).strip().lower(), v) if not _is_blank(v) else None
                       for v in out[s.TIER]]
    return out


def rename_by_headers(frame: pd.DataFrame, headers: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """``frame`` with each column renamed to the first target whose header names match it (one column a target).

    ``headers`` maps a target column name to the header spellings offices use for it; headers are
    compared by ``normalise_header`` (case, spaces, full-width forms).
    """
    wanted = {target: {normalise_header(n) for n in names} for target, names in headers.items()}
    renames: dict[object, str] = {}
    for col in frame.columns:
        key = normalise_header(col)
        target = next((t for t, names in wanted.items() if t not in renames.values() and key in names), None)
        if target is not None:
            renames[col] = target
    return frame.rename(columns=renames)


def apply_mapping(df: pd.DataFrame, layer: str, *, mapping: Mapping[str, str] | None = None,
                  file: str = "") -> tuple[pd.DataFrame, ColumnMapping]:
    """Rename recognised columns of ``df`` to schema names (copy); return it with the mapping used."""
    found = recognise_columns([str(c) for c in df.columns], layer, mapping=mapping, file=file)
    renamed = df.rename(columns={c: found.renames.get(str(c), c) for c in df.columns})
    return renamed, found
