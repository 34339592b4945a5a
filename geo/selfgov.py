"""Self-governance per unit: 自治组织 (业委会, 院委会, 自治委员会...), 自组织 and 公约 (村规民约, 院落公约).

An office's sheet has one row per community, or per grid/compound of a community: 所属社区,
网格/小区 (blank = the whole community), and for each of the three a count and/or names
(several joined by 、). A count left blank is the number of names; a count below the number of
names is reported. Rows are kept in the project table ``selfgov`` with the leaf grids they cover
(``grid_codes``, ``geo.organisations.resolve_served_grids``); totals per unit come from
``geo.rollup`` (a row counts once in every unit that holds one of its grids).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.organisations import layers_tree, read_unit_sheet, resolve_served_grids, served_long
from geo.project import Project
from geo.unitnames import normalise_name
from geo.validate import WARNING, finding

SELFGOV = s.SELFGOV
ROW_ID = "selfgov_id"
UNIT_NAME = "unit_name"  # the grid/compound as written (blank = the whole community)
# what is counted: (count column, names column)
KINDS = {"selfgov_bodies": "selfgov_bodies_names", "self_orgs": "self_orgs_names", "conventions": "conventions_names"}
_HEADERS = {
    s.COMMUNITY_CODE: ("所属社区", "社区", "村社区", "社区代码", "所属村社区"),
    UNIT_NAME: ("网格/小区", "网格", "小区", "院落", "林盘", "所属网格", "单元", "网格名称"),
    "selfgov_bodies": ("自治组织数", "自治组织数量", "自治组织(个)"),
    "selfgov_bodies_names": ("自治组织", "自治组织名称"),
    "self_orgs": ("自组织数", "自组织数量", "自组织(个)"),
    "self_orgs_names": ("自组织", "自组织名称"),
    "conventions": ("公约数", "公约数量", "公约(份)", "村规民约数"),
    "conventions_names": ("公约", "公约名称", "村规民约", "院落公约"),
}
SELFGOV_HEADERS = tuple(h for col in (*KINDS, *KINDS.values()) for h in _HEADERS[col])  # a sheet with one is ours
_SPLIT = re.compile(r"[、，,；;\n]+")


@dataclass
class SelfGovImport:
    """Self-governance rows with their community and grids; what did not resolve."""

    table: pd.DataFrame
    findings: list[dict] = field(default_factory=list)


def _names(value: object) -> list[str]:
    return [n.strip() for n in _SPLIT.split("" if value is None or value != value else str(value)) if n.strip()]


def _counts(frame: pd.DataFrame, *, label: str) -> tuple[pd.DataFrame, list[dict]]:
    """Counts from the count columns, else the number of names; counts below the names listed reported."""
    out, findings = frame.copy(), []
    for count_col, names_col in KINDS.items():
        names = out.get(names_col, pd.Series(None, index=out.index)).map(_names)
        given = pd.to_numeric(out.get(count_col, pd.Series(None, index=out.index)), errors="coerce")
        n_names = names.map(len)
        for row in out.index[given.notna() & (given < n_names)]:
            findings.append(finding(WARNING, "selfgov.count_below_names", SELFGOV, str(row), file=label,
                                    detail=f"{count_col}: {int(given[row])} < {n_names[row]}"))
        out[count_col] = given.where(given.notna(), n_names).fillna(0).astype(int)
        out[names_col] = names.map("、".join)
    return out, findings


def read_selfgov(path: str | Path, *, grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                 sheet: str | None = None, label: str | None = None) -> SelfGovImport:
    """Read a self-governance sheet: per community or grid, counts and names of bodies, 自组织 and 公约.

    Returns
    -------
    SelfGovImport
        ``table`` (index = Excel row) with ``selfgov_id``, ``community_code``, ``unit_name``,
        ``grid_codes`` and per kind a count (``selfgov_bodies``, ``self_orgs``, ``conventions``)
        and its names (``<kind>_names``, 、-joined); findings for unknown communities and grids
        and counts below the names listed.
    """
    path = Path(path)
    label = label or path.name
    frame, comm, findings = read_unit_sheet(path, headers=_HEADERS, sheet=sheet, communities=communities,
                                            layer=SELFGOV, label=label)
    units = frame.get(UNIT_NAME, pd.Series(None, index=frame.index))
    served, unmatched = resolve_served_grids(units, comm.codes, tree=layers_tree(grids, communities), layer=SELFGOV,
                                             label=label, blank_is_whole=True)
    out, counted = _counts(frame, label=label)
    out[s.COMMUNITY_CODE] = comm.codes
    out[UNIT_NAME] = units.map(normalise_name)
    out[s.GRID_CODES] = served
    out.insert(0, ROW_ID, [f"SG{i + 1:04d}" for i in range(len(out))])
    keep = [ROW_ID, s.COMMUNITY_CODE, UNIT_NAME, s.GRID_CODES, *[c for kv in KINDS.items() for c in kv]]
    return SelfGovImport(out[keep], [*findings, *unmatched, *counted])


def selfgov_table(result: SelfGovImport) -> pd.DataFrame:
    """The project table ``selfgov`` of an import (the Excel row kept as ``source_row``)."""
    return result.table.rename_axis("source_row").reset_index()


def selfgov_grids(project: Project) -> pd.DataFrame:
    """One row per (self-governance row, grid covered): ``item, grid_code`` and the three counts."""
    table = project.table(SELFGOV)
    cols = ["item", s.GRID_CODE, *KINDS]
    if len(table) == 0 or s.GRID_CODES not in table.columns:
        return pd.DataFrame(columns=cols)
    table = table.copy()
    for col in KINDS:
        table[col] = pd.to_numeric(table.get(col, 0), errors="coerce").fillna(0).astype(int)
    return served_long(table[[ROW_ID, *KINDS, s.GRID_CODES]], ROW_ID)[cols]


def selfgov_rows(project: Project, grid_codes: list[str]) -> pd.DataFrame:
    """Self-governance rows covering any of ``grid_codes``: unit, the three counts and their names."""
    table = project.table(SELFGOV)
    cols = [ROW_ID, s.COMMUNITY_CODE, UNIT_NAME, *[c for kv in KINDS.items() for c in kv]]
    if len(table) == 0 or s.GRID_CODES not in table.columns:
        return pd.DataFrame(columns=cols)
    wanted = set(map(str, grid_codes))
    hit = table[s.GRID_CODES].fillna("").astype(str).str.split(";").map(lambda c: bool(wanted & set(c)))
    rows = table[hit.to_numpy(dtype=bool)]
    out = pd.DataFrame({c: rows[c] if c in rows else "" for c in cols}).reset_index(drop=True)
    for col in KINDS.values():
        out[col] = out[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out
