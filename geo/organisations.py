"""Organisations that enter the grid (进网入格): read their sheet, resolve the grids they serve, list gaps.

An office's sheet lists 名称, 类型, 所属社区, 服务小区/网格名称 (several names joined by 、, or
全社区 for every grid of the community), 负责人 and 电话. Grid names are resolved within
the row's community only (滨江花园微网格 exists in two); a name that is no grid's but begins
the names of grids of the community (a compound, 滨江花园) means those grids; a general grid
means its micro-grids. Names matching nothing are listed by Excel row. The result is a plain
table, kept in the project as ``organisations`` (``geo.schema.ORGANISATIONS``), with the
leaf-grid codes each row serves in ``grid_codes``. ``resolve_served_grids`` is the one reader of
"which grids does this row serve" for organisations, governance projects and self-governance.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.hierarchy import grid_descendants, grid_tree, unit_grid_codes
from geo.privacy import mask_name, mask_phone, normalise_phone
from geo.project import Project, new_project
from geo.sheets import read_workbook
from geo.tables import rename_by_headers
from geo.unitnames import Resolution, normalise_name, resolve_unit_names
from geo.validate import WARNING, finding

ORGANISATIONS = s.ORGANISATIONS  # the project table
GRID_CODES = s.GRID_CODES  # ";"-joined leaf-grid codes served
BUILDING_CODES = "building_codes"  # ";"-joined codes of the single buildings an organisation serves
LEADER = "leader_name"
ORG_ID = "org_id"
WHOLE_COMMUNITY = ("全社区", "全村", "全部", "全体")
_SPLIT = re.compile(r"[、，,；;/\s]+")
_HEADERS = {
    s.NAME: ("名称", "组织名称", "单位名称", "name"),
    s.KIND: ("类型", "组织类型", "类别", "type"),
    s.COMMUNITY_CODE: ("所属社区", "社区", "所属村社区", "社区代码"),
    "_grids": ("服务小区/网格名称", "服务网格", "服务小区", "网格名称", "服务范围", "所属网格"),
    LEADER: ("负责人", "联系人", "leader"),
    s.PHONE: ("电话", "联系电话", "手机", "phone"),
}
# the words offices write in 类型 -> geo.schema.ORG_TYPES
_TYPE_WORDS = {
    "物业": ("物业", "物业公司", "物业服务企业", "物业服务中心"),
    "业委会": ("业委会", "业主委员会", "业主大会"),
    "院委会": ("院委会", "院落委员会", "院落自治委员会"),
    "社会组织": ("社会组织", "社工机构", "社工站", "民办非企业"),
    "社会企业": ("社会企业", "社企"),
    "群团": ("群团", "群团组织", "工会", "共青团", "团委", "妇联", "妇女联合会", "残联", "科协"),
    "自组织": ("自组织", "居民自组织", "村民自组织", "志愿服务队"),
}
_TYPE_OF = {normalise_name(w): kind for kind, words in _TYPE_WORDS.items() for w in words}


@dataclass
class OrganisationsImport:
    """Organisations with their community code and the grid codes they serve; what did not resolve."""

    table: pd.DataFrame  # index = Excel row
    findings: list[dict] = field(default_factory=list)


def org_type(kind: object) -> str | None:
    """The ``geo.schema.ORG_TYPES`` value of a 类型 as offices write it (物业公司 -> 物业), None when unknown."""
    return _TYPE_OF.get(normalise_name(kind))


def read_unit_sheet(path: Path, *, headers: Mapping[str, Sequence[str]], sheet: str | None,
                    communities: pd.DataFrame, layer: str, label: str) -> tuple[pd.DataFrame, Resolution, list[dict]]:
    """A sheet whose rows belong to communities (organisations, self-governance): the frame with its
    headers renamed, each row's community resolved by name or code, and a finding per row whose
    community is unknown (by Excel row)."""
    frame = rename_by_headers(read_workbook(path, label=label).sheet(sheet).frame, headers)
    comm = resolve_unit_names(frame.get(s.COMMUNITY_CODE, pd.Series(None, index=frame.index)), communities)
    findings = [finding(WARNING, "names.community_unmatched", layer, str(row), file=label,
                        detail=str(frame[s.COMMUNITY_CODE].get(row) or ""))
                for row in comm.codes.index[comm.codes.isna()]]
    return frame, comm, findings


def layers_tree(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.DataFrame:
    """``geo.hierarchy.grid_tree`` of a grids and a communities layer (before they form a project)."""
    return grid_tree(new_project().with_layer(s.GRIDS, grids).with_layer(s.COMMUNITIES, communities))


def _community_buildings(buildings: pd.DataFrame | None, tree: pd.DataFrame) -> pd.DataFrame:
    """Buildings (``code``, ``name``, ``grid_code``) with their community (their grid's) and a name key."""
    cols = [s.CODE, s.GRID_CODE, s.COMMUNITY_CODE, "_key"]
    if buildings is None or len(buildings) == 0 or len(tree) == 0 or s.NAME not in buildings.columns:
        return pd.DataFrame(columns=cols)
    grid = buildings[s.GRID_CODE].astype(object)
    out = pd.DataFrame({s.CODE: buildings[s.CODE].astype(str).to_numpy(), s.GRID_CODE: grid.to_numpy(),
                        s.COMMUNITY_CODE: grid.map(tree[s.COMMUNITY_CODE]).to_numpy(),
                        "_key": buildings[s.NAME].map(normalise_name).to_numpy()})
    return out[out[s.GRID_CODE].notna() & out["_key"].astype(bool)]


def _building_hits(part: str, pool: pd.DataFrame) -> pd.DataFrame:
    """Buildings a name means: the building of that name, else a compound's (names beginning with it)."""
    exact = pool[pool["_key"] == part]
    return exact if len(exact) else pool[pool["_key"].str.startswith(part)]


def _resolve_served(names: pd.Series, community_codes: pd.Series, *, tree: pd.DataFrame, layer: str, label: str,
                    blank_is_whole: bool, buildings: pd.DataFrame | None) -> tuple[pd.Series, pd.Series, list[dict]]:
    """Leaf grids and buildings (";"-joined codes) each row serves, and the names that matched nothing."""
    leaves = set(tree.index[tree["is_leaf"].astype(bool)]) if len(tree) else set()
    below = grid_descendants(tree) if len(tree) else {}
    bld = _community_buildings(buildings, tree)
    served, served_bld, findings = [], [], []
    for row, text in names.items():
        community = community_codes.get(row)
        if community is None or pd.isna(community):
            served.append("")
            served_bld.append("")
            continue
        mine = tree[tree[s.COMMUNITY_CODE] == str(community)] if len(tree) else tree
        by_name: dict[str, list[str]] = {}
        for code, name in zip(mine.index, mine[s.NAME].map(normalise_name)):
            by_name.setdefault(name, []).append(code)
        parts = [n for n in _SPLIT.split(normalise_name(text)) if n]
        if any(n in WHOLE_COMMUNITY for n in parts) or (blank_is_whole and not parts):
            codes = unit_grid_codes(tree, level="community", code=str(community))
            served.append(";".join(sorted(c for c in codes if c in leaves)))
            served_bld.append("")
            continue
        pool = bld[bld[s.COMMUNITY_CODE] == str(community)]
        found: list[str] = []
        found_bld: list[str] = []
        missing = []
        for part in parts:
            hits = by_name.get(part) or [c for n, cs in by_name.items() if n.startswith(part) for c in cs]
            if not hits:  # a building or a compound's buildings: their grids are served
                in_buildings = _building_hits(part, pool)
                found_bld += [c for c in in_buildings[s.CODE] if c not in found_bld]
                hits = list(dict.fromkeys(in_buildings[s.GRID_CODE].astype(str)))
            if not hits:
                missing.append(part)
            for code in hits:
                found += [c for c in below.get(code, [code]) if c in leaves and c not in found]
        if missing:
            findings.append(finding(WARNING, f"{layer}.grid_unmatched", layer, str(row), file=label,
                                    detail="、".join(missing)))
        served.append(";".join(found))
        served_bld.append(";".join(found_bld))
    return (pd.Series(served, index=names.index, dtype=object), pd.Series(served_bld, index=names.index, dtype=object),
            findings)


def resolve_served_grids(names: pd.Series, community_codes: pd.Series, *, tree: pd.DataFrame, layer: str,
                         label: str, blank_is_whole: bool = False,
                         buildings: pd.DataFrame | None = None) -> tuple[pd.Series, list[dict]]:
    """The leaf-grid codes (";"-joined) each row serves, from its grid/compound names and its community.

    ``全社区`` (or a blank cell when ``blank_is_whole``) is every leaf grid of the community
    (``geo.hierarchy.unit_grid_codes``); a grid name is that grid's leaves; a compound name is the
    leaves of the community's grids whose names begin with it; failing those, with ``buildings``
    (``geo.buildings.buildings_table``: ``code``, ``name``, ``grid_code``), a building name is that
    building's grid and a compound name the grids of its buildings (``resolve_served_buildings``
    says which buildings). Unknown names give a ``<layer>.grid_unmatched`` warning naming the row;
    rows without a community give "".
    """
    served, _, findings = _resolve_served(names, community_codes, tree=tree, layer=layer, label=label,
                                          blank_is_whole=blank_is_whole, buildings=buildings)
    return served, findings


def resolve_served_buildings(names: pd.Series, community_codes: pd.Series, *, tree: pd.DataFrame,
                             buildings: pd.DataFrame) -> pd.Series:
    """The building codes (";"-joined) each row names: a building of its community, or a compound's buildings.

    Names that are grid names serve grids, not single buildings (""), as in ``resolve_served_grids``.
    """
    _, served, _ = _resolve_served(names, community_codes, tree=tree, layer="", label="", blank_is_whole=False,
                                   buildings=buildings)
    return served


def read_organisations(path: str | Path, *, grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                       sheet: str | None = None, label: str | None = None,
                       buildings: pd.DataFrame | None = None) -> OrganisationsImport:
    """Read an organisations sheet and resolve 所属社区, the type and the grid names each row serves.

    Parameters
    ----------
    grids
        The project's grids (``code``, ``name``, ``community_code`` as codes, ``level``).
    communities
        The project's communities (``code``, ``name``).
    buildings
        The project's buildings placed in their grids (``geo.buildings.buildings_table``), so that
        a row may serve single buildings or a compound's buildings (``building_codes``).

    Returns
    -------
    OrganisationsImport
        ``table`` with ``name``, ``kind`` (as written), ``org_type`` (``geo.schema.ORG_TYPES``),
        ``community_code``, ``grid_codes`` (";"-joined leaf grids), ``building_codes`` (";"-joined
        buildings named, "" when it serves whole grids), ``leader_name``, ``phone``
        (normalised) and the other columns as written; findings for unknown communities, types
        and grid names, by Excel row.
    """
    path = Path(path)
    label = label or path.name
    frame, comm, findings = read_unit_sheet(path, headers=_HEADERS, sheet=sheet, communities=communities,
                                            layer=ORGANISATIONS, label=label)
    served, served_bld, unmatched = _resolve_served(
        frame.get("_grids", pd.Series(None, index=frame.index)), comm.codes, tree=layers_tree(grids, communities),
        layer=ORGANISATIONS, label=label, blank_is_whole=False, buildings=buildings)
    out = frame.drop(columns=[c for c in ("_grids",) if c in frame.columns]).copy()
    out[s.COMMUNITY_CODE] = comm.codes
    out[GRID_CODES] = served
    out[BUILDING_CODES] = served_bld
    kinds = out.get(s.KIND, pd.Series(None, index=out.index))
    out[s.ORG_TYPE] = kinds.map(org_type).astype(object)
    findings += [finding(WARNING, "organisations.unknown_type", ORGANISATIONS, str(row), file=label,
                         detail=str(kinds.get(row) or ""))
                 for row in out.index[out[s.ORG_TYPE].isna()]]
    if s.PHONE in out:
        out[s.PHONE] = out[s.PHONE].map(normalise_phone)
    return OrganisationsImport(out, [*findings, *unmatched])


def organisations_table(result: OrganisationsImport) -> pd.DataFrame:
    """The project table ``organisations`` of an import: the Excel row kept as ``source_row``, an ``org_id``."""
    table = result.table.rename_axis("source_row").reset_index()
    table.insert(0, ORG_ID, [f"ORG{i + 1:04d}" for i in range(len(table))])
    return table


def organisations_of(project: Project) -> pd.DataFrame:
    """The project's organisations with an ``org_id`` (given or by position) and text ``grid_codes``."""
    table = project.table(ORGANISATIONS)
    if len(table) == 0 or GRID_CODES not in table.columns:
        return pd.DataFrame(columns=[ORG_ID, s.NAME, s.ORG_TYPE, s.COMMUNITY_CODE, GRID_CODES, BUILDING_CODES, LEADER,
                                     s.PHONE])
    out = table.copy()
    if ORG_ID not in out.columns:
        out[ORG_ID] = [f"ORG{i + 1:04d}" for i in range(len(out))]
    if s.ORG_TYPE not in out.columns:
        out[s.ORG_TYPE] = out.get(s.KIND, pd.Series(None, index=out.index)).map(org_type)
    out[GRID_CODES] = out[GRID_CODES].fillna("").astype(str)
    out[BUILDING_CODES] = out.get(BUILDING_CODES, pd.Series("", index=out.index)).fillna("").astype(str)
    return out


def served_long(table: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """One row per (item, grid served) of a table with ``grid_codes``: ``item, grid_code`` and its other columns."""
    if len(table) == 0:
        return pd.DataFrame(columns=["item", s.GRID_CODE, *table.columns])
    parts = table[GRID_CODES].fillna("").astype(str).str.split(";")
    long = table.drop(columns=[GRID_CODES]).assign(**{s.GRID_CODE: parts}).explode(s.GRID_CODE)
    long = long[long[s.GRID_CODE].astype(str) != ""]
    return long.assign(item=long[id_column].astype(str)).reset_index(drop=True)


def organisation_grids(project: Project) -> pd.DataFrame:
    """One row per (organisation, grid served): ``item, grid_code, org_type`` (the roll-up's input)."""
    orgs = organisations_of(project)
    long = served_long(orgs[[ORG_ID, s.ORG_TYPE, GRID_CODES]], ORG_ID)
    return long[["item", s.GRID_CODE, s.ORG_TYPE]].reset_index(drop=True)


def find_grids_without_management(project: Project, *, tree: pd.DataFrame | None = None) -> list[str]:
    """Codes of micro-grids served by no 物业 and no 业委会/院委会 (none when no organisations are imported).

    Micro-grids are the leaf grids that are not dedicated grids (a school or a park has its own
    management); rural 林盘 are listed too: the planner decides whether they need one. ``tree``
    is ``geo.hierarchy.grid_tree(project)`` when the caller has it already.
    """
    orgs = organisation_grids(project)
    if len(orgs) == 0:
        return []
    tree = grid_tree(project) if tree is None else tree
    managed = set(orgs.loc[orgs[s.ORG_TYPE].isin(s.ORG_MANAGEMENT_TYPES), s.GRID_CODE].astype(str))
    leaves = tree.index[tree["is_leaf"].astype(bool) & (tree[s.LEVEL] != s.LEVEL_DEDICATED)]
    return [c for c in leaves if c not in managed]


def organisation_rows(project: Project, grid_codes: list[str], *, include_personal: bool = False,
                      mask_names: bool = True) -> pd.DataFrame:
    """Organisations serving any of ``grid_codes``: id, name, type, community, grids served, contact.

    The contact person and phone are masked (``geo.privacy``) unless ``include_personal``.
    """
    orgs = organisations_of(project)
    wanted = set(map(str, grid_codes))
    hit = orgs[GRID_CODES].map(lambda v: bool(wanted & set(str(v).split(";")))) if len(orgs) else \
        pd.Series(dtype=bool)
    rows = orgs[hit.to_numpy(dtype=bool)] if len(orgs) else orgs
    out = pd.DataFrame({
        ORG_ID: rows[ORG_ID].astype(str), s.NAME: rows[s.NAME].astype(str),
        s.ORG_TYPE: rows[s.ORG_TYPE].astype(object), s.COMMUNITY_CODE: rows[s.COMMUNITY_CODE].astype(object),
        "grids": rows[GRID_CODES].map(lambda v: len([c for c in str(v).split(";") if c])).astype(int),
        LEADER: rows.get(LEADER, pd.Series("", index=rows.index)).astype(object),
        s.PHONE: rows.get(s.PHONE, pd.Series("", index=rows.index)).astype(object),
    }).reset_index(drop=True)
    if not include_personal:
        out[s.PHONE] = out[s.PHONE].map(mask_phone)
        if mask_names:
            out[LEADER] = out[LEADER].map(mask_name)
    out[LEADER] = out[LEADER].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def building_organisations(project: Project) -> pd.DataFrame:
    """One row per (building, organisation serving it by name): ``building_code, org_id, name, org_type``."""
    cols = [s.BUILDING_CODE, ORG_ID, s.NAME, s.ORG_TYPE]
    orgs = organisations_of(project)
    if len(orgs) == 0:
        return pd.DataFrame(columns=cols)
    parts = orgs[BUILDING_CODES].str.split(";")
    long = orgs[[ORG_ID, s.NAME, s.ORG_TYPE]].assign(**{s.BUILDING_CODE: parts}).explode(s.BUILDING_CODE)
    long = long[long[s.BUILDING_CODE].fillna("").astype(str) != ""]
    return long[cols].reset_index(drop=True)
