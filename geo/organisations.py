"""Organisations that enter the grid (进网入格): read their sheet and resolve the grids they serve.

An office's sheet lists 名称, 类型, 所属社区, 服务小区/网格名称 (several names joined by 、, or
全社区 for every micro-grid of the community), 负责人 and 电话. Grid names are resolved within
the row's community only (滨江花园微网格 exists in two); names matching no grid are listed
by Excel row. The result is a plain table, kept in the project as ``organisations``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import schema as s
from geo.privacy import normalise_phone
from geo.sheets import read_workbook
from geo.tables import rename_by_headers
from geo.unitnames import normalise_name, resolve_unit_names
from geo.validate import WARNING, finding

ORGANISATIONS = "organisations"  # the project table
GRID_CODES = "grid_codes"  # ";"-joined micro-grid codes served
LEADER = "leader_name"
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


@dataclass
class OrganisationsImport:
    """Organisations with their community code and the micro-grid codes they serve; what did not resolve."""

    table: pd.DataFrame  # index = Excel row
    findings: list[dict] = field(default_factory=list)


def read_organisations(path: str | Path, *, grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                       sheet: str | None = None, label: str | None = None) -> OrganisationsImport:
    """Read an organisations sheet and resolve 所属社区 and the grid names each row serves.

    Parameters
    ----------
    grids
        The project's grids (``code``, ``name``, ``community_code`` as codes, ``level``).
    communities
        The project's communities (``code``, ``name``).

    Returns
    -------
    OrganisationsImport
        ``table`` with ``name``, ``kind``, ``community_code``, ``grid_codes`` (";"-joined),
        ``leader_name``, ``phone`` (normalised) and the other columns as written; findings for
        unknown communities and grid names, by Excel row.
    """
    path = Path(path)
    label = label or path.name
    frame = rename_by_headers(read_workbook(path, label=label).sheet(sheet).frame, _HEADERS)
    comm = resolve_unit_names(frame.get(s.COMMUNITY_CODE, pd.Series(None, index=frame.index)), communities)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO] if s.LEVEL in grids else grids
    by_community = {c: dict(zip(g[s.NAME].map(normalise_name), g[s.CODE].astype(str)))
                    for c, g in micro.groupby(s.COMMUNITY_CODE)}
    served, findings = [], []
    for row, text in frame.get("_grids", pd.Series(None, index=frame.index)).items():
        community = comm.codes.loc[row]
        names = [n for n in _SPLIT.split(normalise_name(text)) if n]
        grid_names = by_community.get(community, {})
        if community is None:
            findings.append(finding(WARNING, "names.community_unmatched", ORGANISATIONS, str(row), file=label,
                                    detail=str(frame[s.COMMUNITY_CODE].get(row) or "")))
            served.append("")
            continue
        if any(n in WHOLE_COMMUNITY for n in names):
            served.append(";".join(sorted(grid_names.values())))
            continue
        missing = [n for n in names if n not in grid_names]
        if missing:
            findings.append(finding(WARNING, "organisations.grid_unmatched", ORGANISATIONS, str(row), file=label,
                                    detail="、".join(missing)))
        served.append(";".join(grid_names[n] for n in names if n in grid_names))
    out = frame.drop(columns=[c for c in ("_grids",) if c in frame.columns]).copy()
    out[s.COMMUNITY_CODE] = comm.codes
    out[GRID_CODES] = pd.Series(served, index=frame.index, dtype=object)
    if s.PHONE in out:
        out[s.PHONE] = out[s.PHONE].map(normalise_phone)
    return OrganisationsImport(out, findings)
